"""A `WorkflowSpec` as the quads of one mmoda:Workflow node, and its restriction classes as OWL.

The node owns fragments of its IRI: one `#v-<hash>` (mmoda:WorkflowVersion) per version, and
per version `#v-<hash>-param-<name>` (mmoda:Parameter), `#v-<hash>-out-<name>` (mmoda:Output),
`#v-<hash>-creator-<n>` (mmoda:Person) and, for parameters with limits or allowed values,
`#v-<hash>-type-<name>`: a class declared `rdfs:subClassOf` its ODA base type and
carrying the limits as annotations (what SHACL and SPARQL need). `restriction_turtle` gives the
same classes as OWL 2 definitions (`owl:equivalentClass` base ⊓ ∀oda:value.range) for the
reasoner, which then infers the subclass link itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mmoda.workflows.model import Creator, FormalOutput, FormalParameter, WorkflowSpec

__all__ = ["Placement", "restriction_turtle", "version_iri", "workflow_quads"]

MMODA, ODA = "https://odahub.io/mmoda#", "http://odahub.io/ontology#"
RDF, RDFS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "http://www.w3.org/2000/01/rdf-schema#"
OWL, XSD = "http://www.w3.org/2002/07/owl#", "http://www.w3.org/2001/XMLSchema#"
DCT, DCAT, SCHEMA = "http://purl.org/dc/terms/", "http://www.w3.org/ns/dcat#", "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
_XSD_OF: dict[type, str] = {bool: "boolean", int: "integer", float: "float", str: "string"}

Triple = tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]


@dataclass(frozen=True)
class Placement:
    """Where a workflow version lands in the catalog, as the registry works it out."""

    instrument: str | None = None
    previous: str | None = None
    versions: tuple[str, ...] = ()
    created: datetime | None = None
    source_directory: str | None = None


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _literal(value: Any) -> ox.Literal:
    """A typed literal: xsd:boolean/integer/double/string, rdf:JSON for lists and dicts."""
    if isinstance(value, list | dict):
        return ox.Literal(json.dumps(value), datatype=_n(RDF + "JSON"))
    if isinstance(value, datetime):
        return ox.Literal(value.isoformat(), datatype=_n(XSD + "dateTime"))
    return ox.Literal(value)


def _described(subject: ox.NamedNode, props: list[tuple[str, Any]]) -> Iterator[Triple]:
    """Triples of `subject` for the (predicate, value) pairs whose value is not None."""
    for predicate, value in props:
        if value is None:
            continue
        obj = value if isinstance(value, ox.NamedNode | ox.Literal) else _literal(value)
        yield subject, _n(predicate), obj


def _parameter(p: FormalParameter, version: str) -> Iterator[Triple]:
    node = _n(f"{version}-param-{p.name}")
    yield from _described(node, [
        (RDF + "type", _n(MMODA + "Parameter")), (SCHEMA + "name", p.name),
        (MMODA + "parameterType", _n(p.parameter_type(version))),
        (SCHEMA + "defaultValue", p.default), (ODA + "unit", p.unit and _n(p.unit)),
        (ODA + "format", p.format and _n(p.format)), (ODA + "lower_limit", p.lower_limit),
        (ODA + "upper_limit", p.upper_limit), (MMODA + "optional", p.optional),
        (SCHEMA + "position", p.position), (RDFS + "label", p.label),
        (DCT + "description", p.description),
        *((ODA + "allowed_value", v) for v in p.allowed_values)])
    if p.restriction_iri is not None:
        yield from _described(_n(p.parameter_type(version)), [
            (RDF + "type", _n(OWL + "Class")), (RDFS + "subClassOf", _n(p.type_iri)),
            (RDFS + "label", f"{p.name}: {p.type_iri.rsplit('#', 1)[-1]} as restricted by "
                             f"the workflow"),
            (ODA + "lower_limit", p.lower_limit), (ODA + "upper_limit", p.upper_limit),
            *((ODA + "allowed_value", v) for v in p.allowed_values)])


def _output(o: FormalOutput, version: str) -> Iterator[Triple]:
    yield from _described(_n(f"{version}-out-{o.name}"), [
        (RDF + "type", _n(MMODA + "Output")), (SCHEMA + "name", o.name),
        (MMODA + "productType", _n(o.type_iri)), (SCHEMA + "position", o.position)])


def _creator(c: Creator, node: ox.NamedNode) -> Iterator[Triple]:
    yield from _described(node, [
        (RDF + "type", _n(MMODA + "Person")), (SCHEMA + "name", c.name),
        (SCHEMA + "identifier", c.orcid and _n(c.orcid)),
        (SCHEMA + "email", c.email)])


def _interface(spec: WorkflowSpec, version: str) -> list[tuple[str, Any]]:
    """Links to the version's parameters, outputs and creators (workflow and version share)."""
    return [*((MMODA + "parameter", _n(f"{version}-param-{p.name}")) for p in spec.parameters),
            *((MMODA + "output", _n(f"{version}-out-{o.name}")) for o in spec.outputs),
            *((DCT + "creator", _n(f"{version}-creator-{i}"))
              for i in range(1, len(spec.creators) + 1)),
            (DCT + "license", spec.license and _n(spec.license)),
            (SCHEMA + "codeRepository", spec.repository and _n(spec.repository))]


