"""A large, realistic site store for the resolution benchmark (`resolve.py`), built fast.

What goes in, in one on-disk store:

- the ontology, the bundled catalog and its three example workflows, through `open_site`
  exactly as a fresh site starts (one HermiT run for the examples' restriction classes);
- N workflows (default 10,000) cloned from those three registered examples: their catalog
  triples (node, versions, parameters, outputs, creators, restriction classes) and their
  classified-graph OWL definitions, under renamed IRIs (`{base}/workflows/wf00042-image`),
  each analysing one of 20 generated instruments, with 0-4 extra parameters (so 8-12, ~10 on
  average, always RA/DEC/T1/T2 typed as in the examples) and a fifth of them with an older
  version (`dcat:hasVersion`, `prov:wasRevisionOf`). The shapes are what `workflows/rdf.py`
  wrote for the examples; nothing goes through the registry (HermiT would take minutes);
- 20 instruments with mission spans; this site plus 99 peer sites. This site's Site node is
  the bundled one in the catalog (extra offers, datasets and a second executor added); each
  peer's Site, Executor and Dataset nodes live in its own peer graph
  (`mmoda.kg.graphs.peer(url)`), as harvesting would store them. The workflows stay only in
  this site's catalog: `prepare` reads them from there. Every site covers 4-8 instruments,
  offers ~300 workflows of those instruments, has 1-3 executors (kinds, enabled flags,
  capacities) and a priority, and serves 1-2 datasets per instrument whose `dct:temporal`
  coverage (`dcat:startDate`/`endDate` as `xsd:date`) is the whole mission or a part of it;
- R results (default 100,000): each a Request, a COMPLETED Run and one Result in the shapes
  `runs/nodes.py` and `runs/results.py` write. The first M (1,000) are built by those very
  functions for requests prepared with `prepare` (so their identities are real: a POST of
  the same request is a reuse hit); their recorded resolution names a site offering the
  workflow, chosen from the generator's own bookkeeping (calling `resolve` a thousand times
  would take minutes at this scale). The others are textual clones of those (new run/request
  ids and identity, workflow renamed to another clone of the same shape), 10 % of them in
  peer graphs at the peer's site, 5 % expired (`mmoda:validUntil` in the past), 5 % sharing
  the identity of one of the M (several runs for one identity);
- a few hundred active runs (QUEUED or EXECUTING) on peer executors, in the runs graph, so
  the resolver's load count has work to do. They are not on this site's executor: a server
  starting on the store re-attaches to this site's unfinished runs and, finding no such job,
  would end them as ERROR, changing the data between the in-process and HTTP measurements.

Quads are written with `Store.bulk_load` (N-Quads text) and `bulk_extend`: no validation, no
reasoning; validated writes are not what this benchmark measures.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mmoda.api.settings import Settings
from mmoda.api.site import open_site
from mmoda.kg import graphs
from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.errors import ParameterErrors, UnknownWorkflow
from mmoda.resolvers.request import Asked, Prepared, prepare
from mmoda.resolvers.resolve import Candidate, Resolution, time_bindings
from mmoda.runs.nodes import request_quads, run_quads, updated
from mmoda.runs.results import RunContext, result_quads

BASE = "https://bench.odahub.io"
SITE = f"{BASE}/sites/local"
LOCAL_EXECUTOR = f"{BASE}/executors/local"
SECRET = "test-secret-not-for-production-use-only"  # tests/support.SECRET: tokens it mints
SOURCES = ("lightcurve", "image", "spectrum")  # the bundled example workflows
SOURCE_INSTRUMENT = f"{BASE}/instruments/isgri-sim"

MMODA = "https://odahub.io/mmoda#"
ODA = "http://odahub.io/ontology#"
PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
FITS = "https://www.iana.org/assignments/media-types/application/fits"
LAST_DAY = date(2025, 6, 30)  # no coverage or request goes past this day
EXTRA_PARAMETERS = (  # (name, ODA type, default): appended to clones, 0-4 of them
    ("chatter", "Integer", 0), ("threshold_sigma", "Float", 3.0),
    ("max_iterations", "Integer", 100), ("smoothing", "Float", 1.5))
EXECUTOR_KINDS = ("local", "slurm", "kubernetes")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Scale:
    """How much to generate."""

    workflows: int = 10_000
    sites: int = 100
    results: int = 100_000
    instruments: int = 20
    matched: int = 1_000
    active: int = 300
    seed: int = 42


@dataclass(frozen=True)
class Instrument:
    """A generated instrument and the span of its mission (open: still observing)."""

    iri: str
    name: str
    start: date
    end: date | None

    @property
    def last(self) -> date:
        """The last day data can be asked for."""
        return min(self.end or LAST_DAY, LAST_DAY)


@dataclass(frozen=True)
class PeerSite:
    """A peer site: its Site node, graph and enabled executors (site IRI, executor IRI)."""

    iri: str
    graph: ox.NamedNode
    title: str
    executors: tuple[tuple[str, str, int], ...]  # (executor IRI, kind, capacity), enabled only


@dataclass
class Sample:
    """A request whose completed run is in the store: what to POST and what prepare made."""

    workflow: str
    parameters: dict[str, Any]
    prepared: Prepared


@dataclass
class World:
    """What was generated, for the benchmark to draw requests from and to report."""

    settings: Settings
    data_dir: Path
    instruments: list[Instrument]
    workflows: list[str]
    instrument_of: dict[str, Instrument]
    local_offers: int
    offers: int
    peers: list[PeerSite]
    matched: list[Sample]
    datasets: int = 0
    executors: int = 0
    results: int = 0
    active: int = 0
    peer_results: int = 0
    expired: int = 0
    shared_identity: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    offered_by: dict[str, list[str]] = field(default_factory=dict)
    site_executors: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    site_datasets: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def random_request(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        """A random workflow with a random sky position and a time range in its mission."""
        workflow = rng.choice(self.workflows)
        return workflow, random_parameters(self.instrument_of[workflow], rng)


def random_parameters(inst: Instrument, rng: random.Random) -> dict[str, Any]:
    """RA/DEC anywhere, T1-T2 (up to ten days) within the instrument's mission."""
    first = datetime.combine(inst.start, datetime.min.time())
    span = (inst.last - inst.start).days - 11
    t1 = first + timedelta(days=rng.randrange(max(1, span)), seconds=rng.randrange(86_400))
    t2 = t1 + timedelta(seconds=rng.randrange(3_600, 10 * 86_400))
    return {"RA": round(rng.uniform(0.0, 360.0), 4), "DEC": round(rng.uniform(-89.0, 89.0), 4),
            "T1": t1.strftime("%Y-%m-%dT%H:%M:%S"), "T2": t2.strftime("%Y-%m-%dT%H:%M:%S")}


