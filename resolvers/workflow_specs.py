"""The normaliser's view of a workflow's parameters: `ParameterSpec`s from a parsed
`FormalParameter` or from the Workflow node in the catalog (current interface or one version)."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox

from mmoda.kg.rdfio import to_rdflib
from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.normalise import ParameterSpec
from mmoda.workflows.model import FormalParameter

__all__ = ["parameter_spec", "parameter_specs"]

_RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"


def parameter_spec(p: FormalParameter) -> ParameterSpec:
    """The spec of a parsed parameter: its ODA base type with its unit, format and limits."""
    return ParameterSpec(name=p.name, type_iri=p.type_iri, unit_iri=p.unit, format_iri=p.format,
                         lower_limit=p.lower_limit, upper_limit=p.upper_limit,
                         allowed_values=tuple(p.allowed_values), optional=p.optional,
                         default=p.default, is_list=isinstance(p.default, list))


def _python(term: object) -> Any:
    """The Python value of a literal (rdf:JSON parsed); an IRI's text; None for None."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        if term.datatype.value == _RDF_JSON:
            return json.loads(term.value)
        return to_rdflib(term).toPython()  # type: ignore[attr-defined]
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def parameter_specs(kg: KnowledgeGraph, workflow: str) -> list[ParameterSpec]:
    """The specs of the parameters of `workflow` (a workflow's current interface, or a version
    IRI for that version's), in their declared order. A restriction class stands for its base."""
    node = {"workflow": ox.NamedNode(workflow)}
    allowed: dict[str, list[object]] = {}
    for row in kg.select("workflow_allowed_values", bindings=node):
        allowed.setdefault(_iri(row["parameter"]), []).append(_python(row["value"]))
    specs: dict[str, ParameterSpec] = {}
    for r in kg.select("workflow_parameters", bindings=node):
        restricted = _iri(r["type"]).startswith(workflow.split("#")[0] + "#")
        base = r.get("base") if restricted and r.get("base") is not None else r["type"]
        default = _python(r.get("default"))
        specs.setdefault(_iri(r["parameter"]), ParameterSpec(
            name=str(_python(r["name"])), type_iri=_iri(base), unit_iri=_text(r.get("unit")),
            format_iri=_text(r.get("format")), lower_limit=_python(r.get("lower")),
            upper_limit=_python(r.get("upper")),
            allowed_values=tuple(sorted(allowed.get(_iri(r["parameter"]), []), key=repr)),
            optional=bool(_python(r.get("optional"))), default=default,
            is_list=isinstance(default, list)))
    return list(specs.values())


def _iri(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else ""


def _text(term: object) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None
