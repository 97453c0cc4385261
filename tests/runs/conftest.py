"""The example provenance graph of the runs contract, in a real in-memory store.

Run U1 of the light-curve workflow produced two results (lightcurve, the one the tests export,
and its sibling spectrum); run U2 of another workflow produced an unrelated result. The catalog
graph holds the workflows, their versions and creators, the site, the executor and the dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
import pytest

from mmoda.kg import graphs
from mmoda.kg.store import KnowledgeGraph

BASE = "http://127.0.0.1:8000"
PREFIXES = """
@prefix mmoda: <https://odahub.io/mmoda#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix schema: <https://schema.org/> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix oda: <http://odahub.io/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix lc: <{base}/workflows/lightcurve#> .
"""

CATALOG = """
<{base}/workflows/lightcurve> a mmoda:Workflow ; dct:title "Light curve" ;
  dcat:hasCurrentVersion lc:v-abc123abc123 ; dct:license <https://spdx.org/licenses/MIT> .
lc:v-abc123abc123 a mmoda:WorkflowVersion ; dct:title "Light curve" ;
  schema:version "abc123abc123" ; dcat:isVersionOf <{base}/workflows/lightcurve> ;
  mmoda:commit "0123abcd0123abcd0123abcd0123abcd0123abcd" ; mmoda:entryPoint "lightcurve.ipynb" ;
  mmoda:workflowKind "notebook" ; dct:license <https://spdx.org/licenses/MIT> ;
  dct:creator lc:v-abc123abc123-creator-1 ; mmoda:parameter lc:v-abc123abc123-param-ra ,
  lc:v-abc123abc123-param-T1 .
lc:v-abc123abc123-creator-1 a mmoda:Person ; schema:name "Ada Astronomer" ;
  schema:identifier <https://orcid.org/0000-0002-1825-0097> .
lc:v-abc123abc123-param-ra a mmoda:Parameter ; schema:name "ra" ;
  mmoda:parameterType oda:PointOfInterestRA .
lc:v-abc123abc123-param-T1 a mmoda:Parameter ; schema:name "T1" ;
  mmoda:parameterType oda:StartTime .
<{base}/sites/local> a mmoda:Site ; dct:title "Local MMODA site" .
<{base}/executors/local> a mmoda:Executor ; dct:title "Local process executor" ;
  mmoda:executorKind "local" .
<{base}/datasets/sim-isgri-events> a mmoda:Dataset ; dct:title "SIMULATED ISGRI event list" ;
  dct:publisher <{base}/agents/mmoda-developers> ; dct:license <https://spdx.org/licenses/MIT> .
<{base}/agents/mmoda-developers> a mmoda:Organisation ; schema:name "MMODA developers" .

<{base}/workflows/other> a mmoda:Workflow ; dct:title "Other workflow" ;
  dcat:hasCurrentVersion <{base}/workflows/other#v-1> .
<{base}/workflows/other#v-1> a mmoda:WorkflowVersion ; dct:title "Other workflow" ;
  schema:version "1" ; dcat:isVersionOf <{base}/workflows/other> ;
  dct:creator <{base}/workflows/other#v-1-creator-1> .
<{base}/workflows/other#v-1-creator-1> a mmoda:Person ; schema:name "Bob Other" .
<{base}/sites/remote> a mmoda:Site ; dct:title "Remote site" .
"""

RUNS = """
<{base}/requests/R1> a mmoda:Request , prov:Entity ;
  dct:created "2026-11-24T10:00:00Z"^^xsd:dateTime ;
  mmoda:workflow <{base}/workflows/lightcurve> ; mmoda:workflowVersion lc:v-abc123abc123 ;
  mmoda:site <{base}/sites/local> ;
  mmoda:identityHash "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;
  mmoda:reusePolicy "any" ; mmoda:requester "sha256:0011" ;
  mmoda:parameterValue <{base}/requests/R1#p-ra> , <{base}/requests/R1#p-T1> ;
  mmoda:resolution "{{\\"site\\": \\"local\\", \\"datasets\\": [1, 2]}}"^^rdf:JSON .
