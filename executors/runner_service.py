"""Service jobs of the job runner: run a workflow on an nb2workflow service and collect it.

`GET {url}/api/v1.0/get/{target}?{parameters}&_async_request=yes` submits the workflow (HTTP
201, `submitted`); repeating the same GET polls it (`submitted`, `started`) until HTTP 200
`done` with `data.output` (a dict of outputs, or "incomplete") and `data.exceptions`. A file
output comes with `<name>_content`, the file's bytes in base64. Standard library only, like the
runner; nb2workflow offers no way to stop a workflow, so a cancelled job only stops polling.

With a `callback` in job.json the GET also passes `_async_request_callback`; between polls
the runner watches the callbacks the site relays (`runner_channels.Callbacks`), and polling
stays, as callbacks may never come.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Any

from mmoda.executors.outputs import (
    MAX_INLINE,
    OutputError,
    ProgressSink,
    store_value,
)
from mmoda.executors.runner import OUTPUTS, WORK, Collected, Declared, Job, JobTimeout
from mmoda.executors.runner_channels import CALLBACKS, Callbacks, describe_service

__all__ = ["ServiceProtocolError", "ServiceUnreachable", "ServiceWorkflowError",
           "describe_service", "run_service"]  # describe_service: runner_channels

GET_PATH = "/api/v1.0/get/"
FIRST_WAIT, MAX_WAIT, REQUEST_TIMEOUT, RETRIES = 0.2, 5.0, 30.0, 3
_REPR = re.compile(r"([A-Za-z_][\w.]*)\((.*)\)", re.DOTALL)  # `ValueError('message')`
log = logging.getLogger("mmoda.executors.runner")


class ServiceUnreachable(Exception):
    """The service did not answer (refused connection, unknown host, socket timeout, 502-504)."""


class ServiceProtocolError(Exception):
    """The service answered an HTTP error or something that is not nb2workflow's protocol."""


class ServiceWorkflowError(Exception):
    """The workflow failed on the service. `ename`, `evalue` and `traceback` (lines) are what the
    runner reports as the manifest's error, as for a notebook's PapermillExecutionError."""

    def __init__(self, ename: str, evalue: str, traceback: list[str]) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue, self.traceback = ename, evalue, traceback


def run_service(job: Job, jobdir: Path, sink: ProgressSink) -> Collected:
    """Run `job` (kind "service") on its service; store its outputs under `jobdir/outputs`."""
    return _collect(job, jobdir, _call(job, sink, Callbacks(jobdir / CALLBACKS, sink)))


def _request_url(job: Job) -> str:
    # nb2workflow casts each value from its text: JSON for lists, dicts and booleans, NUL for None
    query = {n: v if isinstance(v, str) else "\0" if v is None else json.dumps(v)
             for n, v in job.parameters.items()}
    extra = {"_async_request": "yes"} | (
        {"_async_request_callback": job.callback} if job.callback else {})
    return (f"{str(job.service_url).rstrip('/')}{GET_PATH}{urllib.parse.quote(str(job.target))}"
            f"?{urllib.parse.urlencode({**query, **extra})}")


def _budget(job: Job, start: float, wanted: float) -> float:
    """`wanted` seconds, or what is left of the job's timeout; `JobTimeout` when nothing is."""
    if job.timeout is None:
        return wanted
    left = start + job.timeout - time.monotonic()
    if left <= 0:
        raise JobTimeout(f"the job exceeded its timeout of {job.timeout:g} s")
    return min(wanted, left)


def _get(url: str, timeout: float) -> dict[str, Any]:
    shown = url.split("?", 1)[0]
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        kind = ServiceUnreachable if exc.code in (502, 503, 504) else ServiceProtocolError
        raise kind(f"GET {shown} answered HTTP {exc.code}") from None
    except OSError as exc:  # URLError, refused connections and socket timeouts are OSErrors
        reason = getattr(exc, "reason", None) or exc
        raise ServiceUnreachable(f"cannot reach the nb2workflow service at {shown}: {reason}"
                                 ) from None
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ServiceProtocolError(f"GET {shown} answered no JSON object: {body[:80]!r}")
    return answer


