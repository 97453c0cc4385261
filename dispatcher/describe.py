"""What `/api/par-names` and `/api/meta-data` say about a product: its parameters under their
published names, with units, default, limits, allowed values and ontology class (`owl_uri`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from typing import Any, TypeVar

from mmoda.dispatcher.catalog import Product, of_instrument
from mmoda.dispatcher.errors import NotUnderstood
from mmoda.dispatcher.names import TIME_INSTANT, PublicNames, public_names
from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.normalise import ParameterSpec
from mmoda.resolvers.scalars import TYPE_ALLOWED, TYPE_LIMITS
from mmoda.resolvers.times import MJD, instant_format
from mmoda.resolvers.units import declared_unit, unit_of
from mmoda.resolvers.workflow_specs import parameter_specs
from mmoda.runs.service import Caller

__all__ = ["closure", "meta_data", "names_of", "specs_of"]

T = TypeVar("T")
TOKEN: dict[str, Any] = {"name": "token", "units": "str", "value": None,
         "restrictions": {"is_optional": True}, "owl_uri": []}


def closure(kg: KnowledgeGraph) -> Callable[[str], Set[str]]:
    """The (memoised) superclass closure of ontology classes."""
    return lambda iri: kg.memo(("superclasses", iri), lambda: kg.superclasses(iri))


def specs_of(kg: KnowledgeGraph, product: Product) -> tuple[ParameterSpec, ...]:
    """The parameters of the product's current version (memoised like the request path's)."""
    return kg.memo(("parameter-specs", product.version),
                   lambda: tuple(parameter_specs(kg, product.version)))


def names_of(kg: KnowledgeGraph, product: Product) -> PublicNames:
    """The published parameter names of `product`."""
    return public_names(specs_of(kg, product), closure(kg))


def meta_data(kg: KnowledgeGraph, instrument: str, product: str | None,
              caller: Caller) -> list[Any]:
    """`/api/meta-data`: the instrument, its products and their parameters, in the
    dispatcher's layout `[[{"instrumet"}, {"prod_dict"}, [src_query], [<product>_query]...]]`."""
    shown = [p for p in of_instrument(kg, instrument, caller)
             if product is None or p.product == product]
    if product is not None and not shown:
        names = ", ".join(p.product for p in of_instrument(kg, instrument, caller))
        raise NotUnderstood(f"instrument {instrument!r} has no product {product!r} "
                            f"(products: {names})", field="product_type")
    queries = [[{"query_name": "src_query"}, TOKEN]]
    queries += [[{"query_name": f"{p.product}_query", "product_name": p.product},
                 *_parameters(kg, p)] for p in shown]
    return [[{"instrumet": instrument},
             {"prod_dict": {p.product: f"{p.product}_query" for p in shown}}, *queries]]


def _parameters(kg: KnowledgeGraph, product: Product) -> list[dict[str, Any]]:
    names, supers = names_of(kg, product), closure(kg)
    out: list[dict[str, Any]] = []
    for spec in specs_of(kg, product):
        types = set(supers(spec.type_iri)) | {spec.type_iri}
        out.append(_parameter(spec, names.public(spec.name), types))
        if TIME_INSTANT in types and not any(p["name"] == "T_format" for p in out):
            out.append({"name": "T_format", "units": "str", "value": "isot",
                        "restrictions": {"is_optional": True, "allowed_values": ["isot", "mjd"]},
                        "owl_uri": []})
    return out


def _parameter(spec: ParameterSpec, public: str, types: set[str]) -> dict[str, Any]:
    """One parameter; limits and allowed values are the parameter's, else its type's."""
    restrictions: dict[str, Any] = {"is_optional": spec.optional}
    lower, upper = _of_type(TYPE_LIMITS, spec.type_iri, types) or (None, None)
    for key, limit in (("min_value", spec.lower_limit if spec.lower_limit is not None
                        else lower), ("max_value", spec.upper_limit
                                      if spec.upper_limit is not None else upper)):
        if limit is not None:
            restrictions[key] = limit
    allowed = spec.allowed_values or _of_type(TYPE_ALLOWED, spec.type_iri, types) or ()
    if allowed:
        restrictions["allowed_values"] = list(allowed)
    return {"name": public, "units": _units(spec, types), "value": spec.default,
            "restrictions": restrictions, "owl_uri": [spec.type_iri],
            "extra_metadata": {"parameter": spec.name} if public != spec.name else {}}


def _of_type(table: Mapping[str, T], own: str, types: set[str]) -> T | None:
    """The entry of the parameter's own type, else of one of its superclasses."""
    return table.get(own) or next((table[t] for t in sorted(types) if t in table), None)


def _units(spec: ParameterSpec, types: set[str]) -> str | None:
    if TIME_INSTANT in types:
        return "mjd" if instant_format(spec.format_iri, types, spec.default) == MJD else "isot"
    unit = declared_unit(spec.unit_iri, types)
    if unit is None:
        return "str" if isinstance(spec.default, str) else None
    try:
        return unit_of(unit).to_string()
    except ValueError:
        return unit.rsplit("#", 1)[-1]
