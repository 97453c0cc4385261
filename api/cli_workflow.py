"""`mmoda workflow add|list|show`: contribute workflows to a site's catalog and look at them.

The commands open the site's store directly (stop `mmoda serve` first, or use `POST /workflows`
against the running site).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from mmoda.api.cli_common import common, open_site_cli, settings_from


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
def add(source: str, path_in_repo: str | None, ref: str | None, function: str | None,
        ident: str | None, service: bool, entry_point: bool, licence: str | None,
        **flags: Any) -> None:
    """Register the workflow in SOURCE: a notebook or .py file, a git URL (with --path), an
    entry point or a service URL."""
    from mmoda.workflows import sources
    from mmoda.workflows.errors import WorkflowError

    site = open_site_cli(settings_from(**flags))
    try:
        if service:
            specs = sources.from_service(source, license=licence)
        elif entry_point:
            specs = [sources.from_entry_point(source)]
        elif path_in_repo is not None or "://" in source:
            if path_in_repo is None:
                raise click.UsageError("a git URL needs --path FILE (the notebook or module)")
            specs = [sources.from_git(source, path_in_repo, root=site.sources, ref=ref,
                                      function=function)]
        else:
            specs = [sources.from_path(Path(source), function=function)]
        done = site.registry.register_many(
            [(ident if len(specs) == 1 else None, s) for s in specs])
    except WorkflowError as exc:
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
    table = [[_short(site, r["workflow"]), _text(r.get("title")), _text(r.get("version")),
              _text(r.get("kind")), _text(r.get("instrument")), _text(r.get("product")),
              _text(r.get("versions"))] for r in rows]
    _table(["id", "title", "version", "kind", "instrument", "product", "versions"], table)


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
        return sorted(_text(t.object) for t in triples
                      if _text(t.subject) == subject and t.predicate.value == predicate)

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
    _table(["name", "type", "default", "unit", "limits", "optional"],
           [[_text(r["name"]), _short(site, r.get("base") or r["type"]), _text(r.get("default")),
             _short(site, r.get("unit")), f"{_text(r.get('lower'))}..{_text(r.get('upper'))}"
             if r.get("lower") or r.get("upper") else "", _text(r.get("optional"))]
            for r in rows])


def _text(term: Any) -> str:
    return "" if term is None else term.value if hasattr(term, "value") else str(term)


def _short(site: Any, term: Any) -> str:
    text = _text(term)
    for prefix, ns in (("", f"{site.base}/workflows/"), ("oda:", "http://odahub.io/ontology#"),
                       ("unit:", "http://odahub.io/ontology/unit#")):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return text


def _table(names: list[str], rows: list[list[str]]) -> None:
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    click.echo("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
