"""parse_function / parse_entry_point: Python functions typed with ontology terms, read statically.

Every module here is written to a temporary directory and read without being imported; tests
that could run contributed code check that its side effects never happen.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmoda.workflows import parse_entry_point, parse_function, parse_notebook
from mmoda.workflows.errors import (
    AnnotationSyntaxError,
    DefaultOutOfRange,
    InvalidMetadata,
    MissingLicense,
    UnknownTerm,
    WorkflowNotFound,
)
from mmoda.workflows.model import Creator, FormalParameter, RuntimeNeeds
from mmoda.workflows.terms import oda, unit

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
MIT = "https://spdx.org/licenses/MIT"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workflows" / "spectrum.py"
HEADER = """\
from typing import Annotated, NamedTuple, Optional, TypedDict

from astropy.table import Table

from mmoda.workflows.terms import oda, unit

__license__ = "MIT"
ODA = "http://odahub.io/ontology#"
"""


def module(tmp_path: Path, body: str, header: str = HEADER, name: str = "wf.py") -> Path:
    """A module file: `header` (imports, licence), then the dedented `body`."""
    path = tmp_path / name
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def position(path: Path, needle: str) -> tuple[int, int]:
    """The 1-based line and column of the first `needle` in the file."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def notebook(parameters: str) -> bytes:
    """A notebook whose parameters cell is `parameters` (with a licence line)."""
    nb = nbformat.v4.new_notebook()
    cell = f"# dct:license <{MIT}>\n{parameters}"
    nb.cells = [nbformat.v4.new_code_cell(cell, metadata={"tags": ["parameters"]})]
    return nbformat.writes(nb).encode("utf-8")


def without_comment(params: tuple[FormalParameter, ...]) -> list[FormalParameter]:
    return [dataclasses.replace(p, comment="") for p in params]


# --- the example module -----------------------------------------------------------------------


def test_the_example_spectrum_parameters() -> None:
    spec = parse_function(EXAMPLE)
    got = [(p.name, p.type_iri, p.default, p.python_type, p.optional, p.restricted)
           for p in spec.parameters]
    assert got == [
        ("RA", ODA + "PointOfInterestRA", 83.6331, float, False, False),
        ("DEC", ODA + "PointOfInterestDEC", 22.0145, float, False, False),
        ("radius", ODA + "AngleDegrees", 0.25, float, False, False),
        ("T1", ODA + "StartTimeISOT", "2003-03-15T00:00:00", str, False, False),
        ("T2", ODA + "EndTimeISOT", "2003-03-16T00:00:00", str, False, False),
        ("E1_keV", ODA + "Energy_keV", 20.0, float, False, False),
        ("E2_keV", ODA + "Energy_keV", 200.0, float, False, False),
        ("n_bins", ODA + "Integer", 12, int, False, False),
    ]
    assert [p.position for p in spec.parameters] == list(range(8))
    assert spec.parameter("n_bins").hint == "int"


def test_the_example_spectrum_output_and_metadata() -> None:
    spec = parse_function(EXAMPLE)
    [output] = spec.outputs
    assert (output.name, output.type_iri) == ("spectrum", ODA + "Spectrum")
    assert (spec.kind, spec.entry, spec.name, spec.commit) == ("function", "spectrum",
                                                               "spectrum", None)
    assert spec.license == MIT
    assert spec.creators == (Creator("MMODA developers"),)
    assert (spec.instrument, spec.product) == ("isgri_sim", "spectrum")
    assert "spectrum" in spec.keywords and spec.tag is None
    assert spec.runtime == RuntimeNeeds(cpus=1, memory_mb=1024, walltime_s=600)
    assert spec.title.startswith("Counts spectrum and fitted power-law photon index")
    assert "``n_bins`` logarithmic energy bins" in spec.description
    digest = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert (spec.content_hash, spec.version, spec.source_path) == (digest, digest[:12],
                                                                   str(EXAMPLE))


def test_bytes_are_read_like_the_file() -> None:
    from_bytes = parse_function(EXAMPLE.read_bytes())
    assert from_bytes.source_path is None
    assert dataclasses.replace(from_bytes, source_path=str(EXAMPLE)) == parse_function(EXAMPLE)


# --- the annotation forms, against the notebook grammar -----------------------------------------