def _workflow(spec: WorkflowSpec, iri: str, where: Placement) -> Iterator[Triple]:
    version = version_iri(spec, iri)
    yield from _described(_n(iri), [
        (RDF + "type", _n(MMODA + "Workflow")), (DCT + "title", spec.title),
        (DCT + "description", spec.description or None), (SCHEMA + "name", spec.name),
        (MMODA + "instrument", where.instrument and _n(where.instrument)),
        (MMODA + "instrumentName", spec.instrument), (MMODA + "productName", spec.product),
        *((DCAT + "hasVersion", _n(v)) for v in (*where.versions, version)),
        (DCAT + "hasCurrentVersion", _n(version)), (DCT + "modified", where.created),
        *((DCAT + "keyword", k) for k in spec.keywords), *_interface(spec, version)])


def _runtime(spec: WorkflowSpec) -> list[tuple[str, Any]]:
    needs = spec.runtime
    return [(MMODA + "cpus", needs.cpus), (MMODA + "memoryMiB", needs.memory_mb),
            (MMODA + "walltimeSeconds", needs.walltime_s),
            (MMODA + "containerImage", needs.image),
            (MMODA + "resultLifetimeSeconds", needs.result_lifetime_s),
            (MMODA + "reusable", needs.reusable)]


def _version(spec: WorkflowSpec, iri: str, where: Placement) -> Iterator[Triple]:
    version = version_iri(spec, iri)
    entry = spec.repository_path or (Path(spec.source_path).name if spec.source_path else None)
    yield from _described(_n(version), [
        (RDF + "type", _n(MMODA + "WorkflowVersion")), (DCT + "title", spec.title),
        (SCHEMA + "version", spec.tag or spec.version or spec.content_hash[:12]),
        (DCAT + "isVersionOf", _n(iri)), (MMODA + "workflowKind", spec.kind),
        (MMODA + "entryPoint", entry), (MMODA + "function",
                                        spec.entry if spec.kind == "function" else None),
        (MMODA + "serviceURL", spec.service_url and _n(spec.service_url)),
        (MMODA + "serviceTarget", spec.entry if spec.kind == "service" else None),
        (MMODA + "commit", spec.commit), (MMODA + "tag", spec.tag),
        (MMODA + "sourceDirectory", where.source_directory),
        (PROV + "wasRevisionOf", where.previous and _n(where.previous)),
        (DCT + "created", where.created),
        (DCT + "identifier", f"sha256:{spec.content_hash}" if spec.content_hash else None),
        *_runtime(spec), *_interface(spec, version)])
    for i, c in enumerate(spec.creators, start=1):
        yield from _creator(c, _n(f"{version}-creator-{i}"))