def settings_for(data_dir: Path, port: int = 8000) -> Settings:
    """The site settings of the benchmark store (the server gets the same through MMODA_*)."""
    return Settings(data_dir=data_dir, base_url=BASE, port=port,  # type: ignore[arg-type]
                    jwt_secret=SECRET, log_level="warning")  # type: ignore[arg-type]


# -- N-Quads text ----------------------------------------------------------------------------

def _nq(s: object, p: object, o: object, g: ox.NamedNode) -> str:
    return f"{s} {p} {o} {g} .\n"


def _lines(quads: Iterable[ox.Quad | ox.Triple], graph: ox.NamedNode) -> list[str]:
    return [_nq(q.subject, q.predicate, q.object, graph) for q in quads]


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(value: object, datatype: str | None = None) -> ox.Literal:
    if datatype is not None:
        return ox.Literal(str(value), datatype=_n(XSD + datatype))
    return ox.Literal(value)  # type: ignore[arg-type]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Loader:
    """Buffers N-Quads text and bulk-loads it in chunks; counts what it wrote."""

    def __init__(self, kg: KnowledgeGraph, chunk_bytes: int = 256_000_000) -> None:
        self.kg, self.chunk_bytes = kg, chunk_bytes
        self.parts: list[str] = []
        self.size = 0
        self.lines = 0

    def add(self, text: str) -> None:
        """Queue N-Quads text (whole lines)."""
        self.parts.append(text)
        self.size += len(text)
        if self.size >= self.chunk_bytes:
            self.flush()

    def flush(self) -> None:
        """Load what is queued."""
        if not self.parts:
            return
        data = "".join(self.parts).encode("utf-8")
        self.lines += data.count(b"\n")
        self.kg.raw.bulk_load(input=data, format=ox.RdfFormat.N_QUADS)
        self.parts, self.size = [], 0


