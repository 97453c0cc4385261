"""`mmoda run|status|cancel|provenance`: ask a running site for products over HTTP, follow the
runs and fetch what they made (through `mmoda.client`; the site runs under `mmoda serve`).

`mmoda run` exits with 0 when the run completed, 1 when it failed or was aborted (or the site
refused the request), 2 when the input was bad (the site's 422, naming each bad parameter) and
3 when `--timeout` ran out before the run finished (the run goes on; see `mmoda status`).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from mmoda.client import Client, ClientError, RequestRejected, Result, Run, RunFailed, RunTimeout

_REMOTE = [
    click.option("--url", envvar="MMODA_URL", default="http://127.0.0.1:8000", show_default=True,
                 help="The site's URL (also MMODA_URL)."),
    click.option("--token", envvar="MMODA_TOKEN",
                 help="Bearer token (also MMODA_TOKEN; `mmoda token --role user` mints one)."),
]


def remote(func: Any) -> Any:
    """Add the options of commands that talk to a running site."""
    for option in reversed(_REMOTE):
        func = option(func)
    return func


class BadInput(click.ClickException):
    """The site rejected the request's content (422): exit code 2."""

    exit_code = 2


class StillRunning(click.ClickException):
    """The run had not finished when `--timeout` ran out: exit code 3."""

    exit_code = 3


@contextlib.contextmanager
def _client(url: str, token: str | None) -> Iterator[Client]:
    """A client whose errors become a one-message exit (code 1)."""
    try:
        with Client(url, token) as client:
            yield client
    except RequestRejected as exc:
        hint = " (give --token or set MMODA_TOKEN)" if exc.status == 401 and not token else ""
        raise click.ClickException(f"{exc}{hint}") from exc
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@remote
@click.argument("workflow")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter value, as text (repeatable); the site normalises it.")
@click.option("--reuse", type=click.Choice(["any", "local", "never"]), default="any",
              show_default=True, help="Whether an earlier result may answer the request.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Follow the run until it is over.")
@click.option("--timeout", type=float, metavar="S", help="Stop waiting after S seconds.")
@click.option("--download", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Save the result files into DIR (checked against their SHA-256).")
@click.option("--json", "as_json", is_flag=True, help="Print the request, run and results as JSON.")
def run(workflow: str, params: tuple[str, ...], reuse: str, wait: bool, timeout: float | None,
        download: Path | None, as_json: bool, url: str, token: str | None) -> None:
    """Run a workflow on a site and show its results.

    Asks the site for WORKFLOW (its id on the site, or its IRI) with the -p NAME=VALUE
    parameters, follows the run, then lists the result files with the citation and licence.
    Exit codes: 0 completed, 1 failed, 2 bad input, 3 still running after --timeout."""
    parameters = dict(_split(p) for p in params)
    with _client(url, token) as client:
        try:
            job = client.run(workflow, parameters=parameters, reuse=reuse, wait=False)
        except RequestRejected as exc:
            if exc.status == 422:
                raise BadInput(str(exc)) from exc
            raise
        if not as_json:
            _started(job)
        if wait:
            _follow(job, timeout)
        results = job.results if job.phase == "COMPLETED" else []
        paths = [p for r in results for p in r.download(download)] if download else []
        if as_json:
            shown = {**(job.request or {}), "run": job.data, "results": [r.data for r in results]}
            click.echo(json.dumps(shown | {"downloaded": [str(p) for p in paths]}, indent=2))
        elif job.finished:
            _report(results, paths)
        else:
            click.echo(f"follow it with `mmoda status {job.id}`")


def _split(param: str) -> tuple[str, str]:
    name, sep, text = param.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"{param!r} is not NAME=VALUE", param_hint="-p")
    return name.strip(), text


def _started(job: Run) -> None:
    if job.reused:
        click.echo(f"reused: the results of run {job.id} answer this request (it was asked "
                   f"for by request {_tail(job.data.get('request'))}, ran at site {job.site}, "
                   f"ended {job.data.get('ended')})")
    else:
        click.echo(f"request {(job.request or {}).get('id')}: run {job.id} {job.phase}")