def test_every_annotation_form_gives_what_the_notebook_grammar_gives(tmp_path: Path) -> None:
    path = module(tmp_path, """
        Band = Annotated[str, "oda:PhotometricBand ; oda:allowed_value 'b','g'"]

        Energy = "oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 300"

        def analysis(
            RA: Annotated[float, oda.PointOfInterestRA] = 83.63,
            E1: Annotated[float, Energy] = 20.0,
            band: Band = "b",
            radius: Annotated[float, oda.AngleDegrees, {"lower_limit": 0, "upper_limit": 1}]
                = 0.25,
            src: Annotated[str | None, oda.AstrophysicalObject] = None,
            E0: Annotated[float, f"{ODA}Energy", {"unit": unit.keV}] = 35.0,
            t0: Annotated[float, "oda:StartTime", {"format": "MJD", "label": "Start"}] = 55000.0,
            n: int = 5,
            flag: bool = True,
        ) -> Annotated[Table, "oda:Spectrum"]:
            "A title."
        """)
    equivalent = notebook("""\
RA: float = 83.63  # oda:PointOfInterestRA
E1: float = 20.0  # oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 300
band: str = "b"  # oda:PhotometricBand ; oda:allowed_value 'b','g'
radius: float = 0.25  # oda:AngleDegrees ; oda:lower_limit 0 ; oda:upper_limit 1
src: str | None = None  # oda:AstrophysicalObject
E0: float = 35.0  # oda:Energy ; oda:unit unit:keV
t0: float = 55000.0  # oda:StartTime ; oda:format oda:MJD ; rdfs:label "Start"
n: int = 5
flag: bool = True
""")
    spec = parse_function(path)
    assert without_comment(spec.parameters) == without_comment(
        parse_notebook(equivalent).parameters)
    e1, band, radius = (spec.parameter(n) for n in ("E1", "band", "radius"))
    assert (e1.lower_limit, e1.upper_limit, e1.restriction_iri) == (15, 300, "#type-E1")
    assert band.allowed_values == ("b", "g") and radius.restriction_iri == "#type-radius"
    assert spec.parameter("E0").unit == UNIT + "keV"
    assert spec.parameter("n").type_iri == ODA + "Integer"
    assert spec.parameter("flag").type_iri == ODA + "Boolean"
    assert spec.parameter("E1").comment == "oda:Energy_keV ; oda:lower_limit 15 ; " \
        "oda:upper_limit 300"
    assert [(o.name, o.type_iri) for o in spec.outputs] == [("analysis", ODA + "Spectrum")]
    assert spec.title == "A title."


@settings(max_examples=20, deadline=None)
@given(low=st.floats(-1e6, 1e6), span=st.floats(0, 1e6), fraction=st.floats(0, 1),
       integer=st.booleans())
def test_dict_limits_equal_the_notebook_limits(low: float, span: float, fraction: float,
                                               integer: bool) -> None:
    high = low + span
    if integer:
        low, high = round(low), round(high)
    default = float(low + (high - low) * fraction)
    source = (f"from typing import Annotated\n__license__ = 'MIT'\n"
              f"def f(x: Annotated[float, 'oda:Float', {{'lower_limit': {low!r}, "
              f"'upper_limit': {high!r}}}] = {default!r}) -> None: ...\n")
    [from_function] = parse_function(source.encode()).parameters
    cell = (f"x: float = {default!r}  # oda:Float ; oda:lower_limit {low!r} ; "
            f"oda:upper_limit {high!r}\n")
    [from_notebook] = parse_notebook(notebook(cell)).parameters
    assert dataclasses.replace(from_function, comment="") == dataclasses.replace(
        from_notebook, comment="")


def test_optional_parameters(tmp_path: Path) -> None:
    path = module(tmp_path, """
        Obj = Annotated[str, oda.AstrophysicalObject]

        def f(a: Optional[Annotated[str, oda.AstrophysicalObject]] = None, b: Obj | None = None,
              c: Obj = None, *, d: Annotated[str | None, oda.AstrophysicalObject],
              e: Annotated[float, oda.Energy_keV] = 20.0) -> None:
            pass
        """)
    spec = parse_function(path)
    assert [(p.name, p.optional, p.default) for p in spec.parameters] == [
        ("a", True, None), ("b", True, None), ("c", True, None), ("d", True, None),
        ("e", False, 20.0)]
    assert {p.hint for p in spec.parameters[:4]} == {"str | None"}
    assert spec.outputs == ()


