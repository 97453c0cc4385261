"""A result as a Workflow Run RO-Crate zip, written and read back by the real rocrate package."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rocrate.rocrate import ROCrate

from mmoda.kg import rdfio
from mmoda.runs.crate import PROFILES, ro_crate_zip
from mmoda.runs.provenance import provenance_triples

FITS = b"SIMPLE  =                    T" + bytes(range(256)) * 11


def ids(value: Any) -> list[str]:
    """The @ids of an entity property (one entity or a list of them)."""
    return [e.id for e in (value if isinstance(value, list) else [value])]


def write(example: Any, tmp_path: Path, result: str | None = None) -> Path:
    (tmp_path / "lc.fits").write_bytes(FITS)
    result = result or example.result
    files = [(tmp_path / "lc.fits", "lc.fits")] if result == example.result else []
    triples = provenance_triples(example.kg, result)
    return ro_crate_zip(triples, result, files, tmp_path / "crate.zip")


def test_crate_describes_the_run_as_a_create_action(example: Any, tmp_path: Path) -> None:
    crate = ROCrate(write(example, tmp_path))
    action = crate.get(example.run)
    assert action.type == "CreateAction"
    assert action["actionStatus"] == "http://schema.org/CompletedActionStatus"
    assert (action["startTime"], action["endTime"]) == ("2026-11-24T10:00:05Z",
                                                        "2026-11-24T10:01:05Z")
    assert ids(action["instrument"]) == [example.version]
    assert ids(action["result"]) == ["lc.fits"]
    assert set(ids(action["object"])) == {f"{example.request}#p-ra", f"{example.request}#p-T1",
                                          example.dataset}
    assert action["agent"].type == "Organization"
    assert action["agent"]["name"] == "Local MMODA site"
    assert ids(crate.root_dataset["mentions"]) == [example.run]


def test_crate_conforms_to_the_workflow_run_profiles(example: Any, tmp_path: Path) -> None:
    crate = ROCrate(write(example, tmp_path))
    assert set(ids(crate.root_dataset["conformsTo"])) == set(PROFILES)
    assert {crate.get(p)["name"] for p in PROFILES} == {
        "Process Run Crate", "Workflow Run Crate", "Workflow RO-Crate"}
    metadata = json.loads(zipfile.ZipFile(tmp_path / "crate.zip").read("ro-crate-metadata.json"))
    descriptor = next(e for e in metadata["@graph"] if e["@id"] == "ro-crate-metadata.json")
    assert {"@id": "https://w3id.org/ro/crate/1.1"} in descriptor["conformsTo"]
    assert "https://w3id.org/ro/terms/workflow-run/context" in metadata["@context"]


def test_root_dataset_is_the_result(example: Any, tmp_path: Path) -> None:
    root = ROCrate(write(example, tmp_path)).root_dataset
    assert root["name"] == "lightcurve — Light curve"
    assert root["description"].startswith("Output 'lightcurve'")
    assert root["identifier"] == example.result
    assert root["datePublished"] == "2026-11-24T10:01:05Z"
    assert root["license"].id == "https://spdx.org/licenses/MIT"
    assert ids(root["mainEntity"]) == [example.version]


def test_main_workflow_is_the_version_with_its_creators(example: Any,
                                                        tmp_path: Path) -> None:
    crate = ROCrate(write(example, tmp_path))
    workflow = crate.get(example.version)
    assert set(workflow.type) == {"File", "SoftwareSourceCode", "ComputationalWorkflow"}
    assert workflow["name"] == "Light curve"
    assert workflow["version"] == "abc123abc123"
    assert workflow["identifier"] == example.version
    assert workflow["url"] == f"{example.base}/workflows/lightcurve"
    [creator] = workflow["creator"]
    assert (creator.id, creator.type, creator["name"]) == (
        "https://orcid.org/0000-0002-1825-0097", "Person", "Ada Astronomer")
    assert workflow["programmingLanguage"]["name"] == "Jupyter Notebook"


def test_parameter_values_realise_formal_parameters(example: Any, tmp_path: Path) -> None:
    crate = ROCrate(write(example, tmp_path))
    value = crate.get(f"{example.request}#p-ra")
    assert (value.type, value["name"], value["value"]) == ("PropertyValue", "ra", "83.633")
    parameter = value["exampleOfWork"]
    assert (parameter.type, parameter["name"], parameter["additionalType"]) == (
        "FormalParameter", "ra", "Float")
    assert parameter.id in ids(crate.get(example.version)["input"])
    assert crate.get(f"{example.request}#p-T1")["exampleOfWork"]["additionalType"] == "DateTime"
    dataset = crate.get(example.dataset)
    assert (dataset.type, dataset["name"], dataset["publisher"]["name"]) == (
        "CreativeWork", "SIMULATED ISGRI event list", "MMODA developers")
    assert dataset["license"].id == "https://spdx.org/licenses/MIT"


def test_files_and_provenance_are_in_the_zip(example: Any, tmp_path: Path) -> None:
    path = write(example, tmp_path)
    archive = zipfile.ZipFile(path)
    assert archive.read("lc.fits") == FITS
    crate = ROCrate(path)
    fits = crate.get("lc.fits")
    assert fits["encodingFormat"] == "application/fits"
    assert fits["sha256"] == "ab12cd34"
    assert fits["url"] == f"{example.result}/files/lc.fits"
    assert crate.get("provenance.ttl")["encodingFormat"] == "text/turtle"
    graph = rdfio.parse(archive.read("provenance.ttl"), ox.RdfFormat.TURTLE)
    assert ox.Quad(ox.NamedNode(example.result),
                   ox.NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy"),
                   ox.NamedNode(example.run)) in graph


def test_failed_run_is_a_failed_action(failed_example: Any, tmp_path: Path) -> None:
    action = ROCrate(write(failed_example, tmp_path)).get(failed_example.run)
    assert action["actionStatus"] == "http://schema.org/FailedActionStatus"
    assert action["error"] == "completed"


def test_value_result_is_a_property_value(example: Any, tmp_path: Path) -> None:
    result = f"{example.base}/results/U1-spectrum"
    action = ROCrate(write(example, tmp_path, result)).get(example.run)
    [value] = action["result"]
    assert (value.type, value["value"]) == ("PropertyValue", '{"x": 1}')


def test_provenance_without_run_is_refused(example: Any, tmp_path: Path) -> None:
    triples = [t for t in provenance_triples(example.kg, example.result)
               if not t.predicate.value.endswith("#wasGeneratedBy")]
    with pytest.raises(ValueError, match="no run"):
        ro_crate_zip(triples, example.result, [], tmp_path / "crate.zip")
