"""The annotation grammar: Turtle in notebook comments, parsed with rdflib's Turtle parser.

A trailing comment `# oda:Energy_keV ; oda:lower_limit 15` is read as the Turtle statement
`<urn:x-mmoda:parameter> a oda:Energy_keV ; oda:lower_limit 15 .` (or, when it starts with a
predicate, `<urn:x-mmoda:parameter> oda:unit unit:keV .`). Full-line comments are statements
about the notebook, `<urn:x-mmoda:notebook> dct:license <...> .`, or complete Turtle. As in
nb2workflow, bare `http(s)://` IRIs are wrapped in angle brackets, and the prefixes of the
MMODA JSON-LD context (oda, unit, dct, schema, rdfs, xsd, ...) are predeclared. A comment is
annotation only when it starts like Turtle (an IRI or a known prefix); other comments are prose.
Syntax errors become `AnnotationSyntaxError` at the line and column of the cell.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import rdflib
from rdflib.plugins.parsers.notation3 import BadSyntax

from mmoda.workflows.errors import AnnotationSyntaxError, UnknownTerm
from mmoda.workflows.vocabulary import PREFIXES, compact

__all__ = ["PARAMETER_SUBJECT", "Annotation", "Fragment", "interpret", "looks_like_turtle",
           "read_annotation", "read_statements"]

PARAMETER_SUBJECT = "urn:x-mmoda:parameter"
_HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(PREFIXES.items()))
_IRI_STARTS = ("http://", "https://")
_IRI_STOPS = " \t\n,;"


@dataclass(frozen=True)
class Fragment:
    """Comment text with the 1-based (line, column) in its cell of each character."""

    text: str
    where: tuple[tuple[int, int], ...]

    @classmethod
    def at(cls, text: str, line: int, column: int) -> Fragment:
        """A fragment of one line starting at `line`, `column`."""
        return cls(text, tuple((line, column + i) for i in range(len(text))))

    def join(self, other: Fragment) -> Fragment:
        """This fragment, a newline, then `other`."""
        end = self.where[-1] if self.where else (1, 1)
        return Fragment(f"{self.text}\n{other.text}", (*self.where, end, *other.where))

    def locate(self, index: int) -> tuple[int, int]:
        """The cell position of character `index`, clamped to the fragment."""
        if not self.where:
            return (1, 1)
        return self.where[max(0, min(index, len(self.where) - 1))]


def looks_like_turtle(text: str) -> bool:
    """True when `text` starts with an IRI or a compact IRI of a known prefix."""
    first = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    if first.startswith(("<", *_IRI_STARTS)):
        return True
    prefix, colon, _ = first.partition(":")
    return bool(colon) and prefix in PREFIXES


def _skip_quoted(text: str, i: int) -> int:
    """The index after the string literal or `<IRI>` that starts at `i`."""
    close = ">" if text[i] == "<" else text[i]
    j = text.find(close, i + 1)
    while close != ">" and j > 0 and text[j - 1] == "\\":
        j = text.find(close, j + 1)
    return len(text) if j < 0 else j + 1


def _is_bare_iri(text: str, i: int) -> bool:
    return text.startswith(_IRI_STARTS, i) and (i == 0 or text[i - 1] in _IRI_STOPS)


def _is_trailing_dot(text: str, i: int) -> bool:
    """A Python-style `35.` (no digit after the dot), which Turtle would read as `35 .`."""
    start = i
    while start > 0 and text[start - 1] in "0123456789+-":
        start -= 1
    return (text[i] == "." and start < i and (start == 0 or text[start - 1] in _IRI_STOPS)
            and (i + 1 == len(text) or text[i + 1] in _IRI_STOPS))


def _normalise(frag: Fragment) -> Fragment:
    """Wrap bare `http(s)://...` IRIs in `<>` and complete `35.` as `35.0`, as nb2workflow does.

    String literals and `<IRI>`s are left alone; each output character keeps its cell position.
    """
    text, out, where, i = frag.text, [], [], 0
    while i < len(text):
        if text[i] in "\"'<":
            j = _skip_quoted(text, i)
            piece, pos = text[i:j], [frag.locate(k) for k in range(i, j)]
        elif _is_bare_iri(text, i):
            j = next((k for k in range(i, len(text)) if text[k] in _IRI_STOPS), len(text))
            piece = f"<{text[i:j]}>"
            pos = [frag.locate(i), *(frag.locate(k) for k in range(i, j)), frag.locate(j - 1)]
        else:
            j = i + 1
            piece = ".0" if _is_trailing_dot(text, i) else text[i]
            pos = [frag.locate(i)] * len(piece)
        out.append(piece)
        where.extend(pos)
        i = j
    return Fragment("".join(out), tuple(where))


@dataclass(frozen=True)
class _Failure:
    index: int
    why: str


def _parse(frag: Fragment, before: str, after: str) -> rdflib.Graph | _Failure:
    """Parse `_HEADER + before + text + after`; a failure points into `frag.text`."""
    doc = f"{_HEADER}{before}{frag.text}{after}"
    try:
        graph = rdflib.Graph().parse(data=doc, format="turtle")
    except BadSyntax as exc:
        # `_i` is the character offset of the error in `doc` (rdflib keeps no public field).
        return _Failure(exc._i - len(_HEADER) - len(before), str(exc._why))
    except (SyntaxError, ValueError, AssertionError) as exc:  # rdflib asserts on bad strings
        return _Failure(len(frag.text), str(exc).split(" at ^", 1)[0] or type(exc).__name__)
    # rdflib's N3 core accepts a lone `<subject> .`; in Turtle that is no statement
    return graph if len(graph) else _Failure(len(frag.text), "a subject without predicate")


def _parse_forms(frag: Fragment, forms: list[tuple[str, str]], cell: str) -> rdflib.Graph:
    """The graph of the first form that parses, else the error that got furthest."""
    wrapped = _normalise(frag)
    failures: list[_Failure] = []
    for before, after in forms:
        result = _parse(wrapped, before, after)
        if isinstance(result, rdflib.Graph):
            return result
        failures.append(result)
    worst = max(failures, key=lambda f: f.index)
    line, column = wrapped.locate(worst.index)
    raise AnnotationSyntaxError(line, column, f"bad Turtle annotation: {worst.why}", cell=cell)


def read_annotation(frag: Fragment, *, cell: str) -> rdflib.Graph:
    """Parse a trailing annotation as statements about `PARAMETER_SUBJECT`."""
    subject = f"<{PARAMETER_SUBJECT}> "
    return _parse_forms(frag, [(subject + "a ", " ."), (subject, " .")], cell)


def read_statements(frag: Fragment, subject: str, *, cell: str) -> rdflib.Graph:
    """Parse full-line comment Turtle: predicates of `subject`, or complete statements."""
    end = "" if frag.text.rstrip().endswith(".") else " ."
    return _parse_forms(frag, [(f"<{subject}> ", end), ("", end)], cell)


ODA = rdflib.Namespace("http://odahub.io/ontology#")
_DCT = rdflib.Namespace("http://purl.org/dc/terms/")
_FIELDS: dict[rdflib.URIRef, str] = {
    rdflib.RDF.type: "types", ODA["unit"]: "unit", ODA["format"]: "format",
    ODA["lower_limit"]: "lower_limit", ODA["upper_limit"]: "upper_limit",
    ODA["allowed_value"]: "allowed_values", rdflib.RDFS.label: "label", ODA["label"]: "label",
    rdflib.RDFS.comment: "description", ODA["description"]: "description",
    _DCT["description"]: "description",
}
_TEXT = {"label", "description"}
_SINGLE = {"unit", "format", "lower_limit", "upper_limit", "label", "description"}


@dataclass(frozen=True)
class Annotation:
    """What a parameter or output annotation says, before checking it against the ontology."""

    types: tuple[str, ...] = ()
    optional: bool = False
    unit: str | None = None
    format: str | None = None
    lower_limit: int | float | None = None
    upper_limit: int | float | None = None
    allowed_values: tuple[Any, ...] = ()
    label: str | None = None
    description: str | None = None


def _value(field: str, term: rdflib.term.Node, fail: Callable[[str], Exception]) -> Any:
    """The Python value of `term` for `field`, or `fail(reason)` when it has the wrong kind."""
    if field in ("types", "unit", "format"):
        if not isinstance(term, rdflib.URIRef):
            raise fail(f"{field.rstrip('s')} must be an IRI, not {term.n3()}")
        return str(term)
    if not isinstance(term, rdflib.Literal):
        raise fail(f"{field.replace('_', ' ')} must be a literal, not {term.n3()}")
    value = term.toPython()
    value = float(value) if isinstance(value, Decimal) else value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if field in ("lower_limit", "upper_limit") and not numeric:
        raise fail(f"oda:{field} must be a number, not {term.n3()}")
    return str(value) if isinstance(value, rdflib.Literal) or field in _TEXT else value


def interpret(graph: rdflib.Graph, frag: Fragment, *, cell: str) -> Annotation:
    """Read the statements about `PARAMETER_SUBJECT` into an `Annotation`.

    Raises `UnknownTerm` for a predicate the grammar does not know and `AnnotationSyntaxError`
    for a value of the wrong kind or a repeated single-valued predicate.
    """
    line, column = frag.locate(0)

    def fail(reason: str) -> AnnotationSyntaxError:
        return AnnotationSyntaxError(line, column, reason, cell=cell)

    values: dict[str, list[Any]] = {}
    for p, o in sorted(graph.predicate_objects(rdflib.URIRef(PARAMETER_SUBJECT))):
        field = _FIELDS.get(rdflib.URIRef(str(p)))
        if field is None:
            known = sorted({compact(str(k)) for k in _FIELDS})
            close = difflib.get_close_matches(compact(str(p)), known, n=3, cutoff=0.6)
            raise UnknownTerm(compact(str(p)), close, reason="not a parameter annotation")
        values.setdefault(field, []).append(_value(field, o, fail))
    for field in _SINGLE & values.keys():
        if len(values[field]) > 1:
            raise fail(f"more than one {field.replace('_', ' ')} given")
    named = values.pop("types", [])
    types, optional = tuple(t for t in named if t != str(ODA.optional)), str(ODA.optional) in named
    single = {k: v[0] for k, v in values.items() if k in _SINGLE}
    return Annotation(types=types, optional=optional, **single,
                      allowed_values=tuple(values.get("allowed_values", ())))
