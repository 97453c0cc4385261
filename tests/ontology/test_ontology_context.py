"""The JSON-LD context: complete, and read the same way by pyld 3 and pyoxigraph."""

from __future__ import annotations

import copy
import json
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from mmoda.ontology import CONTEXT_PATH, CONTEXT_URL, MMODA, MMODA_TTL, load_context

XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "https://site.example/"

SAMPLE: dict[str, Any] = {
    "@context": CONTEXT_URL,
    "@graph": [
        {"id": "workflows/lc", "type": "Workflow", "title": "Light curve", "description": "LC",
         "keyword": ["gamma rays", "light curve"], "publisher": "agents/isdc",
         "codeRepository": "https://github.com/example/lc", "instrument": "instruments/isgri",
         "parameter": [
             {"id": "workflows/lc#param-ra", "type": "Parameter", "name": "ra",
              "parameterType": "oda:PointOfInterestRA", "defaultValue": 83.63,
              "parameterUnit": "unit:Degree", "optional": False, "position": 0},
             {"id": "workflows/lc#param-t1", "type": "Parameter", "name": "t1",
              "parameterType": "oda:StartTime", "timeFormat": "oda:MJD", "defaultValue": 56000,
              "lowerLimit": 15, "upperLimit": 800.5, "allowedValue": ["a", "b"]}],
         "output": {"id": "workflows/lc#out-lc", "type": "Output", "name": "lc",
                    "productType": "oda:LightCurve"},
         "hasVersion": {"id": "workflows/lc#v-1", "type": "WorkflowVersion", "version": "1.0",
                        "commit": "abcdef1", "entryPoint": "lc.ipynb"},
         "hasCurrentVersion": "workflows/lc#v-1"},
        {"id": "datasets/d", "type": "Dataset", "title": {"@value": "D", "@language": "en"},
         "publisher": "agents/isdc", "license": "https://example.org/licence",
         "landingPage": "https://example.org/archive", "accessRights": "https://example.org/pub",
         "temporal": {"type": "PeriodOfTime", "startDate": "2008-08-04", "endDate": "2009-01-01"},
         "distribution": [{"id": "datasets/d#dist-1", "type": "Distribution",
                           "accessURL": "https://example.org/data/", "byteSize": 1024,
                           "downloadURL": "https://example.org/data/f.fits",
                           "mediaType": "https://www.iana.org/assignments/media-types/application/fits"}]},
        {"id": "agents/isdc", "type": "Organisation", "name": "ISDC", "homepage": "https://isdc/",
         "email": "a@b.c"},
        {"id": "instruments/isgri", "type": "Instrument", "name": "isgri", "label": "ISGRI",
         "mission": "INTEGRAL"},
        {"id": "sites/local", "type": "Site", "title": "Local", "endpointURL": ["sparql", ""],
         "enabled": True, "priority": 3, "executor": "executors/local",
         "servesDataset": "datasets/d", "offersWorkflow": "workflows/lc",
         "contactPoint": {"type": "Kind", "fn": "Operator", "hasEmail": "mailto:op@site.example"}},
        {"id": "executors/local", "type": "Executor", "title": "Local", "kind": "local",
         "enabled": True, "capacity": 2, "actedOnBehalfOf": "sites/local"},
        {"id": "requests/q", "type": "Request", "workflow": "workflows/lc", "identityHash": "abc",
         "workflowVersion": "workflows/lc#v-1", "site": "sites/local",
         "created": "2025-01-01T00:00:00Z", "wasAttributedTo": "agents/isdc",
         "parameterValue": [
             {"type": "PropertyValue", "name": "ra", "value": 83.6,
              "forParameter": "workflows/lc#param-ra"},
             {"type": "PropertyValue", "name": "n", "value": 3},
             {"type": "PropertyValue", "name": "flag", "value": True}]},
        {"id": "runs/r", "type": "Run", "state": "COMPLETED", "request": "requests/q",
         "startedAtTime": "2025-01-01T00:00:01Z", "endedAtTime": "2025-01-01T00:01:00Z",
         "executor": "executors/local", "wasAssociatedWith": "executors/local",
         "used": ["requests/q", "datasets/d"], "externalJobId": "123", "statusMessage": "ok"},
        {"id": "results/x", "type": "Result", "title": "LC result", "wasGeneratedBy": "runs/r",
         "wasDerivedFrom": "requests/q", "generatedAtTime": "2025-01-01T00:01:00Z",
         "citation": "Cite me.", "distribution": {"type": "Distribution",
                                                  "accessURL": "results/x/lc.fits",
                                                  "productType": "oda:LightCurve"}},
        {"id": "workflows/", "type": "Collection", "totalItems": 1,
         "member": [{"id": "workflows/lc"}],
         "view": {"id": "workflows/?page=1", "type": "PartialCollectionView",
                  "first": "workflows/?page=1", "last": "workflows/?page=1",
                  "next": "workflows/?page=2", "previous": "workflows/?page=0"}},
    ],
}