def _extra(spec: WorkflowSpec, iri: str) -> Iterator[Triple]:
    """The notebook's own Turtle statements about itself (others are not the node's to say)."""
    if not spec.extra_turtle:
        return
    placeholder = _n(WorkflowSpec.NOTEBOOK_SUBJECT)
    for q in ox.parse(spec.extra_turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE):
        subject = _n(iri) if q.subject == placeholder else q.subject
        obj = _n(iri) if q.object == placeholder else q.object
        if isinstance(subject, ox.BlankNode) or subject == _n(iri):
            yield subject, q.predicate, obj


def version_iri(spec: WorkflowSpec, iri: str) -> str:
    """The IRI of the spec's version of workflow `iri`: `{iri}#v-<content hash, 12 digits>`."""
    return f"{iri}#v-{(spec.content_hash or spec.version)[:12]}"


def workflow_quads(spec: WorkflowSpec, iri: str, *,
                   placement: Placement | None = None) -> list[ox.Quad]:
    """The quads (default graph) of workflow node `iri` with `spec` as its current version.

    `placement` adds what the registry knows: the instrument node, the previous current
    version (`prov:wasRevisionOf`), older versions kept in the node, the registration time.
    """
    where = placement or Placement()
    version = version_iri(spec, iri)
    triples = [*_workflow(spec, iri, where), *_version(spec, iri, where), *_extra(spec, iri)]
    for p in spec.parameters:
        triples += _parameter(p, version)
    for o in spec.outputs:
        triples += _output(o, version)
    return [ox.Quad(s, pr, o) for s, pr, o in dict.fromkeys(triples)]


def _facet_literal(value: Any, datatype: str) -> str:
    lexical = repr(float(value)) if datatype == "float" else str(value).lower() \
        if datatype == "boolean" else str(value)
    return str(ox.Literal(lexical, datatype=_n(XSD + datatype)))


def _range(p: FormalParameter) -> list[str]:
    """OWL data ranges for the parameter's limits and allowed values, as Turtle."""
    dt = _XSD_OF.get(p.python_type, "string")
    out = []
    facets = [f"[ xsd:{f} {_facet_literal(v, dt)} ]" for f, v in
              (("minInclusive", p.lower_limit), ("maxInclusive", p.upper_limit)) if v is not None]
    if facets:
        out.append(f"[ a rdfs:Datatype ; owl:onDatatype xsd:{dt} ; "
                   f"owl:withRestrictions ( {' '.join(facets)} ) ]")
    if p.allowed_values:
        values = " ".join(_facet_literal(v, dt) for v in p.allowed_values)
        out.append(f"[ a rdfs:Datatype ; owl:oneOf ( {values} ) ]")
    return out


def restriction_turtle(spec: WorkflowSpec, iri: str) -> bytes:
    """OWL 2 definitions of the workflow's restriction classes (Turtle; empty when none).

    Each is `owl:equivalentClass` to its base type intersected with `∀ oda:value` of the range
    its limits or allowed values give; no subclass link is asserted, the reasoner infers it.
    """
    lines = [f"@prefix {p}: <{ns}> ." for p, ns in
             (("owl", OWL), ("rdfs", RDFS), ("xsd", XSD), ("oda", ODA))]
    version = version_iri(spec, iri)
    for p in (p for p in spec.parameters if p.restriction_iri is not None):
        ranges = " ".join(f"[ a owl:Restriction ; owl:onProperty oda:value ; "
                          f"owl:allValuesFrom {r} ]" for r in _range(p))
        lines.append(f"<{p.parameter_type(version)}> a owl:Class ;\n  owl:equivalentClass [ a "
                     f"owl:Class ; owl:intersectionOf ( <{p.type_iri}> {ranges} ) ] .")
    return ("\n".join(lines) + "\n").encode("utf-8") if len(lines) > 4 else b""
