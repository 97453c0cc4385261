"""The files a job writes: `outputs/`, `manifest.json` and `progress.jsonl`, and their readers.

Standard library only at import time: `store_outputs` also runs inside the notebook's kernel
(the runner appends a cell that calls it), where numpy, astropy and matplotlib values are
recognised through `sys.modules` without being imported here.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import logging
import math
import mimetypes
import os
import select
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NotRequired, TypedDict

__all__ = ["ErrorEntry", "FileEntry", "Manifest", "OutputEntry", "OutputError", "ProgressSink",
           "file_entry", "media_type", "read_manifest", "read_progress", "store_outputs",
           "store_value", "utc_now", "write_json"]

MANIFEST = "manifest.json"
PROGRESS = "progress.jsonl"
MAX_INLINE = 65536  # larger JSON values are only in their file, not copied into the manifest
_MEDIA_TYPES = {".fits": "application/fits", ".fit": "application/fits",
                ".fts": "application/fits", ".ecsv": "text/x-ecsv",
                ".ipynb": "application/x-ipynb+json", ".json": "application/json",
                ".csv": "text/csv", ".png": "image/png"}
_ENCODINGS = {"gzip": "application/gzip", "bzip2": "application/x-bzip2",
              "xz": "application/x-xz"}
_COMPRESSED = {".gz", ".bz2", ".xz"}  # kept with the suffix before them: `.fits.gz`
log = logging.getLogger("mmoda.executors.runner")  # progress lines go to the runner's log


class OutputError(Exception):
    """A declared output is missing or has a value the runner cannot store."""


class FileEntry(TypedDict):
    path: str  # relative to the job directory
    media_type: str
    size: int
    sha256: str


class OutputEntry(TypedDict):
    name: str
    type: str | None
    files: list[FileEntry]
    value: NotRequired[Any]  # the JSON value of scalar, text and small list/dict outputs


class ErrorEntry(TypedDict):
    type: str
    message: str
    traceback: str


class ServiceEntry(TypedDict):
    url: str  # the nb2workflow service a service job called
    target: str
    location: str | None  # its signature's oda:location for the target; None: unread


class Manifest(TypedDict):
    run: str | None
    status: str  # "completed" | "failed"
    started: str
    ended: str
    outputs: list[OutputEntry]
    notebook: NotRequired[FileEntry]  # the executed notebook, for notebook jobs
    error: NotRequired[ErrorEntry]
    service: NotRequired[ServiceEntry]  # the service of a service job, as it was at the start


def utc_now() -> str:
    """The current time, ISO 8601 in UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def media_type(path: Path) -> str:
    """The media type of a file, by its name; FITS and ECSV are known beyond `mimetypes`."""
    if (known := _MEDIA_TYPES.get(path.suffix.lower())) is not None:
        return known
    guessed, encoding = mimetypes.guess_type(path.name, strict=False)
    if encoding is not None:
        return _ENCODINGS.get(encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def file_entry(path: Path, jobdir: Path) -> FileEntry:
    """Path relative to `jobdir`, media type, size and sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": path.relative_to(jobdir).as_posix(), "media_type": media_type(path),
            "size": path.stat().st_size, "sha256": digest.hexdigest()}


def write_json(path: Path, data: Any) -> None:
    """Write `data` as JSON atomically, so that a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(jobdir: Path) -> Manifest | None:
    """The manifest of a job, None while the job has not finished."""
    try:
        text = (jobdir / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    manifest: Manifest = json.loads(text)
    return manifest


def read_progress(jobdir: Path) -> list[dict[str, Any]]:
    """The progress reports of a job so far, oldest first (a line being written is skipped)."""
    try:
        lines = (jobdir / PROGRESS).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    reports = []
    for line in lines:
        try:
            reports.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return reports


def _finite(value: Any) -> Any:
    """`value` with non-finite floats as null, which JSON cannot carry."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


_NOT_JSON = object()


def _scalar(value: Any) -> Any:
    """`json.dumps` fallback: the Python number of a numpy scalar or 0-d array."""
    item = value.item() if getattr(value, "ndim", None) == 0 and hasattr(value, "item") else None
    if isinstance(item, bool | int | float | str):
        return item
    raise TypeError(f"a {type(value).__name__} is not JSON")


def _plain(value: Any) -> Any:
    """A JSON-ready form of `value` (quantities, times, numpy scalars too), else `_NOT_JSON`."""
    np = sys.modules.get("numpy")
    units = sys.modules.get("astropy.units")
    time = sys.modules.get("astropy.time")
    if np is not None and units is not None and isinstance(value, units.Quantity):
        return {"value": _finite(np.asarray(value.value).tolist()), "unit": str(value.unit)}
    if np is not None and time is not None and isinstance(value, time.Time):
        return np.asarray(value.isot).tolist()
    try:
        return _finite(json.loads(json.dumps(value, default=_scalar)))
    except (TypeError, ValueError):
        return _NOT_JSON


def _existing_file(value: Any, cwd: Path) -> Path | None:
    """The file a path-like or string output names, if it exists."""
    if isinstance(value, str) and (not value or len(value) > 4096 or "\0" in value):
        return None
    if not isinstance(value, str | os.PathLike):
        return None
    path = cwd / Path(value)
    return path if path.is_file() else None


def _write_object(name: str, value: Any, outdir: Path) -> Path | None:
    """Write a table, HDU, array, figure or bytes to `outdir`; None for other values."""
    np = sys.modules.get("numpy")
    table = sys.modules.get("astropy.table")
    fits = sys.modules.get("astropy.io.fits")
    if table is not None and isinstance(value, table.Table):
        value.write(outdir / f"{name}.fits", format="fits", overwrite=True)
        return outdir / f"{name}.fits"
    if fits is not None and isinstance(value, fits.HDUList | fits.PrimaryHDU | fits.ImageHDU
                                       | fits.BinTableHDU):
        value.writeto(outdir / f"{name}.fits", overwrite=True)
        return outdir / f"{name}.fits"
    if np is not None and isinstance(value, np.ndarray) and value.dtype.kind != "O":
        np.save(outdir / f"{name}.npy", np.asarray(value))
        return outdir / f"{name}.npy"
    if hasattr(value, "savefig") and callable(value.savefig):  # a matplotlib figure
        value.savefig(outdir / f"{name}.png")
        return outdir / f"{name}.png"
    if isinstance(value, bytes | bytearray):
        (outdir / f"{name}.bin").write_bytes(value)
        return outdir / f"{name}.bin"
    return None


def store_value(name: str, value: Any, outdir: Path, cwd: Path) -> dict[str, Any]:
    """Write one output under `outdir`: `{"files": [names in outdir], "value"?: JSON value}`.

    A string or path naming an existing file (relative to `cwd`) is copied; tables and HDUs
    become FITS, arrays `.npy`, figures PNG; anything JSON can carry becomes `<name>.json`.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    if (source := _existing_file(value, cwd)) is not None:
        compressed = source.suffix in _COMPRESSED and len(source.suffixes) > 1
        target = outdir / (name + "".join(source.suffixes[-2:]) if compressed
                           else name + source.suffix)
        shutil.copyfile(source, target)
        return {"files": [target.name]}
    if (plain := _plain(value)) is _NOT_JSON:
        if (written := _write_object(name, value, outdir)) is None:
            raise OutputError(f"a {type(value).__name__} cannot be stored; return a file path, "
                              "table, HDU, array, figure or JSON value")
        return {"files": [written.name]}
    text = json.dumps(plain)
    (outdir / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    stored: dict[str, Any] = {"files": [f"{name}.json"]}
    if len(text) <= MAX_INLINE:
        stored["value"] = plain
    return stored


def store_outputs(namespace: Mapping[str, Any], names: Iterable[str], outdir: str,
                  index: str) -> None:
    """Store the outputs `names` found in `namespace` and list them in the JSON file `index`.

    Called from the cell the runner appends to a notebook, with the notebook's `globals()`.
    """
    stored = {}
    for name in names:
        if name not in namespace:
            raise OutputError(f"the notebook never assigned its declared output {name!r}")
        try:
            stored[name] = store_value(name, namespace[name], Path(outdir), Path.cwd())
        except OutputError as exc:
            raise OutputError(f"output {name!r}: {exc}") from None
    write_json(Path(index), stored)


def _json_objects(text: str) -> tuple[list[Any], str]:
    """The JSON values written one after another into `text` (several writers may queue), and
    what follows the last complete one (a value still being written)."""
    decoder, at = json.JSONDecoder(), 0
    values: list[Any] = []
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return values, ""
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return values, text[at:]
        values.append(value)


class ProgressSink:
    """Appends progress reports, each with a `time`, as JSON lines to `progress.jsonl`.

    oda_api's `ProgressReporter` rewrites its `file://` callback file on every report, so the
    callback is a FIFO read by a thread: every report becomes one line, none overwritten or
    lost (the reader holds the FIFO open read-write, so it never sees EOF between writers).
    """

    def __init__(self, jobdir: Path) -> None:
        self.path = jobdir / PROGRESS
        self._lock = threading.Lock()
        self._tmp = Path(tempfile.mkdtemp(prefix="mmoda-progress-"))
        self.fifo: Path | None = self._tmp / "callback"
        try:
            os.mkfifo(self.fifo)
        except (AttributeError, OSError):  # no FIFOs here: only `report` records progress
            self.fifo = None
        self._stop = False
        self._thread = threading.Thread(target=self._listen, name="mmoda-progress", daemon=True)

    def __enter__(self) -> ProgressSink:
        if self.fifo is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        for _ in range(100):  # wake the reader with a blank (between JSON values: ignored)
            if not self._thread.is_alive():
                break
            with contextlib.suppress(OSError):
                fd = os.open(str(self.fifo), os.O_WRONLY | os.O_NONBLOCK)
                try:
                    os.write(fd, b"\n")
                finally:
                    os.close(fd)
            self._thread.join(0.05)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def oda_api_context(self) -> dict[str, str]:
        """The `.oda_api_context` that points oda_api's progress callback here."""
        return {"callback": f"file://{self.fifo}"} if self.fifo is not None else {}

    def report(self, stage: str | None = None, progress: float | None = None,
               progress_max: float | None = None, substage: str | None = None,
               subprogress: float | None = None, subprogress_max: float | None = None,
               message: str | None = None) -> None:
        """Record one report; the keywords are those of oda_api's `report_progress`."""
        fields = {"stage": stage, "progress": progress, "progress_max": progress_max,
                  "substage": substage, "subprogress": subprogress,
                  "subprogress_max": subprogress_max, "message": message}
        self._append({"action": "progress"} | {k: v for k, v in fields.items() if v is not None})

    def _append(self, payload: Any) -> None:
        record = {"time": "", **(payload if isinstance(payload, dict) else {"value": payload})}
        record["time"] = utc_now()
        line = json.dumps(_finite(record),
                          default=lambda v: _scalar(v) if getattr(v, "ndim", None) == 0 else str(v))
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
        log.info("progress: %s", record.get("stage", ""))

    def _listen(self) -> None:
        # Opened read-write: while this end also counts as a writer, the reader never sees
        # EOF, so the pipe (and a report written between two reads) never goes away.
        fd = os.open(str(self.fifo), os.O_RDWR)
        decode, pending = codecs.getincrementaldecoder("utf-8")("replace").decode, ""
        try:
            while True:
                values, pending = _json_objects(pending + decode(os.read(fd, 65536)))
                for payload in values:
                    self._append(payload)
                if self._stop and not select.select([fd], [], [], 0)[0]:
                    return
        except OSError as exc:
            log.warning("progress reports lost: %s", exc)
        finally:
            os.close(fd)
