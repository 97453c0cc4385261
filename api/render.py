"""Serialising node descriptions and collections in the negotiated media type."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pyoxigraph as ox
from fastapi.responses import Response

from mmoda.api import negotiation as media
from mmoda.api import pages
from mmoda.api.site import Site
from mmoda.kg import jsonld, rdfio
from mmoda.ontology import load_context

_OX_FORMATS = {
    media.TURTLE: ox.RdfFormat.TURTLE,
    media.NTRIPLES: ox.RdfFormat.N_TRIPLES,
    media.RDFXML: ox.RdfFormat.RDF_XML,
}


@cache
def prefixes() -> dict[str, str]:
    """Namespace prefixes of the project context, for readable Turtle and HTML."""
    ctx = load_context()["@context"]
    return {k: v for k, v in ctx.items()
            if isinstance(v, str) and v.endswith(("#", "/")) and not k.startswith("@")}


def graph_bytes(triples: list[ox.Triple], media_type: str) -> bytes:
    """Triples in an RDF syntax (Turtle, N-Triples, RDF/XML)."""
    fmt = _OX_FORMATS[media_type]
    pre = prefixes() if fmt is ox.RdfFormat.TURTLE else None
    return rdfio.serialize(triples, fmt, prefixes=pre)


def respond(body: bytes | str, media_type: str, *, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    """A response varying on Accept, with a charset for text types."""
    ctype = media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")
    return Response(body, status_code=status, media_type=ctype,
                    headers={"Vary": "Accept", **(headers or {})})


def node(site: Site, iri: str, triples: list[ox.Triple], media_type: str, *,
         status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A node description in `media_type`."""
    if media_type in (media.JSONLD, media.JSON):
        doc = jsonld.frame(triples, iri, context_url=site.context_url, resolver=site.contexts)
        return respond(json.dumps(doc, indent=1), media_type, status=status, headers=headers)
    if media_type == media.HTML:
        html = pages.node_page(site, iri, triples)
        return respond(html, media_type, status=status, headers=headers)
    return respond(graph_bytes(triples, media_type), media_type, status=status, headers=headers)


def collection_doc(site: Site, kind: str, members: list[str], total: int, page: int,
                   size: int) -> dict[str, Any]:
    """A Hydra collection page as JSON-LD (compact, with the project context)."""
    base = f"{site.base}/{kind}"
    last = max(1, -(-total // size))

    def at(n: int) -> str:
        return f"{base}?page={n}&size={size}"

    view: dict[str, Any] = {"@id": at(page), "@type": "hydra:PartialCollectionView",
                            "hydra:first": {"@id": at(1)}, "hydra:last": {"@id": at(last)}}
    if page > 1:
        view["hydra:previous"] = {"@id": at(page - 1)}
    if page < last:
        view["hydra:next"] = {"@id": at(page + 1)}
    return {
        "@context": site.context_url, "@id": base, "@type": "hydra:Collection",
        "hydra:totalItems": total, "hydra:member": [{"@id": m} for m in members],
        "hydra:view": view,
    }


def links(doc: dict[str, Any]) -> dict[str, str]:
    """The `Link` header of a collection page (RFC 8288 first/prev/next/last)."""
    view = doc["hydra:view"]
    rels = {"first": "hydra:first", "prev": "hydra:previous", "next": "hydra:next",
            "last": "hydra:last"}
    parts = [f'<{view[key]["@id"]}>; rel="{rel}"' for rel, key in rels.items() if key in view]
    return {"Link": ", ".join(parts)}


def collection(site: Site, doc: dict[str, Any], media_type: str) -> Response:
    """A collection page in `media_type`."""
    headers = links(doc)
    if media_type in (media.JSONLD, media.JSON):
        return respond(json.dumps(doc, indent=1), media_type, headers=headers)
    if media_type == media.HTML:
        return respond(pages.collection_page(site, doc), media_type, headers=headers)
    quads = jsonld.parse(json.dumps(doc).encode(), base_iri=site.base + "/",
                         resolver=site.contexts)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    return respond(graph_bytes(triples, media_type), media_type, headers=headers)
