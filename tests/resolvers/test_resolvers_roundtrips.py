"""Property tests: every notation of the same value gives the identical canonical value."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, getcontext
from fractions import Fraction
from typing import Any

import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from mmoda.resolvers.normalise import CanonicalValue, ParameterSpec, normalise

ODA = "http://odahub.io/ontology#"
ANGLE = {ODA + c for c in ("Angle", "AngleDegrees", "degree", "Float")}
RA = ParameterSpec("RA", ODA + "PointOfInterestRA")
RA_TYPES = ANGLE | {ODA + "RightAscension", ODA + "RightAscensionDegrees"}
DEC = ParameterSpec("DEC", ODA + "PointOfInterestDEC")
DEC_TYPES = ANGLE | {ODA + "Declination", ODA + "DeclinationDegrees"}
TIME_TYPES = {ODA + "TimeInstant", ODA + "StartTime"}
T_ISOT = ParameterSpec("T1", ODA + "StartTime")
T_MJD = ParameterSpec("T1", ODA + "StartTime", format_iri=ODA + "MJD")
KEV_TYPES = {ODA + c for c in ("Energy", "Energy_keV", "keV", "Float")}
MEV_TYPES = {ODA + c for c in ("Energy", "Energy_MeV", "MeV", "Float")}
getcontext().prec = 40
pytestmark = pytest.mark.filterwarnings("ignore::erfa.ErfaWarning")


def decimal(value: Fraction) -> str:
    """`value` with 20 significant digits (far more than the canonical 12)."""
    return format(Decimal(value.numerator) / Decimal(value.denominator), ".20g")


def one(spec: ParameterSpec, forms: list[Any], types: set[str]) -> CanonicalValue:
    """The single canonical value all `forms` normalise to (fails if they differ)."""
    results = {normalise(spec, form, superclasses=types) for form in forms}
    assert len(results) == 1, results
    return results.pop()


def assert_idempotent(spec: ParameterSpec, result: CanonicalValue, types: set[str]) -> None:
    assert normalise(spec, result.value, superclasses=types) == result
    assert normalise(spec, result.lexical.removesuffix("Z"), superclasses=types) == result


@given(h=st.integers(0, 23), m=st.integers(0, 59), s=st.integers(0, 599_999))
def test_ra_sexagesimal_equals_degrees(h: int, m: int, s: int) -> None:
    exact = 15 * h + Fraction(m, 4) + Fraction(s, 2_400_000)  # s: 1e-4 seconds of time
    sec = f"{s // 10_000:02d}.{s % 10_000:04d}"
    degrees = decimal(exact)
    forms = [f"{h:02d}h{m:02d}m{sec}s", f"{h}:{m:02d}:{sec}", f"{h} {m} {sec}", degrees,
             f"{degrees} deg", f"{degrees}d", float(exact), f"{decimal(exact * 60)} arcmin"]
    result = one(RA, forms, RA_TYPES)
    assert abs(result.value - float(exact)) < 1e-9
    assert 0 <= result.value < 360
    assert_idempotent(RA, result, RA_TYPES)


@given(negative=st.booleans(), d=st.integers(0, 89), m=st.integers(0, 59),
       s=st.integers(0, 59_999))
def test_dec_sexagesimal_equals_degrees(negative: bool, d: int, m: int, s: int) -> None:
    sign = "-" if negative else "+"
    exact = (-1 if negative else 1) * (d + Fraction(m, 60) + Fraction(s, 3_600_000))
    sec = f"{s // 1000:02d}.{s % 1000:03d}"
    forms = [f"{sign}{d:02d}d{m:02d}m{sec}s", f"{sign}{d}:{m:02d}:{sec}", decimal(exact),
             f"{decimal(exact)} deg", f"{decimal(exact * 3600)} arcsec", float(exact)]
    result = one(DEC, forms, DEC_TYPES)
    assert abs(result.value - float(exact)) < 1e-9
    assert_idempotent(DEC, result, DEC_TYPES)


@given(microdegrees=st.integers(-720_000_000, 720_000_000), turns=st.integers(-3, 3))
def test_ra_wraps_to_one_turn(microdegrees: int, turns: int) -> None:
    result = normalise(RA, microdegrees / 1e6, superclasses=RA_TYPES)
    assert result.value == (microdegrees % 360_000_000) / 1e6
    assert 0 <= result.value < 360
    assert_idempotent(RA, result, RA_TYPES)
    shifted = normalise(RA, f"{decimal(Fraction(result.value) + 360 * turns)} deg",
                        superclasses=RA_TYPES)
    assert shifted == result


milliseconds = st.datetimes(min_value=datetime(1972, 1, 1), max_value=datetime(2037, 12, 31))


@settings(deadline=None)
@given(when=milliseconds.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
       offset=st.integers(-14 * 60, 14 * 60))
def test_time_notations_agree(when: datetime, offset: int) -> None:
    iso = when.isoformat(timespec="milliseconds")
    unix = f"{calendar.timegm(when.timetuple())}.{when.microsecond // 1000:03d}"
    mjd = Decimal(repr(float(Time(iso, scale="utc").mjd)))
    zone = timezone(timedelta(minutes=offset))
    local = when.replace(tzinfo=UTC).astimezone(zone).isoformat(timespec="milliseconds")
    forms: list[Any] = [
        iso, iso + "Z", iso.replace("T", " "), local, f"unix {unix}", f"MJD {mjd}", float(mjd),
        str(mjd), f"IJD {mjd - 51544}", f"JD {mjd + Decimal('2400000.5')}", when,
        when.replace(tzinfo=UTC).astimezone(zone), Time(iso, scale="utc").tai,
    ]
    isot = one(T_ISOT, forms, TIME_TYPES)
    assert isot.value == isot.iso == iso
    assert_idempotent(T_ISOT, isot, TIME_TYPES)
    as_mjd = one(T_MJD, forms, TIME_TYPES)
    assert (as_mjd.value, as_mjd.iso) == (isot.mjd, iso)
    assert_idempotent(T_MJD, as_mjd, TIME_TYPES)


@given(mantissa=st.integers(1, 10**9 - 1), exponent=st.integers(-6, 6))
def test_energy_units_agree(mantissa: int, exponent: int) -> None:
    kev = Decimal(mantissa).scaleb(exponent)
    forms = [f"{kev} keV", f"{kev.scaleb(-3)} MeV", f"{kev.scaleb(3)} eV",
             f"{kev.scaleb(-6)}GeV", f"{kev.scaleb(-9)} TeV", str(kev), float(kev)]
    in_kev = one(ParameterSpec("E", ODA + "Energy_keV"), forms, KEV_TYPES)
    assert in_kev.value == float(kev)
    in_mev = one(ParameterSpec("E", ODA + "Energy_MeV"), forms[:5], MEV_TYPES)
    assert in_mev.value == float(kev.scaleb(-3))