def _loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    assert url == CONTEXT_URL, url
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": load_context()}


def _normalise(nquads: bytes) -> rdflib.Graph:
    """Parse N-Triples/N-Quads, rewriting xsd:double literals to one canonical lexical form."""
    g = rdflib.Graph()
    for q in ox.parse(nquads, format=ox.RdfFormat.N_QUADS):
        o = q.object
        if isinstance(o, ox.Literal) and o.datatype == ox.NamedNode(XSD + "double"):
            o = ox.Literal(repr(float(o.value)), datatype=o.datatype)
        g.add(tuple(_to_rdflib(t) for t in (q.subject, q.predicate, o)))  # type: ignore[arg-type]
    return g


def _to_rdflib(term: Any) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    ctx: dict[str, Any] = load_context()["@context"]
    return ctx


def test_context_file_is_plain_json_without_duplicates() -> None:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    doc = json.loads(CONTEXT_PATH.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)
    assert set(doc) == {"@context"} and "@vocab" not in doc["@context"]


def test_pyld_and_pyoxigraph_agree() -> None:
    expanded = jsonld.to_rdf(SAMPLE, {"format": "application/n-quads", "base": BASE,
                                      "documentLoader": _loader})
    inline = copy.deepcopy(SAMPLE)
    inline["@context"] = load_context()["@context"]
    quads = ox.parse(json.dumps(inline).encode(), format=ox.RdfFormat.JSON_LD, base_iri=BASE)
    ox_nq = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
    ld = _normalise(expanded.encode())
    oxi = _normalise(ox_nq)
    assert len(ld) == len(oxi) > 100
    assert isomorphic(ld, oxi), set(ld) ^ set(oxi)
    # every key of the sample was understood: no triple was silently dropped
    assert rdflib.URIRef(MMODA + "executorKind") in set(ld.predicates())
    assert (rdflib.URIRef(BASE + "sites/local"), rdflib.URIRef(MMODA + "enabled"),
            rdflib.Literal(True)) in ld


REQUIRED = ["id", "type", "title", "description", "label", "distribution", "temporal",
            "startDate", "endDate", "publisher", "license", "used", "wasGeneratedBy",
            "wasDerivedFrom", "wasAssociatedWith", "startedAtTime", "endedAtTime",
            "endpointURL", "member", "totalItems", "view", "next", "previous", "first", "last",
            "PartialCollectionView", "Collection", "mmoda", "oda", "unit", "prov", "dcat", "dct",
            "schema", "foaf", "rdfs", "owl", "xsd", "bioschemas", "hydra", "sd", "void"]


def test_required_keys(context: dict[str, Any]) -> None:
    assert [k for k in REQUIRED if k not in context] == []
    assert context["unit"] == "http://odahub.io/ontology/unit#"
    assert context["hydra"] == "http://www.w3.org/ns/hydra/core#"


def _expand(context: dict[str, Any], value: str) -> str:
    prefix, _, local = value.partition(":")
    return context[prefix] + local if prefix in context and isinstance(
        context[prefix], str) else value


def test_every_mmoda_term_has_a_short_name(context: dict[str, Any]) -> None:
    g = rdflib.Graph().parse(MMODA_TTL, format="turtle")
    owl = "http://www.w3.org/2002/07/owl#"
    mapped: dict[str, dict[str, Any]] = {}
    for key, value in context.items():
        definition = value if isinstance(value, dict) else {"@id": value}
        if not key.startswith("@") and isinstance(definition.get("@id"), str):
            mapped[_expand(context, definition["@id"])] = definition
    for term, kind in g.subject_objects(rdflib.RDF.type):
        if not str(term).startswith(MMODA):
            continue
        assert str(term) in mapped, f"no short name for {term}"
        definition = mapped[str(term)]
        rng = g.value(term, rdflib.RDFS.range)  # typed literals get the matching coercion
        literal = rng is not None and str(rng).startswith(XSD)
        if str(kind) in (owl + "ObjectProperty", owl + "AnnotationProperty") and not literal:
            assert definition.get("@type") == "@id", term
        if rng is not None and str(rng) in (XSD + "boolean", XSD + "integer"):
            assert _expand(context, definition.get("@type", "")) == str(rng), term


def test_every_mmoda_short_name_is_defined(context: dict[str, Any]) -> None:
    g = rdflib.Graph().parse(MMODA_TTL, format="turtle")
    for key, value in context.items():
        iri = value["@id"] if isinstance(value, dict) else value
        if isinstance(iri, str) and iri.startswith("mmoda:"):
            assert (rdflib.URIRef(_expand(context, iri)), rdflib.RDF.type, None) in g, key
