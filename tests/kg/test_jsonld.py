"""JSON-LD in: the project context resolves locally (fast path and fallback), others are refused."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld

from mmoda.kg import jsonld
from mmoda.kg.errors import ContextError, RdfSyntaxError
from mmoda.ontology import CONTEXT_URL

BASE = "http://example.org/"
resolver = jsonld.ContextResolver([BASE + "ontology/context.jsonld"])


def reference(doc: dict) -> set[ox.Quad]:
    """What pyld makes of the document with the same local context."""
    nquads = pyld.to_rdf(doc, {"format": "application/n-quads", "base": BASE,
                               "documentLoader": resolver.loader})
    return set(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS))


@pytest.mark.parametrize("context", [CONTEXT_URL, BASE + "ontology/context.jsonld",
                                     [CONTEXT_URL, {"extra": "http://example.org/extra"}]])
def test_project_context_is_resolved_locally(context: object) -> None:
    doc = {"@context": context, "@id": "thing", "type": "Instrument", "label": "ISGRI",
           "keyword": ["a", "b"]}
    ours = set(jsonld.parse(json.dumps(doc).encode(), base_iri=BASE, resolver=resolver))
    assert ours == reference(doc)
    assert len(ours) == 4


def test_context_urls_inside_values_are_left_alone() -> None:
    doc = {"@context": CONTEXT_URL, "@id": "thing", "label": f'"@context": "{CONTEXT_URL}"'}
    quads = jsonld.parse(json.dumps(doc).encode(), base_iri=BASE, resolver=resolver)
    assert [q.object.value for q in quads] == [f'"@context": "{CONTEXT_URL}"']


@pytest.mark.parametrize("context", ["https://evil.example/ctx.jsonld",
                                     ["https://evil.example/ctx.jsonld"]])
def test_other_remote_contexts_are_refused(context: object) -> None:
    doc = json.dumps({"@context": context, "@id": "x"}).encode()
    with pytest.raises(ContextError, match=r"evil\.example"):
        jsonld.parse(doc, base_iri=BASE, resolver=resolver)


def test_malformed_json_is_a_syntax_error() -> None:
    with pytest.raises(RdfSyntaxError, match="JSON-LD"):
        jsonld.parse(b'{"@id": ', base_iri=BASE, resolver=resolver)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "description", "label", "keyword", "name"]),
                       st.text(max_size=30), min_size=1))
def test_fast_path_agrees_with_pyld(values: dict[str, str]) -> None:
    doc = {"@context": CONTEXT_URL, "@id": "thing", **values}
    ours = set(jsonld.parse(json.dumps(doc).encode(), base_iri=BASE, resolver=resolver))
    assert ours == reference(doc)

