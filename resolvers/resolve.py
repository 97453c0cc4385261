"""Resolution: choose (workflow version, site, executor) for a prepared request with SPARQL
(`queries/resolve.rq`; `queries/resolve_data.rq` for workflows that analyse an instrument's
data), and when nothing qualifies, say which constraint failed (`diagnose`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import pyoxigraph as ox

from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph, Row
from mmoda.resolvers.diagnose import diagnose
from mmoda.resolvers.errors import NoCandidate
from mmoda.resolvers.request import Prepared
from mmoda.resolvers.scalars import XSD

__all__ = ["Candidate", "Resolution", "resolve", "time_bindings"]


@dataclass(frozen=True)
class Candidate:
    """A (site, executor) able to run the request, with what made it qualify."""

    site: str
    executor: str
    executor_kind: str
    priority: int
    local: bool
    load: int
    capacity: int | None
    datasets: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """The chosen candidate, the others in preference order and the bindings that matched."""

    workflow: str
    version: str
    chosen: Candidate
    candidates: tuple[Candidate, ...]
    bindings: dict[str, str]
    skipped: tuple[dict[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The resolution as users see it in `GET /requests/{id}`."""
        return {"workflow": self.workflow, "version": self.version,
                "site": self.chosen.site, "executor": self.chosen.executor,
                "datasets": list(self.chosen.datasets), "bindings": self.bindings,
                "why": _why(self.chosen),
                "candidates": [asdict(c) | {"datasets": list(c.datasets)}
                               for c in self.candidates],
                "skipped": list(self.skipped)}


Runnable = Callable[[Candidate], str | None]
"""Says why this site cannot drive a candidate (None: it can)."""


Load = Callable[[str], int]
"""The number of pending, queued and running jobs of an executor (by its IRI)."""


def resolve(kg: KnowledgeGraph, prepared: Prepared, *, site: str, runnable: Runnable,
            load: Load | None = None) -> Resolution:
    """The best candidate this site can run, or `NoCandidate` naming the failed constraint.

    `load` gives executors' current load; by default it is counted in the runs graph
    (`executor_load.rq`). The site's run monitor, which watches every active run, passes its
    own count instead of asking the store.
    """
    bindings = _bindings(prepared, site)
    query = "resolvers/resolve_data" if "instrument" in bindings else "resolvers/resolve"
    candidates = _by_load(kg, _candidates(kg.select(query, bindings=bindings)), load)
    skipped: list[dict[str, str]] = []
    for candidate in candidates:
        reason = runnable(candidate)
        if reason is None:
            shown = {k: value(v) for k, v in bindings.items()}
            return Resolution(prepared.workflow, prepared.version, candidate,
                              tuple(candidates), shown, tuple(skipped))
        skipped.append({"site": candidate.site, "executor": candidate.executor,
                        "reason": reason})
    if skipped:
        raise NoCandidate("executor", "no site this site can reach can run it: " + "; ".join(
            f"{s['executor']}: {s['reason']}" for s in skipped), skipped)  # type: ignore[arg-type]
    raise diagnose(kg, prepared, bindings)


def time_bindings(prepared: Prepared) -> dict[str, ox.Literal]:
    """?t1/?t2 (xsd:dateTime) and ?d1/?d2 (xsd:date) of the requested time range."""
    span = prepared.time_range()
    # No time parameters: the empty range, which every coverage holds (see resolve_data.rq).
    start, end = ("9999-12-31T23:59:59.999", "0001-01-01T00:00:00.000") if span is None \
        else (v.iso or "" for v in span)
    return {"t1": ox.Literal(start + "Z", datatype=ox.NamedNode(XSD + "dateTime")),
            "t2": ox.Literal(end + "Z", datatype=ox.NamedNode(XSD + "dateTime")),
            "d1": ox.Literal(start[:10], datatype=ox.NamedNode(XSD + "date")),
            "d2": ox.Literal(end[:10], datatype=ox.NamedNode(XSD + "date"))}


def _bindings(prepared: Prepared, site: str) -> dict[str, ox.NamedNode | ox.Literal]:
    out: dict[str, ox.NamedNode | ox.Literal] = {
        "workflow": ox.NamedNode(prepared.workflow), "self": ox.NamedNode(site)}
    if prepared.info.instrument:
        out["instrument"] = ox.NamedNode(prepared.info.instrument)
        out.update(time_bindings(prepared))
    return out


def _candidates(rows: list[Row]) -> list[Candidate]:
    seen: dict[tuple[str, str], Candidate] = {}
    for row in rows:
        key = (value(row["site"]), value(row["executor"]))
        dataset = (value(row["dataset"]),) if "dataset" in row else ()
        if key in seen:
            old = seen[key]
            if dataset and dataset[0] not in old.datasets:
                seen[key] = Candidate(**{**asdict(old), "datasets": old.datasets + dataset})
            continue
        seen[key] = Candidate(
            site=key[0], executor=key[1], executor_kind=value(row["executorKind"]),
            priority=int(value(row["priority"])), local=value(row["local"]) == "true",
            load=0,
            capacity=int(value(row["capacity"])) if "capacity" in row else None,
            datasets=dataset)
    return list(seen.values())


def _by_load(kg: KnowledgeGraph, candidates: list[Candidate],
             load: Load | None) -> list[Candidate]:
    """The candidates with their executors' current load, those of equal rank (this site,
    then priority) ordered by load per capacity."""
    if not candidates:
        return candidates
    if load is None:
        busy = {value(r["executor"]): int(value(r["load"]))
                for r in kg.select("resolvers/executor_load")}
        load = lambda executor: busy.get(executor, 0)  # noqa: E731
    loaded = [replace(c, load=load(c.executor)) for c in candidates]
    return sorted(loaded, key=lambda c: (not c.local, -c.priority, c.load / (c.capacity or 1)))


def _why(c: Candidate) -> str:
    where = "this site" if c.local else f"peer site {c.site}"
    data = f", serves {', '.join(c.datasets)}" if c.datasets else ""
    return (f"{where} offers the workflow{data}; executor {c.executor} ({c.executor_kind}) "
            f"enabled, priority {c.priority}, load {c.load}/{c.capacity or 1}")
