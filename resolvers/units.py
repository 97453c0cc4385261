"""Units of ODA parameters: unit IRIs ↔ astropy units, quantity and angle parsing, rounding.

Parsers raise `ValueError` with a human reason; `mmoda.resolvers.normalise` adds the name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Set
from numbers import Real
from typing import Any

import astropy.units as u
from astropy.coordinates import Angle

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
SIGNIFICANT_DIGITS = 12
#: angles are rounded to a fixed number of decimals in their unit (1e-10 deg for degrees), so
#: that a right ascension and the same one plus a full turn give the same value
ANGLE_DECIMALS = 10

#: unit IRI local name → astropy unit (the individuals of unit:Unit in the ODA ontology)
UNITS: dict[str, u.UnitBase] = {
    "Degree": u.deg, "arcmin": u.arcmin, "arcsec": u.arcsec, "Radian": u.rad,
    "hourangle_Hour": u.hourangle, "hourangle_Minute": u.hourangle / 60,
    "hourangle_Second": u.hourangle / 3600,
    "eV": u.eV, "keV": u.keV, "MeV": u.MeV, "GeV": u.GeV, "TeV": u.TeV,
    "Hz": u.Hz, "MHz": u.MHz, "GHz": u.GHz,
    "m": u.m, "km": u.km, "pc": u.pc, "kpc": u.kpc, "Mpc": u.Mpc,
    "nm": u.nm, "micron": u.micron, "Angstrom": u.AA,
    "Day": u.day, "Hour": u.hour, "Minute": u.min, "Second": u.s,
}
#: oda "ExpressedInUnit" mixin class local name → unit IRI local name (`has_unit hasValue`)
MIXIN_UNITS: dict[str, str] = {
    **{n: n for n in ("arcmin", "arcsec", "eV", "keV", "MeV", "GeV", "TeV", "Hz", "MHz",
                      "GHz", "m", "km", "pc", "kpc", "Mpc", "nm", "micron", "Angstrom")},
    "degree": "Degree", "day": "Day", "hour": "Hour", "second": "Second",
}
#: quantity families and the unit assumed when neither the type nor the parameter names one
FAMILY_DEFAULTS: dict[str, str] = {
    ODA + "Angle": UNIT + "Degree", ODA + "Energy": UNIT + "keV",
    ODA + "Frequency": UNIT + "Hz", ODA + "Length": UNIT + "m",
    ODA + "TimeInterval": UNIT + "Second",
}
_ALIASES = {"hours": "hour", "hr": "hour", "hrs": "hour", "days": "day", "seconds": "s",
            "sec": "s", "minutes": "min", "mins": "min", "degrees": "deg", "degree": "deg"}
NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({NUMBER})\s*(.*?)\s*$")


def unit_of(iri: str) -> u.UnitBase:
    """The astropy unit of a unit IRI (unit:keV …); `ValueError` when it is unknown."""
    local = iri.rsplit("#", 1)[-1]
    if local in UNITS:
        return UNITS[local]
    raise ValueError(f"the unit <{iri}> is not known")


def declared_unit(unit_iri: str | None, types: Set[str]) -> str | None:
    """The unit IRI a value is expressed in: the parameter's, else its type's, else the family's."""
    if unit_iri:
        return unit_iri
    mixins = sorted(UNIT + MIXIN_UNITS[t[len(ODA):]] for t in types
                    if t.startswith(ODA) and t[len(ODA):] in MIXIN_UNITS)
    if mixins:
        return mixins[0]
    return next((FAMILY_DEFAULTS[f] for f in sorted(FAMILY_DEFAULTS) if f in types), None)


def round_sig(x: float) -> float:
    """`x` rounded to 12 significant digits (so 20 keV and 0.02 MeV give the same float)."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a finite number")
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}") + 0.0


def round_angle(x: float) -> float:
    """`x` rounded to 10 decimal places (absolute, unlike `round_sig`)."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a finite number")
    return round(x, ANGLE_DECIMALS) + 0.0


def fmt(x: float, unit: u.UnitBase | None = None) -> str:
    """A number (and its unit symbol) for messages: ``15 keV``, ``0.5``."""
    text = f"{x:.{SIGNIFICANT_DIGITS}g}"
    return f"{text} {unit.to_string()}" if unit is not None else text


def is_number(value: Any) -> bool:
    """True for real numbers other than booleans."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _parse_unit(text: str) -> u.UnitBase:
    try:
        return u.Unit(_ALIASES.get(text.lower(), text))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{text!r} is not a unit") from exc


def parse_quantity(value: Any, unit: u.UnitBase) -> u.Quantity:
    """A number (taken in `unit`) or a string like ``"20 keV"`` / ``"2e4 eV"`` as a Quantity."""
    if isinstance(value, u.Quantity):
        return value
    if is_number(value):
        return u.Quantity(float(value), unit)
    match = _QUANTITY.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a quantity")
    given = _parse_unit(match[2]) if match[2] else unit
    return u.Quantity(float(match[1]), given)


def to_unit(value: Any, unit: u.UnitBase) -> float:
    """`value` (number or string with units) in `unit`, rounded to 12 significant digits.

    No equivalencies apply: a wavelength given for an energy is an error, not a conversion.
    """
    quantity = parse_quantity(value, unit)
    try:
        converted = quantity.to_value(unit)
    except u.UnitConversionError as exc:
        raise ValueError(f"{value!r} is not convertible to {unit.to_string()}") from exc
    return round_sig(float(converted))


def parse_angle(value: Any, unit: u.UnitBase, sexagesimal: u.UnitBase) -> Angle:
    """Degrees/`unit` as a number, ``"83.633 deg"``, ``"05h34m31.94s"``, ``"22:00:52.2"``.

    Colon- or space-separated forms without unit letters are read in `sexagesimal` units
    (hour angle for right ascension, degrees otherwise).
    """
    if is_number(value):
        return Angle(float(value), unit)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an angle")
    text = value.strip()
    try:
        return Angle(float(text), unit)
    except ValueError:
        pass
    try:
        try:
            return Angle(text)
        except u.UnitsError:
            return Angle(text, unit=sexagesimal)
    except (ValueError, u.UnitsError, TypeError) as exc:
        raise ValueError(f"{value!r} is not an angle") from exc