def _call(job: Job, sink: ProgressSink, callbacks: Callbacks) -> dict[str, Any]:
    """Submit the workflow and poll it with a growing interval (cut short by a callback that
    says it ended); its outputs when done."""
    url, start, wait, failures, state = _request_url(job), time.monotonic(), FIRST_WAIT, 0, None
    log.info("calling %s at %s with parameters %s", job.target, job.service_url,
             sorted(job.parameters))
    while True:
        try:
            answer = _get(url, _budget(job, start, REQUEST_TIMEOUT))
        except ServiceUnreachable as exc:
            _budget(job, start, 0)  # a socket timeout at the deadline is the job's timeout
            failures += 1
            if failures > RETRIES:
                raise
            log.warning("%s; retrying", exc)
        else:
            failures, previous, state = 0, state, answer.get("workflow_status")
            if state == "done":
                callbacks.read()  # progress reported since the last wait
                return _outputs(job, answer.get("data"))
            if state not in ("submitted", "started"):
                raise ServiceProtocolError(f"unknown workflow_status {state!r}: {answer!s:.200}")
            if state != previous:
                log.info("%s is %s", job.target, state)
                sink.report(stage=str(state), message=f"{job.target} at {job.service_url}")
        callbacks.wait(_budget(job, start, wait))
        wait = min(wait * 1.5, MAX_WAIT)


def _outputs(job: Job, data: Any) -> dict[str, Any]:
    """The outputs of a `done` answer; `ServiceWorkflowError` for the workflow's exceptions."""
    if not isinstance(data, dict):
        raise ServiceProtocolError(f"a done answer without data: {data!r}")
    if exceptions := data.get("exceptions"):
        found = [_exception(e) for e in exceptions]
        lines = [f"{t}: {m}" + (f" (cell {c})" if isinstance(c, int) else "")
                 for t, m, c in found]
        raise ServiceWorkflowError(found[0][0], "; ".join(m for _, m, _ in found), [
            f"raised by {job.target} at the nb2workflow service {job.service_url}:", *lines])
    output = data.get("output")
    if not isinstance(output, dict):
        raise ServiceProtocolError(f"the output is {output!r}, without exceptions")
    return output


def _exception(entry: Any) -> tuple[str, str, Any]:
    """Type, message and cell of a serialized exception: `{ename, evalue, edump}` for one raised
    in the notebook, `{ename: "ValueError('message')", evalue: ""}` for others."""
    if not isinstance(entry, dict):
        return "ServiceWorkflowError", str(entry), None
    ename, evalue = str(entry.get("ename", "")), str(entry.get("evalue", ""))
    if not evalue and (match := _REPR.fullmatch(ename)):
        try:
            args = ast.literal_eval(match[2])
        except (ValueError, SyntaxError):
            args = match[2]
        ename, evalue = match[1], args if isinstance(args, str) else match[2]
    return ename or "ServiceWorkflowError", evalue, entry.get("edump")


def _collect(job: Job, jobdir: Path, output: dict[str, Any]) -> Collected:
    """Store each declared output (all outputs when none is declared) as a notebook job does."""
    attachments = {n for n in output for s in ("_content", "_url")
                   if n.endswith(s) and n[:-len(s)] in output}
    declared = job.outputs if job.outputs is not None else tuple(
        Declared(n, None) for n in output if n not in attachments)
    work, outdir = jobdir / WORK, jobdir / OUTPUTS
    work.mkdir(parents=True, exist_ok=True)
    outdir.mkdir(parents=True, exist_ok=True)
    stored = {}
    for name, _ in declared:
        if name not in output:
            raise OutputError(f"the service returned no output {name!r}, only "
                              f"{sorted(set(output) - attachments)}")
        try:
            stored[name] = _store(name, output, work, outdir)
        except OutputError as exc:
            raise OutputError(f"output {name!r}: {exc}") from None
    return declared, stored


def _store(name: str, output: dict[str, Any], work: Path, outdir: Path) -> dict[str, Any]:
    value, content = output[name], output.get(f"{name}_content")
    if isinstance(content, str):
        # The file keeps the name it had on the service (`lightcurve.fits`), hence its suffix.
        filename = PurePosixPath(value).name if isinstance(value, str) else ""
        filename = name if filename in ("", ".", "..") else filename
        try:
            (work / filename).write_bytes(base64.b64decode(content, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise OutputError(f"the service sent content that is not base64 ({exc})") from None
        return store_value(name, filename, outdir, work)
    if not isinstance(value, str):
        return store_value(name, value, outdir, work)
    if f"{name}_url" in output:
        log.warning("output %s: the service kept its file at %s", name, output[f"{name}_url"])
    # A string without content names no file here, even if this host has one of that name.
    text = json.dumps(value)
    (outdir / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    return {"files": [f"{name}.json"], **({"value": value} if len(text) <= MAX_INLINE else {})}
