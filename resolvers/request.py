"""From what a client asked to a prepared request: its workflow version, normalised
parameters, identity and what running it needs (read from the catalog)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph as ox

from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph, Row
from mmoda.resolvers.errors import UnknownWorkflow
from mmoda.resolvers.identity import identity
from mmoda.resolvers.normalise import ParameterSpec, normalise_all
from mmoda.resolvers.scalars import CanonicalValue
from mmoda.resolvers.workflow_specs import parameter_specs

Reuse = Literal["any", "local", "never"]
ODA = "http://odahub.io/ontology#"

__all__ = ["Asked", "Prepared", "VersionInfo", "prepare"]


@dataclass(frozen=True)
class Asked:
    """A request as a client wrote it: a workflow IRI, or instrument and product labels."""

    workflow: str | None = None
    version: str | None = None
    instrument: str | None = None
    product: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    reuse: Reuse = "any"


@dataclass(frozen=True)
class VersionInfo:
    """What the catalog says about running one workflow version."""

    title: str
    version_name: str
    kind: str | None
    entry: str | None
    function: str | None
    source: str | None
    cpus: int | None
    memory_mib: int | None
    walltime_s: int | None
    image: str | None
    lifetime_s: int | None
    reusable: bool
    license: str | None
    instrument: str | None
    instrument_label: str | None
    product: str | None
    outputs: tuple[tuple[str, str | None], ...]
    roles: frozenset[str]
    creators: tuple[str, ...]
    service_url: str | None = None  # kind "service": the nb2workflow service and its target
    service_target: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A request ready for reuse lookup and resolution."""

    workflow: str
    version: str
    info: VersionInfo
    specs: tuple[ParameterSpec, ...]
    parameters: dict[str, CanonicalValue]
    identity: str
    reuse: Reuse

    def formal(self, name: str) -> str:
        """The IRI of the formal parameter `name` of the version."""
        return f"{self.version}-param-{name}"

    def time_range(self) -> tuple[CanonicalValue, CanonicalValue] | None:
        """The requested time range (start, end) from the instant parameters, if any."""
        instants = {n: v for n, v in self.parameters.items() if v.iso is not None}
        if not instants:
            return None
        ordered = sorted(instants.values(), key=lambda v: v.mjd or 0.0)
        return ordered[0], ordered[-1]


def prepare(kg: KnowledgeGraph, asked: Asked) -> Prepared:
    """Resolve the workflow and version, normalise the parameters (`ParameterErrors` lists
    every failing one) and compute the identity."""
    workflow = _workflow(kg, asked)
    # The catalog changes rarely and is read on every request: memoised until it changes.
    info, current = kg.memo(("version-info", workflow, asked.version),
                            lambda: _info(kg, workflow, asked.version))
    version = asked.version or current
    specs = kg.memo(("parameter-specs", version),
                    lambda: tuple(parameter_specs(kg, version)))

    def closure(type_iri: str) -> set[str]:
        return kg.memo(("superclasses", type_iri), lambda: kg.superclasses(type_iri))

    values = normalise_all(specs, asked.parameters, superclasses_of=closure)
    return Prepared(workflow, version, info, specs, values,
                    identity(workflow, version, values), asked.reuse)


def _workflow(kg: KnowledgeGraph, asked: Asked) -> str:
    if asked.workflow:
        return asked.workflow
    if not (asked.instrument and asked.product):
        raise UnknownWorkflow("workflow", "name a workflow (its IRI) or an instrument and "
                              "a product")
    rows = kg.select("resolvers/workflows_by_label", bindings={
        "instrument": ox.Literal(asked.instrument), "product": ox.Literal(asked.product)})
    if len(rows) != 1:
        found = ", ".join(value(r["workflow"]) for r in rows) or "none"
        raise UnknownWorkflow("instrument", f"instrument {asked.instrument!r} with product "
                              f"{asked.product!r} must name one workflow; found {found}")
    return value(rows[0]["workflow"])


def _info(kg: KnowledgeGraph, workflow: str, version: str | None) -> tuple[VersionInfo, str]:
    node = ox.NamedNode(workflow)
    bound: dict[str, ox.NamedNode] = {"workflow": node}
    if version:
        bound["asked"] = ox.NamedNode(version)
    rows = kg.select("resolvers/workflow_version", bindings=bound)
    if not rows:
        field_, what = ("version", f"<{version}> is not a version of") if version else (
            "workflow", "no workflow")
        raise UnknownWorkflow(field_, f"{what} <{workflow}> in this site's catalog")
    row = rows[0]
    version = version or value(row["current"])
    outputs = tuple((value(r["name"]), _text(r, "type"))
                    for r in kg.select("resolvers/workflow_outputs",
                                       bindings={"version": ox.NamedNode(version)}))
    roles = frozenset(value(r["role"]) for r in kg.select("resolvers/workflow_roles",
                                                          bindings={"workflow": node}))
    creators = tuple(value(r["node"]) for r in kg.select(
        "resolvers/version_creators", bindings={"version": ox.NamedNode(version)}))
    return _version_info(row, outputs, roles, creators), value(row["current"])


def _version_info(row: Row, outputs: tuple[tuple[str, str | None], ...],
                  roles: frozenset[str], creators: tuple[str, ...]) -> VersionInfo:
    return VersionInfo(
        title=value(row["title"]), version_name=_text(row, "versionName") or "",
        kind=_text(row, "kind"), entry=_text(row, "entry"), function=_text(row, "function"),
        source=_text(row, "source"), cpus=_int(row, "cpus"), memory_mib=_int(row, "memory"),
        walltime_s=_int(row, "walltime"), image=_text(row, "image"),
        lifetime_s=_int(row, "lifetime"),
        reusable=_text(row, "reusable") not in ("false", "0"), license=_text(row, "license"),
        instrument=_text(row, "instrument"), instrument_label=_text(row, "instrumentLabel"),
        product=_text(row, "product"), outputs=outputs, roles=roles, creators=creators,
        service_url=_text(row, "serviceURL"), service_target=_text(row, "serviceTarget"))


def _text(row: Row, name: str) -> str | None:
    term = row.get(name)
    return None if term is None else value(term)


def _int(row: Row, name: str) -> int | None:
    text = _text(row, name)
    return None if text is None else int(text)
