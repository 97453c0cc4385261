"""Published parameter names: the dispatcher's names come from ontology types (subclasses
included), other parameters keep theirs, clashes get `_rename`."""

from __future__ import annotations

from mmoda.dispatcher.names import public_names
from mmoda.resolvers.normalise import ParameterSpec

ODA = "http://odahub.io/ontology#"
SUPERS = {ODA + "StartTimeISOT": {ODA + "StartTime", ODA + "TimeInstant"},
          ODA + "EndTimeMJD": {ODA + "EndTime", ODA + "TimeInstant"},
          ODA + "AstrophysicalObjectOfInterest": {ODA + "AstrophysicalObject", ODA + "String"}}


def _names(*specs: tuple[str, str]) -> dict[str, str]:
    found = public_names([ParameterSpec(n, t) for n, t in specs],
                         lambda t: SUPERS.get(t, set()))
    return found.by_public


def test_types_give_the_dispatcher_names() -> None:
    assert _names(("ra", ODA + "PointOfInterestRA"), ("dec", ODA + "PointOfInterestDEC"),
                  ("tstart", ODA + "StartTimeISOT"), ("tstop", ODA + "EndTimeMJD"),
                  ("target", ODA + "AstrophysicalObjectOfInterest"),
                  ("radius", ODA + "AngleDegrees")) == {
        "RA": "ra", "DEC": "dec", "T1": "tstart", "T2": "tstop", "src_name": "target",
        "radius": "radius"}


def test_clashing_names_are_renamed_and_the_first_typed_one_wins() -> None:
    assert _names(("RA", ODA + "Float"), ("ra", ODA + "PointOfInterestRA"),
                  ("ra2", ODA + "PointOfInterestRA"), ("token", ODA + "String"),
                  ("T_format", ODA + "String")) == {
        "RA_rename": "RA", "RA": "ra", "ra2": "ra2", "token_rename": "token",
        "T_format_rename": "T_format"}


def test_published_names_add_the_time_format_and_the_token() -> None:
    with_time = public_names([ParameterSpec("t", ODA + "StartTimeISOT")],
                             lambda t: SUPERS.get(t, set()))
    assert with_time.published() == ["T1", "T_format", "token"]
    assert with_time.public("t") == "T1"
    plain = public_names([ParameterSpec("x", ODA + "Float")], lambda t: set())
    assert plain.published() == ["x", "token"] and not plain.has_time