# -- instruments, sites, executors, datasets -------------------------------------------------

def _instruments(count: int) -> list[Instrument]:
    out = []
    for i in range(count):
        start = date(1991 + i % 25, 1 + (5 * i) % 12, 1 + (7 * i) % 28)
        end = None if i % 5 == 0 else min(LAST_DAY, start + timedelta(days=365 * (6 + i % 12)))
        out.append(Instrument(f"{BASE}/instruments/inst-{i:02d}", f"inst_{i:02d}", start, end))
    return out


def _instrument_quads(instruments: list[Instrument]) -> list[ox.Quad]:
    g = graphs.CATALOG
    out = []
    for k, inst in enumerate(instruments):
        s = _n(inst.iri)
        out += [ox.Quad(s, _n(RDF_TYPE), _n(MMODA + "Instrument"), g),
                ox.Quad(s, _n(SCHEMA + "name"), _lit(inst.name), g),
                ox.Quad(s, _n(RDFS_LABEL), _lit(f"Instrument {k} (generated)"), g),
                ox.Quad(s, _n(MMODA + "mission"), _lit(f"MISSION-{k // 2}"), g)]
    return out


def _coverage(inst: Instrument, rng: random.Random, full: bool) -> tuple[date, date | None]:
    if full:
        return inst.start, inst.end
    days = (inst.last - inst.start).days
    length = int(days * rng.uniform(0.3, 0.7))
    start = inst.start + timedelta(days=rng.randrange(max(1, days - length)))
    return start, start + timedelta(days=length)


def _dataset(iri: str, inst: Instrument, span: tuple[date, date | None], publisher: str,
             g: ox.NamedNode) -> list[ox.Quad]:
    s, cov, dist = _n(iri), _n(f"{iri}#coverage"), _n(f"{iri}#dist")
    out = [ox.Quad(s, _n(RDF_TYPE), _n(MMODA + "Dataset"), g),
           ox.Quad(s, _n(DCT + "title"), _lit(f"{inst.name} data ({iri.rsplit('/', 1)[-1]})"), g),
           ox.Quad(s, _n(MMODA + "instrument"), _n(inst.iri), g),
           ox.Quad(s, _n(DCT + "publisher"), _n(publisher), g),
           ox.Quad(s, _n(DCAT + "keyword"), _lit(inst.name), g),
           ox.Quad(s, _n(DCT + "temporal"), cov, g),
           ox.Quad(cov, _n(RDF_TYPE), _n(DCT + "PeriodOfTime"), g),
           ox.Quad(cov, _n(DCAT + "startDate"), _lit(span[0].isoformat(), "date"), g),
           ox.Quad(s, _n(DCAT + "distribution"), dist, g),
           ox.Quad(dist, _n(RDF_TYPE), _n(DCAT + "Distribution"), g),
           ox.Quad(dist, _n(DCAT + "accessURL"), _n(f"{iri}/files/"), g),
           ox.Quad(dist, _n(DCT + "format"), _lit("FITS"), g),
           ox.Quad(dist, _n(DCAT + "mediaType"), _n(FITS), g)]
    if span[1] is not None:
        out.append(ox.Quad(cov, _n(DCAT + "endDate"), _lit(span[1].isoformat(), "date"), g))
    return out


def _executor(iri: str, site: str, kind: str, enabled: bool, capacity: int,
              g: ox.NamedNode) -> list[ox.Quad]:
    s = _n(iri)
    return [ox.Quad(s, _n(RDF_TYPE), _n(MMODA + "Executor"), g),
            ox.Quad(s, _n(DCT + "title"), _lit(f"{kind} executor of {site}"), g),
            ox.Quad(s, _n(MMODA + "executorKind"), _lit(kind), g),
            ox.Quad(s, _n(MMODA + "enabled"), _lit(enabled), g),
            ox.Quad(s, _n(MMODA + "capacity"), _lit(capacity, "integer"), g),
            ox.Quad(s, _n(PROV + "actedOnBehalfOf"), _n(site), g)]


