"""The normaliser against the real ontology: superclass closures from the knowledge graph, and
the static tables (units, limits, allowed values) checked against the restrictions in oda.ttl."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from mmoda.kg.store import KnowledgeGraph
from mmoda.ontology import ODA_TTL
from mmoda.resolvers import scalars, units
from mmoda.resolvers.errors import ParameterError, ParameterErrors
from mmoda.resolvers.normalise import ParameterSpec, normalise, normalise_all

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
MIN_INCLUSIVE = rdflib.URIRef("http://www.w3.org/2001/XMLSchema#minInclusive")
pytestmark = pytest.mark.filterwarnings("ignore::erfa.ErfaWarning")


@pytest.fixture(scope="module")
def oda() -> rdflib.Graph:
    return rdflib.Graph().parse(ODA_TTL)


def test_real_superclasses(kg: KnowledgeGraph) -> None:
    specs = [ParameterSpec("RA", ODA + "PointOfInterestRA"),
             ParameterSpec("T1", ODA + "StartTime"),
             ParameterSpec("E", ODA + "Energy_keV"),
             ParameterSpec("E1", ODA + "ISGRIEnergy")]
    values = {"RA": "05h34m31.94s", "T1": "MJD 52713.977546296", "E": "0.02 MeV", "E1": "2e4 eV"}
    out = normalise_all(specs, values, superclasses_of=kg.superclasses)
    assert {k: v.value for k, v in out.items()} == {
        "RA": 83.6330833333, "T1": "2003-03-15T23:27:40.000", "E": 20.0, "E1": 20.0}
    assert out["RA"].unit_iri == UNIT + "Degree"
    assert out["E"].unit_iri == out["E1"].unit_iri == UNIT + "keV"
    with pytest.raises(ParameterErrors) as info:
        normalise_all(specs, {**values, "RA": "-1 keV", "E1": "0.9 MeV"},
                      superclasses_of=kg.superclasses)
    assert [str(e) for e in info.value.errors] == [
        "RA: '-1 keV' is not an angle", "E1: 900 keV is above the upper limit 800 keV"]


@pytest.mark.parametrize(("type_name", "raw", "expected"), [
    ("PointOfInterestDEC", "-05:23:28", -5.3911111111),
    ("StartTimeMJD", "2003-03-15T12:00:00", 52713.5),
    ("EndTimeISOT", 52713.5, "2003-03-15T12:00:00.000"),
    ("AngleSeconds", "0.5 arcmin", 30.0),
    ("JEMXEnergy", "0.01 MeV", 10.0),
    ("Distance_Mpc", "500 kpc", 0.5),
    ("Wavelength_A", "1 nm", 10.0),
    ("FrequencyMHz", "1.4 GHz", 1400.0),
    ("TimeIntervalDays", "12 hour", 0.5),
    ("Percentage", "12.5", 12.5),
    ("VisibleBand", "g", "g"),
    ("AstrophysicalObjectOfInterest", "Crab", "Crab"),
])
def test_ontology_types(kg: KnowledgeGraph, type_name: str, raw: object,
                        expected: object) -> None:
    spec = ParameterSpec("p", ODA + type_name)
    assert normalise(spec, raw, superclasses=kg.superclasses(spec.type_iri)).value == expected


def test_type_restrictions_from_the_ontology(kg: KnowledgeGraph) -> None:
    isgri = ParameterSpec("E1", ODA + "ISGRIEnergy")
    with pytest.raises(ParameterError, match=r"^E1: 5 keV is below the lower limit 15 keV$"):
        normalise(isgri, 5, superclasses=kg.superclasses(isgri.type_iri))
    band = ParameterSpec("band", ODA + "VisibleBand")
    with pytest.raises(ParameterError, match="'H' is not one of the allowed values 'b', 'g'"):
        normalise(band, "H", superclasses=kg.superclasses(band.type_iri))


def restrictions(g: rdflib.Graph) -> Iterator[tuple[str, rdflib.term.Node, rdflib.term.Node]]:
    for cls, restriction in g.subject_objects(RDFS.subClassOf):
        if (restriction, RDF.type, OWL.Restriction) in g:
            yield str(cls), g.value(restriction, OWL.onProperty), restriction


#: symbols astropy reads as other units: "m" (metre) for minutes, "h"/"s" (time) for hour angles
AMBIGUOUS_SYMBOLS = {"Minute": "m", "hourangle_Hour": "h", "hourangle_Minute": "m",
                     "hourangle_Second": "s"}


def test_unit_tables_match_the_ontology(oda: rdflib.Graph) -> None:
    has_unit = {cls[len(ODA):]: str(oda.value(r, OWL.hasValue))[len(UNIT):]
                for cls, prop, r in restrictions(oda)
                if prop == rdflib.URIRef(ODA + "has_unit") and oda.value(r, OWL.hasValue)}
    assert has_unit == units.MIXIN_UNITS
    individuals = {str(s)[len(UNIT):] for s in oda.subjects(RDF.type, OWL.NamedIndividual)
                   if str(s).startswith(UNIT)}
    assert individuals == set(units.UNITS)
    for local, unit in units.UNITS.items():
        symbol = oda.value(rdflib.URIRef(UNIT + local), rdflib.URIRef(ODA + "symbol"))
        if symbol is not None and local in AMBIGUOUS_SYMBOLS:
            assert str(symbol) == AMBIGUOUS_SYMBOLS[local]
        elif symbol is not None:
            assert unit.is_equivalent(units._parse_unit(str(symbol))), local


def test_limit_and_allowed_tables_match_the_ontology(oda: rdflib.Graph) -> None:
    limits: dict[str, list[float | None]] = {}
    allowed: dict[str, tuple[str, ...]] = {}
    for cls, prop, r in restrictions(oda):
        datatype = oda.value(r, OWL.allValuesFrom)
        if prop != rdflib.URIRef(ODA + "value") or not isinstance(datatype, rdflib.BNode):
            continue
        if (one_of := oda.value(datatype, OWL.oneOf)) is not None:
            allowed[cls] = tuple(sorted(str(x) for x in Collection(oda, one_of)))
        for facet in Collection(oda, oda.value(datatype, OWL.withRestrictions) or RDF.nil):
            bounds = limits.setdefault(cls, [None, None])
            for p, o in oda.predicate_objects(facet):
                bounds[0 if p == MIN_INCLUSIVE else 1] = float(o)
    in_type_units = {
        cls: [normalise(ParameterSpec("x", cls), bound, superclasses={cls, *parents}).value
              for bound in scalars.TYPE_LIMITS[cls]]
        for cls, parents in [(ODA + "ISGRIEnergy", [ODA + "Energy", ODA + "keV"]),
                             (ODA + "JEMXEnergy", [ODA + "Energy", ODA + "keV"]),
                             (ODA + "Percentage", [ODA + "Float"])]}
    assert limits == in_type_units
    assert allowed == {k: tuple(sorted(v)) for k, v in scalars.TYPE_ALLOWED.items()}
