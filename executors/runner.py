"""`mmoda-job JOBDIR`: run one workflow inside a job, on whatever backend started the job.

It reads `JOBDIR/job.json`, runs the notebook (papermill, `python3` kernel) or the Python
function in a copy of the workflow's directory (`JOBDIR/work`, so that relative data paths work
and concurrent jobs never share files), or calls an nb2workflow service (`runner_service`),
stores the declared outputs under `JOBDIR/outputs/` and writes `manifest.json`, `runner.log`,
`progress.jsonl` and, for notebooks, `executed.ipynb`.
Exit status: 0 completed, 1 the workflow failed (or timed out, or was cancelled), 2 `job.json`
is unusable.

Only the standard library, papermill and what workflows themselves need are imported: this
module runs in batch jobs and pods that have neither the knowledge graph nor the API.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import inspect
import json
import logging
import math
import re
import shutil
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

from mmoda.executors.outputs import (
    MANIFEST,
    ErrorEntry,
    Manifest,
    OutputEntry,
    OutputError,
    ProgressSink,
    file_entry,
    read_manifest,
    read_progress,
    store_value,
    utc_now,
    write_json,
)

__all__ = ["Declared", "Job", "JobCancelled", "JobError", "JobInterrupted", "JobTimeout", "main",
           "read_job", "read_manifest", "read_progress", "run_job"]

EXIT_COMPLETED, EXIT_FAILED, EXIT_BAD_JOB = 0, 1, 2
JOB, EXECUTED, LOG, WORK, OUTPUTS = "job.json", "executed.ipynb", "runner.log", "work", "outputs"
COLLECTED = "collected.json"  # written by the cell appended to notebooks, read and removed
ODA = "http://odahub.io/ontology#"
_IGNORED = {".git", ".ipynb_checkpoints", "__pycache__", ".oda_api_context"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
log = logging.getLogger(__name__)


class JobError(Exception):
    """`job.json` is missing or malformed, or names a source or entry that does not exist."""


class JobInterrupted(BaseException):
    """The job was stopped from outside; a BaseException, so that workflows do not catch it."""


class JobTimeout(JobInterrupted):
    """The job ran longer than its `timeout`."""


class JobCancelled(JobInterrupted):
    """The job received SIGTERM or SIGINT (a cancelled Slurm job, a deleted pod, Ctrl-C)."""


class Declared(NamedTuple):
    """A declared output: its name and its ODA type IRI (None when unknown)."""

    name: str
    type: str | None


Collected = tuple[tuple[Declared, ...], dict[str, Any]]  # declared outputs, what was stored


@dataclass(frozen=True)
class Job:
    """The contents of `job.json`, with `source` resolved against the job directory."""

    run: str
    kind: str  # "notebook" | "function" | "service"
    source: Path | None  # None for a service job
    entry: str | None
    parameters: dict[str, Any]
    outputs: tuple[Declared, ...] | None  # None: job.json declares none, take the notebook's
    timeout: float | None
    service_url: str | None = None  # a service job: the nb2workflow service and its target
    target: str | None = None
    callback: str | None = None  # a service job: where the service reports (the site's URL)


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise JobError(f"{JOB}: {key!r} is missing or not a {getattr(kind, '__name__', kind)}")
    return value


def _declared(items: Any) -> tuple[Declared, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise JobError(f"{JOB}: 'outputs' must be a list of {{'name', 'type'}} objects")
    declared = tuple(Declared(_field(i, "name", str), i.get("type")) for i in items)
    if not all(d.name.isidentifier() for d in declared):
        raise JobError(f"{JOB}: output names must be Python identifiers")
    return declared


def read_job(jobdir: Path) -> Job:
    """Read and check `jobdir/job.json`; `JobError` says what is wrong with it."""
    try:
        data = json.loads((jobdir / JOB).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JobError(f"cannot read {JOB}: {exc}") from exc
    if not isinstance(data, dict):
        raise JobError(f"{JOB} must hold a JSON object")
    kind = _field(data, "kind", str)
    if kind not in ("notebook", "function", "service"):
        raise JobError(f"{JOB}: 'kind' must be 'notebook', 'function' or 'service', not {kind!r}")
    source = None if kind == "service" else (jobdir / _field(data, "source", str)).resolve()
    if source is not None and not source.is_file():
        raise JobError(f"{JOB}: the source {source} is not a file")
    url, target, callback = _service(data, kind)
    timeout = data.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or timeout <= 0):
        raise JobError(f"{JOB}: 'timeout' must be a positive number of seconds")
    parameters = _field(data, "parameters", dict) if "parameters" in data else {}
    if not all(name.isidentifier() for name in parameters):
        raise JobError(f"{JOB}: parameter names must be Python identifiers")
    outputs = data.get("outputs")
    return Job(run=_field(data, "run", str), kind=kind, source=source,
               entry=_field(data, "entry", str) if kind == "function" else None,
               parameters=parameters,
               outputs=None if outputs is None else _declared(outputs), timeout=timeout,
               service_url=url, target=target, callback=callback)


def _service(data: Mapping[str, Any], kind: str) -> tuple[str | None, str | None, str | None]:
    """The service URL, target and callback URL (optional) of a service job; Nones otherwise."""
    if kind != "service":
        return None, None, None
    url, callback = _field(data, "service_url", str), data.get("callback")
    for key, value in (("service_url", url), ("callback", callback)):
        if value is not None and not (isinstance(value, str)
                                      and value.startswith(("http://", "https://"))):
            raise JobError(f"{JOB}: {key!r} must be an http:// or https:// URL")
    return url, _field(data, "target", str), callback


def _source(job: Job) -> Path:
    if job.source is None:
        raise JobError(f"{JOB}: a {job.kind} job needs a 'source'")
    return job.source


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """Raise `JobTimeout` in the main thread after `seconds` (signals work only there)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise JobTimeout(f"the job exceeded its timeout of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _workdir(job: Job, jobdir: Path) -> Path:
    """The directory the workflow runs in: a copy of its own, unless that is inside the job."""
    home = _source(job).parent
    if home.is_relative_to(jobdir):
        return home
    work = jobdir / WORK

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in _IGNORED or jobdir.is_relative_to(Path(folder, n))}

    shutil.copytree(home, work, ignore=ignore, dirs_exist_ok=True)
    log.info("copied %s to %s", home, work)
    return work