@dataclass
class _SitePlan:
    iri: str
    base: str
    graph: ox.NamedNode
    instruments: list[int]
    offers: list[str] = field(default_factory=list)


def _plan_sites(scale: Scale, rng: random.Random) -> list[_SitePlan]:
    plans = [_SitePlan(SITE, BASE, graphs.CATALOG, [])]
    for p in range(1, scale.sites):
        base = f"https://peer-{p:03d}.example.org"
        plans.append(_SitePlan(f"{base}/sites/local", base, graphs.peer(base), []))
    chosen = [set(rng.sample(range(scale.instruments), min(scale.instruments,
                                                            rng.randint(4, 8)))) for _ in plans]
    for i in range(scale.instruments):  # every instrument is covered by some site
        chosen[i % len(plans)].add(i)
    for plan, instruments in zip(plans, chosen, strict=True):
        plan.instruments = sorted(instruments)
    return plans


def _site_quads(plan: _SitePlan, instruments: list[Instrument], rng: random.Random,
                world: World) -> list[ox.Quad]:
    """Offers, datasets and executors of a site; the whole Site node for a peer."""
    g, s = plan.graph, _n(plan.iri)
    local = plan.iri == SITE
    out = [ox.Quad(s, _n(MMODA + "offersWorkflow"), _n(w), g) for w in plan.offers]
    publisher = f"{plan.base}/agents/operator"
    for i in plan.instruments:
        inst = instruments[i]
        for k in range(1 if rng.random() < 0.5 else 2):
            iri = f"{plan.base}/datasets/{inst.name}-{k}"
            full = k == 0 and (local or rng.random() < 0.7)
            out += _dataset(iri, inst, _coverage(inst, rng, full), publisher, g)
            out.append(ox.Quad(s, _n(DCAT + "servesDataset"), _n(iri), g))
            world.site_datasets.setdefault((plan.iri, inst.iri), []).append(iri)
            world.datasets += 1
    if local:  # the bundled Site node has its local executor; add a disabled batch one
        hpc = f"{BASE}/executors/hpc"
        out += _executor(hpc, plan.iri, "slurm", False, 32, g)
        out.append(ox.Quad(s, _n(MMODA + "executor"), _n(hpc), g))
        world.executors += 2
        world.site_executors[plan.iri] = [(LOCAL_EXECUTOR, "local", 2)]
        return out
    out += [ox.Quad(s, _n(RDF_TYPE), _n(MMODA + "Site"), g),
            ox.Quad(s, _n(DCT + "title"), _lit(f"Peer site {plan.base}"), g),
            ox.Quad(s, _n(DCAT + "endpointURL"), _n(f"{plan.base}/sparql"), g),
            ox.Quad(s, _n(MMODA + "enabled"), _lit(rng.random() < 0.95), g),
            ox.Quad(s, _n(MMODA + "priority"), _lit(rng.randrange(4), "integer"), g),
            ox.Quad(s, _n(DCT + "publisher"), _n(publisher), g)]
    enabled = []
    for k in range(rng.randint(1, 3)):
        kind = EXECUTOR_KINDS[(k + rng.randrange(3)) % 3]
        iri, on = f"{plan.base}/executors/{kind}-{k}", k == 0 or rng.random() < 0.7
        capacity = rng.choice((1, 2, 4, 8, 16, 64))
        out += _executor(iri, plan.iri, kind, on, capacity, g)
        out.append(ox.Quad(s, _n(MMODA + "executor"), _n(iri), g))
        world.executors += 1
        if on:
            enabled.append((iri, kind, capacity))
    world.peers.append(PeerSite(plan.iri, g, f"Peer site {plan.base}", tuple(enabled)))
    world.site_executors[plan.iri] = enabled
    return out


