"""Canonical scalar values per kind of ODA parameter type (time, angle, quantity, boolean, ...),
and the type-level restrictions (limits, allowed values) mirrored from the ODA ontology.

Functions raise `ValueError` with the reason; `mmoda.resolvers.normalise` adds the name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import astropy.units as u

from mmoda.resolvers import times, units
from mmoda.resolvers.units import ODA, fmt, is_number

if TYPE_CHECKING:
    from mmoda.resolvers.normalise import ParameterSpec

NUL = "\x00"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
OPTIONAL = ODA + "optional"
RA, DEC = ODA + "RightAscension", ODA + "Declination"
QUANTITY_FAMILIES = frozenset(units.FAMILY_DEFAULTS) - {ODA + "Angle"}
#: value restrictions of ontology classes (xsd:min/maxInclusive facets, in the class's unit)
TYPE_LIMITS: dict[str, tuple[Any, Any]] = {
    ODA + "ISGRIEnergy": ("15 keV", "800 keV"),
    ODA + "JEMXEnergy": ("3 keV", "35 keV"),
    ODA + "Percentage": (0.0, 100.0),
}
#: owl:oneOf value restrictions of ontology classes
TYPE_ALLOWED: dict[str, tuple[str, ...]] = {
    ODA + "PhotometricBand": tuple("HJKLMNQbgiruvyz"),
    ODA + "VisibleBand": tuple("bgrv"),
}
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class CanonicalValue:
    """A normalised parameter value.

    `value` is the canonical Python value; `lexical` and `datatype` (an XSD or rdf:JSON IRI)
    its RDF literal form, identical for every notation of the same value (use it for hashing).
    Time instants also carry `iso` (UTC, milliseconds) and `mjd`, whatever their format.
    """

    value: Any
    lexical: str
    datatype: str
    unit_iri: str | None = None
    format_iri: str | None = None
    iso: str | None = None
    mjd: float | None = None

    @property
    def key(self) -> Any:
        """What range checks compare: the MJD of an instant, the value otherwise."""
        return self.mjd if self.mjd is not None else self.value

    def display(self) -> str:
        """The value for messages: ``5 keV``, ``2003-03-15T23:27:40.000``, ``'b'``."""
        if self.iso is not None:
            return self.iso
        if is_number(self.value):
            unit = units.unit_of(self.unit_iri) if self.unit_iri else None
            return fmt(self.value, unit)
        return repr(self.value)


def _double(x: float, **extra: Any) -> CanonicalValue:
    return CanonicalValue(x, repr(x), XSD + "double", **extra)


def _time(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    fmt_iri = times.instant_format(spec.format_iri, types, spec.default)
    iso, mjd = times.canonical_instant(times.parse_instant(value, fmt_iri))
    canonical = times.in_format(iso, mjd, fmt_iri)
    if isinstance(canonical, float):
        return _double(canonical, format_iri=fmt_iri, iso=iso, mjd=mjd)
    datatype = XSD + ("string" if iso[17:19] == "60" else "dateTime")  # a leap second
    return CanonicalValue(iso, iso + "Z", datatype, format_iri=fmt_iri, iso=iso, mjd=mjd)


def _angle(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    unit_iri = units.declared_unit(spec.unit_iri, types) or units.UNIT + "Degree"
    unit = units.unit_of(unit_iri)
    angle = units.parse_angle(value, unit, u.hourangle if RA in types else u.deg)
    if RA in types:
        angle = angle.wrap_at(360 * u.deg)
    x = units.round_angle(float(angle.to_value(unit)))
    if RA in types and x >= units.round_angle(float((360 * u.deg).to_value(unit))):
        x = 0.0
    if DEC in types and abs(units.round_angle(float(angle.deg))) > 90:
        raise ValueError(f"{fmt(x, unit)} is outside the range [-90, 90] deg")
    return _double(x, unit_iri=unit_iri)


def _quantity(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    unit_iri = units.declared_unit(spec.unit_iri, types)
    if unit_iri is None:
        return _float(spec, value, types)
    return _double(units.to_unit(value, units.unit_of(unit_iri)), unit_iri=unit_iri)


def _number(value: Any, what: str) -> float:
    try:
        x = float(value) if is_number(value) or isinstance(value, str) else math.nan
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise ValueError(f"{value!r} is not {what}")
    return x


def _float(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    if ODA + "Percentage" in types and isinstance(value, str):
        value = value.strip().removesuffix("%")
    return _double(_number(value, "a finite number") + 0.0)


def _integer(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    x = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        x = int(value)  # exact, even beyond float precision
    if x is None:
        number = _number(value, "an integer")
        if not number.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        x = int(number)
    return CanonicalValue(x, str(x), XSD + "integer")


def _boolean(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    if isinstance(value, bool):
        flag = value
    else:
        key = str(value).strip().lower() if isinstance(value, str | int) else ""
        if key not in _BOOLEANS:
            raise ValueError(f"{value!r} is not a boolean (true/false, yes/no, 1/0)")
        flag = _BOOLEANS[key]
    return CanonicalValue(flag, "true" if flag else "false", XSD + "boolean")


def _string(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    if not isinstance(value, str) and not is_number(value):
        raise ValueError(f"{value!r} is not a string")
    text = value if isinstance(value, str) else str(value)
    return CanonicalValue(text, text, XSD + "string")


def _json(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    try:
        data = json.loads(value) if isinstance(value, str) else value
        lexical = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not JSON") from exc
    return CanonicalValue(data, lexical, RDF_JSON)


def _raw(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    return _string(spec, value, types) if isinstance(value, str) else _json(spec, value, types)


Canonicaliser = Callable[["ParameterSpec", Any, Set[str]], CanonicalValue]
#: (superclass, canonicaliser), first match wins
_KINDS: list[tuple[str, Canonicaliser]] = [
    (ODA + "TimeInstant", _time), (ODA + "Angle", _angle), (ODA + "Boolean", _boolean),
    (ODA + "Integer", _integer), *((f, _quantity) for f in sorted(QUANTITY_FAMILIES)),
    (ODA + "Float", _float), (ODA + "NumericParameter", _float), (ODA + "String", _string),
    (ODA + "StructuredParameter", _json),
]


def canonical(spec: ParameterSpec, value: Any, types: Set[str]) -> CanonicalValue:
    """The canonical scalar for the first kind in `types` (time, angle, boolean, integer,
    quantity, float, string, JSON); an annotated unit makes a number a quantity."""
    for kind, canonicaliser in _KINDS:
        if kind in types:
            if canonicaliser is _float and units.declared_unit(spec.unit_iri, types):
                return _quantity(spec, value, types)
            return canonicaliser(spec, value, types)
    return _raw(spec, value, types)
