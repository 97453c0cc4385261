"""A result's provenance: the subgraph the CONSTRUCT gathers and its PROV-O, PROV-N, PROV-JSON
and PROV-XML forms, converted and read back by the real prov package."""

from __future__ import annotations

import json
import warnings
from typing import Any

import prov.model as pm
import pyoxigraph as ox
import pytest

from mmoda.kg import jsonld, rdfio
from mmoda.kg.errors import NodeNotFound
from mmoda.runs.provenance import FORMATS, prov_document, provenance_triples, serialize_provenance

PROV = "http://www.w3.org/ns/prov#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
SCHEMA = "https://schema.org/"


def objects(triples: list[ox.Triple], subject: str, predicate: str) -> set[str]:
    return {rdfio.value(t.object) for t in triples
            if rdfio.value(t.subject) == subject and t.predicate.value == predicate}


def formal(record: pm.ProvRecord) -> dict[str, Any]:
    """A relation's formal attributes by local name, identifiers as IRIs."""
    return {k.localpart: getattr(v, "uri", v) for k, v in record.formal_attributes}


def test_construct_gathers_result_run_request_and_catalog_nodes(example: Any) -> None:
    triples = provenance_triples(example.kg, example.result)
    subjects = {rdfio.value(t.subject) for t in triples}
    base = example.base
    assert subjects >= {
        example.result, f"{example.result}#file-1", f"{example.result}#file-1-sha256",
        example.run, f"{example.run}#usage-ra", f"{example.run}#usage-T1",
        f"{example.run}#usage-data-1", f"{example.run}#association", f"{example.run}#progress-1",
        example.request, f"{example.request}#p-ra", f"{example.request}#p-T1",
        example.version, example.creator, f"{base}/workflows/lightcurve", example.site,
        f"{base}/executors/local", example.dataset, f"{base}/agents/mmoda-developers"}
    assert objects(triples, example.version, SCHEMA + "version") == {"abc123abc123"}
    assert objects(triples, example.creator, SCHEMA + "identifier") == {
        "https://orcid.org/0000-0002-1825-0097"}
    assert objects(triples, f"{example.result}#file-1-sha256",
                   "http://spdx.org/rdf/terms#checksumValue") == {"ab12cd34"}
    assert objects(triples, f"{base}/agents/mmoda-developers", SCHEMA + "name") == {
        "MMODA developers"}
    assert objects(triples, f"{example.request}#p-ra", SCHEMA + "value") == {"83.633"}


def test_construct_adds_the_prov_types_of_catalog_nodes(example: Any) -> None:
    triples = provenance_triples(example.kg, example.result)
    assert objects(triples, example.version, TYPE) >= {PROV + "Plan", PROV + "Entity"}
    assert objects(triples, example.creator, TYPE) >= {PROV + "Person", PROV + "Agent"}
    assert objects(triples, example.site, TYPE) >= {PROV + "SoftwareAgent", PROV + "Agent"}
    assert PROV + "Entity" in objects(triples, example.dataset, TYPE)


def test_construct_leaves_out_unrelated_nodes(example: Any) -> None:
    triples = provenance_triples(example.kg, example.result)
    mentioned = {rdfio.value(n) for t in triples for n in (t.subject, t.object)}
    base = example.base
    for stranger in (f"{base}/results/U2-other", f"{base}/runs/U2", f"{base}/requests/R2",
                     f"{base}/workflows/other", f"{base}/workflows/other#v-1",
                     f"{base}/sites/remote", f"{base}/results/U1-spectrum"):
        assert stranger not in mentioned
    # catalog nodes come with the properties provenance needs, not their whole description
    assert not objects(triples, example.version, "https://odahub.io/mmoda#parameter")
    assert not objects(triples, f"{base}/workflows/lightcurve",
                       "http://www.w3.org/ns/dcat#hasCurrentVersion")


def test_unknown_result_is_not_found(example: Any) -> None:
    with pytest.raises(NodeNotFound):
        provenance_triples(example.kg, f"{example.base}/results/nope")


def test_unknown_format_names_the_known_ones(example: Any) -> None:
    triples = provenance_triples(example.kg, example.result)
    with pytest.raises(ValueError, match="provn"):
        serialize_provenance(triples, "dot")