# -- workflows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _WorkflowShape:
    """N-Quads of one source workflow with placeholders; `clone` renames them."""

    source: str
    catalog: str
    classified: str

    def clone(self, name: str, inst: Instrument, k: int) -> str:
        old = f"<{BASE}/workflows/{self.source}"
        new = f"<{BASE}/workflows/{name}"
        text = self.catalog + self.classified.replace("_:", f"_:w{k}x")
        return (text.replace(old, new).replace("<@INSTRUMENT@>", f"<{inst.iri}>")
                .replace('"@INSTRUMENT_NAME@"', f'"{inst.name}"'))


def _source_shapes(kg: KnowledgeGraph) -> dict[tuple[str, int, bool], _WorkflowShape]:
    """Every (source, extra parameters, with an old version) variant of the examples."""
    shapes = {}
    for source in SOURCES:
        iri = f"{BASE}/workflows/{source}"
        triples = kg.describe(iri, graph=graphs.CATALOG)
        version = next(t.object.value for t in triples
                       if t.predicate.value == DCAT + "hasCurrentVersion")
        base = [_nq(t.subject, t.predicate, t.object, graphs.CATALOG) for t in triples]
        base = [line.replace(f"<{SOURCE_INSTRUMENT}>", "<@INSTRUMENT@>")
                .replace('"isgri_sim"', '"@INSTRUMENT_NAME@"') for line in base]
        classified = "".join(_lines(_classified(kg, iri), graphs.CLASSIFIED))
        old = version[:-12] + hashlib.sha256(version.encode()).hexdigest()[:12]
        old_lines = [line.replace(version, old) for line in base
                     if line.startswith(f"<{version}>") or line.startswith(f"<{version}-")]
        old_lines += [_nq(_n(iri), _n(DCAT + "hasVersion"), _n(old), graphs.CATALOG),
                      _nq(_n(version), _n(PROV + "wasRevisionOf"), _n(old), graphs.CATALOG)]
        positions = sum(1 for t in triples if t.predicate.value == SCHEMA + "position"
                        and "-param-" in t.subject.value)
        for extra in range(len(EXTRA_PARAMETERS) + 1):
            lines = list(base)
            for k, (name, kind, default) in enumerate(EXTRA_PARAMETERS[:extra]):
                param = _n(f"{version}-param-{name}")
                g = graphs.CATALOG
                value = _lit(default, "integer") if isinstance(default, int) \
                    else _lit(repr(default), "double")
                lines += [_nq(param, _n(RDF_TYPE), _n(MMODA + "Parameter"), g),
                          _nq(param, _n(SCHEMA + "name"), _lit(name), g),
                          _nq(param, _n(MMODA + "parameterType"), _n(ODA + kind), g),
                          _nq(param, _n(SCHEMA + "defaultValue"), value, g),
                          _nq(param, _n(SCHEMA + "position"), _lit(positions + k, "integer"), g),
                          _nq(param, _n(MMODA + "optional"), _lit(False), g),
                          _nq(_n(iri), _n(MMODA + "parameter"), param, g),
                          _nq(_n(version), _n(MMODA + "parameter"), param, g)]
            for with_old in (False, True):
                text = "".join(lines + (old_lines if with_old else []))
                shapes[(source, extra, with_old)] = _WorkflowShape(source, text, classified)
    return shapes


def _classified(kg: KnowledgeGraph, iri: str) -> list[ox.Quad]:
    """The classified-graph quads of a workflow: its classes and their blank-node closure."""
    out, todo, seen = [], [], set()
    for q in kg.raw.quads_for_pattern(None, None, None, graphs.CLASSIFIED):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(iri + "#"):
            out.append(q)
            todo.append(q.object)
    while todo:
        node = todo.pop()
        if not isinstance(node, ox.BlankNode) or node in seen:
            continue
        seen.add(node)
        for q in kg.raw.quads_for_pattern(node, None, None, graphs.CLASSIFIED):
            out.append(q)
            todo.append(q.object)
    return out


