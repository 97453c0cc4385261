"""The Slurm rig the Slurm executor tests need (``bash deploy/rigs/slurm-up.sh``, as root).

A test needing the rig skips with the reason when it is not there, except under CI (CI=true),
where a missing rig fails the test: CI must run them. MMODA_SLURM_URL and
MMODA_SLURM_TOKEN_FILE point the REST tests at another slurmrestd.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

REST_URL = os.environ.get("MMODA_SLURM_URL", "http://127.0.0.1:6820")
TOKEN_FILE = Path(os.environ.get("MMODA_SLURM_TOKEN_FILE", "/run/slurm-rig/jwt"))
HINT = "bring the rig up with `bash deploy/rigs/slurm-up.sh` (root, Debian 12)"
ONE_SLOT_PARTITION = "one"  # the rig's partition that runs one 1-CPU job at a time


def need(reason: str | None) -> None:
    """Skip (fail under CI=true) when `reason` says the rig is missing."""
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the Slurm rig is required in CI: {reason}")
    pytest.skip(reason)


def _run(*argv: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(list(argv), capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def cli_missing() -> str | None:
    """Why the Slurm commands cannot be used here, None when they can."""
    if shutil.which("sbatch") is None:
        return f"sbatch is not installed: {HINT}"
    ping = _run("scontrol", "ping")
    if ping is None or ping.returncode != 0 or "UP" not in ping.stdout:
        return f"slurmctld does not answer: {HINT}"
    parts = _run("sinfo", "--noheader", "--format=%R")
    if parts is None or ONE_SLOT_PARTITION not in parts.stdout.split():
        return f"no partition {ONE_SLOT_PARTITION!r} (an older rig?): {HINT}"
    return None


def rest_missing() -> str | None:
    """Why slurmrestd cannot be used here, None when it can."""
    try:
        token = TOKEN_FILE.read_text().strip()
        response = httpx.get(f"{REST_URL}/slurm/v0.0.38/ping", timeout=10, headers={
            "X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": token})
    except (OSError, httpx.HTTPError) as exc:
        return f"no slurmrestd at {REST_URL} with the token in {TOKEN_FILE} ({exc}): {HINT}"
    if response.status_code != 200:
        return f"slurmrestd at {REST_URL} answers HTTP {response.status_code}: {HINT}"
    return None


def cli_settings(**more: Any) -> dict[str, Any]:
    """Settings of a CLI executor on the rig (no slurmdbd: sacct -c reads the jobcomp file)."""
    return {"transport": "cli", "accounting": "jobcomp", "poll_min_interval": 0.1, **more}


def rest_settings(**more: Any) -> dict[str, Any]:
    """Settings of a REST executor on the rig."""
    return {"transport": "rest", "url": REST_URL, "user_name": "root",
            "token_file": str(TOKEN_FILE), "poll_min_interval": 0.1, **more}
