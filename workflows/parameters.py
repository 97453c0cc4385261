"""From an assignment and its annotation to a `FormalParameter` or `FormalOutput`.

Types follow nb2workflow: the annotated ODA class, else one inferred from the type hint or the
default's Python type (int→oda:Integer, float→oda:Float, str→oda:String, bool→oda:Boolean).
`Optional[...]`, `X | None` hints and `oda:optional` make a parameter optional. The default is
checked against the type, limits and allowed values it declares.
"""

from __future__ import annotations

import ast
from typing import Any

from mmoda.workflows.annotation import Annotation, interpret, looks_like_turtle, read_annotation
from mmoda.workflows.cells import NOT_LITERAL, Assignment
from mmoda.workflows.errors import AnnotationSyntaxError, DefaultOutOfRange
from mmoda.workflows.model import FormalOutput, FormalParameter
from mmoda.workflows.vocabulary import DATA_PRODUCT, ODA, UNIT, Vocabulary

__all__ = ["hint_type", "make_output", "make_parameter"]

_HINT_NAMES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool,
                                "list": list, "List": list, "dict": dict, "Dict": dict}
_TYPE_OF: dict[type, str] = {int: ODA + "Integer", float: ODA + "Float", str: ODA + "String",
                             bool: ODA + "Boolean", list: ODA + "StructuredParameter",
                             dict: ODA + "StructuredParameter"}


def _hint_members(node: ast.expr) -> list[type | None]:
    """The types a hint allows (None for `None`); an unknown type gives `object`."""
    if isinstance(node, ast.Constant) and node.value is None:
        return [None]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _hint_members(node.left) + _hint_members(node.right)
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return [None] if name == "None" else [_HINT_NAMES.get(name, object)]
    if isinstance(node, ast.Subscript):
        head = ast.unparse(node.value).rsplit(".", 1)[-1]
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head == "Optional":
            return [*_hint_members(args[0]), None]
        if head == "Union":
            return [t for a in args for t in _hint_members(a)]
        return [_HINT_NAMES.get(head, object)]
    return [object]


def hint_type(hint: ast.expr | None) -> tuple[type | None, bool]:
    """The Python type a type hint names (int|float counts as float) and whether it allows None."""
    if hint is None:
        return None, False
    members = _hint_members(hint)
    types = {t for t in members if t is not None}
    if types == {int, float}:
        types = {float}
    single = types.pop() if len(types) == 1 else None
    return (None if single is object else single), None in members


def _annotation(a: Assignment, cell: str) -> Annotation:
    """The annotation in the trailing comment; empty when there is none or it is prose."""
    if a.comment is None or not looks_like_turtle(a.comment.text):
        return Annotation()
    return interpret(read_annotation(a.comment, cell=cell), a.comment, cell=cell)


def _fail(a: Assignment, message: str, cell: str) -> AnnotationSyntaxError:
    where = a.comment.locate(0) if a.comment is not None else (a.line, 1)
    return AnnotationSyntaxError(where[0], where[1], message, cell=cell)


def _base_type(a: Assignment, ann: Annotation, hinted: type | None, cell: str) -> str:
    """The annotated ODA class, else the one for the hint's or the default's Python type."""
    if len(ann.types) > 1:
        raise _fail(a, f"give {a.name} one type, not {len(ann.types)}", cell)
    if ann.types:
        return ann.types[0]
    py = hinted or (type(a.value) if a.value not in (None, NOT_LITERAL) else None)
    if py not in _TYPE_OF:
        raise _fail(a, f"cannot tell the type of {a.name}: annotate it (# oda:Float) "
                    "or give a type hint", cell)
    return _TYPE_OF[py]


def _coerce(name: str, value: Any, python_type: type) -> Any:
    """`value` as `python_type` (an int default of a float parameter becomes a float)."""
    if value is None or (python_type is float and type(value) is int):
        return None if value is None else float(value)
    if (isinstance(value, bool) and python_type is not bool) or not isinstance(value, python_type):
        raise DefaultOutOfRange(name, value, f"is not of the parameter's type "
                                f"({python_type.__name__})")
    return value


def _check_range(p: FormalParameter) -> None:
    """Raise `DefaultOutOfRange` when the default breaks the parameter's own constraints."""
    value = p.default
    if value is None:
        if not p.optional:
            raise DefaultOutOfRange(p.name, value, "is None but the parameter is not optional "
                                    "(annotate oda:optional or hint Optional[...])")
        return
    if p.allowed_values and value not in p.allowed_values:
        raise DefaultOutOfRange(p.name, value, f"is not an allowed value {p.allowed_values}")
    if p.lower_limit is not None and value < p.lower_limit:
        raise DefaultOutOfRange(p.name, value, f"is below oda:lower_limit {p.lower_limit}")
    if p.upper_limit is not None and value > p.upper_limit:
        raise DefaultOutOfRange(p.name, value, f"is above oda:upper_limit {p.upper_limit}")


def _check_terms(a: Assignment, ann: Annotation, vocab: Vocabulary, cell: str) -> None:
    if ann.unit is not None:
        vocab.check_individual(ann.unit, UNIT + "Unit")
    if ann.format is not None:
        vocab.check_individual(ann.format, ODA + "ParameterFormat")
    limits = (ann.lower_limit, ann.upper_limit)
    if None not in limits and limits[0] > limits[1]:  # type: ignore[operator]
        raise _fail(a, f"oda:lower_limit {limits[0]} is above oda:upper_limit {limits[1]}", cell)


def make_parameter(a: Assignment, vocab: Vocabulary, *, position: int,
                   cell: str = "parameters") -> FormalParameter:
    """The formal parameter `a` declares; see the module docstring for the rules."""
    if a.value is NOT_LITERAL:
        raise DefaultOutOfRange(a.name, a.expression, "is not a Python literal (number, "
                                "string, boolean, None, list or dict)")
    ann = _annotation(a, cell)
    hinted, hint_optional = hint_type(a.hint)
    base = _base_type(a, ann, hinted, cell)
    vocab.check_parameter_type(base)
    _check_terms(a, ann, vocab, cell)
    python_type = vocab.value_type(base) or hinted or (str if a.value is None else type(a.value))
    restricted = ann.allowed_values or (ann.lower_limit, ann.upper_limit) != (None, None)
    p = FormalParameter(
        name=a.name, type_iri=base, default=_coerce(a.name, a.value, python_type),
        python_type=python_type, unit=ann.unit, format=ann.format,
        lower_limit=ann.lower_limit, upper_limit=ann.upper_limit,
        allowed_values=ann.allowed_values, optional=ann.optional or hint_optional,
        restriction_iri=f"#type-{a.name}" if restricted else None,
        comment=a.comment.text if a.comment else "", label=ann.label,
        description=ann.description, hint=ast.unparse(a.hint) if a.hint else None,
        position=position)
    _check_range(p)
    return p


def make_output(a: Assignment, vocab: Vocabulary, *, position: int,
                cell: str = "outputs") -> FormalOutput:
    """The formal output `a` declares; oda:DataProduct when it is not annotated."""
    ann = _annotation(a, cell)
    if len(ann.types) > 1:
        raise _fail(a, f"give output {a.name} one product type, not {len(ann.types)}", cell)
    product = ann.types[0] if ann.types else DATA_PRODUCT
    vocab.check_product_type(product)
    return FormalOutput(a.name, product, a.comment.text if a.comment else "",
                        a.expression, position)