<{base}/requests/R1#p-ra> a schema:PropertyValue , prov:Entity ; schema:name "ra" ;
  schema:value "83.633"^^xsd:double ; prov:value "83.633"^^xsd:double ;
  mmoda:forParameter lc:v-abc123abc123-param-ra .
<{base}/requests/R1#p-T1> a schema:PropertyValue , prov:Entity ; schema:name "T1" ;
  schema:value "2003-03-15T23:27:40.000Z"^^xsd:dateTime ;
  prov:value "2003-03-15T23:27:40.000Z"^^xsd:dateTime ;
  mmoda:forParameter lc:v-abc123abc123-param-T1 .
<{base}/runs/U1> a mmoda:Run , prov:Activity ; mmoda:request <{base}/requests/R1> ;
  mmoda:workflow <{base}/workflows/lightcurve> ; mmoda:workflowVersion lc:v-abc123abc123 ;
  mmoda:site <{base}/sites/local> ; mmoda:executor <{base}/executors/local> ;
  mmoda:identityHash "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;
  mmoda:requester "sha256:0011" ; mmoda:state "{state}" ;
  mmoda:externalJobId "local:/var/mmoda/jobs/U1" ; mmoda:exitCode 0 ;
  prov:startedAtTime "2026-11-24T10:00:05Z"^^xsd:dateTime ;
  prov:endedAtTime "2026-11-24T10:01:05Z"^^xsd:dateTime ; mmoda:statusMessage "completed" ;
  prov:used <{base}/requests/R1> , <{base}/requests/R1#p-ra> , <{base}/requests/R1#p-T1> ,
    <{base}/datasets/sim-isgri-events> ;
  prov:qualifiedUsage <{base}/runs/U1#usage-ra> , <{base}/runs/U1#usage-T1> ,
    <{base}/runs/U1#usage-data-1> ;
  prov:wasAssociatedWith <{base}/sites/local> , lc:v-abc123abc123-creator-1 ;
  prov:qualifiedAssociation <{base}/runs/U1#association> ;
  mmoda:progress <{base}/runs/U1#progress-1> .
<{base}/runs/U1#usage-ra> a prov:Usage ; prov:entity <{base}/requests/R1#p-ra> ;
  prov:hadRole lc:v-abc123abc123-param-ra .
<{base}/runs/U1#usage-T1> a prov:Usage ; prov:entity <{base}/requests/R1#p-T1> ;
  prov:hadRole lc:v-abc123abc123-param-T1 .
<{base}/runs/U1#usage-data-1> a prov:Usage ; prov:entity <{base}/datasets/sim-isgri-events> ;
  prov:hadRole mmoda:inputData .
<{base}/runs/U1#association> a prov:Association ; prov:agent <{base}/sites/local> ;
  prov:hadPlan lc:v-abc123abc123 ; prov:hadRole mmoda:executingSite .
<{base}/runs/U1#progress-1> a mmoda:ProgressReport ;
  prov:atTime "2026-11-24T10:00:30Z"^^xsd:dateTime ; mmoda:stage "binning" ;
  mmoda:fraction "0.5"^^xsd:double ; rdfs:comment "binning events" .
<{base}/results/U1-lightcurve> a mmoda:Result , prov:Entity , dcat:Dataset , schema:Dataset ;
  dct:title "lightcurve — Light curve" ;
  dct:description "Output 'lightcurve' of Light curve (version abc123abc123)." ;
  mmoda:outputName "lightcurve" ; mmoda:productType oda:LightCurve ;
  prov:wasGeneratedBy <{base}/runs/U1> ;
  prov:generatedAtTime "2026-11-24T10:01:05Z"^^xsd:dateTime ;
  prov:wasDerivedFrom <{base}/requests/R1> , <{base}/datasets/sim-isgri-events> ;
  prov:wasAttributedTo <{base}/sites/local> , lc:v-abc123abc123-creator-1 ;
  dct:license <https://spdx.org/licenses/MIT> ; mmoda:dataLicense <https://spdx.org/licenses/MIT> ;
  dct:bibliographicCitation "Ada Astronomer (2026). Light curve (version abc123abc123)." ;
  mmoda:identityHash "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" ;
  mmoda:validUntil "2026-12-24T10:01:05Z"^^xsd:dateTime ;
  dcat:distribution <{base}/results/U1-lightcurve#file-1> .