def test_named_tuple_and_typed_dict_outputs(tmp_path: Path) -> None:
    path = module(tmp_path, """
        class Products(NamedTuple):
            "The products."
            spectrum: Annotated[Table, oda.Spectrum]
            lightcurve: Annotated[Table, "oda:LightCurve"]

        class Base(TypedDict):
            image: Annotated[object, oda.Image]

        class More(Base):
            table: Table

        def one(e: Annotated[float, oda.Energy_keV] = 20.0) -> Products: ...
        def two(e: Annotated[float, oda.Energy_keV] = 20.0) -> More: ...
        """)
    assert [(o.name, o.type_iri, o.position) for o in parse_function(path, "one").outputs] == [
        ("spectrum", ODA + "Spectrum", 0), ("lightcurve", ODA + "LightCurve", 1)]
    assert [(o.name, o.type_iri) for o in parse_function(path, "two").outputs] == [
        ("image", ODA + "Image"), ("table", ODA + "DataProduct")]


def test_typing_module_attributes_and_aliases_of_the_terms_module(tmp_path: Path) -> None:
    header = ('import typing\nimport mmoda.workflows.terms as t\n'
              'from mmoda.workflows.terms import ODA as BASE\n__license__ = "MIT"\n')
    path = module(tmp_path, """
        Energy = typing.Annotated[float, t.oda.Energy_keV]
        def f(e: Energy = 20.0, x: typing.Annotated[float, BASE + "Float"] = 1) -> None: ...
        """, header=header)
    assert [(p.type_iri, p.default) for p in parse_function(path).parameters] == [
        (ODA + "Energy_keV", 20.0), (ODA + "Float", 1.0)]


def test_the_terms_namespace_gives_iri_strings() -> None:
    assert oda.Energy_keV == ODA + "Energy_keV" and type(oda.Energy_keV) is str
    assert unit["keV"] == UNIT + "keV" and oda.title == ODA + "title"
    with pytest.raises(AttributeError):
        oda.__wrapped__  # noqa: B018


# --- errors -----------------------------------------------------------------------------------


def test_unknown_terms_come_with_suggestions_and_a_position(tmp_path: Path) -> None:
    path = module(tmp_path, """
        def f(e: Annotated[float, "oda:Energy_kev"] = 20.0) -> None: ...
        """)
    with pytest.raises(UnknownTerm) as info:
        parse_function(path)
    assert info.value.term == "oda:Energy_kev" and "oda:Energy_keV" in info.value.suggestions
    line, column = position(path, "oda:Energy_kev")
    assert f"line {line}, column {column}" in str(info.value)


def test_unknown_metadata_keys_and_output_types(tmp_path: Path) -> None:
    path = module(tmp_path, """
        def f(e: Annotated[float, oda.Float, {"lower_limt": 1}] = 2.0) -> None: ...
        def g(e: Annotated[float, oda.Float] = 2.0) -> Annotated[Table, oda.Spectrumm]: ...
        """)
    with pytest.raises(UnknownTerm) as info:
        parse_function(path, "f")
    assert "lower_limit" in info.value.suggestions
    with pytest.raises(UnknownTerm) as info:
        parse_function(path, "g")
    assert "oda:Spectrum" in info.value.suggestions


def test_turtle_errors_point_into_the_annotation_string(tmp_path: Path) -> None:
    path = module(tmp_path, """
        def f(e: Annotated[float, "oda:Float ; oda:lower_limit 3 5"] = 4.0) -> None: ...
        """)
    with pytest.raises(AnnotationSyntaxError) as info:
        parse_function(path)
    line, column = position(path, "5\"]")
    assert info.value.line == line and abs(info.value.column - column) <= 1


def test_a_default_outside_the_limits_is_refused(tmp_path: Path) -> None:
    path = module(tmp_path, """
        def f(e: Annotated[float, "oda:Energy_keV ; oda:lower_limit 15"] = 10.0) -> None: ...
        """)
    with pytest.raises(DefaultOutOfRange, match="below oda:lower_limit 15") as info:
        parse_function(path)
    line, column = position(path, "10.0")
    assert f"line {line}, column {column}" in str(info.value)


@pytest.mark.parametrize(("default", "message"), [
    ("math.pi", "not a Python literal"), ("compute()", "not a Python literal"),
    ("[1, 2]", "not of the parameter's type"), ("'x'", "not of the parameter's type"),
])
def test_non_literal_and_mistyped_defaults_are_refused(tmp_path: Path, default: str,
                                                      message: str) -> None:
    marker = tmp_path / "ran"
    path = module(tmp_path, f"""
        def compute():
            open({str(marker)!r}, "w").close()

        def f(e: Annotated[float, oda.Energy_keV] = 1.0, x: float = {default}) -> None: ...
        """)
    with pytest.raises(DefaultOutOfRange, match=message) as info:
        parse_function(path, "f")
    line, column = position(path, f"= {default}")
    assert f"line {line}, column {column + 2}" in str(info.value)
    assert not marker.exists()


