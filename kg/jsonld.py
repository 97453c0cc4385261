"""JSON-LD in (pyoxigraph's native parser, project context resolved locally) and out (pyld)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

import pyoxigraph as ox
from pyld import jsonld

from mmoda.kg import rdfio
from mmoda.kg.errors import ContextError, RdfSyntaxError
from mmoda.ontology import CONTEXT_URL, load_context


class ContextResolver:
    """Resolves the project context from its canonical URL and this site's alias, nothing else."""

    def __init__(self, aliases: Iterable[str] = ()) -> None:
        self.urls = {CONTEXT_URL, *aliases}

    def inline(self, value: Any) -> Any:
        """`value` (an `@context` entry) with every known context URL replaced by its content."""
        if isinstance(value, str):
            if value not in self.urls:
                raise ContextError(
                    f"remote JSON-LD context {value!r} is not resolved; use {CONTEXT_URL} "
                    "or an inline context"
                )
            return load_context()["@context"]
        if isinstance(value, list):
            return [self.inline(v) for v in value]
        return value

    def loader(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """A pyld document loader that serves the project context and refuses the network."""
        if url not in self.urls:
            raise jsonld.JsonLdError(f"remote context {url} is not resolved", "loading document")
        return {"contextUrl": None, "documentUrl": url, "document": load_context()}


def _inline_contexts(node: Any, resolver: ContextResolver) -> Any:
    if isinstance(node, dict):
        return {
            key: resolver.inline(value) if key == "@context" else _inline_contexts(value, resolver)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_inline_contexts(item, resolver) for item in node]
    return node


# `"@context": "<url>"` as a JSON member; inside a JSON string the quotes would be escaped.
_CONTEXT_MEMBER = re.compile(rb'"@context"\s*:\s*"([^"\\]*)"')


@cache
def _context_bytes() -> bytes:
    return b'"@context":' + json.dumps(load_context()["@context"]).encode()


def parse(data: bytes, *, base_iri: str, resolver: ContextResolver) -> list[ox.Quad]:
    """Quads of a JSON-LD document; contexts must be the project's or inline."""

    def inline(match: re.Match[bytes]) -> bytes:
        url = match.group(1).decode("utf-8", "replace")
        resolver.inline(url)  # raises ContextError for a context we do not resolve
        return _context_bytes()

    # Fast path: swap `"@context": "<project URL>"` in the bytes, no JSON round trip.
    try:
        return list(ox.parse(_CONTEXT_MEMBER.sub(inline, data), format=ox.RdfFormat.JSON_LD,
                             base_iri=base_iri))
    except SyntaxError as exc:
        if "LoadDocumentCallback" not in str(exc):
            raise RdfSyntaxError("JSON-LD", str(exc)) from exc
    # A remote context in another position (e.g. in a list): resolve it the slow way.
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RdfSyntaxError("JSON-LD", f"not JSON: {exc}") from exc
    expanded = json.dumps(_inline_contexts(document, resolver)).encode()
    return rdfio.parse(expanded, ox.RdfFormat.JSON_LD, base_iri=base_iri)


def frame(triples: Iterable[ox.Triple], iri: str, *, context_url: str,
          resolver: ContextResolver) -> dict[str, Any]:
    """The description of `iri` as compacted JSON-LD, its fragments embedded, with our context."""
    nquads = rdfio.serialize(triples, ox.RdfFormat.N_TRIPLES).decode()
    options = {"format": "application/n-quads", "useNativeTypes": False}
    expanded = jsonld.from_rdf(nquads, options)
    framed = jsonld.frame(
        expanded, {"@context": CONTEXT_URL, "@id": iri, "@embed": "@once"},
        options={"documentLoader": resolver.loader, "omitGraph": True},
    )
    framed["@context"] = context_url
    return dict(framed)


def compact(document: Any, *, context_url: str, resolver: ContextResolver) -> dict[str, Any]:
    """`document` (expanded or any JSON-LD) compacted with the project context."""
    compacted = jsonld.compact(document, CONTEXT_URL, options={"documentLoader": resolver.loader})
    compacted["@context"] = context_url
    return dict(compacted)
