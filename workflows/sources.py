"""From what a contributor hands in to a `WorkflowSpec`: a file, an upload, a git URL + path,
a Python entry point or an nb2workflow service.

Uploaded files and clones are kept under a site's source directory (`root`), so that the
site's executors find the code of every registered version: `root/uploads/<sha256>/<file>`
and `root/git/<sha256 of URL>/<commit>/`. A rejected source leaves nothing behind there; a
source whose registration fails later is removed by the caller with `discard`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import tempfile
from pathlib import Path

from mmoda.workflows.errors import InvalidMetadata, RepositoryUnreadable
from mmoda.workflows.model import WorkflowSpec

__all__ = ["discard", "from_entry_point", "from_git", "from_path", "from_service", "from_upload"]

_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(ipynb|py)")


def from_path(path: Path, *, function: str | None = None, name: str | None = None,
              known_classes: set[str] | None = None) -> WorkflowSpec:
    """The workflow a notebook (`.ipynb`) or Python module (`.py`, `function` in it) declares."""
    if path.suffix == ".ipynb":
        from mmoda.workflows.notebook import parse_notebook

        return parse_notebook(path, name=name, known_classes=known_classes)
    if path.suffix == ".py":
        from mmoda.workflows.function import parse_function

        return parse_function(path, function, name=name, known_classes=known_classes)
    raise InvalidMetadata("path", str(path), "a workflow is a notebook (.ipynb) or a Python "
                          "module (.py)")


def from_upload(data: bytes, filename: str, *, root: Path, function: str | None = None,
                known_classes: set[str] | None = None,
                created: list[Path] | None = None) -> WorkflowSpec:
    """The workflow of uploaded file content, kept under `root/uploads` once it parses.

    A directory this call creates is appended to `created`, so that a caller whose
    registration then fails can remove it (`discard`)."""
    if not _FILENAME.fullmatch(filename):
        raise InvalidMetadata("filename", filename, "expected a name like lightcurve.ipynb or "
                              "spectrum.py (letters, digits, ._-)")
    final = root / "uploads" / hashlib.sha256(data).hexdigest()[:24]
    with tempfile.TemporaryDirectory(dir=_ready(root)) as scratch:
        path = Path(scratch) / filename
        path.write_bytes(data)
        spec = from_path(path, function=function, known_classes=known_classes)
        if not (final / filename).exists():  # kept only once it parses
            final.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, final / filename)
            _note(created, final)
    return dataclasses.replace(spec, source_path=str(final / filename))


def from_git(url: str, path: str, *, root: Path, ref: str | None = None,
             function: str | None = None, known_classes: set[str] | None = None,
             created: list[Path] | None = None) -> WorkflowSpec:
    """The workflow in file `path` of the git repository `url` at revision `ref` (a new
    checkout directory is appended to `created`, as for `from_upload`)."""
    from mmoda.workflows import git

    base = root / "git" / hashlib.sha256(url.encode()).hexdigest()[:24]
    with tempfile.TemporaryDirectory(dir=_ready(root)) as scratch:
        checkout = git.clone(url, Path(scratch) / "checkout", ref=ref)
        file = _inside(checkout, path, url)
        spec = from_path(file, function=function, known_classes=known_classes)
        facts = git.locate(file)
        final = base / (facts.commit if facts and facts.commit else "unversioned")
        if not final.exists():  # kept only once it parses
            base.mkdir(parents=True, exist_ok=True)
            shutil.move(checkout, final)
            _note(created, final)
    return dataclasses.replace(spec, source_path=str(final / path))


def _inside(checkout: Path, path: str, url: str) -> Path:
    file = (checkout / path).resolve()
    if not file.is_relative_to(checkout.resolve()) or ".git" in Path(path).parts:
        raise RepositoryUnreadable(url, f"path {path!r} leaves the repository")
    if not file.is_file():
        raise RepositoryUnreadable(url, f"no file {path!r} in the repository at this revision")
    return file


def from_entry_point(ref: str, *, known_classes: set[str] | None = None) -> WorkflowSpec:
    """The workflow of a Python entry point (`package.module:function` or a name in the
    `mmoda.workflows` entry-point group), read without running the module."""
    from mmoda.workflows.function import parse_entry_point

    return parse_entry_point(ref, known_classes=known_classes)


def from_service(url: str, *, license: str | None = None, instrument: str | None = None,
                 known_classes: set[str] | None = None) -> list[WorkflowSpec]:
    """One workflow per target of the nb2workflow service at `url` (its runs are forwarded).

    With `instrument`, the service is published as that instrument and each target as one of
    its products (named after the target), as MMODA's nb2workflow plugin does, so that oda-api
    users can ask for them."""
    from mmoda.workflows.service import read_service

    specs = read_service(url, license=license, known_classes=known_classes)
    if instrument is None:
        return specs
    return [dataclasses.replace(s, instrument=instrument, product=s.product or s.entry)
            for s in specs]


def discard(created: list[Path]) -> None:
    """Remove the directories a failed registration had kept."""
    for directory in created:
        shutil.rmtree(directory, ignore_errors=True)


def _note(created: list[Path] | None, directory: Path) -> None:
    if created is not None:
        created.append(directory)


def _ready(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return root
