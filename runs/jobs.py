"""The job of a run: `job.json` for the job runner (`mmoda-job`) and the executor's JobSpec."""

from __future__ import annotations

import sys
from pathlib import Path

from mmoda.executors.base import JobSpec, Resources
from mmoda.executors.outputs import write_json
from mmoda.executors.runner import JOB
from mmoda.resolvers.request import Prepared
from mmoda.runs.errors import CannotRun

__all__ = ["job_spec", "source_file"]

RUNNABLE_KINDS = ("notebook", "function", "service")
GRACE_S = 30.0


def source_file(prepared: Prepared) -> Path:
    """The notebook or module the version runs, in its source directory on this site."""
    info = prepared.info
    if info.kind not in ("notebook", "function"):
        raise CannotRun(f"workflows of kind {info.kind!r} are not run by jobs on this site")
    if not info.source or not info.entry:
        raise CannotRun(f"<{prepared.version}> names no source directory and entry point")
    path = Path(info.source) / Path(info.entry).name
    if not path.is_file():
        raise CannotRun(f"the code of <{prepared.version}> is missing on this site ({path})")
    return path


def _code(prepared: Prepared, callback: str | None) -> dict[str, str | None]:
    """What `job.json` says the job runs: a source file (and function), or a service target
    (and the URL where the service reports back, when the site takes callbacks)."""
    info = prepared.info
    if info.kind != "service":
        return {"source": str(source_file(prepared)), "entry": info.function}
    if not info.service_url or not info.service_target:
        raise CannotRun(f"<{prepared.version}> names no nb2workflow service URL and target")
    return {"service_url": info.service_url, "target": info.service_target,
            **({"callback": callback} if callback else {})}


def job_spec(prepared: Prepared, *, run: str, run_id: str, jobdir: Path,
             default_timeout: float | None, callback: str | None = None) -> JobSpec:
    """Write `jobdir/job.json` and return the spec that runs the job runner on it.

    `callback` (service jobs only) is the URL the nb2workflow service calls back; it holds the
    run's callback key, so `job.json` is as private as the job directory.
    """
    info = prepared.info
    timeout = info.walltime_s or default_timeout
    jobdir = jobdir.absolute()  # the job runs in it: a relative path would not resolve there
    jobdir.mkdir(parents=True, exist_ok=True)
    write_json(jobdir / JOB, {
        "run": run, "kind": info.kind, **_code(prepared, callback),
        "parameters": {n: v.value for n, v in prepared.parameters.items()},
        "outputs": [{"name": n, "type": t} for n, t in info.outputs] or None,
        "timeout": timeout})
    # The executor's limit leaves the runner time to stop the workflow itself and report
    # "exceeded its timeout" with whatever it can save, rather than being killed silently.
    limit = None if timeout is None else timeout + GRACE_S
    resources = Resources(cpus=info.cpus or 1, memory_mb=info.memory_mib, walltime_s=limit)
    return JobSpec(run_id=run_id, workdir=jobdir, resources=resources,
                   command=[sys.executable, "-m", "mmoda.executors.runner", str(jobdir)],
                   timeout_s=limit, labels={"mmoda.run": run})