# -- runs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _RunShape:
    """N-Quads of a Request + COMPLETED Run + Result, and the strings a clone replaces."""

    text: str
    run_id: str
    request_id: str
    identity: str
    workflow_name: str
    valid_until: str | None


def _recorded_resolution(world: World, p: Prepared, rng: random.Random) -> Resolution:
    """A resolution as the service records it, chosen among the sites offering the workflow
    (by the generator's own bookkeeping: `resolve` costs too much at this scale to call it a
    thousand times while building the store; section 2 of the report measures it)."""
    sites = [s for s in world.offered_by.get(p.workflow, []) if world.site_executors.get(s)]
    site = SITE if SITE in sites else rng.choice(sites) if sites else SITE
    executor, kind, capacity = (world.site_executors.get(site) or [(LOCAL_EXECUTOR, "local", 2)])[0]
    datasets = tuple(world.site_datasets.get((site, p.info.instrument or ""), [])[:1])
    chosen = Candidate(site, executor, kind, 0, site == SITE, 0, capacity, datasets)
    shown = {"workflow": p.workflow, "self": SITE}
    if p.info.instrument:
        shown["instrument"] = p.info.instrument
        shown.update({k: v.value for k, v in time_bindings(p).items()})
    return Resolution(p.workflow, p.version, chosen, (chosen,), shown)


def _completed(kg: KnowledgeGraph, sample: Sample, resolution: Resolution, rng: random.Random,
               jobdir: Path, results: Path) -> _RunShape:
    """A request, its completed run and its result, by the functions the service uses."""
    p = sample.prepared
    run_id, request_id = uuid.uuid4().hex, uuid.uuid4().hex
    run, request = f"{BASE}/runs/{run_id}", f"{BASE}/requests/{request_id}"
    now = datetime.now(UTC).replace(microsecond=0)
    created = now - timedelta(seconds=rng.randrange(60, 180 * 86_400))
    started = created + timedelta(seconds=rng.randrange(1, 30))
    ended = started + timedelta(seconds=rng.randrange(5, 3_600))
    requester = "sha256:" + hashlib.sha256(f"user-{rng.randrange(500)}".encode()).hexdigest()
    chosen = resolution.chosen
    quads = request_quads(p, request, site=SITE, created=created, requester=requester,
                          resolution=resolution)
    pending = run_quads(p, run, request=request, resolution=resolution, creators=p.info.creators,
                        requester=requester)
    done = updated([ox.Triple(q.subject, q.predicate, q.object) for q in pending], run, {
        MMODA + "state": "COMPLETED", MMODA + "statusMessage": "completed with 1 result",
        MMODA + "externalJobId": f"local:{run_id}", MMODA + "exitCode": 0,
        PROV + "startedAtTime": ox.Literal(_stamp(started), datatype=_n(XSD + "dateTime")),
        PROV + "endedAtTime": ox.Literal(_stamp(ended), datatype=_n(XSD + "dateTime"))})
    name, kind = p.info.outputs[0] if p.info.outputs else ("result", None)
    lifetime = rng.choice((None, 2 * 365 * 86_400, 5 * 365 * 86_400))
    title = "Local MMODA site" if chosen.local else f"Peer site {chosen.site}"
    ctx = RunContext(run, request, p.workflow, p.version, p.info.title, p.info.version_name,
                     p.info.license, lifetime, chosen.site, title, p.identity,
                     tuple((c, "MMODA developers") for c in p.info.creators),
                     tuple({"node": d, "name": d.rsplit("/", 1)[-1], "license": "",
                            "publisherName": ""} for d in chosen.datasets),
                     {n: t for n, t in p.info.outputs if t})
    manifest: Any = {"run": run, "status": "completed", "started": _stamp(started),
                     "ended": _stamp(ended), "outputs": [{"name": name, "type": kind, "files": [
                         {"path": "out.fits", "media_type": "application/fits", "size": 2880,
                          "sha256": hashlib.sha256(run_id.encode()).hexdigest()}]}]}
    made = result_quads(ctx, manifest, run_id=run_id, jobdir=jobdir, store=results, base=BASE,
                        ended=ended)
    lines = _lines(quads, graphs.RUNS) + _lines(done, graphs.RUNS)
    for result in made.values():
        lines += _lines(result, graphs.RUNS)
    valid = None if lifetime is None else _stamp(ended + timedelta(seconds=lifetime))
    return _RunShape("".join(lines), run_id, request_id, p.identity,
                     p.workflow.rsplit("/", 1)[-1], valid)


