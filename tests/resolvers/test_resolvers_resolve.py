"""Resolution and reuse over a real store: which (site, executor) is chosen and why, which
constraint fails when none qualifies, and which earlier run is reused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyoxigraph as ox
import pytest

from mmoda.api.site import Site, open_site
from mmoda.kg import graphs
from mmoda.resolvers.errors import NoCandidate
from mmoda.resolvers.request import Asked, Prepared, prepare
from mmoda.resolvers.resolve import resolve
from mmoda.resolvers.reuse import find_reusable
from support import make_settings

PREFIXES = """@prefix mmoda: <https://odahub.io/mmoda#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""
DAY = {"T1": "2003-03-15T10:00:00", "T2": "2003-03-15T20:00:00"}


@pytest.fixture
def site() -> Site:
    return open_site(make_settings(None))


def load(site: Site, turtle: str, graph: ox.NamedNode = graphs.CATALOG) -> None:
    site.kg.bulk_load((PREFIXES + turtle).encode(), ox.RdfFormat.TURTLE, graph=graph,
                      base_iri=site.base + "/")


def asked(site: Site, workflow: str = "lightcurve", reuse: str = "any",
          **parameters: object) -> Prepared:
    return prepare(site.kg, Asked(workflow=site.iri("workflows", workflow),
                                  parameters=parameters or DAY, reuse=reuse))  # type: ignore[arg-type]


def peer_site(name: str, priority: int, *, enabled: str = "true", exe_enabled: str = "true",
              coverage: tuple[str, str] = ("2003-01-01", "2004-01-01")) -> str:
    return f"""
<sites/{name}> a mmoda:Site ; mmoda:offersWorkflow <workflows/lightcurve> ;
  mmoda:enabled {enabled} ; mmoda:priority {priority} ; mmoda:executor <executors/{name}> ;
  dcat:servesDataset <datasets/{name}-data> .
<executors/{name}> a mmoda:Executor ; mmoda:executorKind "slurm" ; mmoda:enabled {exe_enabled} ;
  mmoda:capacity 10 .
<datasets/{name}-data> a mmoda:Dataset ; mmoda:instrument <instruments/isgri-sim> ;
  dct:temporal <datasets/{name}-data#t> .
<datasets/{name}-data#t> dcat:startDate "{coverage[0]}"^^xsd:date ;
  dcat:endDate "{coverage[1]}"^^xsd:date .
"""


def everyone(candidate: object) -> None:
    return None


def test_this_site_first_then_priority_then_load(site: Site) -> None:
    load(site, peer_site("paris", 5) + peer_site("kyiv", 9))
    chosen = resolve(site.kg, asked(site), site=site.site_iri, runnable=everyone)
    order = [c.site.rsplit("/", 1)[-1] for c in chosen.candidates]
    assert order == ["local", "kyiv", "paris"]
    assert chosen.as_json()["why"].startswith("this site offers the workflow")
    remote = resolve(site.kg, asked(site), site=site.site_iri,
                     runnable=lambda c: None if not c.local else "busy")
    assert remote.chosen.site.endswith("/kyiv") and remote.skipped[0]["reason"] == "busy"


def test_load_breaks_ties_between_equal_priorities(site: Site) -> None:
    load(site, peer_site("paris", 5) + peer_site("kyiv", 5))
    load(site, "".join(f"<runs/r{i}> a mmoda:Run ; mmoda:state \"EXECUTING\" ; "
                       f"mmoda:executor <executors/kyiv> .\n" for i in range(3)), graphs.RUNS)
    chosen = resolve(site.kg, asked(site), site=site.site_iri,
                     runnable=lambda c: "not here" if c.local else None)
    assert chosen.chosen.site.endswith("/paris")
    kyiv = next(c for c in chosen.candidates if c.site.endswith("/kyiv"))
    assert kyiv.load == 3


