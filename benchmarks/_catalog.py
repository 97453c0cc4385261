"""A deterministic synthetic MMODA catalog: N-Quads for the stores, JSON-LD for the ingest test.

The catalog mimics what a busy site holds: agents and instruments, many datasets (DCAT, with
a temporal coverage and distributions as fragment nodes), workflows with parameters and
outputs, and for every dataset a request, a run and a result with their provenance. Catalog
nodes go to the catalog graph, requests/runs/results to the runs graph, as the service does.
Every node uses fragment IRIs (`{node}#...`) for its sub-resources, so there are no blank
nodes and the N-Quads and JSON-LD versions of a node are the same set of triples.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BASE = "https://bench.odahub.io"
CATALOG_GRAPH = "https://odahub.io/mmoda/graph/catalog"
RUNS_GRAPH = "https://odahub.io/mmoda/graph/runs"
CONTEXT_URL = "https://odahub.io/mmoda/context.jsonld"

MMODA = "https://odahub.io/mmoda#"
ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
FITS = "https://www.iana.org/assignments/media-types/application/fits"
PUBLIC = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"

INSTRUMENTS = [  # (id, label, mission, archive landing page)
    ("isgri", "INTEGRAL IBIS/ISGRI", "INTEGRAL", "https://www.isdc.unige.ch/integral/archive"),
    ("jemx", "INTEGRAL JEM-X", "INTEGRAL", "https://www.isdc.unige.ch/integral/archive"),
    ("spi-acs", "INTEGRAL SPI-ACS", "INTEGRAL", "https://www.isdc.unige.ch/integral/archive"),
    ("fermi-lat", "Fermi LAT", "Fermi", "https://fermi.gsfc.nasa.gov/ssc/data/access/lat/"),
    ("fermi-gbm", "Fermi GBM", "Fermi", "https://fermi.gsfc.nasa.gov/ssc/data/access/gbm/"),
    ("polar", "POLAR", "Tiangong-2", "https://www.astro.unige.ch/polar/"),
    ("antares", "ANTARES", "ANTARES", "https://antares.in2p3.fr/"),
    ("icecube", "IceCube", "IceCube", "https://icecube.wisc.edu/science/data-releases/"),
    ("legacysurvey", "DESI Legacy Surveys", "DESI", "https://www.legacysurvey.org/"),
    ("gw-ligo", "LIGO/Virgo/KAGRA", "LVK", "https://gwosc.org/"),
]
AGENTS = [
    ("isdc", "ISDC Data Centre for Astrophysics, University of Geneva"),
    ("fermi-fssc", "Fermi Science Support Center, NASA GSFC"),
    ("epfl-lastro", "Laboratory of Astrophysics, EPFL"),
    ("unige-dpnc", "Department of Nuclear and Particle Physics, University of Geneva"),
    ("apc-paris", "AstroParticule et Cosmologie, Paris"),
    ("gwosc", "Gravitational Wave Open Science Center"),
]
SOURCES = [
    "Crab", "Cyg X-1", "Vela X-1", "GRS 1915+105", "Sgr A*", "Mrk 421", "3C 279", "Cen A",
    "Her X-1", "4U 1630-47", "GX 339-4", "V404 Cyg", "SS 433", "Mrk 501", "PKS 2155-304",
    "GRB 221009A", "SN 1987A", "M87", "NGC 4151", "Swift J1727.8-1613",
]
KEYWORDS = [
    "hard X-rays", "gamma rays", "science window", "light curve", "spectrum", "image",
    "transient", "AGN", "X-ray binary", "pulsar", "blazar", "GRB", "neutrino", "survey",
    "polarimetry", "timing", "multi-messenger", "photon events",
]
PARAMETERS = [  # (name, label, ODA type, unit or None, default)
    ("RA", "Right ascension", "PointOfInterestRA", "Degree", "83.633"),
    ("DEC", "Declination", "PointOfInterestDEC", "Degree", "22.0145"),
    ("T1", "Start time", "StartTime", None, "2017-03-06T13:26:48.000"),
    ("T2", "End time", "EndTime", None, "2017-03-06T15:32:27.000"),
    ("E1_keV", "Lower energy bound", "Energy_keV", "keV", "28.0"),
    ("E2_keV", "Upper energy bound", "Energy_keV", "keV", "40.0"),
]
PRODUCTS = ["LightCurve", "Spectrum", "Image"]
EPOCH = datetime(2002, 10, 17, tzinfo=UTC)


@dataclass(frozen=True)
class Catalog:
    """What was generated: file paths and counts."""

    nquads: Path
    jsonld: Path
    triples: int
    datasets: int
    workflows: int
    runs: int
    jsonld_docs: int
    jsonld_triples: int

    def dataset_iri(self, i: int) -> str:
        """IRI of dataset number `i` (0 <= i < datasets)."""
        return dataset_iri(i)


def dataset_iri(i: int) -> str:
    """IRI of dataset number `i`."""
    return f"{BASE}/datasets/ds-{i}"


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(value: str, lang: str | None = None) -> str:
    text = json.dumps(value, ensure_ascii=False)  # a valid N-Triples string literal
    return f"{text}@{lang}" if lang else text


def _typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def _when(rng: random.Random, span_days: int = 8000) -> datetime:
    return EPOCH + timedelta(seconds=rng.randrange(span_days * 86400))


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


Triple = tuple[str, str, str]  # N-Triples terms


def _agents_and_instruments() -> list[Triple]:
    out: list[Triple] = []
    for ident, name in AGENTS:
        s = _iri(f"{BASE}/agents/{ident}")
        out += [(s, _iri(RDF_TYPE), _iri(MMODA + "Organisation")),
                (s, _iri(SCHEMA + "name"), _lit(name))]
    for ident, label, mission, page in INSTRUMENTS:
        s = _iri(f"{BASE}/instruments/{ident}")
        out += [(s, _iri(RDF_TYPE), _iri(MMODA + "Instrument")),
                (s, _iri(SCHEMA + "name"), _lit(ident.replace("-", "_"))),
                (s, _iri(RDFS_LABEL), _lit(label)),
                (s, _iri(MMODA + "mission"), _lit(mission)),
                (s, _iri("http://xmlns.com/foaf/0.1/homepage"), _iri(page))]
    site, executor = f"{BASE}/sites/bench", f"{BASE}/executors/local"
    out += [(_iri(site), _iri(RDF_TYPE), _iri(MMODA + "Site")),
            (_iri(site), _iri(DCT + "title"), _lit("Benchmark site")),
            (_iri(site), _iri(DCAT + "endpointURL"), _iri(f"{BASE}/sparql")),
            (_iri(site), _iri(MMODA + "enabled"), _typed("true", "boolean")),
            (_iri(executor), _iri(RDF_TYPE), _iri(MMODA + "Executor")),
            (_iri(executor), _iri(DCT + "title"), _lit("Local process executor")),
            (_iri(executor), _iri(MMODA + "executorKind"), _lit("local")),
            (_iri(executor), _iri(MMODA + "enabled"), _typed("true", "boolean"))]
    return out


def dataset_doc(i: int, rng: random.Random) -> dict[str, Any]:
    """The JSON-LD document (project context) of dataset `i`; `rng` drives its contents."""
    iri = dataset_iri(i)
    inst_id, inst_label, mission, page = INSTRUMENTS[rng.randrange(len(INSTRUMENTS))]
    agent = AGENTS[rng.randrange(len(AGENTS))][0]
    source = SOURCES[rng.randrange(len(SOURCES))]
    start = _when(rng)
    end = start + timedelta(seconds=rng.randrange(600, 30 * 86400))
    revolution = 1 + (start - EPOCH).days // 3
    dists = []
    for k in range(rng.choice((1, 2, 2, 3))):
        dists.append({
            "id": f"{iri}#dist-{k}",
            "type": "Distribution",
            "title": f"{inst_label} data of {source}, part {k + 1}",
            "accessURL": f"https://data.bench.odahub.io/{inst_id}/rev_{revolution:04d}/{i}/{k}/",
            "mediaType": FITS,
            "byteSize": str(rng.randrange(10_000, 2_000_000_000)),
            "format": "FITS",
        })
    return {
        "@context": CONTEXT_URL,
        "@graph": [
            {
                "id": iri,
                "type": ["Dataset", "dcat:Dataset"],
                "title": f"{inst_label} observation of {source}, revolution {revolution}",
                "description": {
                    "@value": f"{mission} {inst_label} data of {source} taken from "
                              f"{_iso(start)} to {_iso(end)} (revolution {revolution}), "
                              "archived and redistributed for MMODA analyses.",
                    "@language": "en",
                },
                "keyword": sorted(set(rng.sample(KEYWORDS, 3))),
                "instrument": f"{BASE}/instruments/{inst_id}",
                "publisher": f"{BASE}/agents/{agent}",
                "landingPage": page,
                "accessRights": PUBLIC,
                "modified": _iso(end + timedelta(days=rng.randrange(1, 400))),
                "temporal": f"{iri}#coverage",
                "distribution": [d["id"] for d in dists],
            },
            {
                "id": f"{iri}#coverage",
                "type": "PeriodOfTime",
                "startDate": {"@value": _iso(start), "@type": "xsd:dateTime"},
                "endDate": {"@value": _iso(end), "@type": "xsd:dateTime"},
            },
            *dists,
        ],
    }


def dataset_triples(doc: dict[str, Any]) -> list[Triple]:
    """The N-Triples terms of a document made by `dataset_doc` (what a JSON-LD parser yields)."""
    node, coverage, *dists = doc["@graph"]
    s = _iri(node["id"])
    out: list[Triple] = [(s, _iri(RDF_TYPE), _iri(MMODA + "Dataset")),
                         (s, _iri(RDF_TYPE), _iri(DCAT + "Dataset")),
                         (s, _iri(DCT + "title"), _lit(node["title"])),
                         (s, _iri(DCT + "description"), _lit(node["description"]["@value"], "en"))]
    out += [(s, _iri(DCAT + "keyword"), _lit(k)) for k in node["keyword"]]
    out += [(s, _iri(MMODA + "instrument"), _iri(node["instrument"])),
            (s, _iri(DCT + "publisher"), _iri(node["publisher"])),
            (s, _iri(DCAT + "landingPage"), _iri(node["landingPage"])),
            (s, _iri(DCT + "accessRights"), _iri(node["accessRights"])),
            (s, _iri(DCT + "modified"), _typed(node["modified"], "dateTime")),
            (s, _iri(DCT + "temporal"), _iri(node["temporal"]))]
    out += [(s, _iri(DCAT + "distribution"), _iri(d)) for d in node["distribution"]]
    c = _iri(coverage["id"])
    out += [(c, _iri(RDF_TYPE), _iri(DCT + "PeriodOfTime")),
            (c, _iri(DCAT + "startDate"), _typed(coverage["startDate"]["@value"], "dateTime")),
            (c, _iri(DCAT + "endDate"), _typed(coverage["endDate"]["@value"], "dateTime"))]
    for d in dists:
        ds = _iri(d["id"])
        out += [(ds, _iri(RDF_TYPE), _iri(DCAT + "Distribution")),
                (ds, _iri(DCT + "title"), _lit(d["title"])),
                (ds, _iri(DCAT + "accessURL"), _iri(d["accessURL"])),
                (ds, _iri(DCAT + "mediaType"), _iri(d["mediaType"])),
                (ds, _iri(DCAT + "byteSize"), _typed(d["byteSize"], "nonNegativeInteger")),
                (ds, _iri(DCT + "format"), _lit(d["format"]))]
    return out


def _workflow(w: int, rng: random.Random) -> list[Triple]:
    iri = f"{BASE}/workflows/wf-{w}"
    s = _iri(iri)
    inst_id, inst_label, _, _ = INSTRUMENTS[rng.randrange(len(INSTRUMENTS))]
    product = PRODUCTS[w % len(PRODUCTS)]
    out: list[Triple] = [
        (s, _iri(RDF_TYPE), _iri(MMODA + "Workflow")),
        (s, _iri(DCT + "title"), _lit(f"{inst_label} {product} workflow #{w}")),
        (s, _iri(DCT + "description"),
         _lit(f"Computes a {product} from {inst_label} data for a sky position and time "
              "range.", "en")),
        (s, _iri(DCAT + "keyword"), _lit(product.lower())),
        (s, _iri(MMODA + "instrument"), _iri(f"{BASE}/instruments/{inst_id}")),
        (s, _iri(DCT + "publisher"), _iri(f"{BASE}/agents/{AGENTS[w % len(AGENTS)][0]}")),
        (s, _iri(DCT + "license"), _iri("https://spdx.org/licenses/MIT")),
        (s, _iri(SCHEMA + "codeRepository"),
         _iri(f"https://gitlab.renkulab.io/astronomy/mmoda/{inst_id}-{w}")),
    ]
    for k, (name, label, oda_type, unit, default) in enumerate(PARAMETERS):
        p = _iri(f"{iri}#par-{name}")
        out += [(s, _iri(MMODA + "parameter"), p),
                (p, _iri(RDF_TYPE), _iri(MMODA + "Parameter")),
                (p, _iri(SCHEMA + "name"), _lit(name)),
                (p, _iri(RDFS_LABEL), _lit(label)),
                (p, _iri(MMODA + "parameterType"), _iri(ODA + oda_type)),
                (p, _iri(SCHEMA + "defaultValue"), _lit(default)),
                (p, _iri(SCHEMA + "position"), _typed(str(k), "integer"))]
        if unit:
            out.append((p, _iri(ODA + "unit"), _iri(UNIT + unit)))
    o = _iri(f"{iri}#out-{product.lower()}")
    v = _iri(f"{iri}#v1")
    out += [(s, _iri(MMODA + "output"), o),
            (o, _iri(RDF_TYPE), _iri(MMODA + "Output")),
            (o, _iri(SCHEMA + "name"), _lit(product.lower())),
            (o, _iri(MMODA + "productType"), _iri(ODA + product)),
            (s, _iri(DCAT + "hasCurrentVersion"), v),
            (v, _iri(RDF_TYPE), _iri(MMODA + "WorkflowVersion")),
            (v, _iri(SCHEMA + "version"), _lit("1.0.0")),
            (v, _iri(MMODA + "commit"), _lit(f"{rng.getrandbits(160):040x}")),
            (v, _iri(DCT + "created"), _typed(_iso(_when(rng)), "dateTime"))]
    return out


def _provenance(i: int, workflows: int, datasets: int, rng: random.Random) -> list[Triple]:
    """Request, run and result number `i`, using datasets among the first `datasets`."""
    w = rng.randrange(workflows)
    wf = f"{BASE}/workflows/wf-{w}"
    rq, run, res = (_iri(f"{BASE}/{k}/{k[:-1]}-{i}") for k in ("requests", "runs", "results"))
    started = _when(rng)
    ended = started + timedelta(seconds=rng.randrange(5, 7200))
    used = sorted({rng.randrange(datasets) for _ in range(rng.choice((1, 1, 2, 3)))})
    agent = _iri(f"{BASE}/agents/{AGENTS[rng.randrange(len(AGENTS))][0]}")
    out: list[Triple] = [
        (rq, _iri(RDF_TYPE), _iri(MMODA + "Request")),
        (rq, _iri(MMODA + "workflow"), _iri(wf)),
        (rq, _iri(MMODA + "identityHash"), _lit(f"{rng.getrandbits(128):032x}")),
        (rq, _iri(DCT + "created"), _typed(_iso(started - timedelta(seconds=3)), "dateTime")),
        (rq, _iri(MMODA + "site"), _iri(f"{BASE}/sites/bench")),
        (rq, _iri(PROV + "wasAttributedTo"), agent),
    ]
    values = (("RA", f"{rng.uniform(0, 360):.4f}"), ("DEC", f"{rng.uniform(-90, 90):.4f}"),
              ("E1_keV", "28.0"))
    for name, value in values:
        pv = _iri(f"{BASE}/requests/request-{i}#pv-{name}")
        out += [(rq, _iri(MMODA + "parameterValue"), pv),
                (pv, _iri(SCHEMA + "name"), _lit(name)),
                (pv, _iri(SCHEMA + "value"), _lit(value)),
                (pv, _iri(MMODA + "forParameter"), _iri(f"{wf}#par-{name}"))]
    out += [
        (run, _iri(RDF_TYPE), _iri(MMODA + "Run")),
        (run, _iri(MMODA + "request"), rq),
        (run, _iri(MMODA + "state"), _lit("COMPLETED")),
        (run, _iri(PROV + "startedAtTime"), _typed(_iso(started), "dateTime")),
        (run, _iri(PROV + "endedAtTime"), _typed(_iso(ended), "dateTime")),
        (run, _iri(MMODA + "executor"), _iri(f"{BASE}/executors/local")),
        (run, _iri(PROV + "wasAssociatedWith"), agent),
        *((run, _iri(PROV + "used"), _iri(dataset_iri(d))) for d in used),
        (res, _iri(RDF_TYPE), _iri(MMODA + "Result")),
        (res, _iri(DCT + "title"), _lit(f"Result of run {i}")),
        (res, _iri(PROV + "wasGeneratedBy"), run),
        (res, _iri(PROV + "wasDerivedFrom"), rq),
        (res, _iri(PROV + "generatedAtTime"), _typed(_iso(ended), "dateTime")),
    ]
    dist = _iri(f"{BASE}/results/result-{i}#dist-0")
    out += [(res, _iri(DCAT + "distribution"), dist),
            (dist, _iri(RDF_TYPE), _iri(DCAT + "Distribution")),
            (dist, _iri(DCAT + "accessURL"), _iri(f"{BASE}/results/result-{i}/product.fits")),
            (dist, _iri(DCAT + "mediaType"), _iri(FITS)),
            (dist, _iri(DCAT + "byteSize"), _typed(str(rng.randrange(1000, 10**8)), "integer"))]
    return out


def _quads(triples: list[Triple], graph: str) -> Iterator[str]:
    g = _iri(graph)
    for s, p, o in triples:
        yield f"{s} {p} {o} {g} .\n"


def generate(workdir: Path, *, triples: int, jsonld_triples: int, seed: int = 42) -> Catalog:
    """Write `catalog.nq` (at least `triples` quads) and `datasets.jsonl` (JSON-LD documents of
    the first datasets, at least `jsonld_triples` triples) into `workdir`."""
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    nq, jl = workdir / "catalog.nq", workdir / "datasets.jsonl"
    count = datasets = workflows = runs = docs = doc_triples = 0
    with nq.open("w", encoding="utf-8") as out, jl.open("w", encoding="utf-8") as jout:
        head = _agents_and_instruments()
        out.writelines(_quads(head, CATALOG_GRAPH))
        count += len(head)
        while count < triples:
            doc = dataset_doc(datasets, rng)
            block = dataset_triples(doc)
            if doc_triples < jsonld_triples:
                jout.write(json.dumps(doc, ensure_ascii=False) + "\n")
                docs += 1
                doc_triples += len(block)
            datasets += 1
            if datasets % 20 == 1:
                block += _workflow(workflows, rng)
                workflows += 1
            out.writelines(_quads(block, CATALOG_GRAPH))
            prov = _provenance(runs, workflows, datasets, rng)
            runs += 1
            out.writelines(_quads(prov, RUNS_GRAPH))
            count += len(block) + len(prov)
    return Catalog(nq, jl, count, datasets, workflows, runs, docs, doc_triples)


def read_docs(path: Path) -> list[bytes]:
    """The JSON-LD documents written by `generate`, one per line."""
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def extra_dataset_docs(count: int, *, first: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` fresh dataset documents numbered from `first` (not in the generated catalog)."""
    rng = random.Random(seed)
    return [dataset_doc(first + k, rng) for k in range(count)]
