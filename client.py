"""A small client of a MMODA site's HTTP API: ask for products, follow runs, fetch results.

    from mmoda.client import Client

    with Client("http://127.0.0.1:8000", token=TOKEN) as site:
        run = site.run("spectrum", RA=83.63, DEC=22.01, T1="2003-03-15T10:00:00",
                       T2="2003-03-15T20:00:00")
        table = run.results[0].table()
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

if TYPE_CHECKING:
    from astropy.io.fits import HDUList
    from astropy.table import Table

__all__ = ["FINISHED", "Client", "ClientError", "File", "RequestRejected", "Result", "Run",
           "RunFailed", "RunTimeout"]

FINISHED = frozenset({"COMPLETED", "ERROR", "ABORTED"})
"""The phases a run ends in."""
_FAILED = frozenset({"ERROR", "ABORTED"})
_IDEMPOTENT = frozenset({"GET", "HEAD", "DELETE"})
_FITS = ("application/fits", "image/fits")


class ClientError(Exception):
    """Base class of the client's errors: the site could not be reached or said no."""


class RequestRejected(ClientError):
    """The site answered with an error status; `problem` is its problem+json body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(_describe(status, problem))

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The problem's `errors` entries (one per bad parameter for a 422)."""
        return list(self.problem.get("errors") or [])


class RunFailed(ClientError):
    """The run ended in ERROR or ABORTED; the message is the run's own."""

    def __init__(self, run: Run) -> None:
        self.run = run
        super().__init__(f"run {run.id} {run.phase}: {run.message or 'no message'}")


class RunTimeout(ClientError, TimeoutError):
    """The run did not finish within the time allowed; it goes on on the site."""

    def __init__(self, run: Run, timeout: float) -> None:
        self.run = run
        super().__init__(f"run {run.id} still {run.phase} after {timeout:g} s")


def _describe(status: int, problem: dict[str, Any]) -> str:
    """`422 Invalid parameters:` and a line per bad parameter, or the title and the detail."""
    head = f"{status} {problem.get('title') or 'error'}"
    errors = problem.get("errors") or []
    if not errors:
        return f"{head}: {problem.get('detail') or ''}".rstrip(": ")
    lines = [f"  {e.get('name') or e.get('field') or '?'}: {e.get('reason') or e.get('message')}"
             + (f" [{e['constraint']}]" if e.get("constraint") else "") for e in errors]
    return "\n".join([f"{head}:", *lines])


