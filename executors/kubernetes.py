"""The Kubernetes executor: one `batch/v1` Job per run, polled with one list call per namespace.

The Job runs the spec's argv (the job runner) in the workflow's image (``resources.extra["image"]``,
else the `image` setting) with the spec's environment only, `workingDir` = the work directory,
requests/limits from `cpus`, `memory_mb` and `gpus` (else the settings' defaults),
`activeDeadlineSeconds` = the time limit rounded up to whole seconds, `backoffLimit` and, when the
server supports it (≥ 1.21, or `force_ttl`), `ttlSecondsAfterFinished`. The handle is
``kubernetes:<namespace>/<job name>``; a new instance `recover`s from it (the Job's annotations
hold the work directory).

Storage: the work directory must be on storage that the service and the pods share: a
ReadWriteMany PersistentVolumeClaim (`pvc_name`, mounted at `pvc_mount_path`, under which every
work directory must lie), or no volume when the pods already see the same path (the test rig
runs pods as local processes; a hostPath-like setup). Inputs are staged by the service into the
work directory (copies, since pods cannot follow symlinks to the service's files).

Logs: Kubernetes keeps one pod log with stdout and stderr MERGED. See `kubernetes_manifest` for
the wrapper that writes ``stdout.log``/``stderr.log`` apart; in any case, when a job ends (or is
cancelled) the pod log is saved to ``<workdir>/pod.log`` before the Job can be deleted, so
`logs` still answers after the Job is gone.

Polling: with `watch`, Jobs and pods are kept by list+watch (re-listing on 410 Gone, see
`kubernetes_watch`) and `poll` reads that cache, falling back to listing while it is out of
sync or lacks a Job; without it `poll` lists, at most once per `poll_min_interval`.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from mmoda.executors.base import (
    Executor,
    JobHandle,
    JobSpec,
    JobState,
    JobStatus,
    Stream,
    validate_settings,
)
from mmoda.executors.errors import ExecutorError, SubmitError, UnknownJob
from mmoda.executors.kubernetes_config import (
    NAME,
    KubernetesApiError,
    KubernetesSettings,
    api_client,
)
from mmoda.executors.kubernetes_manifest import (
    CONTAINER,
    EXIT_FILE,
    SELECTOR,
    STREAMS,
    WORKDIR,
    job_body,
    job_name,
    read_status,
    resources,
)
from mmoda.executors.kubernetes_watch import ListWatch
from mmoda.executors.local_jobdir import JobDir, describe_exit
from mmoda.executors.local_staging import stage_inputs

__all__ = ["KubernetesApiError", "KubernetesExecutor", "KubernetesSettings", "api_client"]

POD_LOG = "pod.log"


@dataclass
class _Tracked:
    namespace: str
    name: str
    workdir: Path | None
    split: bool
    final: JobStatus | None = None
    cancelled: bool = False


def _tail(text: str, lines: int | None) -> str:
    if lines is None:
        return text
    return "" if lines <= 0 else "".join(text.splitlines(keepends=True)[-lines:])


def _by_job(pods: Sequence[Any]) -> dict[str, list[Any]]:
    by_job: dict[str, list[Any]] = {}
    for pod in pods:
        by_job.setdefault((pod.metadata.labels or {}).get("job-name", ""), []).append(pod)
    return by_job


class KubernetesExecutor(Executor):
    """Runs each job as a Kubernetes Job; see the module docstring."""

    kind: ClassVar[str] = "kubernetes"
    Settings: ClassVar[type[BaseModel]] = KubernetesSettings
    supports_cancel = supports_logs = supports_recover = supports_stage_in = True
    supports_job_arrays = False

    def __init__(self, settings: BaseModel | Mapping[str, Any] | None = None) -> None:
        from kubernetes import client

        self.settings: KubernetesSettings = validate_settings(
            KubernetesSettings, settings, self.kind)
        self.api = api_client(self.settings)
        self._batch = client.BatchV1Api(self.api)
        self._core = client.CoreV1Api(self.api)
        self._lock = threading.RLock()
        self._jobs: dict[JobHandle, _Tracked] = {}
        self._listed: dict[str, tuple[float, dict[str, Any], dict[str, list[Any]]]] = {}
        self._version: tuple[int, int] | None = None
        self._watches: dict[str, tuple[ListWatch, ListWatch]] = {}

    # -- API calls ---------------------------------------------------------------------------

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`method(*args, **kwargs)` with a timeout; failures become `KubernetesApiError`."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return method(*args, _request_timeout=self.settings.request_timeout_s, **kwargs)
        except ApiException as exc:
            raise KubernetesApiError(f"Kubernetes API: {exc.status} {exc.reason}",
                                     exc.status) from exc
        except (HTTPError, OSError) as exc:
            raise KubernetesApiError(f"Kubernetes API unreachable: {exc}") from exc

    def server_version(self) -> tuple[int, int]:
        """The apiserver's (major, minor), asked once; (0, 0) when it cannot be told."""
        from kubernetes import client

        if self._version is None:
            try:
                info = self._call(client.VersionApi(self.api).get_code)
                self._version = (int(re.sub(r"\D", "", info.major) or 0),
                                 int(re.sub(r"\D", "", info.minor) or 0))
            except KubernetesApiError:
                return (0, 0)
        return self._version

    def _watched(self, namespace: str) -> tuple[dict[str, Any], list[Any]] | None:
        """Jobs by name and pods from the namespace's watches, None while not in sync."""
        if namespace not in self._watches:
            self._watches[namespace] = (
                ListWatch(self._batch.list_namespaced_job, namespace, SELECTOR),
                ListWatch(self._core.list_namespaced_pod, namespace, SELECTOR))
        jobs, pods = (w.snapshot() for w in self._watches[namespace])
        return None if jobs is None or pods is None else (jobs, list(pods.values()))

    def _listing(self, namespace: str, need: str | None = None
                 ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """Managed Jobs and their pods by Job name: from the watch when it is in sync and has
        the Job `need`, else from one list call each (reused for `poll_min_interval`)."""
        seen = self._watched(namespace) if self.settings.watch else None
        if seen is not None and (need is None or need in seen[0]):
            return seen[0], _by_job(seen[1])
        hit = self._listed.get(namespace)
        if hit and time.monotonic() - hit[0] < self.settings.poll_min_interval:
            return hit[1], hit[2]
        jobs = self._call(self._batch.list_namespaced_job, namespace, label_selector=SELECTOR)
        pods = self._call(self._core.list_namespaced_pod, namespace, label_selector=SELECTOR)
        found, by_job = {job.metadata.name: job for job in jobs.items}, _by_job(pods.items)
        self._listed[namespace] = (time.monotonic(), found, by_job)
        return found, by_job

    # -- the contract ------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> JobHandle:
        """Stage the inputs into the work directory, then create the Job."""
        s, name = self.settings, job_name(spec)
        if s.pvc_mount_path is not None and not spec.workdir.is_relative_to(s.pvc_mount_path):
            raise SubmitError(f"{spec.workdir} is not under the volume at {s.pvc_mount_path}")
        try:
            spec.workdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SubmitError(f"cannot create the work directory {spec.workdir}: {exc}") from exc
        stage_inputs(spec.inputs, spec.workdir, mode="copy", roots=s.stage_roots)
        body = job_body(spec, name=name, container=self._container(spec), pod=self._pod(),
                        labels=s.labels, split=s.split_streams, ttl=self._ttl(),
                        backoff_limit=s.backoff_limit)
        try:
            self._call(self._batch.create_namespaced_job, s.namespace, body)
        except KubernetesApiError as exc:
            taken = " (the run was submitted before)" if exc.status == 409 else ""
            raise SubmitError(f"cannot create Job {s.namespace}/{name}: {exc}{taken}") from exc
        handle = JobHandle(self.kind, f"{s.namespace}/{name}")
        with self._lock:
            self._jobs[handle] = _Tracked(s.namespace, name, spec.workdir, s.split_streams)
            self._listed.pop(s.namespace, None)
        return handle

    def poll(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """Every job's status from one listing of Jobs and pods per namespace."""
        with self._lock:
            return {h: self._status(h) for h in handles}

    def cancel(self, handle: JobHandle) -> None:
        """Save the pod log, then delete the Job with its pods (ABORTED)."""
        from kubernetes import client

        with self._lock:
            tracked = self._require(handle)
            self._listed.pop(tracked.namespace, None)
            status = self._status(handle)
            if status.state.terminal:
                return
            self._save_log(tracked)
            options = client.V1DeleteOptions(propagation_policy=self.settings.propagation)
            try:
                self._call(self._batch.delete_namespaced_job, tracked.name, tracked.namespace,
                           body=options)
            except KubernetesApiError as exc:
                if exc.status != 404:
                    raise
            tracked.cancelled = True
            tracked.final = JobStatus(JobState.ABORTED, None, "cancelled", status.started_at,
                                      datetime.now(UTC))
            self._listed.pop(tracked.namespace, None)

    def logs(self, handle: JobHandle, *, stream: Stream = "stdout", tail: int | None = None) -> str:
        """The stream's file in the work directory, else the pod log (live, or as saved)."""
        with self._lock:
            tracked = self._require(handle)
            workdir = tracked.workdir
            if workdir is not None and JobDir(workdir).log(stream).exists():
                return JobDir(workdir).tail(stream, tail)
            if stream == "stderr":
                return ""  # Kubernetes merges stderr into the one pod log
            saved = workdir / POD_LOG if workdir is not None else None
            if tracked.final is None or saved is None or not saved.exists():
                live = self._live_log(tracked, tail)
                if live is not None:
                    return live
            if saved is None or not saved.exists():
                return ""
            return _tail(saved.read_text(errors="replace"), tail)

    def recover(self, handles: Sequence[JobHandle]) -> dict[JobHandle, JobStatus]:
        """Track again the Jobs that still exist (UNKNOWN for the others)."""
        with self._lock:
            self._listed.clear()
            return {h: self._recover(h) for h in handles}

    def close(self) -> None:
        """Stop the watches (jobs keep running; a later instance recovers them)."""
        for watches in self._watches.values():
            for watch in watches:
                watch.stop()

    # -- helpers -----------------------------------------------------------------------------

    def _require(self, handle: JobHandle) -> _Tracked:
        tracked = self._jobs.get(handle)
        if tracked is None:
            raise UnknownJob(handle)
        return tracked

    def _container(self, spec: JobSpec) -> dict[str, Any]:
        s = self.settings
        extra: dict[str, Any] = {"image": spec.resources.extra.get("image", s.image)}
        if s.image_pull_policy:
            extra["imagePullPolicy"] = s.image_pull_policy
        extra["resources"] = resources(spec, s.model_dump(include={
            "cpu_request", "memory_request", "cpu_limit", "memory_limit", "gpu_resource"}))
        if s.pvc_name is not None:
            extra["volumeMounts"] = [{"name": "workdir", "mountPath": str(s.pvc_mount_path)}]
        return extra

    def _pod(self) -> dict[str, Any]:
        s = self.settings
        pod: dict[str, Any] = {"automountServiceAccountToken": s.service_account is not None}
        if s.service_account:
            pod["serviceAccountName"] = s.service_account
        if s.pvc_name is not None:
            pod["volumes"] = [{"name": "workdir",
                               "persistentVolumeClaim": {"claimName": s.pvc_name}}]
        return pod

    def _ttl(self) -> int | None:
        ttl = self.settings.ttl_seconds_after_finished
        if ttl is None or self.settings.force_ttl or self.server_version() >= (1, 21):
            return ttl
        return None

    def _status(self, handle: JobHandle) -> JobStatus:
        tracked = self._jobs.get(handle)
        if tracked is None:
            return JobStatus(JobState.UNKNOWN, message="not tracked by this executor")
        if tracked.final is not None:
            return tracked.final
        jobs, pods = self._listing(tracked.namespace, tracked.name)
        job = jobs.get(tracked.name)
        if job is None:
            status = self._vanished(tracked)
        else:
            status = read_status(job, pods.get(tracked.name, []), lambda: self._last_line(tracked))
        if status.state.terminal:
            if job is not None:
                self._save_log(tracked)
            tracked.final = status
        return status

    def _vanished(self, tracked: _Tracked) -> JobStatus:
        """A tracked Job that no longer exists: its exit code from the work directory if any."""
        if tracked.cancelled:
            return JobStatus(JobState.ABORTED, message="cancelled")
        gone = f"the Job {tracked.namespace}/{tracked.name} no longer exists"
        try:
            code = int((tracked.workdir / EXIT_FILE).read_text()) if tracked.workdir else None
        except (OSError, ValueError):
            code = None
        if code is None:
            return JobStatus(JobState.ERROR, None, f"{gone} (deleted outside MMODA, or by its "
                             "ttlSecondsAfterFinished) and left no exit status")
        state = JobState.COMPLETED if code == 0 else JobState.ERROR
        return JobStatus(state, code, f"{describe_exit(code)} ({gone})")

    def _last_line(self, tracked: _Tracked) -> str:
        if tracked.workdir is None:
            return ""
        return JobDir(tracked.workdir).tail("stderr", 1).strip()

    def _pods(self, tracked: _Tracked) -> list[Any]:
        pods = self._call(self._core.list_namespaced_pod, tracked.namespace,
                          label_selector=f"job-name={tracked.name}").items
        return sorted(pods, key=lambda p: p.metadata.creation_timestamp)

    def _live_log(self, tracked: _Tracked, tail: int | None) -> str | None:
        """The newest pod's log from the API, None when there is no pod (any more)."""
        try:
            pods = self._pods(tracked)
            if not pods:
                return None
            extra = {} if tail is None else {"tail_lines": max(tail, 0)}
            text = self._call(self._core.read_namespaced_pod_log, pods[-1].metadata.name,
                              tracked.namespace, container=CONTAINER, **extra)
        except KubernetesApiError as exc:
            if exc.status in (400, 404):
                return None
            raise
        return "" if tail is not None and tail <= 0 else str(text)

    def _save_log(self, tracked: _Tracked) -> None:
        """Write the newest pod's whole log to `<workdir>/pod.log` (before any cleanup)."""
        if tracked.workdir is None:
            return
        text = self._live_log(tracked, None)
        if text is None:
            return
        target = tracked.workdir / POD_LOG
        tmp = target.with_name(f".{POD_LOG}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text)
            os.replace(tmp, target)
        except OSError as exc:
            raise ExecutorError(f"cannot save the pod log to {target}: {exc}") from exc

    def _recover(self, handle: JobHandle) -> JobStatus:
        if handle in self._jobs:
            return self._status(handle)
        namespace, _, name = handle.job_id.partition("/")
        if handle.kind != self.kind or not (NAME.fullmatch(namespace) and NAME.fullmatch(name)):
            return JobStatus(JobState.UNKNOWN, message=f"not a {self.kind} job handle")
        job = self._listing(namespace)[0].get(name)
        if job is None:
            return JobStatus(JobState.UNKNOWN, message=f"no Job {handle.job_id} (deleted?)")
        notes = job.metadata.annotations or {}
        workdir = Path(notes[WORKDIR]) if WORKDIR in notes else None
        self._jobs[handle] = _Tracked(namespace, name, workdir, notes.get(STREAMS) == "split")
        return self._status(handle)
