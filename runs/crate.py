"""A result as a Workflow Run RO-Crate: its files, the run that made them (a CreateAction), the
workflow version it ran (the main ComputationalWorkflow), its inputs and its PROV-O provenance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rocrate.model.computerlanguage import ComputerLanguage
from rocrate.model.contextentity import ContextEntity
from rocrate.model.entity import Entity
from rocrate.rocrate import ROCrate

from mmoda.kg import rdfio
from mmoda.runs.provenance import serialize_provenance
from mmoda.runs.vocab import DCAT, DCT, IANA, MMODA, PROV, SCHEMA, SPDX, XSD

__all__ = ["PROFILES", "ro_crate_zip"]

PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": ("Process Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/workflow/0.5": ("Workflow Run Crate", "0.5"),
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": ("Workflow RO-Crate", "1.0"),
}
"""The profiles the crate conforms to: permalink -> (name, version)."""
WFRUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run/context"
_STATUS = {"COMPLETED": "CompletedActionStatus", "RUNNING": "ActiveActionStatus",
           "PENDING": "PotentialActionStatus", "QUEUED": "PotentialActionStatus"}
_LANGUAGES = {"notebook": ("https://jupyter.org/", "Jupyter Notebook"),
              "function": ("https://www.python.org/", "Python")}
_DATA_TYPES = {"double": "Float", "float": "Float", "decimal": "Float", "integer": "Integer",
               "int": "Integer", "long": "Integer", "boolean": "Boolean", "dateTime": "DateTime",
               "date": "Date", "time": "Time"}


class _Facts:
    """The triples by subject and predicate."""

    def __init__(self, triples: Sequence[ox.Triple]) -> None:
        self.by: dict[tuple[str, str], list[Any]] = defaultdict(list)
        for t in sorted(triples, key=str):
            self.by[(rdfio.value(t.subject), t.predicate.value)].append(t.object)

    def all(self, subject: str | None, predicate: str) -> list[Any]:
        return self.by.get((subject or "", predicate), [])

    def one(self, subject: str | None, predicate: str) -> str | None:
        found = self.all(subject, predicate)
        return found[0].value if found else None


def ro_crate_zip(triples: Sequence[ox.Triple], result_iri: str,
                 files: Sequence[tuple[Path, str]], dest: Path) -> Path:
    """Write the Workflow Run RO-Crate of the result to the zip `dest` and return its path.

    `triples` is the result's provenance (`provenance_triples`), `files` its files as (local
    path, name in the crate). `ValueError` when the provenance names no run.
    """
    facts = _Facts(triples)
    run = facts.one(result_iri, PROV + "wasGeneratedBy")
    version = facts.one(run, MMODA + "workflowVersion")
    if run is None or version is None:
        raise ValueError(f"the provenance of <{result_iri}> names no run or workflow version")
    crate = ROCrate(version="1.1")  # the profiles build on RO-Crate 1.1
    crate.metadata.extra_contexts.append(WFRUN_CONTEXT)  # defines `sha256`
    _root(crate, facts, result_iri)
    workflow = _workflow(crate, facts, version)
    action = _action(crate, facts, run, workflow)
    action["object"] = _inputs(crate, facts, run, workflow)
    action["result"] = [_file(crate, facts, result_iri, p, n) for p, n in files] + [
        _value(crate, facts, result_iri, v) for v in facts.all(result_iri, SCHEMA + "value")]
    crate.add_file(BytesIO(serialize_provenance(triples, "turtle")), "provenance.ttl",
                   properties={"name": "PROV-O provenance of the result", "about": action,
                               "encodingFormat": "text/turtle"})
    crate.root_dataset["mentions"] = action
    crate.write_zip(dest)
    return dest


def _root(crate: ROCrate, facts: _Facts, result: str) -> None:
    root = crate.root_dataset
    root["name"] = facts.one(result, DCT + "title") or result
    root["description"] = facts.one(result, DCT + "description") or root["name"]
    root["identifier"] = result
    root["datePublished"] = facts.one(result, PROV + "generatedAtTime") or root["datePublished"]
    for key, value in _props({"creditText": facts.one(result, DCT + "bibliographicCitation"),
                              "license": _license(crate, facts.one(result, DCT + "license"))}
                             ).items():
        root[key] = value
    root["conformsTo"] = [crate.add(ContextEntity(crate, iri, properties={
        "@type": "CreativeWork", "name": name, "version": version}))
        for iri, (name, version) in PROFILES.items()]


def _license(crate: ROCrate, iri: str | None) -> Entity | None:
    if iri is None:
        return None
    name = iri.rstrip("/").rsplit("/", 1)[-1]
    return crate.add(ContextEntity(crate, iri, properties={"@type": "CreativeWork",
                                                           "name": name}))


def _workflow(crate: ROCrate, facts: _Facts, version: str) -> Entity:
    kind = facts.one(version, MMODA + "workflowKind") or "notebook"
    url, name = _LANGUAGES.get(kind, (f"#mmoda-{kind}", f"MMODA {kind} workflow"))
    language = crate.add(ComputerLanguage(crate, url, properties=_props({
        "name": name, "url": url if url.startswith("http") else None})))
    title = facts.one(version, DCT + "title") or version
    about = [f"{title}, version {facts.one(version, SCHEMA + 'version')}"]
    about += [f"commit {c}" for c in [facts.one(version, MMODA + "commit")] if c]
    about += [f"entry point {e}" for e in [facts.one(version, MMODA + "entryPoint")] if e]
    creators = [_person(crate, facts, c.value) for c in facts.all(version, DCT + "creator")]
    return crate.add_workflow(version, main=True, lang=language, properties=_props({
        "name": title, "version": facts.one(version, SCHEMA + "version"), "identifier": version,
        "url": facts.one(version, DCAT + "isVersionOf") or version,
        "description": "; ".join(about), "creator": creators, "author": creators,
        "license": _license(crate, facts.one(version, DCT + "license"))}))


def _person(crate: ROCrate, facts: _Facts, node: str) -> Entity:
    orcid = [i.value for i in facts.all(node, SCHEMA + "identifier")
             if isinstance(i, ox.NamedNode)]
    return crate.add(ContextEntity(crate, orcid[0] if orcid else node, properties={
        "@type": "Person", "name": facts.one(node, SCHEMA + "name") or node}))


def _action(crate: ROCrate, facts: _Facts, run: str, workflow: Entity) -> Entity:
    state = facts.one(run, MMODA + "state") or "UNKNOWN"
    status = _STATUS.get(state, "FailedActionStatus")
    site = facts.one(run, MMODA + "site")
    action = crate.add_action(workflow, identifier=run, properties=_props({
        "@type": "CreateAction", "name": f"Run of {workflow['name']} ({state.lower()})",
        "startTime": facts.one(run, PROV + "startedAtTime"),
        "endTime": facts.one(run, PROV + "endedAtTime"),
        "actionStatus": {"@id": f"http://schema.org/{status}"},
        "description": facts.one(run, MMODA + "statusMessage")}))
    if status == "FailedActionStatus" and "description" in action:
        action["error"] = action["description"]
    if site is not None:  # the process profile wants a Person or Organization as the agent
        action["agent"] = crate.add(ContextEntity(crate, site, properties={
            "@type": "Organization", "name": facts.one(site, DCT + "title") or site}))
    return action


def _inputs(crate: ROCrate, facts: _Facts, run: str, workflow: Entity) -> list[Entity]:
    inputs: list[Entity] = []
    request = facts.one(run, MMODA + "request")
    for pv in [v.value for v in facts.all(request, MMODA + "parameterValue")]:
        value = facts.all(pv, SCHEMA + "value")
        name = facts.one(pv, SCHEMA + "name") or pv
        entity = crate.add(ContextEntity(crate, pv, properties=_props({
            "@type": "PropertyValue", "name": name, "value": value[0].value if value else None})))
        formal = facts.one(pv, MMODA + "forParameter")
        if formal is not None:
            kind = value[0].datatype.value.removeprefix(XSD) if value else "string"
            entity["exampleOfWork"] = crate.add_formal_parameter(
                facts.one(formal, SCHEMA + "name") or name, _DATA_TYPES.get(kind, "Text"),
                identifier=formal)
            workflow.append_to("input", entity["exampleOfWork"])
        inputs.append(entity)
    return inputs + [_dataset(crate, facts, u) for u in _data_used(facts, run)]


def _data_used(facts: _Facts, run: str) -> list[str]:
    usages = [u.value for u in facts.all(run, PROV + "qualifiedUsage")]
    return [e for u in usages if facts.one(u, PROV + "hadRole") == MMODA + "inputData"
            for e in [facts.one(u, PROV + "entity")] if e]


def _dataset(crate: ROCrate, facts: _Facts, node: str) -> Entity:
    publisher = facts.one(node, DCT + "publisher")
    # A CreativeWork, as the process profile has it for data outside the crate: typed Dataset
    # it would be a data entity, which rocrate reads back with a "/" appended to its IRI.
    return crate.add(ContextEntity(crate, node, properties=_props({
        "@type": "CreativeWork", "additionalType": "Dataset", "identifier": node,
        "name": facts.one(node, DCT + "title") or node,
        "license": _license(crate, facts.one(node, DCT + "license")),
        "publisher": publisher and crate.add(ContextEntity(crate, publisher, properties=_props({
            "@type": "Organization", "name": facts.one(publisher, SCHEMA + "name")})))})))


def _file(crate: ROCrate, facts: _Facts, result: str, path: Path, name: str) -> Entity:
    dists = [d.value for d in facts.all(result, DCAT + "distribution")
             if facts.one(d.value, DCT + "title") == name]
    dist = dists[0] if dists else None
    checksum = facts.one(dist, SPDX + "checksum")
    media = facts.one(dist, DCAT + "mediaType")
    return crate.add_file(path, name, properties=_props({
        "name": name, "url": facts.one(dist, DCAT + "downloadURL"),
        "encodingFormat": media and media.removeprefix(IANA),
        "contentSize": facts.one(dist, DCAT + "byteSize") or str(path.stat().st_size),
        "sha256": facts.one(checksum, SPDX + "checksumValue")}))


def _value(crate: ROCrate, facts: _Facts, result: str, value: ox.Literal) -> Entity:
    return crate.add(ContextEntity(crate, f"{result}#value", properties={
        "@type": "PropertyValue", "name": facts.one(result, MMODA + "outputName") or result,
        "value": value.value}))


def _props(values: dict[str, Any]) -> dict[str, Any]:
    # rocrate writes a None property as null; an absent fact is no property at all.
    return {k: v for k, v in values.items() if v is not None and v != []}