def _ident(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


class Client:
    """A session with one site at `url`, signed in with the bearer `token` if given."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """Send a request; `RequestRejected` on an error status, `ClientError` if unreachable."""
        response = self._send(method, path, **kw)
        if response.is_error:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:500]}
            raise RequestRejected(response.status_code, problem)
        return response

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            try:
                return self._http.request(method, path, **kw)
            except httpx.TransportError:
                # A kept-alive connection the server has just closed fails on first use; an
                # idempotent request is safe to send again, on a fresh connection.
                if method not in _IDEMPOTENT:
                    raise
                return self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ClientError(f"{method} {self.url}{path}: {exc}") from exc

    def json(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """`call` and decode the JSON answer."""
        data: dict[str, Any] = self.call(method, path, **kw).json()
        return data

    def run(self, workflow: str, /, *, parameters: dict[str, Any] | None = None,
            reuse: str = "any", wait: bool = True, timeout: float | None = None,
            on_progress: Callable[[Run], None] | None = None, **more: Any) -> Run:
        """Ask for `workflow` (an id on the site or an IRI) with `parameters` (a dict, keyword
        arguments, or both: a workflow parameter named like an argument here goes in the dict);
        values may be text, which the site normalises. `reuse` is "any", "local" or "never".
        Unless `wait` is false, wait as `Run.wait` does (`RunFailed`, `RunTimeout`)."""
        body = {"workflow": workflow, "parameters": {**(parameters or {}), **more},
                "reuse": reuse}
        run = Run(self, self.json("POST", "/requests", json=body))
        return run.wait(timeout, on_progress=on_progress) if wait else run

    def request(self, request_id: str) -> Run:
        """The request `request_id` and its run."""
        return Run(self, self.json("GET", f"/requests/{_ident(request_id)}"))

    def run_status(self, run_id: str) -> Run:
        """The run `run_id` (with its log tail)."""
        return Run(self, None, self.json("GET", f"/runs/{_ident(run_id)}"))

    def cancel(self, run_id: str) -> Run:
        """Cancel a queued or running run; `RequestRejected` (409) when it is over."""
        return Run(self, None, self.json("DELETE", f"/runs/{_ident(run_id)}"))

    def result(self, result_id: str) -> Result:
        """The result `result_id` (an id or IRI)."""
        return Result.from_view(self, self.json("GET", f"/results/{_ident(result_id)}"))


class Run:
    """A run as the site reports it, with the request that led to it when known."""

    def __init__(self, client: Client, request: dict[str, Any] | None,
                 run: dict[str, Any] | None = None) -> None:
        self._client = client
        self.request = request
        self.data: dict[str, Any] = run or (request or {}).get("run") or {}
        self._results: list[Result] | None = None

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.phase}{' reused' if self.reused else ''}>"

    @property
    def id(self) -> str:
        """The run's id."""
        return str(self.data.get("id") or "")

    @property
    def phase(self) -> str:
        """PENDING, QUEUED, EXECUTING, COMPLETED, ERROR or ABORTED."""
        return str(self.data.get("phase") or "UNKNOWN")

    @property
    def message(self) -> str | None:
        """The run's status message (the workflow's error when it failed)."""
        return self.data.get("message")

    @property
    def progress(self) -> list[dict[str, Any]]:
        """The workflow's progress reports: time, stage, fraction, message."""
        return list(self.data.get("progress") or [])

    @property
    def site(self) -> str | None:
        """The site that ran it."""
        return (self.request or {}).get("site") or self.data.get("site")

    @property
    def reused(self) -> bool:
        """True when the request was answered with an earlier run's results."""
        return bool((self.request or {}).get("reused"))

    @property
    def finished(self) -> bool:
        """True once the run is COMPLETED, ERROR or ABORTED."""
        return self.phase in FINISHED

    @property
    def results(self) -> list[Result]:
        """The results of the run (fetched once it is finished)."""
        if self._results is not None:
            return self._results
        found = [self._client.result(r["iri"]) for r in self.data.get("results", [])]
        if self.finished:
            self._results = found
        return found

    def refresh(self) -> Run:
        """Read the run's state again."""
        if self.request is not None:  # anyone may read a request, only the owner its run
            self.request = self._client.json("GET", f"/requests/{self.request['id']}")
            self.data = self.request.get("run") or self.data
        else:
            self.data = self._client.json("GET", f"/runs/{self.id}")
        return self

    def wait(self, timeout: float | None = None, poll: float = 0.5,
             on_progress: Callable[[Run], None] | None = None) -> Run:
        """Poll until the run is over; `RunFailed` on ERROR or ABORTED, `RunTimeout` after
        `timeout` seconds. `on_progress(run)` is called after each look."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if on_progress:
                on_progress(self)
            if self.finished:
                break
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise RunTimeout(self, timeout or 0)
            time.sleep(poll if left is None else min(poll, left))
            self.refresh()
        if self.phase in _FAILED:
            raise RunFailed(self)
        return self

    def cancel(self) -> Run:
        """Ask the site to cancel the run."""
        self.data = self._client.cancel(self.id).data
        return self


@dataclass(frozen=True)
class File:
    """A file of a result."""

    name: str
    url: str
    media_type: str
    size: int
    sha256: str | None


@dataclass
class Result:
    """A result (`Client.result`): metadata, files, provenance and RO-Crate; `value` holds the
    value of a value output (a number, JSON), `license` is an IRI, `data` the site's view."""

    id: str
    title: str | None
    output: str | None
    citation: str | None
    license: str | None
    value: Any
    files: list[File]
    data: dict[str, Any] = field(repr=False)
    _client: Client = field(repr=False, compare=False)

    @classmethod
    def from_view(cls, client: Client, data: dict[str, Any]) -> Result:
        """A result from its JSON view (`GET /results/{id}`)."""
        files = [File(f["name"], f["url"], f["media_type"], int(f["size"]), f.get("sha256"))
                 for f in data.get("files", [])]
        return cls(str(data["id"]), data.get("title"), data.get("output"), data.get("citation"),
                   data.get("license"), data.get("value"), files, data, client)

    def fetch(self, name: str) -> bytes:
        """The bytes of file `name`, checked against its size and SHA-256."""
        entry = self._file(name)
        data = self._client.call("GET", f"/results/{self.id}/files/{quote(name)}").content
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != entry.size or (entry.sha256 and digest != entry.sha256.lower()):
            raise ClientError(f"{name} of {self.id}: got {len(data)} bytes with SHA-256 "
                              f"{digest}, expected {entry.size} bytes, {entry.sha256}")
        return data

    def download(self, dest_dir: str | Path) -> list[Path]:
        """Write every file into `dest_dir` (created if needed), checked; their paths."""
        folder = Path(dest_dir)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / Path(f.name).name for f in self.files]
        for entry, path in zip(self.files, paths, strict=True):
            path.write_bytes(self.fetch(entry.name))
        return paths

    def open_fits(self, name: str | None = None) -> HDUList:
        """File `name` (default: the first FITS file) opened with astropy, in memory."""
        from astropy.io import fits

        return fits.HDUList.fromstring(self.fetch(self._pick(name, _FITS, (".fits", ".fit"))))

    def table(self, name: str | None = None) -> Table:
        """File `name` (default: the first FITS or ECSV file) read as an astropy table."""
        from astropy.table import Table

        name = self._pick(name, (*_FITS, "text/x-ecsv"), (".fits", ".fit", ".ecsv"))
        fmt = "ascii.ecsv" if name.endswith(".ecsv") else "fits"
        return Table.read(io.BytesIO(self.fetch(name)), format=fmt)

    def provenance(self, format: str = "turtle") -> str:
        """The result's provenance: "turtle", "jsonld", "provn" or "provjson"."""
        response = self._client.call("GET", f"/results/{self.id}/provenance",
                                     params={"format": format}, headers={"Accept": "*/*"})
        return response.text

    def ro_crate(self, dest: str | Path) -> Path:
        """Save the result's Workflow Run RO-Crate (a zip) to `dest`, a file or a directory."""
        path = Path(dest)
        if path.is_dir():
            path = path / f"{self.id}.crate.zip"
        response = self._client.call("GET", f"/results/{self.id}/ro-crate",
                                     headers={"Accept": "application/zip"})
        path.write_bytes(response.content)
        return path

    def _file(self, name: str) -> File:
        for entry in self.files:
            if entry.name == name:
                return entry
        raise ClientError(f"result {self.id} has no file {name!r}; it has "
                          f"{', '.join(f.name for f in self.files) or 'none'}")

    def _pick(self, name: str | None, media: tuple[str, ...], suffixes: tuple[str, ...]) -> str:
        if name is not None:
            return name
        for entry in self.files:
            if entry.media_type in media or entry.name.lower().endswith(suffixes):
                return entry.name
        raise ClientError(f"result {self.id} has no {'/'.join(suffixes)} file")
