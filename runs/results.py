"""Result nodes from a finished job's manifest: one Result (prov:Entity, dcat:Dataset,
schema:Dataset) per workflow output, its files copied into the result store, credited to the
workflow's creators, the data providers and the site, with a citation text. For a run forwarded
to an nb2workflow service, the service agent of the run ({run}#service) gets the notebook location
the job read from the service (the manifest's `service`)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from mmoda.executors.outputs import Manifest, OutputEntry
from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph, Row
from mmoda.runs.nodes import service_agent, service_quads
from mmoda.runs.vocab import (
    DCAT,
    DCT,
    IANA,
    MMODA,
    PROV,
    RDF,
    SCHEMA,
    SPDX,
    TYPE,
    XSD,
    Node,
    iri,
    literal,
)

__all__ = ["RunContext", "result_id", "result_quads"]


@dataclass(frozen=True)
class RunContext:
    """What the graph says about a run that its results need (see run_context.rq)."""

    run: str
    request: str
    workflow: str
    version: str
    title: str
    version_name: str
    license: str | None
    lifetime_s: int | None
    site: str
    site_title: str
    identity: str
    creators: tuple[tuple[str, str], ...]  # (node, name)
    datasets: tuple[dict[str, str], ...]  # node, name, license, publisher
    output_types: dict[str, str]
    service: str | None = None  # the endpoint of the run's service agent, if forwarded

    @classmethod
    def read(cls, kg: KnowledgeGraph, run: str) -> RunContext:
        """The context of `run` from the graph."""
        bound = {"run": ox.NamedNode(run)}
        row = kg.select("runs/run_context", bindings=bound)[0]
        sources = kg.select("runs/run_sources", bindings=bound)
        types = {value(r["name"]): value(r["type"])
                 for r in kg.select("runs/run_outputs", bindings=bound) if "type" in r}
        return cls(run, _v(row, "request"), _v(row, "workflow"), _v(row, "version"),
                   _v(row, "title") or _v(row, "workflow"), _v(row, "versionName"),
                   _v(row, "license") or None, int(_v(row, "lifetime") or 0) or None,
                   _v(row, "site"), _v(row, "siteTitle") or _v(row, "site"), _v(row, "identity"),
                   tuple((_v(r, "node"), _v(r, "name")) for r in sources
                         if _v(r, "role") == "creator"),
                   tuple({k: _v(r, k) for k in ("node", "name", "license", "publisherName")}
                         for r in sources if _v(r, "role") == "data"), types,
                   _v(row, "service") or None)


def _v(row: Row, name: str) -> str:
    return value(row[name]) if name in row else ""


def result_id(run_id: str, output: str) -> str:
    """The id of the result holding `output` of run `run_id`."""
    return f"{run_id}-{output}"


def result_quads(ctx: RunContext, manifest: Manifest, *, run_id: str, jobdir: Path,
                 store: Path, base: str, ended: datetime) -> dict[str, list[ox.Quad]]:
    """Result nodes of every output, files copied to `store/<result id>/`; for a service run,
    also its service agent with the notebook location (see `_service`)."""
    out = {}
    for entry in manifest["outputs"]:
        rid = result_id(run_id, entry["name"])
        result = f"{base}/results/{rid}"
        node = _result(ctx, entry, result, ended)
        _files(node, result, entry, jobdir, store / rid)
        out[result] = node.quads
    out.update(_service(ctx, manifest))
    return out


def _service(ctx: RunContext, manifest: Manifest) -> dict[str, list[ox.Quad]]:
    """The run's service agent, now with the notebook location the job read.

    The agent is a fragment of the run, written here as a node of its own: the run's own
    update, written in the same transaction, still holds the agent as it was recorded at
    submission (a subset of this one, so the two writes add up to this description). Its
    endpoint is the recorded one, so the two can never disagree.
    """
    read = manifest.get("service")
    if ctx.service is None or not read or not read.get("location"):
        return {}
    return {service_agent(ctx.run): service_quads(ctx.run, ctx.service, read["location"])}


def _result(ctx: RunContext, entry: OutputEntry, result: str, ended: datetime) -> Node:
    node = Node()
    name = entry["name"]
    node.many(result, TYPE, [iri(MMODA + "Result"), iri(PROV + "Entity"),
                             iri(DCAT + "Dataset"), iri(SCHEMA + "Dataset")])
    node.add(result, DCT + "title", f"{name} — {ctx.title}")
    node.add(result, DCT + "description", f"Output {name!r} of {ctx.title} (version "
             f"{ctx.version_name}), computed at {ctx.site_title}.")
    node.add(result, MMODA + "outputName", name).add(result, MMODA + "identityHash", ctx.identity)
    kind = entry.get("type") or ctx.output_types.get(name)
    node.add(result, MMODA + "productType", kind and iri(kind))
    node.add(result, PROV + "wasGeneratedBy", iri(ctx.run))
    node.add(result, PROV + "generatedAtTime", ended)
    node.many(result, PROV + "wasDerivedFrom", [iri(ctx.request),
                                                *(iri(d["node"]) for d in ctx.datasets)])
    node.many(result, PROV + "wasAttributedTo", [iri(ctx.site),
                                                 *(iri(c) for c, _ in ctx.creators)])
    node.add(result, DCT + "license", ctx.license and iri(ctx.license))
    node.many(result, MMODA + "dataLicense",
              sorted({iri(d["license"]) for d in ctx.datasets if d["license"]}, key=str))
    node.add(result, DCT + "bibliographicCitation", citation(ctx, result, ended))
    if ctx.lifetime_s:
        node.add(result, MMODA + "validUntil", ended + timedelta(seconds=ctx.lifetime_s))
    if "value" in entry:
        node.add(result, SCHEMA + "value", _value(entry["value"]))
    return node


def _value(data: Any) -> ox.Literal:
    if isinstance(data, str):
        return ox.Literal(data)
    return literal(json.dumps(data, sort_keys=True), RDF + "JSON")


def _files(node: Node, result: str, entry: OutputEntry, jobdir: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(entry["files"], start=1):
        name = Path(f["path"]).name
        shutil.copyfile(jobdir / f["path"], folder / name)
        dist, url = f"{result}#file-{i}", iri(f"{result}/files/{quote(name)}")
        node.add(result, DCAT + "distribution", iri(dist))
        node.add(dist, TYPE, iri(DCAT + "Distribution")).add(dist, DCT + "title", name)
        node.add(dist, DCAT + "downloadURL", url).add(dist, DCAT + "accessURL", url)
        node.add(dist, DCAT + "mediaType", iri(IANA + f["media_type"]))
        node.add(dist, DCAT + "byteSize", literal(f["size"], XSD + "nonNegativeInteger"))
        checksum = f"{dist}-sha256"
        node.add(dist, SPDX + "checksum", iri(checksum))
        node.add(checksum, TYPE, iri(SPDX + "Checksum"))
        node.add(checksum, SPDX + "algorithm", iri(SPDX + "checksumAlgorithm_sha256"))
        node.add(checksum, SPDX + "checksumValue", literal(f["sha256"], XSD + "hexBinary"))


def citation(ctx: RunContext, result: str, ended: datetime) -> str:
    """How to cite a result: workflow authors, workflow and version, site, data providers."""
    authors = ", ".join(n for _, n in ctx.creators if n) or "MMODA workflow authors"
    title = ctx.title.rstrip(".")
    text = (f"{authors} ({ended.year}). {title} (version {ctx.version_name}) [workflow]. "
            f"Run at {ctx.site_title} on {ended.date().isoformat()}.")
    data = [d["name"] + (f" ({d['publisherName']})" if d["publisherName"] else "")
            for d in ctx.datasets if d["name"]]
    if data:
        text += " Data: " + "; ".join(data) + "."
    return f"{text} {result}"