@pytest.mark.parametrize(("change", "constraint", "words"), [
    ("DELETE WHERE { GRAPH ?g { ?s <https://odahub.io/mmoda#offersWorkflow> ?w } }",
     "offer", "no site offers"),
    ("DELETE { GRAPH ?g { ?s <https://odahub.io/mmoda#enabled> true } } INSERT { GRAPH ?g {"
     " ?s <https://odahub.io/mmoda#enabled> false } } WHERE { GRAPH ?g { ?s a "
     "<https://odahub.io/mmoda#Site> ; <https://odahub.io/mmoda#enabled> true } }",
     "enabled", "disabled"),
    ("DELETE { GRAPH ?g { ?s <https://odahub.io/mmoda#enabled> true } } INSERT { GRAPH ?g {"
     " ?s <https://odahub.io/mmoda#enabled> false } } WHERE { GRAPH ?g { ?s a "
     "<https://odahub.io/mmoda#Executor> ; <https://odahub.io/mmoda#enabled> true } }",
     "executor", "no site offering the workflow has an enabled executor"),
])
def test_each_failed_constraint_is_named(site: Site, change: str, constraint: str,
                                         words: str) -> None:
    site.kg.update(change)
    with pytest.raises(NoCandidate) as caught:
        resolve(site.kg, asked(site), site=site.site_iri, runnable=everyone)
    assert caught.value.constraint == constraint and words in str(caught.value)


def test_data_coverage_decides_between_sites(site: Site) -> None:
    load(site, peer_site("geneva", 0, coverage=("2004-01-01", "2004-12-31")))
    late = asked(site, T1="2004-02-01T00:00:00", T2="2004-02-02T00:00:00")
    chosen = resolve(site.kg, late, site=site.site_iri, runnable=everyone)
    assert chosen.chosen.site.endswith("/geneva")
    assert chosen.chosen.datasets == (site.iri("datasets", "geneva-data"),)
    assert chosen.bindings["d1"] == "2004-02-01"
    with pytest.raises(NoCandidate, match="data for 2005-01-01") as caught:
        resolve(site.kg, asked(site, T1="2005-01-01T00:00:00", T2="2005-01-01T01:00:00"),
                site=site.site_iri, runnable=everyone)
    assert caught.value.constraint == "data"


def completed_run(site: Site, prepared: Prepared, name: str, graph: ox.NamedNode,
                  until: datetime | None = None, ended: str = "2026-01-01T00:00:00Z") -> None:
    valid = f'; mmoda:validUntil "{until.isoformat()}"^^xsd:dateTime' if until else ""
    load(site, f"""<runs/{name}> a mmoda:Run ; mmoda:state "COMPLETED" ;
      mmoda:identityHash "{prepared.identity}" ; mmoda:site <sites/{name}-site> ;
      prov:endedAtTime "{ended}"^^xsd:dateTime .
    <results/{name}-out> a mmoda:Result ; prov:wasGeneratedBy <runs/{name}> {valid} .
    """, graph)


def test_reuse_prefers_this_site_and_respects_the_policy(site: Site) -> None:
    prepared = asked(site)
    assert find_reusable(site.kg, prepared) is None
    completed_run(site, prepared, "peer", graphs.peer("https://paris.example.org"),
                  ended="2026-06-01T00:00:00Z")
    found = find_reusable(site.kg, prepared)
    assert found is not None and not found.local and found.run.endswith("/runs/peer")
    assert find_reusable(site.kg, asked(site, reuse="local")) is None
    completed_run(site, prepared, "mine", graphs.RUNS)
    found = find_reusable(site.kg, prepared)
    assert found is not None and found.local and found.run.endswith("/runs/mine")
    assert find_reusable(site.kg, asked(site, reuse="never")) is None


def test_expired_results_are_not_reused(site: Site) -> None:
    prepared = asked(site)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    completed_run(site, prepared, "old", graphs.RUNS, until=now - timedelta(hours=1))
    assert find_reusable(site.kg, prepared, now=now) is None
    completed_run(site, prepared, "fresh", graphs.RUNS, until=now + timedelta(hours=1))
    found = find_reusable(site.kg, prepared, now=now)
    assert found is not None and found.run.endswith("/runs/fresh")


def test_a_workflow_may_forbid_reuse(site: Site) -> None:
    prepared = asked(site)
    completed_run(site, prepared, "mine", graphs.RUNS)
    load(site, "<workflows/lightcurve> mmoda:reusable false .")
    assert find_reusable(site.kg, asked(site)) is None