def test_turtle_and_jsonld_read_back_as_the_same_graph(example: Any) -> None:
    triples = provenance_triples(example.kg, example.result)
    turtle = rdfio.parse(serialize_provenance(triples, "turtle"), ox.RdfFormat.TURTLE)
    assert {ox.Triple(q.subject, q.predicate, q.object) for q in turtle} == set(triples)
    document = serialize_provenance(triples, "jsonld")
    assert json.loads(document)["@context"] == "https://odahub.io/mmoda/context.jsonld"
    read = jsonld.parse(document, base_iri=example.base, resolver=jsonld.ContextResolver())
    back = {ox.Triple(q.subject, q.predicate, q.object) for q in read}

    def plain(ts: set[ox.Triple]) -> set[ox.Triple]:  # JSON-LD re-serialises JSON literals
        return {t for t in ts if not (isinstance(t.object, ox.Literal)
                                      and t.object.datatype.value == RDF_JSON)}

    assert plain(back) == plain(set(triples))
    resolution = [t.object.value for t in back if t.predicate.value.endswith("#resolution")]
    assert [json.loads(r) for r in resolution] == [{"site": "local", "datasets": [1, 2]}]


def test_provn_states_generation_usage_association_and_attribution(example: Any) -> None:
    text = serialize_provenance(provenance_triples(example.kg, example.result), "provn").decode()
    assert "wasGeneratedBy(results:U1-lightcurve, runs:U1, 2026-11-24T10:01:05+00:00)" in text
    assert ("used(runs:U1#usage-ra; runs:U1, requests:R1#p-ra, -, "
            "[prov:role='workflows:lightcurve#v-abc123abc123-param-ra'])") in text
    assert ("used(runs:U1#usage-data-1; runs:U1, datasets:sim-isgri-events, -, "
            "[prov:role='mmoda:inputData'])") in text
    assert "used(runs:U1, requests:R1, -)" in text
    assert "used(runs:U1, requests:R1#p-ra, -)" not in text  # stated once, qualified
    assert ("wasAssociatedWith(runs:U1#association; runs:U1, sites:local, "
            "workflows:lightcurve#v-abc123abc123, [prov:role='mmoda:executingSite'])") in text
    assert ("wasAssociatedWith(runs:U1, workflows:lightcurve#v-abc123abc123-creator-1, -)"
            in text)
    assert "wasAttributedTo(results:U1-lightcurve, sites:local)" in text
    assert "wasDerivedFrom(results:U1-lightcurve, datasets:sim-isgri-events" in text
    assert "prefix brick" not in text  # no prefixes beyond the ones used
    assert pm.ProvDocument.deserialize(content=text, format="provn") == prov_document(
        provenance_triples(example.kg, example.result))


def test_provjson_reads_back_with_the_records_and_relations(example: Any) -> None:
    data = serialize_provenance(provenance_triples(example.kg, example.result), "provjson")
    doc = pm.ProvDocument.deserialize(content=data.decode(), format="json")
    count = {cls: len(list(doc.get_records(cls))) for cls in (
        pm.ProvActivity, pm.ProvEntity, pm.ProvAgent, pm.ProvUsage, pm.ProvAssociation,
        pm.ProvAttribution, pm.ProvDerivation, pm.ProvGeneration)}
    assert count == {pm.ProvActivity: 1, pm.ProvEntity: 7, pm.ProvAgent: 4, pm.ProvUsage: 4,
                     pm.ProvAssociation: 2, pm.ProvAttribution: 2, pm.ProvDerivation: 2,
                     pm.ProvGeneration: 1}
    [generation] = doc.get_records(pm.ProvGeneration)
    assert formal(generation)["entity"] == example.result
    assert formal(generation)["activity"] == example.run
    associations = {formal(a)["agent"]: formal(a) for a in doc.get_records(pm.ProvAssociation)}
    assert associations[example.site]["plan"] == example.version
    assert associations[example.creator]["plan"] is None


@pytest.mark.parametrize("fmt", sorted({"provn", "provjson", "provxml"} & FORMATS.keys()))
def test_prov_formats_read_back_as_the_same_document(example: Any, fmt: str) -> None:
    triples = provenance_triples(example.kg, example.result)
    reader = {"provn": "provn", "provjson": "json", "provxml": "xml"}[fmt]
    back = pm.ProvDocument.deserialize(content=serialize_provenance(triples, fmt).decode(),
                                       format=reader)
    assert back == prov_document(triples)
    assert len(list(back.get_records(pm.ProvElement))) == 12


def test_conversion_is_quiet(example: Any) -> None:
    triples = provenance_triples(example.kg, example.result)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the decoder warns about every statement it drops
        prov_document(triples)


def test_provjson_of_a_value_result_keeps_its_json_value(example: Any) -> None:
    triples = provenance_triples(example.kg, f"{example.base}/results/U1-spectrum")
    data = json.loads(serialize_provenance(triples, "provjson"))
    [record] = [r for iri, r in data["entity"].items() if iri.endswith("U1-spectrum")]
    assert record["schema:value"] == {"$": '{"x": 1}', "type": "rdf:JSON"}
