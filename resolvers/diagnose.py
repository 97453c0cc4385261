"""Why no site qualifies for a request: the first constraint that no site offering the
workflow meets, in the order offer → enabled → executor → data, with what each site lacks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox

from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph, Row
from mmoda.resolvers.errors import NoCandidate

if TYPE_CHECKING:
    from mmoda.resolvers.request import Prepared

__all__ = ["diagnose"]


def diagnose(kg: KnowledgeGraph, prepared: Prepared,
             bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> NoCandidate:
    """The `NoCandidate` error for a request that `resolve.rq` found no candidate for."""
    keep = {k: v for k, v in bindings.items() if k in ("workflow", "instrument")}
    rows = kg.select("resolvers/site_facts", bindings=keep)
    sites = sorted({value(r["site"]) for r in rows})
    if not sites:
        return NoCandidate("offer", f"no site offers the workflow <{prepared.workflow}>", [])
    enabled = [s for s in sites if _any(rows, s, "enabled")]
    if not enabled:
        return NoCandidate("enabled", "every site offering the workflow is disabled: "
                           + ", ".join(sites), [{"site": s} for s in sites])
    running = [s for s in enabled if _any(rows, s, "executorEnabled")]
    if not running:
        return NoCandidate("executor", "no site offering the workflow has an enabled "
                           "executor: " + ", ".join(enabled), [{"site": s} for s in enabled])
    return _no_data(prepared, rows, running)


def _any(rows: list[Row], site: str, flag: str) -> bool:
    return any(value(r["site"]) == site and flag in r and value(r[flag]) == "true"
               for r in rows)


def _no_data(prepared: Prepared, rows: list[Row], sites: list[str]) -> NoCandidate:
    name = prepared.info.instrument_label or prepared.info.instrument or "the required"
    span = prepared.time_range()
    covered = [_coverage(r) for r in rows if value(r["site"]) in sites and "dataset" in r]
    details: list[dict[str, object]] = [{"site": s} for s in sites]
    if not covered or span is None:
        return NoCandidate("data", f"no site has {name} data", details)
    first, last = ((v.iso or "")[:10] for v in span)
    when = first if first == last else f"{first} to {last}"
    have = "; ".join(sorted(set(covered)))
    return NoCandidate("data", f"no site has {name} data for {when} (available: {have})",
                       details)


def _coverage(row: Row) -> str:
    start = value(row["start"]) if "start" in row else "…"
    end = value(row["end"]) if "end" in row else "…"
    return f"{start} to {end}"
