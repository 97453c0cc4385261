"""The Kubernetes executor's Job objects: the `batch/v1` Job body it creates, and how a Job and
its pods read back as a `JobStatus`.

The container runs the spec's argv. With `split_streams` (the default) it runs it through a small
POSIX ``sh`` wrapper that tees stdout and stderr into ``stdout.log`` and ``stderr.log`` in the
work directory and records the exit code in ``.executor/k8s-exit``: on shared storage the
service reads both streams apart, live, and still knows how a job ended after its Job object was
deleted. The pod log (Kubernetes keeps stdout and stderr MERGED there) still gets both streams,
though lines written to both at once may interleave in it. The wrapper forwards SIGTERM to the
command (a shell as PID 1 would ignore it). Images without ``/bin/sh``, ``mkfifo`` and ``tee``
need ``split_streams=False``.

States: no pod yet (e.g. refused by a ResourceQuota), an unscheduled pod or a container waiting
(image pull) are QUEUED; a pod bound to a node or running is EXECUTING; the Job's Complete and
Failed conditions give COMPLETED and ERROR (DeadlineExceeded: "timed out ... time limit";
OOMKilled: exit 137 "out of memory"); a Job being deleted is ABORTED.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mmoda.executors.base import JobSpec, JobState, JobStatus
from mmoda.executors.local_jobdir import describe_exit

MANAGED_BY = "app.kubernetes.io/managed-by"
SELECTOR = f"{MANAGED_BY}=mmoda"
RUN_ID = "mmoda.run-id"
WORKDIR = "mmoda.io/workdir"
TIME_LIMIT = "mmoda.io/time-limit"
STREAMS = "mmoda.io/streams"
EXIT_FILE = ".executor/k8s-exit"
CONTAINER = "job"

WRAPPER = r"""t=$(mktemp -d 2>/dev/null) || { t=/tmp/mmoda-k8s.$$; mkdir -p "$t"; }
mkdir -p .executor && mkfifo "$t/o" "$t/e" || exit 125
tee -a stdout.log < "$t/o" &
tee -a stderr.log < "$t/e" >&2 &
"$@" > "$t/o" 2> "$t/e" < /dev/null &
c=$!
trap 'kill -TERM "$c" 2>/dev/null' TERM INT
while :; do wait "$c"; rc=$?; kill -0 "$c" 2>/dev/null || break; done
wait
echo "$rc" > .executor/k8s-exit.tmp && mv .executor/k8s-exit.tmp .executor/k8s-exit
rm -rf "$t"
exit "$rc"
"""


def job_name(spec: JobSpec) -> str:
    """A DNS-1123 label (≤ 63 chars) from the run id plus a hash of the run id and work dir."""
    digest = hashlib.sha256(f"{spec.run_id}\0{spec.workdir}".encode()).hexdigest()[:8]
    stem = re.sub(r"[^a-z0-9-]+", "-", spec.run_id.lower()).strip("-")[:40].strip("-")
    return f"mmoda-{stem}-{digest}" if stem else f"mmoda-{digest}"


def label_value(text: str) -> str:
    """`text` as a valid label value (≤ 63 chars, alphanumeric at both ends)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", text)[:63].strip("-_.")


def _quantity_cpu(cpus: float) -> str:
    return f"{math.ceil(cpus * 1000)}m"


def resources(spec: JobSpec, defaults: Mapping[str, str | None]) -> dict[str, dict[str, str]]:
    """Requests and limits: the spec's cpus and memory_mb, else the settings' defaults."""
    res = spec.resources
    requests = {"cpu": _quantity_cpu(res.cpus)} if "cpus" in res.model_fields_set else {}
    limits: dict[str, str] = {}
    if res.memory_mb is not None:
        requests["memory"] = limits["memory"] = f"{res.memory_mb}Mi"
    if res.gpus:
        limits[str(defaults.get("gpu_resource") or "nvidia.com/gpu")] = str(res.gpus)
    for key, target in (("cpu_request", requests), ("memory_request", requests),
                        ("cpu_limit", limits), ("memory_limit", limits)):
        value, kind = defaults.get(key), key.split("_")[0]
        if value and kind not in target:
            target[kind] = value
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def job_body(spec: JobSpec, *, name: str, container: dict[str, Any], pod: dict[str, Any],
             labels: Mapping[str, str], split: bool, ttl: int | None,
             backoff_limit: int) -> dict[str, Any]:
    """The Job to create; `container` and `pod` carry the settings' image, volumes, account."""
    command = ["/bin/sh", "-c", WRAPPER, "mmoda-job", *spec.command] if split else spec.command
    meta_labels = {**labels, MANAGED_BY: "mmoda", RUN_ID: label_value(spec.run_id)}
    annotations = {WORKDIR: str(spec.workdir), STREAMS: "split" if split else "merged"}
    job_spec: dict[str, Any] = {"backoffLimit": backoff_limit, "template": {
        "metadata": {"labels": meta_labels},
        "spec": {"restartPolicy": "Never", **pod, "containers": [{
            "name": CONTAINER, "command": command, "workingDir": str(spec.workdir),
            "env": [{"name": k, "value": v} for k, v in spec.environment.items()],
            "terminationMessagePolicy": "FallbackToLogsOnError", **container}]}}}
    if spec.time_limit is not None:
        job_spec["activeDeadlineSeconds"] = max(1, math.ceil(spec.time_limit))
        annotations[TIME_LIMIT] = f"{spec.time_limit:g}"
    if ttl is not None:
        job_spec["ttlSecondsAfterFinished"] = ttl
    return {"apiVersion": "batch/v1", "kind": "Job", "spec": job_spec, "metadata": {
        "name": name, "labels": meta_labels, "annotations": annotations}}


