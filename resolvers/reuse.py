"""Reuse first: an earlier successful run of the same request identity, on this site or in a
harvested peer graph, whose results have not expired (`queries/reuse.rq`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from mmoda.kg import graphs
from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.request import Prepared

__all__ = ["Reuse", "find_reusable"]

XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


@dataclass(frozen=True)
class Reuse:
    """An earlier run whose results answer the request: where it ran, in which graph."""

    run: str
    site: str | None
    graph: str
    local: bool


def find_reusable(kg: KnowledgeGraph, prepared: Prepared, *,
                  now: datetime | None = None) -> Reuse | None:
    """The run to reuse for `prepared`, or None (none, expired, or reuse not allowed)."""
    if prepared.reuse == "never" or not prepared.info.reusable:
        return None
    stamp = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    bindings: dict[str, ox.NamedNode | ox.Literal] = {
        "identity": ox.Literal(prepared.identity), "now": ox.Literal(stamp, datatype=XSD_DATETIME)}
    if prepared.reuse == "local":
        bindings["g"] = graphs.RUNS
    rows = kg.select("resolvers/reuse", bindings=bindings)
    if not rows:
        return None
    graph = value(rows[0]["g"])
    return Reuse(value(rows[0]["run"]), value(rows[0]["site"]) if "site" in rows[0] else None,
                 graph, graph == graphs.RUNS.value)