def test_a_parameter_without_default_must_allow_none(tmp_path: Path) -> None:
    path = module(tmp_path, "def f(e: Annotated[float, oda.Energy_keV]) -> None: ...\n")
    with pytest.raises(DefaultOutOfRange, match="is missing"):
        parse_function(path)


def test_calls_in_annotations_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "side-effect"
    path = module(tmp_path, f"""
        import os
        open({str(marker)!r}, "w").close()

        def f(e: Annotated[float, os.system("touch {marker}")] = 1.0) -> None: ...
        """)
    with pytest.raises(AnnotationSyntaxError, match="cannot be read without running") as info:
        parse_function(path)
    assert (info.value.line, info.value.column) == position(path, "os.system")
    assert not marker.exists()


@pytest.mark.parametrize(("annotation", "message"), [
    ("Annotated[float, [1, 2]]", "no ontology annotation"),
    ("Annotated[float, 'just prose']", "no ontology annotation"),
    ("Annotated[float, oda.Float, {'lower_limit': 'low'}]", "cannot be 'low'"),
    ("Annotated[float, unknown_name]", "not bound at module level"),
    ("Annotated[float, [x for x in 'ab']]", "cannot be read without running"),
    ("Annotated[float, oda.Float] | Annotated[int, oda.Integer]", "union of annotated"),
])
def test_annotations_outside_the_safe_subset_are_refused(tmp_path: Path, annotation: str,
                                                         message: str) -> None:
    path = module(tmp_path, f"def f(x: {annotation} = 1.0) -> None: ...\n")
    with pytest.raises(AnnotationSyntaxError, match=message) as info:
        parse_function(path)
    assert info.value.line == position(path, "def f")[0]


@pytest.mark.parametrize("body", [
    "A0 = 'oda:Float'\n" + "".join(f"A{i + 1} = A{i} + A{i}\n" for i in range(40))
    + "def f(x: Annotated[float, A40] = 1.0) -> None: ...\n",
    "def f(x: Annotated[float, f\"{'oda:Float':>999999999}\"] = 1.0) -> None: ...\n",
    "X = " + " + ".join(["1"] * 5000)
    + "\ndef f(x: Annotated[float, oda.Float] = X) -> None: ...\n",
])
def test_hostile_modules_are_refused_without_exhausting_memory(tmp_path: Path,
                                                                body: str) -> None:
    with pytest.raises(AnnotationSyntaxError):
        parse_function(module(tmp_path, body))


def test_several_outputs_must_be_a_named_tuple(tmp_path: Path) -> None:
    path = module(tmp_path, """
        def f(e: Annotated[float, oda.Float] = 1.0) -> tuple[Annotated[Table, oda.Spectrum],
                                                            Annotated[Table, oda.Image]]: ...
        """)
    with pytest.raises(AnnotationSyntaxError, match="NamedTuple"):
        parse_function(path)


def test_args_and_kwargs_are_refused(tmp_path: Path) -> None:
    path = module(tmp_path, "def f(*rest: Annotated[float, oda.Float]) -> None: ...\n")
    with pytest.raises(AnnotationSyntaxError, match=r"\*args") as info:
        parse_function(path)
    assert info.value.column == position(path, "rest")[1]


def test_the_workflow_function_must_be_unique(tmp_path: Path) -> None:
    path = module(tmp_path, """
        def helper(x: float) -> float: ...
        def a(e: Annotated[float, oda.Float] = 1.0) -> None: ...
        def b(e: Annotated[float, oda.Float] = 1.0) -> None: ...
        def _private(e: Annotated[float, oda.Float] = 1.0) -> None: ...
        """)
    with pytest.raises(WorkflowNotFound, match="several") as info:
        parse_function(path)
    assert info.value.candidates == ["a", "b"]
    assert parse_function(path, "b", name="bee").name == "bee"
    with pytest.raises(WorkflowNotFound, match="no function 'c'") as info:
        parse_function(path, "c")
    assert info.value.candidates == ["a", "b", "helper"]
    plain = module(tmp_path, "def helper(x: float) -> float: ...\n", name="plain.py")
    with pytest.raises(WorkflowNotFound, match="no public function") as info:
        parse_function(plain)
    assert info.value.candidates == ["helper"]


def test_the_licence_is_required_unless_told_otherwise(tmp_path: Path) -> None:
    path = module(tmp_path, "def f(e: Annotated[float, oda.Float] = 1.0) -> None: ...\n",
                  header=HEADER.replace('__license__ = "MIT"\n', ""))
    with pytest.raises(MissingLicense, match="__license__"):
        parse_function(path)
    assert parse_function(path, require_license=False).license is None
    bad = module(tmp_path, "def f(e: Annotated[float, oda.Float] = 1.0) -> None: ...\n",
                 header=HEADER.replace('"MIT"', '"not a licence!"'), name="bad.py")
    with pytest.raises(MissingLicense, match="line 7, column 15"):
        parse_function(bad)


