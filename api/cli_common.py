"""Options and helpers every `mmoda` command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from mmoda.api.settings import Settings

_COMMON = [
    click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
                 help="TOML settings file (also MMODA_CONFIG_FILE)."),
    click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Store directory (also MMODA_DATA_DIR)."),
    click.option("--base-url", help="Public base URL node IRIs are minted under."),
]


def common(func: Any) -> Any:
    """Add the options every command shares."""
    for option in reversed(_COMMON):
        func = option(func)
    return func


def settings_from(**flags: Any) -> Settings:
    """Settings from flags over environment over config file; clear message and exit 2 if bad."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)
    except (ValidationError, ValueError) as exc:
        raise click.UsageError(f"invalid settings:\n{exc}") from exc


def open_site_cli(settings: Settings) -> Any:
    from mmoda.api.site import open_site
    from mmoda.kg.errors import KgError

    try:
        return open_site(settings)
    except KgError as exc:
        raise click.ClickException(f"{exc} (is `mmoda serve` running on this data dir?)") from exc


def term_text(term: Any) -> str:
    """A cell's text: an IRI or literal value, "" for an unbound variable."""
    if term is None:
        return ""
    return str(term.value) if hasattr(term, "value") else str(term)


def print_table(names: list[str], rows: list[list[str]]) -> None:
    """Print `rows` under `names` in aligned columns, then the row count."""
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    click.echo("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
