"""The `mmoda` command: serve a site, load and query its graph, export it, mint tokens."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from mmoda.api.cli_common import common, open_site_cli, print_table, settings_from, term_text
from mmoda.api.cli_run import REMOTE_COMMANDS
from mmoda.api.cli_runs import runs
from mmoda.api.cli_workflow import workflow
from mmoda.api.settings import Settings


@click.group()
@click.version_option(package_name="mmoda")
def main() -> None:
    """MMODA: multi-messenger astronomy analysis on a knowledge graph."""


@main.command()
@common
@click.option("--host", help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="TCP port (default 8000).")
def serve(**flags: Any) -> None:
    """Start the service on the embedded default (on-disk Oxigraph, local executor)."""
    import uvicorn

    from mmoda.api.app import create_app

    settings = settings_from(**flags)
    app = create_app(settings)
    click.echo(f"MMODA site '{settings.site_id}' serving at {settings.base_url}/ "
               f"(store: {settings.data_dir or 'memory'})")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                http="httptools", loop="uvloop", access_log=False)


@main.command()
@common
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--graph", default="catalog", show_default=True,
              help="Target graph: catalog, runs, ontology, or an absolute IRI.")
def load(files: tuple[Path, ...], graph: str, **flags: Any) -> None:
    """Bulk-load N-Triples, Turtle, JSON-LD, RDF/XML, N-Quads or TriG files (no validation)."""
    from mmoda.kg import jsonld, rdfio
    from mmoda.kg.errors import KgError

    site = open_site_cli(settings_from(**flags))
    kg, target = site.kg, _graph(graph)
    before = kg.count()
    for path in files:
        try:
            fmt = rdfio.format_for_path(path.name)
            base = path.resolve().as_uri()
            if fmt == ox.RdfFormat.JSON_LD:  # contexts resolve locally, never over the network
                quads = jsonld.parse(path.read_bytes(), base_iri=base, resolver=site.contexts)
                kg.bulk_extend(quads, graph=target)
            else:
                kg.bulk_load(path, fmt, graph=target, base_iri=base)
        except (KgError, ValueError) as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
    kg.flush()
    click.echo(f"loaded {kg.count() - before} quads from {len(files)} file(s)")


@main.command()
@common
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "tsv", "xml"]),
              default="table", show_default=True)
def query(sparql: str, fmt: str, **flags: Any) -> None:
    """Run a SPARQL query over the whole graph and print the answer."""
    from mmoda.kg.errors import KgError

    kg = _open(settings_from(**flags))
    try:
        answer = kg.query(sparql, use_default_graph_as_union=True)
    except KgError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_answer(answer, fmt)


@main.command()
@common
@click.option("--format", "fmt", type=click.Choice(["nq", "trig"]), default="nq",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
def export(fmt: str, output: Path | None, **flags: Any) -> None:
    """Export every graph as N-Quads or TriG."""
    kg = _open(settings_from(**flags))
    data = kg.export(ox.RdfFormat.N_QUADS if fmt == "nq" else ox.RdfFormat.TRIG)
    if output:
        output.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)


@main.command()
@common
@click.option("--role", "roles", multiple=True, default=["admin"], show_default=True,
              help="Role to grant (repeatable): admin, user, job-manager, site.")
@click.option("--subject", default="operator", show_default=True, help="Token subject (sub).")
@click.option("--ttl", default=86400.0, show_default=True, help="Validity in seconds.")
def token(roles: tuple[str, ...], subject: str, ttl: float, **flags: Any) -> None:
    """Mint a bearer token signed with this site's secret."""
    from mmoda.api.auth import mint

    settings = settings_from(**flags)
    try:
        click.echo(mint(settings.secret(), subject=subject, roles=list(roles),
                        issuer=settings.jwt_issuer, ttl=ttl))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from exc


def _open(settings: Settings) -> Any:
    return open_site_cli(settings).kg


def _graph(name: str) -> ox.NamedNode:
    from mmoda.kg import graphs

    named = {"catalog": graphs.CATALOG, "runs": graphs.RUNS, "ontology": graphs.ONTOLOGY}
    if name in named:
        return named[name]
    if not name.startswith(("http://", "https://", "urn:")):
        raise click.BadParameter("catalog, runs, ontology or an absolute IRI", param_hint="--graph")
    return ox.NamedNode(name)


def _print_answer(answer: Any, fmt: str) -> None:
    from mmoda.kg import rdfio

    if isinstance(answer, ox.QueryBoolean):
        click.echo(json.dumps({"boolean": bool(answer)}) if fmt == "json" else str(bool(answer)))
        return
    if isinstance(answer, ox.QueryTriples):
        sys.stdout.buffer.write(rdfio.serialize(answer, ox.RdfFormat.TURTLE))
        return
    if fmt != "table":
        results_format = getattr(ox.QueryResultsFormat, fmt.upper())
        sys.stdout.buffer.write(answer.serialize(format=results_format) or b"")
        return
    names = [v.value for v in answer.variables]
    print_table(names, [[term_text(s[n]) for n in names] for s in answer])


main.add_command(workflow)
main.add_command(runs)
for _command in REMOTE_COMMANDS:
    main.add_command(_command)

if __name__ == "__main__":
    main()
