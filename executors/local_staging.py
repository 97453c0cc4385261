"""Stage-in for the local executor: local files by symlink or copy, http(s) by download.

Anything else (s3://, ftp://, ...) is refused with a `StagingError`: those need an executor or
a resolver that knows the protocol. Error messages show sources without credentials or query.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import httpx

from mmoda.executors.errors import StagingError

StageMode = Literal["symlink", "copy"]


def redact(source: str) -> str:
    """`source` without user info and query string (which may carry credentials or tokens)."""
    parts = urlsplit(source)
    if not parts.scheme or parts.scheme == "file":
        return source
    query = "..." if parts.query else ""
    return urlunsplit((parts.scheme, parts.hostname or "", parts.path, query, ""))


def stage_inputs(
    inputs: Sequence[tuple[str, str]],
    workdir: Path,
    *,
    mode: StageMode = "symlink",
    roots: Sequence[Path] | None = None,
    timeout: float = 60.0,
) -> None:
    """Put each `(source, destination)` at `workdir/destination`; all of them or none.

    `roots`, when given, are the only directories local sources may come from.
    """
    placed: list[Path] = []
    try:
        for source, dest in inputs:
            target = workdir / dest
            if target.exists() or target.is_symlink():
                raise StagingError(redact(source), f"destination {dest!r} already exists")
            target.parent.mkdir(parents=True, exist_ok=True)
            _stage(source, target, mode, roots, timeout)
            placed.append(target)
    except BaseException:
        for target in placed:
            _remove(target)
        raise


def _stage(
    source: str, target: Path, mode: StageMode, roots: Sequence[Path] | None, timeout: float
) -> None:
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        _download(source, target, timeout)
    elif scheme in ("", "file"):
        _place(_local_path(source, roots), target, mode, source)
    else:
        raise StagingError(redact(source), f"unsupported scheme {scheme!r} (the local "
                           "executor stages file://, plain paths and http(s) URLs)")


def _remove(target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target, ignore_errors=True)
    else:
        target.unlink(missing_ok=True)


def _local_path(source: str, roots: Sequence[Path] | None) -> Path:
    parts = urlsplit(source)
    if parts.scheme and parts.netloc not in ("", "localhost"):
        raise StagingError(source, f"file URL of another host {parts.netloc!r}")
    path = Path(url2pathname(parts.path)) if parts.scheme else Path(source)
    if not path.is_absolute():
        raise StagingError(source, "a local input must be an absolute path")
    if not path.exists():
        raise StagingError(source, "no such file or directory")
    real = path.resolve()
    if roots is not None and not any(real.is_relative_to(r.resolve()) for r in roots):
        raise StagingError(source, "outside the directories inputs may be staged from")
    return real


def _place(path: Path, target: Path, mode: StageMode, source: str) -> None:
    try:
        if mode == "symlink":
            target.symlink_to(path, target_is_directory=path.is_dir())
        elif path.is_dir():
            shutil.copytree(path, target, symlinks=True)
        else:
            shutil.copy2(path, target)
    except OSError as exc:
        raise StagingError(source, f"cannot {mode} it: {exc.strerror or exc}") from exc


def _download(url: str, target: Path, timeout: float) -> None:
    part = target.with_name(f"{target.name}.part")
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise StagingError(redact(url), f"HTTP {response.status_code}")
            with part.open("wb") as f:
                for chunk in response.iter_bytes():
                    f.write(chunk)
        os.replace(part, target)
    except httpx.HTTPError as exc:
        raise StagingError(redact(url), f"download failed: {type(exc).__name__}") from exc
    except OSError as exc:
        raise StagingError(redact(url), f"cannot write {target.name}: {exc.strerror}") from exc
    finally:
        part.unlink(missing_ok=True)
