"""The request identity, property-tested on the example light-curve workflow: parameter
order, notation (degrees or sexagesimal, keV or MeV, ISO or MJD) and leaving defaults out do
not change it; any different value or version does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from mmoda.api.site import Site, open_site
from mmoda.resolvers.identity import canonical_document
from mmoda.resolvers.request import Asked, prepare
from support import make_settings


@pytest.fixture(scope="module")
def site() -> Site:
    return open_site(make_settings(None))


def identity(site: Site, workflow: str = "lightcurve", **parameters: object) -> str:
    asked = Asked(workflow=site.iri("workflows", workflow), parameters=parameters)
    return prepare(site.kg, asked).identity


def hms(degrees: float) -> str:
    hours = degrees / 15
    h, rest = divmod(hours * 3600, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}h{int(m):02d}m{s:.6f}s"


def dms(degrees: float) -> str:
    sign = "-" if degrees < 0 else "+"
    d, rest = divmod(abs(degrees) * 3600, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{int(d)}d{int(m)}m{s:.6f}s"


START = datetime(2003, 3, 15, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=86_399_000).map(
    lambda ms: START + timedelta(milliseconds=ms))
angles = st.integers(min_value=0, max_value=359_999).map(lambda x: x / 1000)
decs = st.integers(min_value=-89_999, max_value=89_999).map(lambda x: x / 1000)
energies = st.integers(min_value=15, max_value=90)


@settings(max_examples=25, deadline=None)
@given(ra=angles, dec=decs, e1=energies, t1=instants, seed=st.integers(0, 10_000))
def test_notation_and_order_do_not_change_the_identity(site: Site, ra: float, dec: float,
                                                       e1: int, t1: datetime, seed: int) -> None:
    plain = {"RA": ra, "DEC": dec, "E1_keV": e1, "T1": t1.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]}
    written = {"RA": hms(ra), "DEC": dms(dec), "E1_keV": f"{e1 / 1000} MeV",
               "T1": Time(t1).mjd}
    items = list(written.items())
    random.Random(seed).shuffle(items)
    assert identity(site, **plain) == identity(site, **dict(items))


@settings(max_examples=15, deadline=None)
@given(ra=angles, bump=st.integers(min_value=1, max_value=1000))
def test_a_different_value_is_a_different_identity(site: Site, ra: float, bump: int) -> None:
    assert identity(site, RA=ra) != identity(site, RA=(ra + bump / 100) % 360)


def test_defaults_written_out_or_left_out_agree(site: Site) -> None:
    defaults = {"RA": 83.6331, "DEC": 22.0145, "radius": 0.25, "E1_keV": 20.0}
    assert identity(site) == identity(site, **defaults)


def test_workflow_and_version_are_part_of_the_identity(site: Site) -> None:
    lc = prepare(site.kg, Asked(workflow=site.iri("workflows", "lightcurve")))
    other = canonical_document(lc.workflow, lc.version + "x", lc.parameters)
    assert other != canonical_document(lc.workflow, lc.version, lc.parameters)
    assert identity(site, "lightcurve") != identity(site, "image")


def test_the_canonical_document_is_sorted_json(site: Site) -> None:
    prepared = prepare(site.kg, Asked(workflow=site.iri("workflows", "spectrum"),
                                      parameters={"T1": 52713.5, "RA": "5h34m31.944s"}))
    doc = canonical_document(prepared.workflow, prepared.version, prepared.parameters)
    assert doc.startswith('{"parameters":[["DEC",')
    assert '["RA","83.6331","http://www.w3.org/2001/XMLSchema#double"]' in doc
    assert '["T1","2003-03-15T12:00:00.000Z","http://www.w3.org/2001/XMLSchema#dateTime"]' in doc
