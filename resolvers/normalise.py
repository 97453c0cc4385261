"""Parameter normalisation: from an ontology type (+ unit/format) and a raw value to one canonical
value, so that equal requests written differently get equal canonical parameters.

`normalise` handles one parameter given its type's superclass closure; `normalise_all` a whole
request, collecting every failure into one `ParameterErrors`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from mmoda.resolvers import scalars
from mmoda.resolvers.errors import ParameterError, ParameterErrors
from mmoda.resolvers.scalars import NUL, RDF_JSON, CanonicalValue
from mmoda.resolvers.units import is_number

__all__ = ["NUL", "CanonicalValue", "ParameterSpec", "normalise", "normalise_all"]

_MISSING = object()


@dataclass(frozen=True)
class ParameterSpec:
    """What the normaliser needs to know about one formal parameter of a workflow.

    `type_iri` is the parameter's ontology class; `unit_iri`/`format_iri` its ``oda:unit`` /
    ``oda:format`` annotations (the type's own ``has_unit``/``has_format`` apply otherwise).
    Limits are numbers in the declared unit or strings with units (``"15 keV"``); times compare
    as instants. `is_list` marks a list-typed parameter (a default that is a list does too).
    """

    name: str
    type_iri: str
    unit_iri: str | None = None
    format_iri: str | None = None
    lower_limit: Any = None
    upper_limit: Any = None
    allowed_values: Sequence[Any] = ()
    optional: bool = False
    default: Any = None
    is_list: bool = False


def normalise(spec: ParameterSpec, value: Any, *, superclasses: Set[str]) -> CanonicalValue:
    """The canonical value of `value` for `spec`; `ParameterError` naming the failure otherwise.

    `superclasses` is the closure of `spec.type_iri` in the ontology (it may omit the type).
    NUL (``"\\x00"``) and None give the None value, allowed only for optional parameters.
    """
    types = frozenset(superclasses) | {spec.type_iri}
    if value is None or (isinstance(value, str) and value == NUL):
        if spec.optional or scalars.OPTIONAL in types:
            return CanonicalValue(None, "null", RDF_JSON)
        raise ParameterError(spec.name, value, "a value is required (not optional)")
    try:
        if spec.is_list or isinstance(spec.default, list | tuple):
            return _normalise_list(spec, value, types)
        return _checked(spec, value, types)
    except ValueError as exc:
        raise ParameterError(spec.name, value, str(exc)) from exc


def normalise_all(
    specs: Sequence[ParameterSpec], values: Mapping[str, Any], *,
    superclasses_of: Callable[[str], Set[str]],
) -> dict[str, CanonicalValue]:
    """Canonical values of every parameter of `specs` (defaults fill missing values).

    Raises `ParameterErrors` listing every failure: unknown names, missing required values,
    values that do not parse or fail a range or allowed-value check.
    """
    known = {s.name for s in specs}
    errors = [ParameterError(n, values[n], f"unknown parameter (expected one of: "
                                           f"{', '.join(sorted(known))})")
              for n in values if n not in known]
    out: dict[str, CanonicalValue] = {}
    for spec in specs:
        raw = values.get(spec.name, _MISSING)
        if raw is _MISSING:
            raw = spec.default
        try:
            out[spec.name] = normalise(spec, raw, superclasses=superclasses_of(spec.type_iri))
        except ParameterError as exc:
            errors.append(exc)
    if errors:
        raise ParameterErrors(errors)
    return out


def _normalise_list(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    items = _as_list(value)
    canonical, reasons = [], []
    for i, item in enumerate(items):
        try:
            canonical.append(_checked(spec, item, types))
        except ValueError as exc:
            reasons.append(f"item {i}: {exc}")
    if reasons:
        raise ValueError("; ".join(reasons))
    plain = [c.value for c in canonical]
    lexical = json.dumps(plain, sort_keys=True, separators=(",", ":"))
    first = canonical[0] if canonical else CanonicalValue(None, "", RDF_JSON)
    return CanonicalValue(plain, lexical, RDF_JSON, first.unit_iri, first.format_iri)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list):
        raise ValueError(f"{value!r} is not a JSON list")
    return parsed


def _checked(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    """The canonical scalar, after the range and allowed-value checks of the spec and type."""
    canonical = scalars.canonical(spec, value, types)
    _check_limits(spec, canonical, types)
    _check_allowed(spec, value, canonical, types)
    return canonical


def _limits(spec: ParameterSpec, types: Set[str]) -> tuple[list[Any], list[Any]]:
    restricted = [scalars.TYPE_LIMITS[t] for t in sorted(types) if t in scalars.TYPE_LIMITS]
    lows = [spec.lower_limit, *(low for low, _ in restricted)]
    highs = [spec.upper_limit, *(high for _, high in restricted)]
    return [x for x in lows if x is not None], [x for x in highs if x is not None]


def _limit(spec: ParameterSpec, limit: Any, types: Set[str], which: str) -> CanonicalValue:
    try:
        return scalars.canonical(spec, limit, types)
    except ValueError as exc:
        if is_number(limit):  # e.g. a float limit of an integer parameter
            return CanonicalValue(float(limit), repr(float(limit)), scalars.XSD + "double")
        raise ValueError(f"the {which} limit {limit!r} is not valid: {exc}") from exc


def _check_limits(spec: ParameterSpec, value: CanonicalValue, types: Set[str]) -> None:
    if not is_number(value.key):
        return
    lows, highs = _limits(spec, types)
    for low in (_limit(spec, x, types, "lower") for x in lows):
        if value.key < low.key:
            raise ValueError(f"{value.display()} is below the lower limit {low.display()}")
    for high in (_limit(spec, x, types, "upper") for x in highs):
        if value.key > high.key:
            raise ValueError(f"{value.display()} is above the upper limit {high.display()}")


def _allowed_sets(spec: ParameterSpec, types: Set[str]) -> list[Sequence[Any]]:
    sets: list[Sequence[Any]] = sorted(
        (scalars.TYPE_ALLOWED[t] for t in types if t in scalars.TYPE_ALLOWED),
        key=lambda values: (len(values), values))
    return [spec.allowed_values, *sets] if spec.allowed_values else sets


def _check_allowed(spec: ParameterSpec, raw: Any, value: CanonicalValue, types: Set[str]) -> None:
    for allowed in _allowed_sets(spec, types):
        if not any(_same(spec, a, value, types) for a in allowed):
            listed = ", ".join(repr(a) for a in allowed)
            raise ValueError(f"{raw!r} is not one of the allowed values {listed}")


def _same(spec: ParameterSpec, allowed: Any, value: CanonicalValue, types: Set[str]) -> bool:
    try:
        return bool(scalars.canonical(spec, allowed, types).lexical == value.lexical)
    except ValueError:
        return bool(allowed == value.value)
