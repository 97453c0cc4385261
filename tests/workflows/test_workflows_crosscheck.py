"""Cross-check: what `parse_notebook` reads equals what nb2workflow reads, notebook by notebook.

Every example notebook (examples/workflows/*.ipynb, globbed so new ones join) and every
edge-case notebook (tests/workflows/notebooks/*.ipynb) is parsed by both. Compared per
parameter: name, ODA type, default, optional flag, limits, allowed values, unit and format;
per output: name and product type.

How nb2workflow's answer is read: when an annotation carries more than a type, nb2workflow
synthesises a class (`oda:15integer_800integer_Energy_keV_lower_limit_upper_limit`) declared in
`extra_ttl` as `rdfs:subClassOf` the annotated type and holding the limits; we mint
`{workflow}#type-<name>` instead and keep the annotated type as `type_iri`. So nb2workflow's
type is taken as that superclass, and its limits, allowed values, unit and format are read from
`extra_ttl`. nb2workflow runs offline here (oda_api is not installed, so it does not fetch the
ODA ontology and skips ontology-based type reconciliation).

Intentional divergences (asserted below, both sides, so a change on either side shows up):
- `y: float = 5`: nb2workflow types it from the default's Python type (oda:Integer, while its
  python_type is float); we let the hint win: oda:Float, default 5.0.
- `bands = ["b", "g"]` without annotation: nb2workflow gives `xsd:list` (no ODA class, so the
  node would fail the shapes); we give oda:StructuredParameter.
- an output without annotation (`table = tbl`): nb2workflow gives no type; we give
  oda:DataProduct (an output needs a product type).

nb2workflow (with oda-api installed) reads the ODA ontology when imported; the tests hand it the
vendored copy so that it runs offline with its ontology features (e.g. `oda:optional`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rdflib

from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.notebook import parse_notebook
from support import needs, offline_oda_ontology

ROOT = Path(__file__).resolve().parents[2]
EDGE = sorted((Path(__file__).resolve().parent / "notebooks").glob("*.ipynb"))
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.ipynb"))
ODA = rdflib.Namespace("http://odahub.io/ontology#")
XSD = "http://www.w3.org/2001/XMLSchema#"

# (notebook, "param"/"out", name, field): (ours, nb2workflow's)
DIVERGENCES: dict[tuple[str, str, str, str], tuple[Any, Any]] = {
    ("hint_and_value_disagree", "param", "y", "type"): (ODA.Float, ODA.Integer),
    ("bool_list", "param", "bands", "type"): (ODA.StructuredParameter, XSD + "list"),
    ("no_comment", "out", "table", "type"): (ODA.DataProduct, None),
}
def _number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _param_view(**fields: Any) -> dict[str, Any]:
    """The compared fields; absent limits, units and allowed values are left out."""
    default = fields.pop("default")
    out = {k: v for k, v in fields.items() if v not in (None, frozenset())}
    return {**out, "default": (default, isinstance(default, bool)),
            "type": str(fields["type"]), "optional": bool(fields["optional"])}


def ours(spec: WorkflowSpec) -> dict[str, dict[str, dict[str, Any]]]:
    params = {p.name: _param_view(
        type=p.type_iri, default=p.default, optional=p.optional, lower=p.lower_limit,
        upper=p.upper_limit, allowed=frozenset(p.allowed_values), unit=p.unit, format=p.format)
        for p in spec.parameters}
    return {"param": params, "out": {o.name: {"type": o.type_iri} for o in spec.outputs}}


def _nb2w_param(p: dict[str, Any]) -> dict[str, Any]:
    owl = rdflib.URIRef(p["owl_type"])
    g = rdflib.Graph().parse(data=p["extra_ttl"] or "", format="turtle")
    supers = [s for s in g.objects(owl, rdflib.RDFS.subClassOf) if s != ODA.optional]
    assert len(supers) <= 1, f"{p['name']}: nb2workflow merged several types {supers}"

    def one(prop: rdflib.URIRef) -> Any:
        value = g.value(owl, prop)
        return None if value is None else _number(value.toPython())

    unit, fmt = g.value(owl, ODA.unit), g.value(owl, ODA["format"])
    return _param_view(
        type=supers[0] if supers else owl, default=p["default_value"], optional=p["is_optional"],
        lower=one(ODA.lower_limit), upper=one(ODA.upper_limit),
        allowed=frozenset(_number(v.toPython()) for v in g.objects(owl, ODA.allowed_value)),
        unit=unit and str(unit), format=fmt and str(fmt))


def theirs(adapter_class: Any, path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    nba = adapter_class(str(path))
    params = {name: _nb2w_param(p) for name, p in nba.extract_parameters().items()}
    outs = {name: {"type": o["owl_type"]} for name, o in nba.extract_output_declarations().items()}
    return {"param": params, "out": outs}


@pytest.fixture(scope="module")
def notebook_adapter() -> Any:
    try:
        offline_oda_ontology()
        from nb2workflow.nbadapter import NotebookAdapter
    except ImportError:  # pragma: no cover - depends on the environment
        needs(False, "nb2workflow (pip install 'nb2workflow[service]' six) for the cross-check")
    return NotebookAdapter


def _apply_divergences(stem: str, mine: dict[str, Any], other: dict[str, Any]) -> None:
    """Check each documented divergence on both sides, then align nb2workflow's side."""
    for (nb, kind, name, field), (expect_ours, expect_theirs) in DIVERGENCES.items():
        if nb != stem:
            continue
        ours_value, their_value = mine[kind][name][field], other[kind][name].get(field)
        assert ours_value == str(expect_ours) if expect_ours else ours_value is None
        assert their_value == (str(expect_theirs) if expect_theirs else None)
        other[kind][name][field] = ours_value


@pytest.mark.parametrize("path", EDGE + EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parse_agrees_with_nb2workflow(path: Path, notebook_adapter: Any) -> None:
    mine = ours(parse_notebook(path))
    other = theirs(notebook_adapter, path)
    _apply_divergences(path.stem, mine, other)
    assert list(mine["param"]) == list(other["param"])  # same names, same order
    assert mine == other


def test_the_edge_case_set_is_complete() -> None:
    """At least the eight corners the issue names, and the generator's files are current."""
    assert len(EDGE) >= 8
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("make_edge_notebooks", EDGE[0].parent / "make_edge_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run tests/workflows/notebooks/make_edge_notebooks.py"
    assert {p.stem for p in EDGE} == set(module.NOTEBOOKS)
