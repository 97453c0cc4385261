"""Content negotiation for node pages, collections and the ontology."""

from __future__ import annotations

import mimeparse

from mmoda.api.errors import NotAcceptable

HTML = "text/html"
JSONLD = "application/ld+json"
JSON = "application/json"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"

# Ties go to the later entry, so the default for `*/*` comes last.
RDF_TYPES = [HTML, RDFXML, NTRIPLES, JSON, TURTLE, JSONLD]

FORMAT_PARAM = {
    "html": HTML, "jsonld": JSONLD, "json": JSONLD, "ttl": TURTLE, "turtle": TURTLE,
    "nt": NTRIPLES, "ntriples": NTRIPLES, "rdf": RDFXML, "xml": RDFXML,
}


def choose(accept: str | None, fmt: str | None, supported: list[str] = RDF_TYPES) -> str:
    """The media type to answer with: `?format=` wins, then the Accept header; 406 if none fits."""
    if fmt:
        media = FORMAT_PARAM.get(fmt.lower())
        if media is None or media not in supported:
            names = ", ".join(k for k, v in FORMAT_PARAM.items() if v in supported)
            raise NotAcceptable(f"format={fmt!r} is not offered here; use one of {names}")
        return media
    try:
        media = mimeparse.best_match(supported, accept or "*/*")
    except (ValueError, IndexError):
        media = ""
    if not media:
        raise NotAcceptable(
            f"nothing here matches Accept: {accept}; available: {', '.join(reversed(supported))}"
        )
    return str(media)