def _follow(job: Run, timeout: float | None) -> None:
    """Wait for the run with a progress bar on a terminal, a line per change otherwise."""
    stream = sys.stderr
    with contextlib.ExitStack() as stack:
        bar = None
        if stream.isatty():
            bar = stack.enter_context(click.progressbar(
                length=100, label=f"run {job.id}", show_eta=False, update_min_steps=0,
                item_show_func=lambda line: line, file=stream))
        shown: list[str] = []

        def show(current: Run) -> None:
            line = _status_line(current)
            if bar is not None:
                bar.update(max(0, _percent(current) - bar.pos), line)
            elif not shown or shown[-1] != line:
                click.echo(f"run {current.id}: {line}", err=True)
            shown.append(line)

        try:
            job.wait(timeout, on_progress=show)
        except RunFailed as exc:
            raise click.ClickException(str(exc)) from exc
        except RunTimeout as exc:
            raise StillRunning(f"{exc}; follow it with `mmoda status {job.id}`") from exc


def _status_line(job: Run) -> str:
    last = job.progress[-1] if job.progress else {}
    detail = ": ".join(str(x) for x in (last.get("stage"), last.get("message")) if x)
    return f"{job.phase} {detail}".strip()


def _percent(job: Run) -> int:
    if job.finished:
        return 100
    fractions = [p["fraction"] for p in job.progress if p.get("fraction") is not None]
    return int(100 * min(1.0, max(0.0, fractions[-1]))) if fractions else 0


def _report(results: list[Result], paths: list[Path]) -> None:
    for r in results:
        value = "" if r.value is None else f" = {json.dumps(r.value)}"
        click.echo(f"\n{r.title or r.output}{value}\n  result  {r.id}")
        for f in r.files:
            click.echo(f"  file    {f.name}  {_size(f.size)}  {f.url}")
        if r.citation:
            click.echo(f"  cite    {r.citation}")
    licences = dict.fromkeys(r.license for r in results if r.license)
    if licences:
        click.echo(f"\nlicence: {', '.join(licences)}")
    for path in paths:
        click.echo(f"downloaded {path}")


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _tail(iri: Any) -> str:
    return str(iri or "").rsplit("/", 1)[-1]


@click.command()
@remote
@click.argument("ident", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the site's JSON view.")
def status(ident: str, as_json: bool, url: str, token: str | None) -> None:
    """Show the phase of a run or request.

    ID is a run's id or a request's; with a request, its run is shown."""
    with _client(url, token) as client:
        job = _run_or_request(client, ident)
        if as_json:
            click.echo(json.dumps(job.request or job.data, indent=2))
            return
        if job.request is not None:
            reused = " (reused an earlier run)" if job.reused else ""
            click.echo(f"request {job.request['id']}{reused}")
        click.echo(f"run {job.id}: {_status_line(job)}")
        for key in ("workflow", "site", "started", "ended", "message"):
            if job.data.get(key) is not None:
                click.echo(f"  {key:>8}: {job.data[key]}")
        for r in job.data.get("results", []):
            click.echo(f"  {'result':>8}: {_tail(r['iri'])} ({r.get('output')})")
        if job.phase in ("ERROR", "ABORTED") and job.data.get("log_tail"):
            click.echo(f"log:\n{job.data['log_tail'].rstrip()}")


def _run_or_request(client: Client, ident: str) -> Run:
    try:
        return client.run_status(ident)
    except RequestRejected as exc:
        if exc.status != 404:
            raise
    try:
        return client.request(ident)
    except RequestRejected as exc:
        if exc.status != 404:
            raise
        raise click.ClickException(f"no run or request {ident} at {client.url}") from exc


@click.command()
@remote
@click.argument("ident", metavar="RUN")
def cancel(ident: str, url: str, token: str | None) -> None:
    """Cancel a queued or running run.

    Only your own runs, unless the token has the admin role."""
    with _client(url, token) as client:
        try:
            job = client.cancel(ident)
        except RequestRejected as exc:
            if exc.status != 409:
                raise
            raise click.ClickException(
                f"cannot cancel run {ident}: {exc.problem.get('detail')}") from exc
        click.echo(f"cancelling run {job.id} (phase {job.phase})")


@click.command()
@remote
@click.argument("ident", metavar="RESULT")
@click.option("--format", "fmt", type=click.Choice(["turtle", "jsonld", "provn", "provjson"]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
def provenance(ident: str, fmt: str, output: Path | None, url: str, token: str | None) -> None:
    """Print the provenance of a result.

    As PROV-O (Turtle or JSON-LD), PROV-N or PROV-JSON."""
    with _client(url, token) as client:
        text = client.result(ident).provenance(fmt)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))


REMOTE_COMMANDS = (run, status, cancel, provenance)
"""The commands that talk to a running site, for the `mmoda` group."""
