"""Registry: examples in the bundled catalog, versions, git facts, SPARQL by parameter type."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pyoxigraph as ox
import pytest

from mmoda.api.site import Site, open_site
from mmoda.kg import graphs
from mmoda.workflows import sources
from mmoda.workflows.errors import UnknownInstrument
from support import make_settings, needs

ODA, MMODA = "http://odahub.io/ontology#", "https://odahub.io/mmoda#"
DCAT, PROV = "http://www.w3.org/ns/dcat#", "http://www.w3.org/ns/prov#"
LICENSE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT\n"


def notebook(path: Path, parameters: str, *, outputs: str = "lc = 'x.fits'  # oda:LightCurve"
             ) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A test workflow\n\nIt counts."),
                nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(outputs, metadata={"tags": ["outputs"]})]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def objects(site: Site, subject: str, predicate: str) -> set[str]:
    return {q.object.value for q in site.kg.raw.quads_for_pattern(
        ox.NamedNode(subject), ox.NamedNode(predicate), None, None)}


@pytest.fixture(scope="module")
def site() -> Site:
    return open_site(make_settings(None))


def test_the_examples_are_in_the_bundled_catalog_with_their_dataset(site: Site) -> None:
    for ident, kind in (("lightcurve", "notebook"), ("image", "notebook"),
                        ("spectrum", "function")):
        iri = site.iri("workflows", ident)
        (current,) = objects(site, iri, DCAT + "hasCurrentVersion")
        assert objects(site, current, MMODA + "workflowKind") == {kind}
        assert objects(site, iri, MMODA + "instrument") == {site.iri("instruments", "isgri-sim")}
        assert iri in objects(site, site.site_iri, MMODA + "offersWorkflow")
    dataset = site.iri("datasets", "sim-isgri-events")
    assert objects(site, dataset, MMODA + "instrument") == {site.iri("instruments", "isgri-sim")}
    assert dataset in objects(site, site.site_iri, DCAT + "servesDataset")


def test_metadata_lands_on_the_version(site: Site) -> None:
    iri = site.iri("workflows", "lightcurve")
    (version,) = objects(site, iri, DCAT + "hasCurrentVersion")
    assert objects(site, version, MMODA + "cpus") == {"1"}
    assert objects(site, version, MMODA + "memoryMiB") == {"1024"}
    assert objects(site, version, MMODA + "walltimeSeconds") == {"600"}
    (creator,) = objects(site, iri, "http://purl.org/dc/terms/creator")
    assert objects(site, creator, "https://schema.org/name") == {"MMODA developers"}
    assert objects(site, iri, MMODA + "productName") == {"lightcurve"}


def test_a_changed_notebook_is_a_new_version_revising_the_old(site: Site, tmp_path: Path) -> None:
    path = notebook(tmp_path / "counts.ipynb", LICENSE + "energy = 50.0  # oda:Energy_keV\n")
    first = site.registry.register(sources.from_path(path))
    again = site.registry.register(sources.from_path(path))
    assert (first.new_version, again.new_version, again.version) == (True, False, first.version)
    notebook(path, LICENSE + "energy = 80.0  # oda:Energy_keV\n")
    second = site.registry.register(sources.from_path(path))
    assert second.new_version and second.previous == first.version
    assert objects(site, second.version, PROV + "wasRevisionOf") == {first.version}
    assert objects(site, first.workflow, DCAT + "hasVersion") == {first.version, second.version}
    assert objects(site, first.workflow, DCAT + "hasCurrentVersion") == {second.version}
    # The old version keeps its own interface; the workflow shows the new one.
    assert objects(site, first.version + "-param-energy", "https://schema.org/defaultValue") \
        == {"50"}
    assert objects(site, first.workflow, MMODA + "parameter") == {second.version + "-param-energy"}


def test_a_committed_notebook_records_commit_tag_and_path(site: Site, tmp_path: Path) -> None:
    needs(shutil.which("git") is not None, "git")
    repo = tmp_path / "repo"
    path = notebook(repo / "nb" / "tagged.ipynb", LICENSE + "x = 1.0  # oda:Float\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "wf"], ["tag", "v1.0"]):
        subprocess.run([*git, *args], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    done = site.registry.register(sources.from_path(path))
    assert objects(site, done.version, MMODA + "commit") == {head}
    assert objects(site, done.version, MMODA + "tag") == {"v1.0"}
    assert objects(site, done.version, "https://schema.org/version") == {"v1.0"}
    assert objects(site, done.version, MMODA + "entryPoint") == {"nb/tagged.ipynb"}


def test_sparql_finds_workflows_by_parameter_type_and_its_supertypes(site: Site) -> None:
    def workflows(type_iri: str) -> set[str]:
        rows = site.kg.select("workflows_by_parameter_type",
                              bindings={"type": ox.NamedNode(type_iri)})
        return {r["workflow"].value for r in rows}

    examples = {site.iri("workflows", w) for w in ("lightcurve", "image", "spectrum")}
    assert examples <= workflows(ODA + "Energy_keV")  # restriction classes under Energy_keV
    assert examples <= workflows(ODA + "Energy")  # inferred supertype from the ontology
    assert examples <= workflows(ODA + "WorkflowParameter")
    assert site.iri("workflows", "image") in workflows(ODA + "AngleMinutes")
    assert site.iri("workflows", "lightcurve") not in workflows(ODA + "AngleMinutes")


def test_the_reasoner_classifies_restrictions_into_the_classified_graph(site: Site) -> None:
    iri = site.iri("workflows", "lightcurve")
    (version,) = objects(site, iri, DCAT + "hasCurrentVersion")
    restriction = ox.NamedNode(version + "-type-E1_keV")
    # E1_keV and E2_keV have the same limits: HermiT files one under oda:Energy_keV and
    # reports the two as equivalent, which the classified graph keeps as links both ways.
    for name in ("E1_keV", "E2_keV"):
        assert site.kg.raw.query(f"""ASK {{ GRAPH <{graphs.CLASSIFIED.value}> {{
            <{version}-type-{name}> <http://www.w3.org/2000/01/rdf-schema#subClassOf>+
            <{ODA}Energy_keV> }} }}""")
    definitions = list(site.kg.raw.quads_for_pattern(
        restriction, ox.NamedNode("http://www.w3.org/2002/07/owl#equivalentClass"), None,
        graphs.CLASSIFIED))
    assert len(definitions) == 1


def test_an_unknown_instrument_label_is_refused_and_nothing_written(site: Site,
                                                                   tmp_path: Path) -> None:
    path = notebook(tmp_path / "x.ipynb", LICENSE + '# https://odahub.io/mmoda#instrumentName '
                    '"nosuch"\nx = 1.0\n')
    before = site.kg.export()
    with pytest.raises(UnknownInstrument, match="isgri_sim"):
        site.registry.register(sources.from_path(path))
    assert site.kg.export() == before