def _assigned(node: ast.stmt) -> str | None:
    """The name a statement of an outputs cell declares: `name = expr` or a bare `name`."""
    if isinstance(node, ast.Assign):
        target: ast.expr = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    elif isinstance(node, ast.Expr):
        target = node.value
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _notebook_outputs(nb: Any) -> tuple[Declared, ...]:
    """The outputs declared in the cells tagged `outputs`: `name = expr  # oda:Type`."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "outputs" not in cell.metadata.get("tags", []):
            continue
        lines = cell.source.splitlines()
        for node in ast.parse(cell.source).body:
            if (name := _assigned(node)) is not None:
                kind = re.search(r"#\s*oda:(\w+)", lines[(node.end_lineno or node.lineno) - 1])
                found.append(Declared(name, f"{ODA}{kind[1]}" if kind else None))
    return tuple(found)


def _run_notebook(job: Job, jobdir: Path, workdir: Path) -> Collected:
    """Execute the notebook with papermill; a last cell stores the declared outputs."""
    import nbformat
    import papermill

    nb = nbformat.read(workdir / _source(job).name, as_version=4)
    declared = job.outputs if job.outputs is not None else _notebook_outputs(nb)
    store = nbformat.v4.new_code_cell(
        "# Added by mmoda-job: store the declared outputs.\n"
        "from mmoda.executors.outputs import store_outputs as _mmoda_store_outputs\n"
        f"_mmoda_store_outputs(globals(), {[d.name for d in declared]!r}, "
        f"{str(jobdir / OUTPUTS)!r}, {str(jobdir / COLLECTED)!r})")
    store.metadata["tags"] = ["injected-outputs"]
    nb.cells.append(store)
    log.info("executing %s with parameters %s", _source(job).name, sorted(job.parameters))
    papermill.execute_notebook(nb, str(jobdir / EXECUTED), parameters=job.parameters,
                               cwd=str(workdir), kernel_name="python3", language="python",
                               progress_bar=False,
                               execution_timeout=None if job.timeout is None
                               else math.ceil(job.timeout))  # nbclient takes whole seconds
    stored = json.loads((jobdir / COLLECTED).read_text(encoding="utf-8"))
    (jobdir / COLLECTED).unlink()
    return declared, stored


def _load_entry(path: Path, entry: str) -> Callable[..., Any]:
    """Import the module at `path` (its own errors propagate) and return its function `entry`."""
    spec = importlib.util.spec_from_file_location(f"mmoda_job_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise JobError(f"{JOB}: cannot import {path.name} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    function = getattr(module, entry, None)
    if not callable(function):
        raise JobError(f"{JOB}: {path.name} has no function {entry!r}")
    return function


def _results(result: Any, names: list[str], entry: str) -> dict[str, Any]:
    """The declared outputs in a function's return value."""
    if not names:
        return {}
    if hasattr(result, "_asdict"):  # a NamedTuple
        result = result._asdict()
    if isinstance(result, Mapping) and all(n in result for n in names):
        return {n: result[n] for n in names}
    if len(names) == 1:
        return {names[0]: result}
    raise OutputError(f"{entry}() returned a {type(result).__name__}, not a NamedTuple or dict "
                      f"with the declared outputs {names}")


def _run_function(job: Job, jobdir: Path, workdir: Path, sink: ProgressSink) -> Collected:
    """Call the function with the parameters (and `progress=`, if it takes one), in `workdir`."""
    entry = str(job.entry)
    declared = job.outputs if job.outputs is not None else (Declared("result", None),)
    with contextlib.chdir(workdir):
        sys.path.insert(0, str(workdir))  # so that the workflow imports its sibling modules
        try:
            function = _load_entry(workdir / _source(job).name, entry)
            kwargs = dict(job.parameters)
            if "progress" in inspect.signature(function).parameters:
                kwargs.setdefault("progress", sink.report)
            log.info("calling %s() with parameters %s", entry, sorted(job.parameters))
            results = _results(function(**kwargs), [d.name for d in declared], entry)
            return declared, {n: store_value(n, v, jobdir / OUTPUTS, workdir)
                              for n, v in results.items()}
        finally:
            sys.path.remove(str(workdir))


