"""Time instants: many notations in, one canonical instant out (UTC, millisecond precision).

Accepted: ISO/ISOT strings (``2003-03-15T23:27:40``, optional ``Z``, fractional seconds or a
``+01:00`` offset), other astropy Time strings (``2003:074:23:27:40``, ``J2000.0``), MJD
(number or numeric string), marked numbers ``"MJD 52713.97"``, ``"IJD 1169.97"``,
``"JD 2452714.47"``, ``"unix 1047770860"``, `datetime` and astropy `Time` objects.
A bare number is an MJD, or an IJD when the parameter's format is oda:IJD.
"""

from __future__ import annotations

import re
from collections.abc import Set
from datetime import UTC, datetime, timedelta
from typing import Any

from astropy.time import Time

from mmoda.resolvers.units import NUMBER, ODA, is_number

ISOT, MJD, IJD = ODA + "ISOT", ODA + "MJD", ODA + "IJD"
#: INTEGRAL Julian Date: IJD = MJD - 51544.0 (days since 2000-01-01T00:00)
IJD_EPOCH_MJD = 51544.0
MJD_DECIMALS = 9
_MARKED = re.compile(rf"^\s*(mjd|ijd|jd|unix)\s*[:=]?\s*({NUMBER})\s*$", re.IGNORECASE)
_OFFSET = re.compile(r"T.*([+-]\d\d:?\d\d)$")
_UNIX_EPOCH = datetime(1970, 1, 1)
_FORMAT_TYPES = {ODA + "ExpressedInMJD": MJD, ODA + "ExpressedInISOT": ISOT}


def instant_format(format_iri: str | None, types: Set[str], default: Any = None) -> str:
    """The format IRI of a time parameter: declared, else its type's, else from its default."""
    if format_iri:
        return format_iri
    for mixin, fmt in sorted(_FORMAT_TYPES.items()):
        if mixin in types:
            return fmt
    return MJD if is_number(default) else ISOT


def _from_number(number: float, kind: str) -> Time:
    if kind == "ijd":
        return Time(IJD_EPOCH_MJD, number, format="mjd", scale="utc")
    if kind == "unix":  # POSIX seconds: every day has 86400 s (astropy's unix stretches leap days)
        return Time(_UNIX_EPOCH + timedelta(seconds=number), scale="utc")
    return Time(number, format=kind, scale="utc")


def _from_string(text: str, bare: str) -> Time:
    marked = _MARKED.match(text)
    if marked:
        return _from_number(float(marked[2]), marked[1].lower())
    try:
        return _from_number(float(text), bare)
    except ValueError:
        pass
    if _OFFSET.search(text.strip()):
        return Time(datetime.fromisoformat(text.strip()).astimezone(UTC).replace(tzinfo=None))
    return Time(text.strip(), scale="utc")


def parse_instant(value: Any, format_iri: str = ISOT) -> Time:
    """`value` as an astropy Time; `ValueError` when it is not a time instant."""
    bare = "ijd" if format_iri == IJD else "mjd"
    try:
        if isinstance(value, Time):
            return value
        if isinstance(value, datetime):
            aware = value if value.tzinfo is None else value.astimezone(UTC)
            return Time(aware.replace(tzinfo=None), scale="utc")
        if is_number(value):
            return _from_number(float(value), bare)
        if isinstance(value, str):
            return _from_string(value, bare)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"{value!r} is not a time instant") from exc
    raise ValueError(f"{value!r} is not a time instant")


def canonical_instant(time: Time) -> tuple[str, float]:
    """The instant rounded to the millisecond: its UTC ISOT string and its MJD (9 decimals).

    The MJD is computed from the ISO string, so every notation of one instant gives the same
    pair, and normalising either member again gives the pair back.
    """
    utc = Time(time.utc, precision=3)
    iso = str(utc.isot)
    mjd = round(float(Time(iso, format="isot", scale="utc").mjd), MJD_DECIMALS)
    return iso, mjd + 0.0


def in_format(iso: str, mjd: float, format_iri: str) -> str | float:
    """The canonical value of the instant in the declared format (ISOT string or MJD/IJD days)."""
    if format_iri == MJD:
        return mjd
    if format_iri == IJD:
        return round(mjd - IJD_EPOCH_MJD, MJD_DECIMALS) + 0.0
    return iso
