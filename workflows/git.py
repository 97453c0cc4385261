"""Where a workflow's code comes from: a file in a git working copy, or a git URL to clone.

Git runs as a subprocess with argument lists (never a shell string) and a timeout; a URL or
revision given by a user is passed after `--` or validated, so it cannot become an option.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mmoda.workflows.errors import RepositoryUnreadable

__all__ = ["GitSource", "clone", "locate"]

_HASH = re.compile(r"[0-9a-f]{40,64}")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}")
_URL = re.compile(r"(https?|git|ssh|file)://\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+")
_TIMEOUT = 120


@dataclass(frozen=True)
class GitSource:
    """A file's place in a git repository: remote URL, path inside it, commit and tag.

    `commit` is None when the file has uncommitted changes (the content hash then versions it).
    """

    repository: str | None
    path: str
    commit: str | None
    tag: str | None


def _git(args: list[str], cwd: Path, *, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    # No inherited environment: git must never prompt, and the service's secrets stay out.
    env = {"GIT_TERMINAL_PROMPT": "0", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/nonexistent")}
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)


def _out(args: list[str], cwd: Path) -> str | None:
    try:
        done = _git(args, cwd)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _public_url(url: str | None) -> str | None:
    """The remote URL without credentials (https://user:token@host/... loses user:token)."""
    if url is None:
        return None
    return re.sub(r"^(https?://)[^/@]+@", r"\1", url)


def locate(path: Path) -> GitSource | None:
    """The git facts about `path`, or None when no git working copy holds it."""
    where = path.resolve().parent
    top = _out(["rev-parse", "--show-toplevel"], where)
    if top is None:
        return None
    inside = path.resolve().relative_to(Path(top).resolve()).as_posix()
    dirty = _out(["status", "--porcelain", "--", inside], Path(top))
    commit = _out(["log", "-1", "--format=%H", "--", inside], Path(top))
    head = _out(["rev-parse", "HEAD"], Path(top))
    tag = _out(["describe", "--tags", "--exact-match", "HEAD"], Path(top))
    clean = dirty is None and commit is not None and _HASH.fullmatch(commit) is not None
    return GitSource(repository=_public_url(_out(["remote", "get-url", "origin"], Path(top))),
                     path=inside, commit=commit if clean else None,
                     tag=tag if clean and commit == head else None)


def clone(url: str, dest: Path, *, ref: str | None = None) -> Path:
    """Clone `url` into `dest` (which must not exist) and check out `ref`; the working copy.

    Raises `RepositoryUnreadable` with git's own reason when the URL or revision cannot be read.
    """
    if not _URL.fullmatch(url):
        raise RepositoryUnreadable(url, "not a git URL (https://, git://, ssh://, file:// or "
                                   "user@host:path)")
    if ref is not None and (not _REF.fullmatch(ref) or ".." in ref):
        raise RepositoryUnreadable(url, f"invalid revision {ref!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _run(["clone", "--quiet", "--no-checkout", "--", url, str(dest)], dest.parent, url)
    _run(["checkout", "--quiet", "--detach", ref or "HEAD", "--"], dest, url)
    return dest


def _run(args: list[str], cwd: Path, url: str) -> None:
    try:
        done = _git(args, cwd, timeout=_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise RepositoryUnreadable(url, f"git timed out after {_TIMEOUT} s") from exc
    except OSError as exc:
        raise RepositoryUnreadable(url, f"git cannot run: {exc}") from exc
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or [f"git exit {done.returncode}"])[0]
        raise RepositoryUnreadable(url, reason.removeprefix("fatal: ").removeprefix("error: "))
