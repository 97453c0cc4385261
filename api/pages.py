"""Readable HTML pages for nodes and collections (Jinja2 templates in `api/templates`)."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

import jinja2
import pyoxigraph as ox

from mmoda.api.site import KINDS, Site
from mmoda.kg.rdfio import value

LABELS = ("http://purl.org/dc/terms/title", "http://www.w3.org/2000/01/rdf-schema#label",
          "https://schema.org/name", "http://xmlns.com/foaf/0.1/name")


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mmoda.api", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )


def short(iri: str) -> str:
    """An IRI as prefix:local when a project prefix covers it."""
    from mmoda.api.render import prefixes

    best = max(((p, ns) for p, ns in prefixes().items() if iri.startswith(ns)),
               key=lambda item: len(item[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else iri


def _term(site: Site, term: Any, iri: str, labels: dict[str, str]) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        if term.value.startswith(iri + "#"):
            anchor = "#" + term.value.partition("#")[2]
            return {"iri": anchor, "text": anchor}
        return {"iri": term.value, "text": labels.get(term.value) or short(term.value)}
    if isinstance(term, ox.Literal):
        return {"text": term.value, "lang": term.language,
                "datatype": short(term.datatype.value) if term.datatype else None}
    return {"text": str(term)}


def _sections(site: Site, iri: str, triples: list[ox.Triple],
              labels: dict[str, str]) -> list[dict[str, Any]]:
    by_subject: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        term = _term(site, t.object, iri, labels)
        by_subject[value(t.subject)][short(t.predicate.value)].append(term)
    order = [iri, *sorted(s for s in by_subject if s != iri)]
    return [{"subject": s, "anchor": s.partition("#")[2], "properties": dict(by_subject[s])}
            for s in order if s in by_subject]


def title_of(triples: list[ox.Triple], iri: str) -> str:
    """The node's title or label, else the last segment of its IRI."""
    for t in triples:
        if value(t.subject) == iri and t.predicate.value in LABELS:
            return value(t.object)
    return iri.rstrip("/").rsplit("/", 1)[-1]


def node_page(site: Site, iri: str, triples: list[ox.Triple]) -> str:
    """The HTML page of a node: its properties, its fragments and the nodes linking to it."""
    rows = site.kg.select("neighbours", bindings={"node": ox.NamedNode(iri)})
    labels = {value(r["other"]): value(r["label"]) for r in rows if "label" in r}
    incoming = [
        {"iri": value(r["other"]), "text": labels.get(value(r["other"]))
         or short(value(r["other"])), "predicate": short(value(r["predicate"]))}
        for r in rows if value(r["direction"]) == "in"
    ]
    types = [short(value(t.object)) for t in triples
             if value(t.subject) == iri and t.predicate.value.endswith("#type")]
    return _env().get_template("node.html").render(
        site=site, iri=iri, title=title_of(triples, iri), types=types,
        sections=_sections(site, iri, triples, labels), incoming=incoming, kinds=KINDS,
    )


def collection_page(site: Site, doc: dict[str, Any]) -> str:
    """The HTML page of one collection page."""
    members = []
    for m in doc["hydra:member"]:
        try:
            title = title_of(site.kg.describe(m["@id"]), m["@id"])
        except Exception:  # a member removed meanwhile still gets listed by IRI
            title = m["@id"]
        members.append({"iri": m["@id"], "title": title})
    return _env().get_template("collection.html").render(
        site=site, doc=doc, members=members, kinds=KINDS,
        name=doc["@id"].rsplit("/", 1)[-1],
    )


def home_page(site: Site, counts: dict[str, int]) -> str:
    """The landing page: what this site holds and where to go."""
    return _env().get_template("home.html").render(site=site, counts=counts, kinds=KINDS)