def _active_run(kg: KnowledgeGraph, sample: Sample, peer: PeerSite,
                rng: random.Random) -> list[str]:
    """A request and its QUEUED or EXECUTING run on a peer's executor."""
    executor, kind, capacity = rng.choice(peer.executors)
    chosen = Candidate(peer.iri, executor, kind, 0, False, 0, capacity, ())
    p = replace(sample.prepared, identity=f"{rng.getrandbits(256):064x}")
    resolution = Resolution(p.workflow, p.version, chosen, (chosen,), {})
    run_id, request_id = uuid.uuid4().hex, uuid.uuid4().hex
    run, request = f"{BASE}/runs/{run_id}", f"{BASE}/requests/{request_id}"
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=rng.randrange(3_600))
    quads = request_quads(p, request, site=SITE, created=created, requester=None,
                          resolution=resolution)
    pending = run_quads(p, run, request=request, resolution=resolution, creators=[],
                        requester=None)
    state = rng.choice(("QUEUED", "EXECUTING"))
    changes: dict[str, Any] = {MMODA + "state": state,
                               MMODA + "externalJobId": f"{kind}:{run_id}"}
    if state == "EXECUTING":
        changes[PROV + "startedAtTime"] = ox.Literal(
            _stamp(created + timedelta(seconds=5)), datatype=_n(XSD + "dateTime"))
    run_now = updated([ox.Triple(q.subject, q.predicate, q.object) for q in pending], run,
                      changes)
    return _lines(quads, graphs.RUNS) + _lines(run_now, graphs.RUNS)


# -- the whole store -------------------------------------------------------------------------