def test_module_metadata(tmp_path: Path) -> None:
    header = HEADER + """\
__authors__ = ["Ada Lovelace <ada@example.org>", {"name": "MMODA developers"}]
__author__ = "MMODA developers"
__version__ = "v1.2"
__keywords__ = "crab"
__runtime__ = {"cpus": 2, "memory": 512, "walltime": "01:00:00", "image": "ghcr.io/x/y:1"}
"""
    path = module(tmp_path, "def f(e: Annotated[float, oda.Float] = 1.0) -> None: ...\n",
                  header=header)
    spec = parse_function(path)
    assert spec.creators == (Creator("MMODA developers"),
                             Creator("Ada Lovelace", email="ada@example.org"))
    assert (spec.tag, spec.keywords) == ("v1.2", ("crab",))
    assert spec.runtime == RuntimeNeeds(cpus=2, memory_mb=512, walltime_s=3600,
                                        image="ghcr.io/x/y:1")
    assert spec.title == "f"  # no docstring anywhere


@pytest.mark.parametrize(("dunder", "message"), [
    ('__runtime__ = {"gpus": 1}', "unknown need gpus"),
    ('__runtime__ = {"cpus": 0}', "positive integer"),
    ("__author__ = 42", "expected"),
    ("__instrument__ = ''", "non-empty"),
    ('__runtime__ = {"result_lifetime": "soon"}', "result lifetime"),
    ('__runtime__ = {"result_lifetime": 0}', "must be positive"),
    ('__runtime__ = {"reusable": "maybe"}', "true or false"),
])
def test_invalid_metadata_names_the_field_and_line(tmp_path: Path, dunder: str,
                                                   message: str) -> None:
    path = module(tmp_path, f"{dunder}\ndef f(e: Annotated[float, oda.Float] = 1.0) -> None: ...\n")
    with pytest.raises(InvalidMetadata, match=message) as info:
        parse_function(path)
    assert f"line {position(path, dunder)[0]}, column 1" in str(info.value)


# --- entry points -----------------------------------------------------------------------------

WORKFLOW = """\
from typing import Annotated
__license__ = "MIT"
open({marker!r}, "w").close()

def analysis(e: Annotated[float, "http://odahub.io/ontology#Energy_keV"] = 20.0) -> None:
    "Analyse."
"""


def test_a_module_function_reference_is_read_without_importing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported"
    package = tmp_path / "wfpkg_for_test"
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (package / "mod.py").write_text(WORKFLOW.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = parse_entry_point("wfpkg_for_test.mod:analysis")
    assert (spec.name, spec.entry, spec.source_path) == ("analysis", "analysis",
                                                         str(package / "mod.py"))
    assert not marker.exists() and "wfpkg_for_test" not in sys.modules
    with pytest.raises(WorkflowNotFound, match="no Python source"):
        parse_entry_point("wfpkg_for_test.missing:analysis")


def test_packages_of_the_editable_install_and_namespace_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_entry_point("mmoda.examples.workflows.spectrum:spectrum")
    assert Path(spec.source_path or "") == EXAMPLE
    marker = tmp_path / "imported"
    (tmp_path / "ns_for_test" / "inner").mkdir(parents=True)  # no __init__.py anywhere
    (tmp_path / "ns_for_test" / "inner" / "wf.py").write_text(WORKFLOW.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert parse_entry_point("ns_for_test.inner.wf:analysis").entry == "analysis"
    assert not marker.exists()


def test_an_entry_point_is_found_in_an_installed_distribution(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "crab_wf_for_test.py").write_text(WORKFLOW.format(marker=str(marker)))
    info = tmp_path / "crab_wf_for_test-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: crab-wf-for-test\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[mmoda.workflows]\ncrab-spectrum = crab_wf_for_test:analysis\n"
        "crab-auto = crab_wf_for_test\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = parse_entry_point("crab-spectrum")
    assert (spec.name, spec.entry, spec.kind) == ("crab-spectrum", "analysis", "function")
    assert parse_entry_point("crab-auto", name="auto").name == "auto"
    assert not marker.exists()
    with pytest.raises(WorkflowNotFound, match="not installed") as err:
        parse_entry_point("crab-spectrun")
    assert "crab-spectrum" in err.value.candidates
