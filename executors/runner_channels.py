"""The side channels of a service job: the service's signature (where the target's notebook
comes from, for provenance) and the callbacks the site relays from the service.

`describe_service` reads `/api/v1.0/rdf` once, before the call, for the target's
`oda:location`, which the manifest records as `service`. `Callbacks` watches
`callbacks.jsonl`, where the site appends each callback of the service (and of oda_api's
ProgressReporter in the notebook): progress callbacks become progress reports, `done` or
`failed` ends the wait between two polls at once. Standard library only, like the runner.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mmoda.executors.outputs import ProgressSink, ServiceEntry
from mmoda.executors.runner import ODA, Job

__all__ = ["CALLBACKS", "Callbacks", "describe_service"]

SIGNATURE_PATH, CALLBACKS = "/api/v1.0/rdf", "callbacks.jsonl"
WATCH, SIGNATURE_TIMEOUT, MAX_SIGNATURE = 0.05, 10.0, 8 << 20
RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
log = logging.getLogger("mmoda.executors.runner")


def describe_service(job: Job) -> ServiceEntry:
    """The service of `job` with the notebook location its signature gives for the target.

    The signature only adds provenance: when it cannot be read, the location is None and the
    runner's log says why, but the job runs on.
    """
    url, target = str(job.service_url), str(job.target)
    location, timeout = None, min(SIGNATURE_TIMEOUT, job.timeout or SIGNATURE_TIMEOUT)
    try:
        location = _location(_signature(url, timeout), target)
        if location is None:
            log.warning("the signature of %s states no location of %s", url, target)
    except (OSError, ET.ParseError, ValueError) as exc:
        log.warning("cannot read the signature of %s: %s", url, exc)
    return {"url": url, "target": target, "location": location}


def _signature(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url.rstrip("/") + SIGNATURE_PATH, timeout=timeout) as response:
        data: bytes = response.read(MAX_SIGNATURE + 1)
    if len(data) > MAX_SIGNATURE:
        raise ValueError(f"the signature is larger than {MAX_SIGNATURE} bytes")
    return data


def _location(rdf_xml: bytes, target: str) -> str | None:
    """The `oda:location` of the target's workflow node (`<target>_<md5[:8]>`) in RDF/XML."""
    name = re.compile(re.escape(target) + r"_[0-9a-f]{8}")
    for node in ET.fromstring(rdf_xml):
        about = re.split(r"[#/]", node.get(RDF_ABOUT, ""))[-1]
        if name.fullmatch(about):
            found = node.find(f"{{{ODA}}}location")
            if found is not None and (found.text or "").strip():
                return (found.text or "").strip()
    return None


class Callbacks:
    """The callbacks the site appended to `callbacks.jsonl`, read as they come."""

    def __init__(self, path: Path, sink: ProgressSink) -> None:
        self.path, self.sink, self._offset = path, sink, 0

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, recording progress callbacks; return early on `done` or `failed`."""
        end = time.monotonic() + seconds
        while not self.read():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(WATCH, left))

    def read(self) -> bool:
        """Handle the complete lines added since the last read; True if one ended the job."""
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return False
        complete = data[:data.rfind(b"\n") + 1]  # a line being written waits for its end
        self._offset += len(complete)
        ended = [self._handle(line) for line in complete.splitlines()]  # every line, no shortcut
        return any(ended)

    def _handle(self, line: bytes) -> bool:
        try:
            params = json.loads(line)
        except ValueError:
            return False
        if not isinstance(params, dict):
            return False
        action = params.get("action")
        if action in ("done", "failed"):
            log.info("the service called back: %s", action)
            return True
        text = {k: str(params[k]) for k in ("stage", "substage", "message") if k in params}
        if action == "progress" and set(params) != {"action"}:  # nb2workflow's bare "started"
            self.sink.report(stage=text.get("stage"), progress=_number(params.get("progress")),
                             progress_max=_number(params.get("progress_max")),
                             substage=text.get("substage"), message=text.get("message"))
        return False


def _number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