def build(work: Path, scale: Scale, log: Log) -> tuple[World, KnowledgeGraph]:
    """Generate the store in `work/data`; the world and the open knowledge graph."""
    rng = random.Random(scale.seed)
    data = work / "data"
    work.mkdir(parents=True, exist_ok=True)
    settings = settings_for(data)
    t0 = time.perf_counter()
    log("opening a fresh site (ontology, bundled catalog, example workflows with HermiT)")
    site = open_site(settings)
    kg = site.kg
    kg.validator = None  # bulk writes only; the server validates its own writes
    seconds = {"open_site (ontology, bundled catalog, 3 examples)": time.perf_counter() - t0}
    instruments = _instruments(scale.instruments)
    world = World(settings, data, instruments, [], {}, 0, 0, [], [])
    world.seconds = seconds

    t0 = time.perf_counter()
    shapes = _source_shapes(kg)
    plans = _plan_sites(scale, rng)
    by_instrument: dict[int, list[_SitePlan]] = {}
    for plan in plans:
        for i in plan.instruments:
            by_instrument.setdefault(i, []).append(plan)
    width = max(5, len(str(scale.workflows - 1)))
    loader = Loader(kg)
    log(f"cloning {scale.workflows:,} workflows")
    variant: dict[str, tuple[str, int, bool]] = {}
    for k in range(scale.workflows):
        source = SOURCES[k % len(SOURCES)]
        extra, with_old = rng.randrange(len(EXTRA_PARAMETERS) + 1), rng.random() < 0.2
        i = rng.randrange(scale.instruments)
        inst = instruments[i]
        name = f"wf{k:0{width}d}-{source}"
        iri = f"{BASE}/workflows/{name}"
        loader.add(shapes[(source, extra, with_old)].clone(name, inst, k))
        world.workflows.append(iri)
        world.instrument_of[iri] = inst
        variant[iri] = (source, extra, with_old)
        offering = by_instrument[i]
        for plan in rng.sample(offering, min(3, len(offering))):
            plan.offers.append(iri)
    loader.flush()
    kg.bulk_extend(_instrument_quads(instruments), graph=graphs.CATALOG)
    for plan in plans:
        kg.bulk_extend(_site_quads(plan, instruments, rng, world), graph=plan.graph)
    world.offers = sum(len(p.offers) for p in plans)
    world.local_offers = len(plans[0].offers)
    seconds["workflows, sites, executors, datasets"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    matched = min(scale.matched, scale.results)
    for plan in plans:
        for w in plan.offers:
            world.offered_by.setdefault(w, []).append(plan.iri)
    log(f"preparing {matched:,} requests for the runs the others are cloned from")
    jobdir, results_dir = work / "job", work / "results"
    jobdir.mkdir(parents=True, exist_ok=True)
    (jobdir / "out.fits").write_bytes(b"SIMPLE  =                    T" + b" " * 2850)
    run_shapes: list[_RunShape] = []
    attempts = 0
    while len(run_shapes) < matched and attempts < 3 * matched + 10:
        attempts += 1
        workflow, params = world.random_request(rng)
        try:
            prepared = prepare(kg, Asked(workflow=workflow, parameters=params))
        except (ParameterErrors, UnknownWorkflow) as exc:
            key = type(exc).__name__
            world.skipped[key] = world.skipped.get(key, 0) + 1
            continue
        sample = Sample(workflow, params, prepared)
        world.matched.append(sample)
        resolution = _recorded_resolution(world, prepared, rng)
        run_shapes.append(_completed(kg, sample, resolution, rng, jobdir, results_dir))
        loader.add(run_shapes[-1].text)
    world.results = len(run_shapes)
    seconds["requests/runs/results built by prepare/request_quads/run_quads/result_quads"] = \
        time.perf_counter() - t0

    t0 = time.perf_counter()
    clones = scale.results - len(run_shapes)
    log(f"cloning {clones:,} completed runs")
    siblings: dict[tuple[str, int, bool], list[str]] = {}
    for iri, key in variant.items():
        siblings.setdefault(key, []).append(iri.rsplit("/", 1)[-1])
    runs_graph = f"{graphs.RUNS} .\n"
    past = _stamp(datetime.now(UTC) - timedelta(days=30))
    for _ in range(clones):
        shape = rng.choice(run_shapes)
        text = shape.text
        if rng.random() < 0.05:
            identity = rng.choice(run_shapes).identity
            world.shared_identity += 1
        else:
            identity = f"{rng.getrandbits(256):064x}"
        text = (text.replace(shape.run_id, f"{rng.getrandbits(128):032x}")
                .replace(shape.request_id, f"{rng.getrandbits(128):032x}")
                .replace(shape.identity, identity))
        key = variant[f"{BASE}/workflows/{shape.workflow_name}"]
        other = rng.choice(siblings[key])
        text = text.replace(f"<{BASE}/workflows/{shape.workflow_name}",
                            f"<{BASE}/workflows/{other}")
        if shape.valid_until is not None and rng.random() < 0.05:
            text = text.replace(shape.valid_until, past)
            world.expired += 1
        if world.peers and rng.random() < 0.10:
            peer = rng.choice(world.peers)
            text = text.replace(runs_graph, f"{peer.graph} .\n").replace(
                f"<{SITE}>", f"<{peer.iri}>")
            world.peer_results += 1
        loader.add(text)
        world.results += 1
    active_peers = [p for p in world.peers if p.executors]
    if active_peers and world.matched:
        for _ in range(scale.active):
            loader.add("".join(_active_run(kg, rng.choice(world.matched),
                                           rng.choice(active_peers), rng)))
            world.active += 1
    loader.flush()
    kg.flush()
    seconds["cloned runs + active runs, bulk-loaded"] = time.perf_counter() - t0
    return world, kg


def graph_counts(kg: KnowledgeGraph) -> dict[str, int]:
    """Quads per graph (one COUNT query), the peer graphs together."""
    out: dict[str, int] = {}
    rows = kg.raw.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        g, n = row["g"], row["n"]
        assert isinstance(g, ox.NamedNode) and n is not None
        key = "peer graphs" if graphs.is_peer(g) else g.value.rsplit("/", 1)[-1]
        out[key] = out.get(key, 0) + int(n.value)
    return out
