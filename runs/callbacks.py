"""Callbacks of runs forwarded to nb2workflow services (`_async_request_callback`).

A run's callback URL carries a key that only the site can make: HMAC-SHA256 of the run IRI
under the site's secret. nb2workflow (`action=progress` when it starts the notebook,
`action=done` when it ends) and oda_api's `ProgressReporter` inside the notebook (`action=
progress&stage=..&progress=..`) GET it; each verified callback becomes one JSON line of
`callbacks.jsonl` in the run's job directory, which the job runner watches (it records the
progress and polls at once on `done`). The file is bounded, so a chatty notebook cannot fill
the disk.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

__all__ = ["CALLBACKS", "callback_key", "callback_url", "record_callback", "valid_key"]

CALLBACKS = "callbacks.jsonl"
MAX_NAME, MAX_VALUE, MAX_LINE, MAX_FILE = 64, 512, 2048, 1 << 20
# Keys are made for this purpose only: the same secret also signs bearer tokens.
_PURPOSE = b"mmoda run callback\0"
_lock = threading.Lock()  # route handlers run on a thread pool: one append at a time
log = logging.getLogger("mmoda.runs")


def callback_key(secret: bytes, run: str) -> str:
    """The key of `run`'s callback URL (32 hex digits); not derivable without `secret`."""
    return hmac.new(secret, _PURPOSE + run.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def callback_url(base: str, run: str, secret: bytes) -> str:
    """`{base}/callbacks/{run id}?key={key}`: where the service reports on `run`."""
    return f"{base}/callbacks/{run.rsplit('/', 1)[-1]}?key={callback_key(secret, run)}"


def valid_key(secret: bytes, run: str, key: str | None) -> bool:
    """True when `key` is `run`'s callback key (compared in constant time)."""
    if key is None:
        return False
    return hmac.compare_digest(callback_key(secret, run).encode(), key.encode("utf-8"))


def _line(params: Iterable[tuple[str, str]]) -> str:
    """The parameters as one JSON object of at most `MAX_LINE` characters (first value of
    each name, names and values cut short; parameters beyond the limit are left out)."""
    kept: dict[str, str] = {}
    for name, value in params:
        name = name[:MAX_NAME]
        if name in kept:
            continue
        kept[name] = value[:MAX_VALUE]
        if len(json.dumps(kept)) > MAX_LINE:
            del kept[name]
            break
    return json.dumps(kept)


def record_callback(jobdir: Path, params: Iterable[tuple[str, str]]) -> bool:
    """Append one callback (its query parameters, the key left out by the caller) to
    `jobdir/callbacks.jsonl`; False when it was dropped (file full or unwritable)."""
    line = _line(params) + "\n"
    path = jobdir / CALLBACKS
    with _lock:
        try:
            size = path.stat().st_size if path.exists() else 0
            if size + len(line) > MAX_FILE:
                log.warning("callback of job %s dropped: %s is full", jobdir.name, CALLBACKS)
                return False
            with path.open("a", encoding="utf-8") as f:
                f.write(line)
        except OSError as exc:
            log.warning("callback of job %s dropped: %s", jobdir.name, exc)
            return False
    return True
