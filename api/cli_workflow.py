"""`mmoda workflow add|list|show`: contribute workflows to a site's catalog and look at them.

The commands open the site's store directly (stop `mmoda serve` first, or use `POST /workflows`
against the running site).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from mmoda.api.cli_common import common, open_site_cli, print_table, settings_from, term_text


@click.group()
def workflow() -> None:
    """Contribute workflows (notebooks, Python functions, nb2workflow services) and list them."""


@workflow.command()
@common
@click.argument("source")
@click.option("--path", "path_in_repo", help="File inside the git repository SOURCE.")
@click.option("--ref", help="Git revision (branch, tag or commit) to check out.")
@click.option("--function", help="Function of a Python module to register.")
@click.option("--id", "ident", help="Workflow id (default: the notebook's or function's name).")
@click.option("--service", is_flag=True, help="SOURCE is an nb2workflow service URL.")
@click.option("--entry-point", is_flag=True,
              help="SOURCE is a Python entry point: package.module:function or a name in the "
                   "mmoda.workflows group.")
@click.option("--license", "licence", help="Licence of a service's workflows (SPDX id or IRI).")
@click.option("--instrument", help="Publish a service's targets as products of this instrument "
                                   "(oda-api users ask for them so).")
def add(source: str, path_in_repo: str | None, ref: str | None, function: str | None,
        ident: str | None, service: bool, entry_point: bool, licence: str | None,
        instrument: str | None, **flags: Any) -> None:
    """Register the workflow in SOURCE: a notebook or .py file, a git URL (with --path), an
    entry point or a service URL."""
    from mmoda.workflows import sources
    from mmoda.workflows.errors import WorkflowError

    site = open_site_cli(settings_from(**flags))
    created: list[Path] = []
    try:
        if service:
            specs = sources.from_service(source, license=licence, instrument=instrument)
        elif entry_point:
            specs = [sources.from_entry_point(source)]
        elif path_in_repo is not None or "://" in source:
            if path_in_repo is None:
                raise click.UsageError("a git URL needs --path FILE (the notebook or module)")
            specs = [sources.from_git(source, path_in_repo, root=site.sources, ref=ref,
                                      function=function, created=created)]
        else:
            specs = [sources.from_path(Path(source), function=function)]
        done = site.registry.register_many(
            [(ident if len(specs) == 1 else None, s) for s in specs])
    except WorkflowError as exc:
        sources.discard(created)
        raise click.ClickException(str(exc)) from exc
    finally:
        site.kg.flush()
    for r in done:
        state = "new version" if r.new_version else "unchanged"
        revises = f", revises {r.previous}" if r.previous and r.new_version else ""
        click.echo(f"registered {r.workflow} ({state} {r.version.rsplit('#', 1)[-1]}{revises})")


@workflow.command(name="list")
@common
def list_(**flags: Any) -> None:
    """List the workflows of the catalog with their current versions."""
    site = open_site_cli(settings_from(**flags))
    rows = site.kg.select("workflows")
    columns = ("title", "version", "kind", "instrument", "product", "versions")
    table = [[_short(site, r["workflow"]), *(term_text(r.get(c)) for c in columns)]
             for r in rows]
    print_table(["id", "title", "version", "kind", "instrument", "product", "versions"], table)


@workflow.command()
@common
@click.argument("ident")
@click.option("--format", "fmt", type=click.Choice(["text", "ttl", "jsonld"]), default="text",
              show_default=True)
def show(ident: str, fmt: str, **flags: Any) -> None:
    """Show workflow IDENT: metadata and parameters (or its node as Turtle / JSON-LD)."""
    from mmoda.kg import rdfio
    from mmoda.kg.errors import NodeNotFound

    site = open_site_cli(settings_from(**flags))
    iri = site.iri("workflows", ident)
    try:
        triples = site.kg.get_node(iri)
    except NodeNotFound as exc:
        raise click.ClickException(f"no workflow {ident!r} ({iri})") from exc
    if fmt != "text":
        rdf_format = ox.RdfFormat.TURTLE if fmt == "ttl" else ox.RdfFormat.JSON_LD
        click.echo(rdfio.serialize(triples, rdf_format).decode())
        return
    _describe(site, iri, triples)


def _describe(site: Any, iri: str, triples: list[ox.Triple]) -> None:
    def values(predicate: str, subject: str = iri) -> list[str]:
        return sorted(term_text(t.object) for t in triples
                      if term_text(t.subject) == subject and t.predicate.value == predicate)

    dct, mmoda = "http://purl.org/dc/terms/", "https://odahub.io/mmoda#"
    current = values("http://www.w3.org/ns/dcat#hasCurrentVersion")
    click.echo(f"{', '.join(values(dct + 'title'))}\n{iri}\n")
    for label, got in (("licence", values(dct + "license")),
                       ("instrument", values(mmoda + "instrumentName")),
                       ("product", values(mmoda + "productName")),
                       ("current version", current),
                       ("versions", values("http://www.w3.org/ns/dcat#hasVersion"))):
        click.echo(f"{label:>16}: {', '.join(got) or '-'}")
    rows = site.kg.select("workflow_parameters", bindings={"workflow": ox.NamedNode(iri)})
    click.echo("\nparameters:")
    print_table(["name", "type", "default", "unit", "limits", "optional"],
                [_parameter_row(site, r) for r in rows])


def _parameter_row(site: Any, row: Any) -> list[str]:
    lower, upper = term_text(row.get("lower")), term_text(row.get("upper"))
    return [term_text(row["name"]), _short(site, row.get("base") or row["type"]),
            term_text(row.get("default")), _short(site, row.get("unit")),
            f"{lower}..{upper}" if lower or upper else "", term_text(row.get("optional"))]


def _short(site: Any, term: Any) -> str:
    text = term_text(term)
    for prefix, ns in (("", f"{site.base}/workflows/"), ("oda:", "http://odahub.io/ontology#"),
                       ("unit:", "http://odahub.io/ontology/unit#")):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return text