def _latest_state(pods: list[Any]) -> tuple[Any, Any]:
    """The newest pod's container state (running/terminated/waiting) and the pod itself."""
    for pod in sorted(pods, key=lambda p: p.metadata.creation_timestamp, reverse=True):
        for status in pod.status.container_statuses or []:
            return status.state, pod
    return None, (max(pods, key=lambda p: p.metadata.creation_timestamp) if pods else None)


def _times(job: Any, state: Any) -> tuple[datetime | None, datetime | None]:
    started, ended = job.status.start_time, job.status.completion_time
    if state is not None and state.running is not None:
        started = state.running.started_at or started
    if state is not None and state.terminated is not None:
        started = state.terminated.started_at or started
        ended = state.terminated.finished_at or ended
    return started, ended


def _failure(job: Any, state: Any, cond: Any, last_line: Callable[[], str]) -> JobStatus:
    """The ERROR status of a Failed Job: a time limit, an OOM kill or an exit code."""
    started, ended = _times(job, state)
    ended = ended or cond.last_transition_time
    term: Any = state.terminated if state is not None else None
    code = term.exit_code if term is not None else None
    if cond.reason == "DeadlineExceeded":
        limit = (job.metadata.annotations or {}).get(TIME_LIMIT, job.spec.active_deadline_seconds)
        return JobStatus(JobState.ERROR, code, f"timed out after {limit} s (time limit: the "
                         "Job's activeDeadlineSeconds was exceeded)", started, ended)
    if term is not None and term.reason == "OOMKilled":
        return JobStatus(JobState.ERROR, 137, "out of memory (OOMKilled, exit code 137)",
                         started, ended)
    if code is None:
        return JobStatus(JobState.ERROR, None, f"the Job failed: {cond.reason}: {cond.message}",
                         started, ended)
    hint = f" (killed by signal {code - 128})" if code > 128 else ""
    text = last_line() or ((term.message or "").strip().splitlines() or [""])[-1]
    detail = f": {text[-300:]}" if text else ""
    return JobStatus(JobState.ERROR, code, f"{describe_exit(code)}{hint}{detail}", started, ended)


def read_status(job: Any, pods: list[Any], last_line: Callable[[], str]) -> JobStatus:
    """A Job (and its pods) as a `JobStatus`; `last_line` gives the job's last stderr line."""
    state, pod = _latest_state(pods)
    for cond in job.status.conditions or []:
        if cond.status != "True":
            continue
        if cond.type == "Complete":
            started, ended = _times(job, state)
            return JobStatus(JobState.COMPLETED, 0, "", started, ended or cond.last_transition_time)
        if cond.type == "Failed":
            return _failure(job, state, cond, last_line)
    if job.metadata.deletion_timestamp is not None:
        return JobStatus(JobState.ABORTED, message="the Job is being deleted")
    started, _ = _times(job, state)
    if state is not None and (state.running is not None or state.terminated is not None):
        return JobStatus(JobState.EXECUTING, started_at=started)
    waiting = state.waiting if state is not None else None
    if waiting is not None and waiting.reason:
        return JobStatus(JobState.QUEUED, message=f"{waiting.reason}: {waiting.message or ''}")
    if pod is not None and pod.spec.node_name:  # scheduled: it holds its place on a node
        return JobStatus(JobState.EXECUTING, message="starting", started_at=started)
    return JobStatus(JobState.QUEUED, message="pod not scheduled" if pod else "no pod yet")
