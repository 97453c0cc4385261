"""parse_notebook: the annotation grammar, the notebook metadata and every error it raises."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmoda.workflows.errors import (
    AnnotationSyntaxError,
    DefaultOutOfRange,
    MissingLicense,
    NoParametersCell,
    UnknownTerm,
)
from mmoda.workflows.notebook import parse_notebook
from mmoda.workflows.vocabulary import Vocabulary

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"
MIT = "https://spdx.org/licenses/MIT"
LICENSE = f"# dct:license <{MIT}>\n"
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def notebook(parameters: str | None, outputs: str = "", markdown: str = "# Title\n\nAbout.",
             code: str = "result = 1\n") -> bytes:
    """An in-memory notebook: markdown, the parameters cell, a code cell, the outputs cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    if parameters is not None:
        nb.cells.append(nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    nb.cells.append(nbformat.v4.new_code_cell(code))
    if outputs:
        nb.cells.append(nbformat.v4.new_code_cell(outputs, metadata={"tags": ["outputs"]}))
    return nbformat.writes(nb).encode("utf-8")


def test_annotations_give_types_units_formats_and_limits() -> None:
    spec = parse_notebook(NOTEBOOKS / "unit_limits.ipynb")
    energy, radius, npix, t0 = spec.parameters
    assert (energy.type_iri, energy.unit, energy.lower_limit, energy.upper_limit) == (
        ODA + "Energy_keV", UNIT + "keV", 15, 800.0)
    assert energy.restriction_iri == "#type-energy" and energy.default == 35.0
    assert (radius.type_iri, radius.unit, radius.restriction_iri) == (
        ODA + "Angle", UNIT + "arcmin", None)
    assert (npix.python_type, npix.default, npix.restricted) == (int, 64, True)
    assert (t0.type_iri, t0.format) == (ODA + "StartTime", ODA + "MJD")
    assert [o.type_iri for o in spec.outputs] == [ODA + "Spectrum"]
    assert spec.license == MIT and spec.name == "unit_limits"


def test_title_and_description_come_from_the_first_markdown_cell() -> None:
    spec = parse_notebook(notebook(LICENSE + "x = 1.0\n",
                                   markdown="# Crab light curve\n\nCounts in *bins*."),
                          name="lc")
    assert (spec.name, spec.title, spec.description) == ("lc", "Crab light curve",
                                                         "Counts in *bins*.")


def test_turtle_about_the_notebook_overrides_the_markdown_and_spans_lines() -> None:
    spec = parse_notebook(notebook(
        LICENSE + '# dct:title "From Turtle" ;\n#    dcat:keyword "a", "b"\n'
        "# A prose line: ignored.\nx = 1.0\n"))
    assert spec.title == "From Turtle"
    assert spec.keywords == ("a", "b") and "keyword" not in spec.extra_turtle
    assert "title" not in spec.extra_turtle
    assert "license" not in spec.extra_turtle


@pytest.mark.parametrize("line", [
    f"# dct:license <{MIT}>", f"# oda:license <{MIT}>", f"# schema:license <{MIT}>",
    f"# http://purl.org/dc/terms/license {MIT}", '# dct:license "MIT"',
    f"# dct:license\n#   <{MIT}> .",
])
def test_licence_forms(line: str) -> None:
    assert parse_notebook(notebook(f"{line}\nx = 1.0\n")).license == MIT


@pytest.mark.parametrize("params", [
    "x = 1.0\n", '# dct:license "not an SPDX id!"\nx = 1.0\n',
    f"# dct:license <{MIT}>\n# dct:license <https://spdx.org/licenses/BSD-3-Clause>\nx = 1.0\n",
])
def test_a_missing_or_unusable_licence_is_refused(params: str) -> None:
    with pytest.raises(MissingLicense, match="dct:license"):
        parse_notebook(notebook(params))


def test_the_licence_can_be_made_optional() -> None:
    assert parse_notebook(notebook("x = 1.0\n"), require_license=False).license is None


def test_no_parameters_cell() -> None:
    with pytest.raises(NoParametersCell, match="parameters"):
        parse_notebook(notebook(None))


@pytest.mark.parametrize(("source", "bad"), [
    ("x = 1.0  # oda:Float ; oda:lower_limit 3 5\n", "5\n"),
    ("x = 1.0  # oda:Float ; foo:bar 3\n", "foo:"),
    ('x = 1.0  # oda:Float ; rdfs:label "open\n', "\n"),
])
def test_turtle_syntax_errors_point_at_the_cell_line_and_column(source: str, bad: str) -> None:
    with pytest.raises(AnnotationSyntaxError) as info:
        parse_notebook(notebook(LICENSE + source))
    assert info.value.line == 2 and info.value.cell == "parameters"
    expected = source.index(bad) + 1
    assert abs(info.value.column - expected) <= 1, (info.value.column, expected)


def test_python_syntax_errors_and_tuple_targets_are_reported() -> None:
    with pytest.raises(AnnotationSyntaxError, match="not valid Python") as info:
        parse_notebook(notebook(LICENSE + "x = (1.0\n"))
    assert info.value.line >= 2
    with pytest.raises(AnnotationSyntaxError, match="one plain name"):
        parse_notebook(notebook(LICENSE + "a, b = 1, 2  # oda:Integer\n"))


@pytest.mark.parametrize(("source", "term", "suggestion"), [
    ("e = 20.0  # oda:Energy_kev", "oda:Energy_kev", "oda:Energy_keV"),
    ("e = 20.0  # oda:Image", "oda:Image", None),
    ("e = 20.0  # oda:Float ; oda:unit unit:kev", "unit:kev", "unit:keV"),
    ("e = 20.0  # oda:Float ; oda:lower_limt 1", "oda:lower_limt", "oda:lower_limit"),
    ("t = 1.0  # oda:StartTime ; oda:format oda:MDJ", "oda:MDJ", "oda:MJD"),
])
def test_unknown_terms_come_with_suggestions(source: str, term: str,
                                             suggestion: str | None) -> None:
    with pytest.raises(UnknownTerm) as info:
        parse_notebook(notebook(LICENSE + source + "\n"))
    assert info.value.term == term
    if suggestion:
        assert suggestion in info.value.suggestions
    else:
        assert "not a subclass of oda:WorkflowParameter" in str(info.value)


def test_unknown_output_types_are_refused() -> None:
    with pytest.raises(UnknownTerm) as info:
        parse_notebook(notebook(LICENSE + "x = 1.0\n", outputs="lc = f  # oda:LightCurv\n"))
    assert "oda:LightCurve" in info.value.suggestions
    with pytest.raises(UnknownTerm, match="not a subclass of oda:DataProduct"):
        parse_notebook(notebook(LICENSE + "x = 1.0\n",
                                outputs="lc = f  # oda:StructuredParameter\n"))


@pytest.mark.parametrize(("source", "reason"), [
    ("e = 10.0  # oda:Energy_keV ; oda:lower_limit 15", "below oda:lower_limit"),
    ("e = 900  # oda:Energy_keV ; oda:upper_limit 800", "above oda:upper_limit"),
    ('b = "x"  # oda:PhotometricBand ; oda:allowed_value "b","g"', "not an allowed value"),
    ("r = None  # oda:Float", "not optional"),
    ('r = "ten"  # oda:Float', "not of the parameter's type"),
    ("n = True  # oda:Integer", "not of the parameter's type"),
    ("r = 2 * 3.0  # oda:Float", "not a Python literal"),
])
def test_defaults_must_respect_their_own_declaration(source: str, reason: str) -> None:
    with pytest.raises(DefaultOutOfRange, match=reason):
        parse_notebook(notebook(LICENSE + source + "\n"))


def test_contradictory_annotations_are_syntax_errors() -> None:
    with pytest.raises(AnnotationSyntaxError, match="above oda:upper_limit"):
        parse_notebook(notebook(LICENSE + "e = 20.0  # oda:Float ; oda:lower_limit 30 ; "
                                "oda:upper_limit 10\n"))
    with pytest.raises(AnnotationSyntaxError, match="one type"):
        parse_notebook(notebook(LICENSE + "e = 20.0  # oda:Float, oda:Angle\n"))
    with pytest.raises(AnnotationSyntaxError, match="more than one unit"):
        parse_notebook(notebook(LICENSE + "e = 20.0  # oda:Float ; oda:unit unit:keV, unit:MeV\n"))


def test_prose_comments_are_not_annotations() -> None:
    spec = parse_notebook(notebook(LICENSE + "# TODO: tune this\nn = 5  # number of bins\n"))
    assert spec.parameter("n").type_iri == ODA + "Integer"
    assert spec.parameter("n").comment == "number of bins"


def test_optional_forms() -> None:
    spec = parse_notebook(notebook(LICENSE + "from typing import Optional, Union\n"
                                   "a = None  # oda:Float, oda:optional\n"
                                   "b: Optional[int] = None\nc: Union[str, None] = 'x'\n"
                                   "d: None | bool = None\n"
                                   "e = 1.0  # oda:Float ; a oda:optional\n"))
    assert [(p.name, p.type_iri[len(ODA):], p.optional, p.default) for p in spec.parameters] == [
        ("a", "Float", True, None), ("b", "Integer", True, None), ("c", "String", True, "x"),
        ("d", "Boolean", True, None), ("e", "Float", True, 1.0)]


def test_known_classes_restrict_and_extend_the_vocabulary() -> None:
    source = notebook(LICENSE + "e = 20.0  # oda:Energy_keV\n")
    shipped = set(Vocabulary().classes)
    with pytest.raises(UnknownTerm):
        parse_notebook(source, known_classes=shipped - {ODA + "Energy_keV"})
    custom = "https://example.org/types#Flux"
    spec = parse_notebook(notebook(LICENSE + f"f = 1.0  # <{custom}>\n"),
                          known_classes=shipped | {custom})
    assert spec.parameters[0].type_iri == custom


def test_the_content_hash_covers_code_only() -> None:
    base = parse_notebook(notebook(LICENSE + "x = 1.0\n"))
    assert base.content_hash == parse_notebook(notebook(LICENSE + "x = 1.0  \n",
                                                        markdown="# Other")).content_hash
    assert base.content_hash != parse_notebook(notebook(LICENSE + "x = 2.0\n")).content_hash
    assert base.version == base.content_hash[:12] and base.commit is None


def test_path_and_bytes_give_the_same_interface() -> None:
    path = NOTEBOOKS / "allowed_values.ipynb"
    from_path, from_bytes = parse_notebook(path), parse_notebook(path.read_bytes())
    assert from_path.parameters == from_bytes.parameters
    assert from_path.content_hash == from_bytes.content_hash
    assert from_path.parameter("band").allowed_values == ("b", "g", "r", "v")
    assert from_path.parameter("mode").allowed_values == (1, 2, 3)


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                 _TEXT, st.booleans()))
def test_any_literal_default_round_trips(value: object) -> None:
    spec = parse_notebook(notebook(LICENSE + f"v = {value!r}  # a comment\n"))
    p = spec.parameter("v")
    assert p.default == value and type(p.default) is type(value)
    assert p.type_iri == ODA + {int: "Integer", float: "Float", str: "String",
                                bool: "Boolean"}[type(value)]
