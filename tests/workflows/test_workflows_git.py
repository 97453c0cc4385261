"""workflows.git: git facts of a working-copy file, and cloning a URL at a revision."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mmoda.workflows.errors import RepositoryUnreadable
from mmoda.workflows.git import clone, locate
from support import needs

IDENTITY = ["-c", "user.name=t", "-c", "user.email=t@example.org"]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *IDENTITY, *args], check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    needs(shutil.which("git") is not None, "git")
    root = tmp_path / "repo"
    (root / "nb").mkdir(parents=True)
    (root / "nb" / "wf.ipynb").write_text("{}")
    _git(root, "init", "-q")
    return root


def test_untracked_committed_tagged_and_dirty_files(repo: Path) -> None:
    path = repo / "nb" / "wf.ipynb"
    untracked = locate(path)
    assert untracked is not None and untracked.commit is None and untracked.path == "nb/wf.ipynb"
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "wf")
    head = _git(repo, "rev-parse", "HEAD")
    assert locate(path) == type(untracked)(None, "nb/wf.ipynb", head, None)
    _git(repo, "tag", "v1.2")
    _git(repo, "remote", "add", "origin", "https://user:secret@example.org/org/wf.git")
    tagged = locate(path)
    assert tagged is not None and (tagged.tag, tagged.commit) == ("v1.2", head)
    assert tagged.repository == "https://example.org/org/wf.git"  # credentials dropped
    path.write_text('{"changed": 1}')
    dirty = locate(path)
    assert dirty is not None and (dirty.commit, dirty.tag) == (None, None)


def test_a_file_outside_any_repository(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("")
    assert locate(tmp_path / "x.py") is None


def test_clone_checks_out_the_requested_revision(repo: Path, tmp_path: Path) -> None:
    path = repo / "nb" / "wf.ipynb"
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    first = _git(repo, "rev-parse", "HEAD")
    path.write_text('{"two": 2}')
    _git(repo, "commit", "-q", "-am", "two")
    old = clone(f"file://{repo}", tmp_path / "old", ref=first)
    assert (old / "nb" / "wf.ipynb").read_text() == "{}"
    new = clone(f"file://{repo}", tmp_path / "new")
    assert (new / "nb" / "wf.ipynb").read_text() == '{"two": 2}'
    assert _git(old, "rev-parse", "HEAD") == first


@pytest.mark.parametrize(("url", "ref", "reason"), [
    ("--upload-pack=touch /tmp/x", None, "not a git URL"),
    ("file:///nonexistent/repo", None, "nonexistent"),
    ("FILE", "--orphan", "invalid revision"),
    ("FILE", "no-such-branch", "no-such-branch"),
])
def test_clone_errors_name_the_reason(repo: Path, tmp_path: Path, url: str, ref: str | None,
                                      reason: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "one")
    url = f"file://{repo}" if url == "FILE" else url
    with pytest.raises(RepositoryUnreadable, match=reason) as caught:
        clone(url, tmp_path / "c", ref=ref)
    assert caught.value.url == url