def _entries(collected: Collected, jobdir: Path) -> list[OutputEntry]:
    """The manifest's outputs: each declared output with its files and JSON value."""
    declared, stored = collected
    entries = []
    for name, kind in declared:
        entry: OutputEntry = {"name": name, "type": kind, "files": [
            file_entry(jobdir / OUTPUTS / f, jobdir) for f in stored[name]["files"]]}
        if "value" in stored[name]:
            entry["value"] = stored[name]["value"]
        entries.append(entry)
        log.info("stored output %s: %s", name, ", ".join(stored[name]["files"]))
    return entries


def _error(exc: BaseException) -> ErrorEntry:
    """The workflow's own error: for a notebook, the exception raised in its cell."""
    if hasattr(exc, "ename") and hasattr(exc, "evalue"):  # papermill's PapermillExecutionError
        lines = getattr(exc, "traceback", None) or []
        return {"type": str(exc.ename), "message": str(exc.evalue),
                "traceback": _ANSI.sub("", "\n".join(lines))}
    trace = "" if isinstance(exc, JobError) else "".join(traceback.format_exception(exc))
    return {"type": type(exc).__name__, "message": str(exc), "traceback": trace}


def _execute(job: Job, jobdir: Path) -> list[OutputEntry]:
    if job.kind == "service":
        from mmoda.executors.runner_service import run_service

        with ProgressSink(jobdir) as sink, _deadline(job.timeout):
            collected = run_service(job, jobdir, sink)
        return _entries(collected, jobdir)
    workdir = _workdir(job, jobdir)
    with ProgressSink(jobdir) as sink:
        (workdir / ".oda_api_context").write_text(json.dumps(sink.oda_api_context()))
        with _deadline(job.timeout):
            if job.kind == "notebook":
                collected = _run_notebook(job, jobdir, workdir)
            else:
                collected = _run_function(job, jobdir, workdir, sink)
    return _entries(collected, jobdir)


@contextlib.contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        handler.close()


def run_job(jobdir: Path) -> Manifest:
    """Run the job in `jobdir`, write its `manifest.json` and return it.

    Never raises for a failed workflow or a bad `job.json`: the manifest's `error` says what went
    wrong (its `type` is `JobError` for the latter). The `timeout` is enforced with SIGALRM, so
    only when called in the main thread, as `main` does.
    """
    jobdir = jobdir.resolve()
    manifest: Manifest = {"run": None, "status": "failed", "started": utc_now(), "ended": "",
                          "outputs": []}
    with _logging_to(jobdir / LOG):
        try:
            job = read_job(jobdir)
            manifest["run"] = job.run
            log.info("job %s: %s %s", job.run, job.kind,
                     job.source or f"{job.target} at {job.service_url}")
            if job.kind == "service":
                from mmoda.executors.runner_channels import describe_service

                manifest["service"] = describe_service(job)
            manifest["outputs"] = _execute(job, jobdir)
            manifest["status"] = "completed"
        except (Exception, JobInterrupted, KeyboardInterrupt) as exc:
            stop = JobCancelled("interrupted") if isinstance(exc, KeyboardInterrupt) else exc
            manifest["error"] = error = _error(stop)
            log.error("failed: %s: %s", error["type"], error["message"])
        if (jobdir / EXECUTED).is_file():
            manifest["notebook"] = file_entry(jobdir / EXECUTED, jobdir)
        manifest["ended"] = utc_now()
        write_json(jobdir / MANIFEST, manifest)
        log.info("%s; manifest written", manifest["status"])
    return manifest


def _cancel(signum: int, frame: FrameType | None) -> None:
    raise JobCancelled(f"the job received signal {signal.Signals(signum).name}")


def main(argv: list[str] | None = None) -> int:
    """Console entry point `mmoda-job JOBDIR`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="mmoda-job", description="Run one MMODA job.")
    parser.add_argument("jobdir", type=Path, help="the job directory holding job.json")
    args = parser.parse_args(argv)
    if not args.jobdir.is_dir():
        print(f"mmoda-job: {args.jobdir} is not a directory", file=sys.stderr)
        return EXIT_BAD_JOB
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _cancel)
    manifest = run_job(args.jobdir)
    error = manifest.get("error")
    print(f"mmoda-job: {manifest['status']}"
          + (f" ({error['type']}: {error['message']})" if error else ""), file=sys.stderr)
    if error is None:
        return EXIT_COMPLETED
    return EXIT_BAD_JOB if error["type"] == JobError.__name__ else EXIT_FAILED


if __name__ == "__main__":
    # Run the imported module, not this `__main__` copy: runner_service raises its JobTimeout.
    from mmoda.executors import runner

    sys.exit(runner.main())
