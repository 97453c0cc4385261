"""Example tables of accepted and rejected parameter values, with the exact error texts."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.errors import ParameterError, ParameterErrors
from mmoda.resolvers.normalise import CanonicalValue, ParameterSpec, normalise, normalise_all

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
XSD = "http://www.w3.org/2001/XMLSchema#"
pytestmark = pytest.mark.filterwarnings("ignore::erfa.ErfaWarning")


@pytest.fixture(scope="module")
def closure(kg: KnowledgeGraph) -> Any:
    """`kg.superclasses`, cached."""
    return cache(kg.superclasses)


def run(closure: Any, type_name: str, value: Any, **spec: Any) -> CanonicalValue:
    name = spec.pop("name", "p")
    parameter = ParameterSpec(name, ODA + type_name, **spec)
    return normalise(parameter, value, superclasses=closure(parameter.type_iri))


ACCEPTED: list[tuple[str, dict[str, Any], Any, Any]] = [
    # angles: degrees, sexagesimal (hours for RA), units
    ("PointOfInterestRA", {}, "83.633", 83.633),
    ("PointOfInterestRA", {}, 83.633, 83.633),
    ("PointOfInterestRA", {}, "83.633 deg", 83.633),
    ("PointOfInterestRA", {}, "05h34m31.94s", 83.6330833333),
    ("PointOfInterestRA", {}, "5:34:31.94", 83.6330833333),
    ("PointOfInterestRA", {}, "5 34 31.94", 83.6330833333),
    ("PointOfInterestRA", {}, "83d37m59.1s", 83.6330833333),
    ("PointOfInterestRA", {}, -10, 350.0),
    ("PointOfInterestRA", {}, "360", 0.0),
    ("PointOfInterestRA", {}, "-1e-14", 0.0),
    ("PointOfInterestDEC", {}, "+22d00m52.2s", 22.0145),
    ("PointOfInterestDEC", {}, "22:00:52.2", 22.0145),
    ("PointOfInterestDEC", {}, "-0:30:00", -0.5),
    ("PointOfInterestDEC", {}, "-90", -90.0),
    ("Angle", {"unit_iri": UNIT + "arcmin"}, "1.5 arcmin", 1.5),
    ("Angle", {"unit_iri": UNIT + "arcmin"}, "1.5", 1.5),
    ("Angle", {"unit_iri": UNIT + "arcmin"}, "0.025 deg", 1.5),
    ("Angle", {"unit_iri": UNIT + "arcmin"}, "90 arcsec", 1.5),
    ("AngleMinutes", {}, "0.025d", 1.5),
    ("Angle", {}, "2.5", 2.5),
    ("Angle", {"unit_iri": UNIT + "hourangle_Hour"}, "83.633 deg", 5.5755333333),
    ("RightAscension", {"unit_iri": UNIT + "hourangle_Hour"}, "-1", 23.0),
    ("RightAscension", {"unit_iri": UNIT + "hourangle_Hour"}, "1:30:00", 1.5),
    ("Angle", {"unit_iri": UNIT + "Radian"}, "180 deg", 3.1415926536),
    # energies and other quantities
    ("Energy_keV", {}, "20 keV", 20.0),
    ("Energy_keV", {}, "0.02 MeV", 20.0),
    ("Energy_keV", {}, "2e4 eV", 20.0),
    ("Energy_keV", {}, "20keV", 20.0),
    ("Energy_keV", {}, 20, 20.0),
    ("Energy_MeV", {}, "511 keV", 0.511),
    ("Energy_TeV", {}, "100 GeV", 0.1),
    ("ISGRIEnergy", {}, "0.8 MeV", 800.0),
    ("ISGRIEnergy", {}, "15", 15.0),
    ("Float", {"unit_iri": UNIT + "keV"}, "1 MeV", 1000.0),
    ("FrequencyGHz", {}, "1400 MHz", 1.4),
    ("Distance_kpc", {}, "2 Mpc", 2000.0),
    ("Wavelength_nm", {}, "5000 Angstrom", 500.0),
    ("Wavelength_micron", {}, "500 nm", 0.5),
    ("TimeIntervalHours", {}, "2 hours", 2.0),
    ("TimeIntervalHours", {}, "3600 s", 1.0),
    ("TimeIntervalDays", {}, "36 hour", 1.5),
    ("TimeIntervalSeconds", {}, "1.5 min", 90.0),
    # scalars
    ("Integer", {}, "5", 5),
    ("Integer", {}, 5.0, 5),
    ("Integer", {}, "1e3", 1000),
    ("Integer", {}, " -12345678901234567891 ", -12345678901234567891),
    ("Float", {}, "1e3", 1000.0),
    ("Float", {}, 2, 2.0),
    ("Percentage", {}, "50%", 50.0),
    ("Boolean", {}, "true", True),
    ("Boolean", {}, "No", False),
    ("Boolean", {}, "YES", True),
    ("Boolean", {}, "0", False),
    ("Boolean", {}, 1, True),
    ("Boolean", {}, False, False),
    ("String", {}, "Crab", "Crab"),
    ("AstrophysicalObject", {}, " Crab ", " Crab "),
    ("LongString", {}, "a\nb", "a\nb"),
    ("VisibleBand", {}, "v", "v"),
    ("String", {"allowed_values": ("a", "b")}, "b", "b"),
    ("Float", {"allowed_values": (1, 2.5)}, "2.5", 2.5),
    ("StructuredParameter", {}, '{"b": 1, "a": [1, 2]}', {"a": [1, 2], "b": 1}),
    # None for optional parameters
    ("Float", {"optional": True}, "\x00", None),
    ("Float", {"optional": True}, None, None),
    # lists as JSON strings
    ("Integer", {"is_list": True}, "[1, 2]", [1, 2]),
    ("Energy_keV", {"default": [20.0]}, '[20, "0.03 MeV"]', [20.0, 30.0]),
    ("String", {"is_list": True}, [], []),
]


@pytest.mark.parametrize(("type_name", "spec", "raw", "expected"), ACCEPTED)
def test_accepted(closure: Any, type_name: str, spec: dict[str, Any], raw: Any,
                  expected: Any) -> None:
    result = run(closure, type_name, raw, **spec)
    assert result.value == expected
    assert type(result.value) is type(expected)


TIME_NOTATIONS = [
    "2003-03-15T23:27:40", "2003-03-15T23:27:40Z", "2003-03-15T23:27:40.000",
    "2003-03-15T23:27:40.0002", "2003-03-15 23:27:40", "2003-03-16T00:27:40+01:00",
    "2003:074:23:27:40", 52713.977546296, "52713.977546296", "MJD 52713.977546296",
    "mjd:52713.977546296", "IJD 1169.977546296", "JD 2452714.477546296",
    "unix 1047770860", "unix 1047770860.000",
]


@pytest.mark.parametrize("raw", TIME_NOTATIONS)
def test_time_notations_in_every_format(closure: Any, raw: Any) -> None:
    isot = run(closure, "StartTime", raw)
    assert (isot.value, isot.lexical, isot.datatype) == (
        "2003-03-15T23:27:40.000", "2003-03-15T23:27:40.000Z", XSD + "dateTime")
    mjd = run(closure, "StartTimeMJD", raw)
    assert (mjd.value, mjd.lexical, mjd.datatype) == (52713.977546296, "52713.977546296",
                                                      XSD + "double")
    assert (isot.iso, isot.mjd) == (mjd.iso, mjd.mjd)


def is_bare_number(raw: Any) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("raw", [r for r in TIME_NOTATIONS if not is_bare_number(r)])
def test_time_notations_for_ijd_format(closure: Any, raw: Any) -> None:
    ijd = run(closure, "TimeInstant", raw, format_iri=ODA + "IJD")
    assert (ijd.value, ijd.iso) == (1169.977546296, "2003-03-15T23:27:40.000")


def test_bare_numbers_are_ijd_in_ijd_format(closure: Any) -> None:
    ijd = run(closure, "TimeInstant", "1169.977546296", format_iri=ODA + "IJD")
    assert (ijd.value, ijd.mjd) == (1169.977546296, 52713.977546296)


def test_time_format_resolution(closure: Any) -> None:
    assert run(closure, "StartTimeISOT", 52713.5).value == "2003-03-15T12:00:00.000"
    assert run(closure, "EndTime", "2003-03-15T12:00:00", format_iri=ODA + "MJD").value == 52713.5
    assert run(closure, "EndTime", "2003-03-15T12:00:00", default=56000.0).value == 52713.5
    assert run(closure, "EndTime", 52713.5, default="2003-01-01").value.startswith("2003")
    assert run(closure, "TimeInstant", 1169.5, format_iri=ODA + "IJD").iso == \
        "2003-03-15T12:00:00.000"


def test_unix_seconds_are_posix_around_a_leap_second(closure: Any) -> None:
    assert run(closure, "StartTime", "unix 915148799.5").value == "1998-12-31T23:59:59.500"
    assert run(closure, "StartTime", "unix 915148800").value == "1999-01-01T00:00:00.000"
    leap = run(closure, "StartTime", "1998-12-31T23:59:60.5")
    assert (leap.value, leap.datatype) == ("1998-12-31T23:59:60.500", XSD + "string")
    assert run(closure, "StartTime", leap.value) == leap
    assert run(closure, "StartTimeMJD", leap.mjd) == run(closure, "StartTimeMJD", leap.value)


def test_lexical_forms(closure: Any) -> None:
    assert run(closure, "Energy_keV", "0.02 MeV").lexical == "20.0"
    assert run(closure, "Integer", "7").datatype == XSD + "integer"
    assert run(closure, "Boolean", "yes").lexical == "true"
    assert run(closure, "Float", None, optional=True).lexical == "null"
    listed = run(closure, "Energy_keV", "[30, 20]", is_list=True)
    assert (listed.lexical, listed.unit_iri) == ("[30.0,20.0]", UNIT + "keV")
    structured = run(closure, "StructuredParameter", '{"b": 1, "a": 2}')
    assert structured.lexical == '{"a":2,"b":1}'


REJECTED: list[tuple[str, str, dict[str, Any], Any, str]] = [
    ("RA", "PointOfInterestRA", {}, "abc", "RA: 'abc' is not an angle"),
    ("RA", "PointOfInterestRA", {}, "1 keV", "RA: '1 keV' is not an angle"),
    ("RA", "PointOfInterestRA", {}, "25:00:00", "RA: '25:00:00' is not an angle"),
    ("RA", "PointOfInterestRA", {}, "nan", "RA: nan is not a finite number"),
    ("DEC", "PointOfInterestDEC", {}, "95", "DEC: 95 deg is outside the range [-90, 90] deg"),
    ("DEC", "PointOfInterestDEC", {}, "-91:00:00",
     "DEC: -91 deg is outside the range [-90, 90] deg"),
    ("E1", "ISGRIEnergy", {}, "5 keV", "E1: 5 keV is below the lower limit 15 keV"),
    ("E1", "ISGRIEnergy", {}, "0.005 MeV", "E1: 5 keV is below the lower limit 15 keV"),
    ("E2", "ISGRIEnergy", {}, 900, "E2: 900 keV is above the upper limit 800 keV"),
    ("E1", "Energy_keV", {"lower_limit": 35, "upper_limit": 800}, "20",
     "E1: 20 keV is below the lower limit 35 keV"),
    ("E1", "ISGRIEnergy", {"lower_limit": "0.02 MeV"}, 18,
     "E1: 18 keV is below the lower limit 20 keV"),
    ("E1", "Energy_keV", {}, "20 pc", "E1: '20 pc' is not convertible to keV"),
    ("E1", "Energy_keV", {}, "20 foo", "E1: 'foo' is not a unit"),
    ("E1", "Energy_keV", {}, "keV", "E1: 'keV' is not a quantity"),
    ("E1", "Energy_keV", {}, "inf", "E1: 'inf' is not a quantity"),
    ("dt", "TimeIntervalHours", {}, "2 keV", "dt: '2 keV' is not convertible to h"),
    ("f", "Percentage", {}, "150", "f: 150 is above the upper limit 100"),
    ("f", "Float", {}, "abc", "f: 'abc' is not a finite number"),
    ("f", "Float", {}, "nan", "f: 'nan' is not a finite number"),
    ("f", "Float", {}, True, "f: True is not a finite number"),
    ("n", "Integer", {}, "2.5", "n: '2.5' is not an integer"),
    ("n", "Integer", {}, True, "n: True is not an integer"),
    ("n", "Integer", {"lower_limit": 1, "upper_limit": 10}, 11,
     "n: 11 is above the upper limit 10"),
    ("n", "Integer", {"lower_limit": 0.5}, 0, "n: 0 is below the lower limit 0.5"),
    ("flag", "Boolean", {}, "maybe", "flag: 'maybe' is not a boolean (true/false, yes/no, 1/0)"),
    ("flag", "Boolean", {}, 2, "flag: 2 is not a boolean (true/false, yes/no, 1/0)"),
    ("band", "VisibleBand", {}, "H", "band: 'H' is not one of the allowed values "
     "'b', 'g', 'r', 'v'"),
    ("band", "String", {"allowed_values": ["x", "y"]}, "z",
     "band: 'z' is not one of the allowed values 'x', 'y'"),
    ("s", "String", {}, {"a": 1}, "s: {'a': 1} is not a string"),
    ("T1", "StartTime", {}, "yesterday", "T1: 'yesterday' is not a time instant"),
    ("T1", "StartTime", {}, "2003-13-45", "T1: '2003-13-45' is not a time instant"),
    ("T1", "StartTime", {"lower_limit": "2004-01-01"}, "2003-03-15T23:27:40",
     "T1: 2003-03-15T23:27:40.000 is below the lower limit 2004-01-01T00:00:00.000"),
    ("T1", "StartTime", {}, "\x00", "T1: a value is required (not optional)"),
    ("T1", "StartTime", {}, None, "T1: a value is required (not optional)"),
    ("l", "Integer", {"is_list": True}, "[1, 2", "l: '[1, 2' is not a JSON list"),
    ("l", "Integer", {"is_list": True}, "3", "l: '3' is not a JSON list"),
    ("l", "ISGRIEnergy", {"is_list": True}, '[20, "1 m", 1000]',
     "l: item 1: '1 m' is not convertible to keV; "
     "item 2: 1000 keV is above the upper limit 800 keV"),
    ("x", "Angle", {"unit_iri": UNIT + "furlong"}, 1,
     "x: the unit <http://odahub.io/ontology/unit#furlong> is not known"),
    ("s", "StructuredParameter", {}, "{a", "s: '{a' is not JSON"),
]


@pytest.mark.parametrize(("name", "type_name", "spec", "raw", "message"), REJECTED)
def test_rejected(closure: Any, name: str, type_name: str, spec: dict[str, Any], raw: Any,
                  message: str) -> None:
    with pytest.raises(ParameterError) as info:
        run(closure, type_name, raw, name=name, **spec)
    assert str(info.value) == message
    assert (info.value.name, info.value.value) == (name, raw)


def specs() -> list[ParameterSpec]:
    return [
        ParameterSpec("RA", ODA + "PointOfInterestRA"),
        ParameterSpec("DEC", ODA + "PointOfInterestDEC"),
        ParameterSpec("T1", ODA + "StartTime"),
        ParameterSpec("E1", ODA + "ISGRIEnergy", default=25.0),
        ParameterSpec("opt", ODA + "Float", optional=True),
    ]


def test_normalise_all_fills_defaults(closure: Any) -> None:
    values = {"RA": "05h34m31.94s", "DEC": "22.0145", "T1": "unix 1047770860"}
    out = normalise_all(specs(), values, superclasses_of=closure)
    assert {k: v.value for k, v in out.items()} == {
        "RA": 83.6330833333, "DEC": 22.0145, "T1": "2003-03-15T23:27:40.000", "E1": 25.0,
        "opt": None}
    explicit = normalise_all(specs(), {**values, "E1": "0.025 MeV", "opt": "\x00"},
                             superclasses_of=closure)
    assert explicit == out


def test_normalise_all_collects_every_failure(closure: Any) -> None:
    values = {"RA": "x", "T1": "never", "E1": "5", "colour": "red", "DEC": 0}
    with pytest.raises(ParameterErrors) as info:
        normalise_all(specs(), values, superclasses_of=closure)
    assert info.value.names == ["colour", "RA", "T1", "E1"]
    assert [str(e) for e in info.value.errors] == [
        "colour: unknown parameter (expected one of: DEC, E1, RA, T1, opt)",
        "RA: 'x' is not an angle",
        "T1: 'never' is not a time instant",
        "E1: 5 keV is below the lower limit 15 keV",
    ]
    assert info.value.errors[0].as_dict() == {
        "name": "colour", "value": "red",
        "reason": "unknown parameter (expected one of: DEC, E1, RA, T1, opt)"}


def test_normalise_all_requires_values(closure: Any) -> None:
    with pytest.raises(ParameterErrors) as info:
        normalise_all(specs(), {"RA": 1}, superclasses_of=closure)
    assert str(info.value) == ("DEC: a value is required (not optional); "
                               "T1: a value is required (not optional)")


def test_optional_class_allows_none(closure: Any) -> None:
    spec = ParameterSpec("x", ODA + "Float")
    assert normalise(spec, None, superclasses={ODA + "Float", ODA + "optional"}).value is None
