"""Reuse first: an earlier successful run of the same request identity, on this site or in a
harvested peer graph, whose results have not expired (`queries/reuse.rq`, `reuse_run.rq`)."""

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
    ended: str = ""


def find_reusable(kg: KnowledgeGraph, prepared: Prepared, *,
                  now: datetime | None = None) -> Reuse | None:
    """The run to reuse for `prepared`, or None (none, expired, or reuse not allowed): this
    site's latest completed run of the identity, else a peer's."""
    if prepared.reuse == "never" or not prepared.info.reusable:
        return None
    stamp = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    moment = ox.Literal(stamp, datatype=XSD_DATETIME)
    bound: dict[str, ox.NamedNode | ox.Literal] = {"identity": ox.Literal(prepared.identity)}
    if prepared.reuse == "local":
        bound["g"] = graphs.RUNS
    found = []
    for row in kg.select("resolvers/reuse", bindings=bound):
        graph = row.get("g", graphs.RUNS)
        facts = kg.select("resolvers/reuse_run", bindings={
            "g": graph, "run": row["run"], "now": moment})
        if facts and "expired" not in facts[0]:
            site = facts[0].get("site")
            found.append(Reuse(value(row["run"]), None if site is None else value(site),
                               value(graph), graph == graphs.RUNS,
                               value(facts[0]["ended"]) if "ended" in facts[0] else ""))
    return max(found, key=lambda r: (r.local, r.ended), default=None)
