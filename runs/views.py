"""What users see of requests, runs and results (`GET /requests/{id}`, `/runs/{id}`,
`/results/{id}` as JSON), read back from the graph."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from mmoda.kg.errors import NodeNotFound
from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph, Row
from mmoda.runs.errors import NotAllowed, NotFound
from mmoda.runs.vocab import DCAT, DCT, MMODA, PROV, SCHEMA, SPDX

if TYPE_CHECKING:
    from mmoda.resolvers.reuse import Reuse

Props = dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]]


def _props(triples: Iterable[ox.Triple], subject: str) -> Props:
    out: Props = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and t.subject.value == subject:
            out.setdefault(t.predicate.value, []).append(t.object)
    return out


def _one(props: Props, predicate: str) -> str | None:
    found = props.get(predicate)
    return value(found[0]) if found else None


def _node(kg: KnowledgeGraph, iri: str, kind: str) -> list[ox.Triple]:
    try:
        return kg.get_node(iri)
    except NodeNotFound as exc:
        raise NotFound(f"no {kind} <{iri}>") from exc


@dataclass
class RunView:
    """A run's phase, progress, times, outcome and results."""

    iri: str
    phase: str
    request: str | None
    workflow: str | None
    version: str | None
    site: str | None
    executor: str | None
    external_id: str | None
    started: str | None
    ended: str | None
    exit_code: int | None
    message: str | None
    requester: str | None
    progress: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("requester")
        return {"id": self.iri.rsplit("/", 1)[-1], **data}


def run_view(kg: KnowledgeGraph, run: str) -> RunView:
    """The run as users see it; `NotFound` when there is no such run."""
    node = {"run": ox.NamedNode(run)}
    rows = kg.select("runs/run_view", bindings=node)
    if not rows:
        raise NotFound(f"no run <{run}>")
    r = {k: value(v) for k, v in rows[0].items()}
    progress = [{"time": _text(p, "time"), "stage": _text(p, "stage"),
                 "fraction": _float(_text(p, "fraction")), "message": _text(p, "message")}
                for p in kg.select("runs/run_progress", bindings=node)]
    code = r.get("exit")
    return RunView(run, r.get("state", "UNKNOWN"), r.get("request"), r.get("workflow"),
                   r.get("version"), r.get("site"), r.get("executor"), r.get("handle"),
                   r.get("started"), r.get("ended"), None if code is None else int(code),
                   r.get("message"), r.get("requester"), progress, results_of(kg, run))


def _text(row: Row, name: str) -> str | None:
    return value(row[name]) if name in row else None


def _float(text: str | None) -> float | None:
    return None if text is None else float(text)




def results_of(kg: KnowledgeGraph, run: str) -> list[dict[str, str]]:
    """The results a run generated: IRI and output name."""
    rows = kg.select("runs/results_of_run", bindings={"run": ox.NamedNode(run)})
    return [{"id": value(r["result"]).rsplit("/", 1)[-1], "iri": value(r["result"]),
             "output": value(r["name"]) if "name" in r else ""} for r in rows]


def check_owner(view: RunView | RequestView, requester: str | None, *, admin: bool,
                action: str) -> None:
    """Only the requester (or an administrator) may see the details of or cancel a run (or see
    a request) that a signed-in user started; anonymous ones are visible to all and cancelled
    by admins only."""
    if admin or (view.requester is not None and view.requester == requester):
        return
    if view.requester is None and action == "see":
        return
    raise NotAllowed(f"only the user who started <{view.iri}> (or an administrator) may "
                     f"{action} it", anonymous=requester is None)


@dataclass
class RequestView:
    """A request: identity, canonical parameters, resolution, its run and results."""

    iri: str
    identity: str | None
    workflow: str | None
    version: str | None
    parameters: dict[str, str | None]
    reused: bool
    run: RunView | None
    resolution: Any
    requester: str | None
    origin_site: str | None = None

    def as_json(self) -> dict[str, Any]:
        run = self.run.as_json() if self.run else None
        return {"id": self.iri.rsplit("/", 1)[-1], "iri": self.iri, "identity": self.identity,
                "workflow": self.workflow, "version": self.version,
                "parameters": self.parameters, "reused": self.reused,
                "phase": run["phase"] if run else None, "run": run,
                "site": self.origin_site or (run or {}).get("site"),
                "results": (run or {}).get("results", []), "resolution": self.resolution}


def request_view(kg: KnowledgeGraph, request: str, *, reused: Reuse | None = None) -> RequestView:
    """The request as users see it; `NotFound` when there is no such request."""
    rows = kg.select("runs/request_view", bindings={"request": ox.NamedNode(request)})
    if not rows:
        raise NotFound(f"no request <{request}>")
    r = {k: value(v) for k, v in rows[0].items()}
    reused_run = r.get("reusedRun")
    run = reused_run or next((value(x["run"]) for x in kg.select(
        "runs/runs_of_request", bindings={"request": ox.NamedNode(request)})), None)
    shown = run_view(kg, run) if run else None
    # a reused answer's values are those of the reused run's request (same identity)
    source = shown.request if reused_run and shown is not None and shown.request else request
    resolution = r.get("resolution")
    return RequestView(request, r.get("identity"), r.get("workflow"), r.get("version"),
                       _parameters(kg, source), reused_run is not None, shown,
                       json.loads(resolution) if resolution else None, r.get("requester"),
                       reused.site if reused else None)


def _parameters(kg: KnowledgeGraph, request: str) -> dict[str, str | None]:
    rows = kg.select("runs/request_parameters", bindings={"request": ox.NamedNode(request)})
    return {value(r["name"]): _text(r, "value") for r in rows}


def result_view(kg: KnowledgeGraph, result: str) -> dict[str, Any]:
    """A result: title, output, product type, files, value, licence, citation, provenance."""
    triples = _node(kg, result, "result")
    p = _props(triples, result)
    files = []
    for dist in p.get(DCAT + "distribution", []):
        d = _props(triples, value(dist))
        checksum = _props(triples, _one(d, SPDX + "checksum") or "")
        media = _one(d, DCAT + "mediaType") or ""
        files.append({"name": _one(d, DCT + "title"), "url": _one(d, DCAT + "downloadURL"),
                      "media_type": media.removeprefix(
                          "https://www.iana.org/assignments/media-types/"),
                      "size": int(_one(d, DCAT + "byteSize") or 0),
                      "sha256": _one(checksum, SPDX + "checksumValue")})
    shown = _shown(p.get(SCHEMA + "value"))
    return {"id": result.rsplit("/", 1)[-1], "iri": result, "title": _one(p, DCT + "title"),
            "output": _one(p, MMODA + "outputName"), "product_type": _one(p, MMODA + "productType"),
            "run": _one(p, PROV + "wasGeneratedBy"), "generated": _one(p, PROV + "generatedAtTime"),
            "license": _one(p, DCT + "license"),
            "data_licenses": sorted(value(x) for x in p.get(MMODA + "dataLicense", [])),
            "citation": _one(p, DCT + "bibliographicCitation"),
            "valid_until": _one(p, MMODA + "validUntil"),
            "identity": _one(p, MMODA + "identityHash"),
            "files": sorted(files, key=lambda f: f["name"] or ""), "value": shown,
            "provenance": f"{result}/provenance", "ro_crate": f"{result}/ro-crate"}


def _shown(raw: list[Any] | None) -> Any:
    """A value output: rdf:JSON literals parsed, other literals as text."""
    if not raw:
        return None
    lit = raw[0]
    if isinstance(lit, ox.Literal) and lit.datatype.value.endswith("#JSON"):
        return json.loads(lit.value)
    return value(lit)
