"""`mmoda runs script RUN`: what the site's machine keeps of a run (its job directory).

Reads files only, so it works while `mmoda serve` holds the store.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from mmoda.api.cli_common import common, settings_from
from mmoda.api.settings import Settings

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@click.group()
def runs() -> None:
    """Look at runs from the site's machine."""


@runs.command()
@common
@click.argument("run", metavar="RUN")
def script(run: str, **flags: Any) -> None:
    """Print the batch script RUN (its id or IRI) was submitted with (Slurm executors keep it
    as job.sbatch in the run's job directory)."""
    path = _jobs(settings_from(**flags)) / _run_id(run) / "job.sbatch"
    if not path.is_file():
        raise click.ClickException(f"no batch script at {path}: the run did not go to a Slurm "
                                   "executor, or its job directory is gone")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


def _jobs(settings: Settings) -> Path:
    if settings.jobs_dir is not None:
        return settings.jobs_dir
    if settings.data_dir is None:
        raise click.UsageError("an in-memory site keeps no job directories")
    return settings.data_dir / "jobs"


def _run_id(run: str) -> str:
    ident = run.rstrip("/").rsplit("/", 1)[-1]
    if not _RUN_ID.fullmatch(ident) or ident in (".", ".."):
        raise click.BadParameter(f"{run!r} is not a run id or IRI", param_hint="RUN")
    return ident
