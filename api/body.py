"""Reading request bodies within the size limit and parsing them as RDF."""

from __future__ import annotations

import json

import pyoxigraph as ox
from fastapi import Request

from mmoda.api.errors import PayloadTooLarge, UnsupportedMediaType
from mmoda.kg import jsonld, rdfio
from mmoda.kg.errors import RdfSyntaxError
from mmoda.kg.jsonld import ContextResolver

WRITE_TYPES = ", ".join(["application/ld+json", "text/turtle", "application/n-triples",
                         "application/rdf+xml"])


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body; 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_node(body: bytes, content_type: str | None, *, iri: str,
               resolver: ContextResolver) -> list[ox.Quad]:
    """Quads of a node document; relative IRIs resolve against the node's IRI."""
    media = (content_type or "").split(";")[0].strip().lower()
    if not body.strip():
        raise RdfSyntaxError(media or "body", "the request body is empty")
    if media in ("application/ld+json", "application/json"):
        return jsonld.parse(_with_id(body, iri), base_iri=iri, resolver=resolver)
    try:
        fmt = rdfio.format_for(media)
    except ValueError as exc:
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'} is not accepted; send one of {WRITE_TYPES}"
        ) from exc
    if fmt.supports_datasets:
        raise UnsupportedMediaType(f"a node is a graph, not a dataset; send one of {WRITE_TYPES}")
    return rdfio.parse(body, fmt, base_iri=iri)


def _with_id(body: bytes, iri: str) -> bytes:
    # A top-level object without @id describes the node being written (POST mints its IRI).
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RdfSyntaxError("JSON_LD", f"not JSON: {exc}") from exc
    if isinstance(doc, dict) and "@id" not in doc and "id" not in doc and "@graph" not in doc:
        doc = {"@id": iri, **doc}
    return json.dumps(doc).encode()