<{base}/results/U1-lightcurve#file-1> a dcat:Distribution ; dct:title "lc.fits" ;
  dcat:downloadURL <{base}/results/U1-lightcurve/files/lc.fits> ;
  dcat:accessURL <{base}/results/U1-lightcurve/files/lc.fits> ;
  dcat:mediaType <https://www.iana.org/assignments/media-types/application/fits> ;
  dcat:byteSize "2880"^^xsd:nonNegativeInteger ;
  spdx:checksum <{base}/results/U1-lightcurve#file-1-sha256> .
<{base}/results/U1-lightcurve#file-1-sha256> a spdx:Checksum ;
  spdx:algorithm spdx:checksumAlgorithm_sha256 ;
  spdx:checksumValue "ab12cd34"^^xsd:hexBinary .

<{base}/results/U1-spectrum> a mmoda:Result , prov:Entity ; dct:title "spectrum — Light curve" ;
  prov:wasGeneratedBy <{base}/runs/U1> ; schema:value "{{\\"x\\": 1}}"^^rdf:JSON .

<{base}/requests/R2> a mmoda:Request , prov:Entity ;
  mmoda:workflowVersion <{base}/workflows/other#v-1> .
<{base}/runs/U2> a mmoda:Run , prov:Activity ; mmoda:request <{base}/requests/R2> ;
  mmoda:workflow <{base}/workflows/other> ; mmoda:workflowVersion <{base}/workflows/other#v-1> ;
  mmoda:site <{base}/sites/remote> ; mmoda:state "FAILED" ; prov:used <{base}/requests/R2> ;
  prov:wasAssociatedWith <{base}/sites/remote> .
<{base}/results/U2-other> a mmoda:Result , prov:Entity ; dct:title "other result" ;
  prov:wasGeneratedBy <{base}/runs/U2> ; prov:wasAttributedTo <{base}/sites/remote> .
"""


@dataclass(frozen=True)
class Example:
    """The store holding the example graph and the IRIs the tests look for."""

    kg: KnowledgeGraph
    base: str = BASE

    @property
    def result(self) -> str:
        return f"{self.base}/results/U1-lightcurve"

    @property
    def run(self) -> str:
        return f"{self.base}/runs/U1"

    @property
    def request(self) -> str:
        return f"{self.base}/requests/R1"

    @property
    def version(self) -> str:
        return f"{self.base}/workflows/lightcurve#v-abc123abc123"

    @property
    def creator(self) -> str:
        return f"{self.base}/workflows/lightcurve#v-abc123abc123-creator-1"

    @property
    def site(self) -> str:
        return f"{self.base}/sites/local"

    @property
    def dataset(self) -> str:
        return f"{self.base}/datasets/sim-isgri-events"


def build_example(state: str = "COMPLETED") -> Example:
    """A fresh store with the example catalog and runs graphs."""
    kg = KnowledgeGraph(None)
    for text, graph in ((CATALOG, graphs.CATALOG), (RUNS, graphs.RUNS)):
        ttl = (PREFIXES + text).format(base=BASE, state=state)
        kg.raw.load(input=ttl.encode(), format=ox.RdfFormat.TURTLE, to_graph=graph)
    return Example(kg)


@pytest.fixture
def example() -> Example:
    """The example graph with run U1 completed."""
    return build_example()


@pytest.fixture
def failed_example() -> Example:
    """The example graph with run U1 failed."""
    return build_example("FAILED")
