"""Executors configured in the settings get their Executor nodes (public facts only) and are
linked from the Site node, so that resolution can choose them."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from mmoda.api.site import open_site
from mmoda.resolvers.request import Asked
from mmoda.runs.service import Caller
from support import make_settings

EXECUTORS = {"local": {"kind": "local", "max_jobs": 2},
             "hpc": {"kind": "local", "max_jobs": 1},
             "cluster": {"kind": "slurm", "transport": "rest", "capacity": 40,
                         "token_file": "/run/secrets/very-secret-token-path"}}
DAY = {"T1": "2003-03-15T10:00:00", "T2": "2003-03-15T20:00:00"}


def test_configured_executors_become_nodes_linked_from_the_site(tmp_path: Path) -> None:
    site = open_site(make_settings(tmp_path / "data", executors=EXECUTORS))
    hpc = {t.predicate.value.rsplit("#", 1)[-1]: t.object.value
           for t in site.kg.describe(site.iri("executors", "hpc"))}
    assert hpc["executorKind"] == "local" and hpc["capacity"] == "1"
    cluster = site.kg.describe(site.iri("executors", "cluster"))
    assert {t.object.value for t in cluster if t.predicate.value.endswith("capacity")} == {"40"}
    dump = site.kg.export(ox.RdfFormat.N_QUADS).decode()
    assert "very-secret-token-path" not in dump and "token_file" not in dump
    linked = {t.object.value for t in site.kg.describe(site.site_iri)
              if t.predicate.value.endswith("#executor")}
    assert linked >= {site.iri("executors", i) for i in EXECUTORS}


def test_resolution_can_choose_a_configured_executor() -> None:
    local = {k: v for k, v in EXECUTORS.items() if v["kind"] == "local"}
    site = open_site(make_settings(None, executors=local))
    plan = site.runs.plan(Asked(workflow=site.iri("workflows", "spectrum"), parameters=DAY,
                                reuse="never"), Caller("a", frozenset({"user"})))
    chosen = {c["executor"] for c in plan["resolution"]["candidates"]}  # type: ignore[index]
    assert site.iri("executors", "hpc") in chosen


def test_an_operator_disabled_executor_stays_disabled_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", executors=EXECUTORS)
    site = open_site(settings)
    hpc = site.iri("executors", "hpc")
    site.kg.update(f"""PREFIX mmoda: <https://odahub.io/mmoda#>
        DELETE {{ GRAPH ?g {{ <{hpc}> mmoda:enabled ?e }} }}
        INSERT {{ GRAPH ?g {{ <{hpc}> mmoda:enabled false }} }}
        WHERE {{ GRAPH ?g {{ <{hpc}> mmoda:enabled ?e }} }}""")
    site.kg.flush()
    del site
    again = open_site(settings)
    enabled = {t.object.value for t in again.kg.describe(hpc) if t.predicate.value.endswith(
        "#enabled")}
    assert enabled == {"false"}
