"""The Request and Run nodes of the knowledge graph, as PROV-O (see docs/architecture.md).

A Request holds what was asked (workflow, version, canonical parameter values as
schema:PropertyValue fragments, identity, reuse policy, resolution). A Run is the prov:Activity
that executes it: qualified usages of the parameter values and datasets, a qualified
association with the site whose plan is the workflow version, its phase, external job id,
times, exit code, message and progress reports. A run forwarded to an nb2workflow service is
also associated with that service, a fragment of the run ({run}#service): its endpoint and,
once the job has read the service's signature, where the notebook it ran comes from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pyoxigraph as ox

from mmoda.resolvers.request import Prepared
from mmoda.resolvers.resolve import Resolution
from mmoda.runs.vocab import DCAT, DCT, MMODA, PROV, RDFS, SCHEMA, TYPE, XSD, Node, iri, literal

__all__ = ["progress_quads", "request_quads", "run_quads", "service_agent", "service_quads",
           "updated"]


def request_quads(prepared: Prepared, request: str, *, site: str, created: datetime,
                  requester: str | None, resolution: Resolution | None = None,
                  reused_run: str | None = None) -> list[ox.Quad]:
    """The Request node: one PropertyValue fragment per canonical parameter value.

    A request answered by reuse (`reused_run`) does not repeat the values: its identity is that
    of the reused run's request, whose canonical values are the same by construction.
    """
    node = Node()
    node.many(request, TYPE, [iri(MMODA + "Request"), iri(PROV + "Entity")])
    node.add(request, DCT + "created", created).add(request, MMODA + "workflow",
                                                   iri(prepared.workflow))
    node.add(request, MMODA + "workflowVersion", iri(prepared.version))
    node.add(request, MMODA + "site", iri(site))
    node.add(request, MMODA + "identityHash", prepared.identity)
    node.add(request, MMODA + "reusePolicy", prepared.reuse)
    node.add(request, MMODA + "requester", requester)
    node.add(request, MMODA + "resolution", resolution and literal(resolution.as_json()))
    node.add(request, MMODA + "reusedRun", reused_run and iri(reused_run))
    for name, value in ({} if reused_run else prepared.parameters).items():
        pv = f"{request}#p-{name}"
        term = None if value.value is None else literal(value.lexical, value.datatype)
        node.add(request, MMODA + "parameterValue", iri(pv))
        node.many(pv, TYPE, [iri(SCHEMA + "PropertyValue"), iri(PROV + "Entity")])
        node.add(pv, SCHEMA + "name", name).add(pv, SCHEMA + "value", term)
        node.add(pv, PROV + "value", term).add(pv, MMODA + "forParameter",
                                              iri(prepared.formal(name)))
        node.add(pv, SCHEMA + "unitCode", value.unit_iri and iri(value.unit_iri))
    return node.quads


def run_quads(prepared: Prepared, run: str, *, request: str, resolution: Resolution,
              creators: Iterable[str], requester: str | None) -> list[ox.Quad]:
    """A new Run (PENDING) with its usages and its association (plan: the version)."""
    node = Node()
    chosen = resolution.chosen
    node.many(run, TYPE, [iri(MMODA + "Run"), iri(PROV + "Activity")])
    for p, o in ((MMODA + "request", request), (MMODA + "workflow", prepared.workflow),
                 (MMODA + "workflowVersion", prepared.version), (MMODA + "site", chosen.site),
                 (MMODA + "executor", chosen.executor)):
        node.add(run, p, iri(o))
    node.add(run, MMODA + "identityHash", prepared.identity)
    node.add(run, MMODA + "requester", requester).add(run, MMODA + "state", "PENDING")
    node.add(run, PROV + "used", iri(request))
    for name in prepared.parameters:
        _usage(node, run, f"usage-{name}", f"{request}#p-{name}", prepared.formal(name))
    for i, dataset in enumerate(chosen.datasets, start=1):
        _usage(node, run, f"usage-data-{i}", dataset, MMODA + "inputData")
    node.many(run, PROV + "wasAssociatedWith", [iri(chosen.site), *map(iri, creators)])
    association = f"{run}#association"
    node.add(run, PROV + "qualifiedAssociation", iri(association))
    node.add(association, TYPE, iri(PROV + "Association"))
    node.add(association, PROV + "agent", iri(chosen.site))
    node.add(association, PROV + "hadPlan", iri(prepared.version))
    node.add(association, PROV + "hadRole", iri(MMODA + "executingSite"))
    if prepared.info.kind == "service" and prepared.info.service_url:
        node.add(run, PROV + "wasAssociatedWith", iri(service_agent(run)))
        node.quads += service_quads(run, prepared.info.service_url)
    return node.quads


def service_agent(run: str) -> str:
    """The IRI of the nb2workflow service a run was forwarded to, as that run saw it."""
    return f"{run}#service"


def service_quads(run: str, url: str, location: str | None = None) -> list[ox.Quad]:
    """The service agent of `run` (its own statements only): a prov:SoftwareAgent and
    dcat:DataService at `url`, with the notebook's `location` as the service's signature states
    it (oda:location: "<git origin>#<revision>" or "file://<directory>") and its revision."""
    node, agent = Node(), service_agent(run)
    node.many(agent, TYPE, [iri(MMODA + "WorkflowService"), iri(PROV + "SoftwareAgent"),
                            iri(DCAT + "DataService")])
    node.add(agent, DCT + "title", f"nb2workflow service at {url}")
    node.add(agent, DCAT + "endpointURL", iri(url))
    node.add(agent, MMODA + "notebookLocation", location)
    if location and not location.startswith("file:") and "#" in location:
        node.add(agent, MMODA + "notebookRevision", location.rsplit("#", 1)[1] or None)
    return node.quads


def _usage(node: Node, run: str, name: str, entity: str, role: str) -> None:
    usage = f"{run}#{name}"
    node.add(run, PROV + "used", iri(entity)).add(run, PROV + "qualifiedUsage", iri(usage))
    node.add(usage, TYPE, iri(PROV + "Usage")).add(usage, PROV + "entity", iri(entity))
    node.add(usage, PROV + "hadRole", iri(role))


def progress_quads(run: str, number: int, report: Mapping[str, Any]) -> list[ox.Quad]:
    """Progress report `number` of the run (from the job's progress.jsonl)."""
    node = Node()
    frag = f"{run}#progress-{number}"
    fraction = _fraction(report.get("progress"), report.get("progress_max"))
    node.add(run, MMODA + "progress", iri(frag)).add(frag, TYPE, iri(MMODA + "ProgressReport"))
    node.add(frag, PROV + "atTime", report.get("time") and literal(report["time"],
                                                                    XSD + "dateTime"))
    node.add(frag, MMODA + "stage", report.get("stage") and str(report["stage"]))
    node.add(frag, MMODA + "fraction", None if fraction is None
             else literal(repr(fraction), XSD + "double"))
    node.add(frag, RDFS + "comment", report.get("message") and str(report["message"]))
    return node.quads


def _fraction(progress: Any, maximum: Any) -> float | None:
    numbers = [x for x in (progress, maximum) if isinstance(x, int | float)]
    if not numbers or not isinstance(progress, int | float):
        return None
    share = progress / maximum if isinstance(maximum, int | float) and maximum > 0 else progress
    return float(share) if 0 <= share <= 1 else None


def updated(triples: Iterable[ox.Triple], subject: str, changes: Mapping[str, Any],
            extra: Iterable[ox.Quad] = ()) -> list[ox.Quad]:
    """The node's triples with `subject`'s values of each changed predicate replaced (None:
    removed), plus `extra` quads."""
    node = Node()
    keep = [ox.Quad(t.subject, t.predicate, t.object) for t in triples
            if not (t.subject == iri(subject) and t.predicate.value in changes)]
    for predicate, obj in changes.items():
        node.add(subject, predicate, obj)
    return [*keep, *node.quads, *extra]
