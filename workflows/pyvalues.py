"""The safe subset of Python that workflow modules are read in, evaluated from syntax alone.

Literals, f-strings, lists, tuples and dicts, `+ - * /` on numbers and `+` on strings, names
bound at module level to such values, and the namespaces of `mmoda.workflows.terms` (`oda.X`
is the IRI string). Anything else, a call above all, raises `AnnotationSyntaxError` at its
line and column. Sizes are bounded so that a hostile module cannot exhaust time or memory.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mmoda.workflows.errors import AnnotationSyntaxError
from mmoda.workflows.terms import ODA, UNIT

__all__ = ["Binding", "Evaluator", "ModuleRef", "Namespace", "Opaque", "TypingName", "member"]

_TERMS = "mmoda.workflows.terms"
_TYPING = ("typing", "typing_extensions")
_NUMBER_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
               ast.Div: operator.truediv}
_MAX_STEPS = 10_000  # evaluated nodes per value; aliases of aliases are re-read, not cached
_MAX_TEXT = 100_000
_MAX_BITS = 256
_BIG_NUMBER = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Namespace:
    """An ontology namespace; `namespace.X` is the IRI `base + "X"`."""

    base: str


@dataclass(frozen=True)
class ModuleRef:
    """An imported module; only `typing` and `mmoda.workflows.terms` have readable members."""

    name: str


@dataclass(frozen=True)
class TypingName:
    """A name from `typing` (`Annotated`, `Optional`, `NamedTuple`, ...)."""

    name: str


@dataclass(frozen=True)
class Opaque:
    """A module-level name whose value cannot be known without running the module."""

    what: str


Binding = ast.expr | ast.ClassDef | ast.FunctionDef | Namespace | ModuleRef | TypingName | Opaque
_TERMS_MEMBERS: dict[str, object] = {"oda": Namespace(ODA), "unit": Namespace(UNIT),
                                     "ODA": ODA, "UNIT": UNIT}


def member(base: object, attr: str) -> object | None:
    """`base.attr` for the modules and namespaces understood statically, else None."""
    if isinstance(base, Namespace):
        return base.base + attr
    if not isinstance(base, ModuleRef):
        return None
    if base.name in _TYPING:
        return TypingName(attr)
    if base.name == _TERMS:
        return _TERMS_MEMBERS.get(attr)
    full = f"{base.name}.{attr}"
    return ModuleRef(full) if full == _TERMS or _TERMS.startswith(full + ".") else None


def _bounded(value: object) -> bool:
    if isinstance(value, str):
        return len(value) <= _MAX_TEXT
    return not isinstance(value, int) or value.bit_length() <= _MAX_BITS


class Evaluator(ast.NodeVisitor):
    """Evaluates expressions in the safe subset over the module-level `names`."""

    def __init__(self, names: Mapping[str, Binding],
                 error: Callable[[ast.expr, str], AnnotationSyntaxError]) -> None:
        """`error(node, message)` makes the error for an expression outside the subset."""
        self.names, self.error = names, error
        self.seen: set[str] = set()
        self.steps = 0

    def visit(self, node: ast.AST) -> object:
        """The value of `node`."""
        self.steps += 1
        value = super().visit(node) if self.steps <= _MAX_STEPS else None
        if self.steps > _MAX_STEPS or not _bounded(value):
            raise self._refuse(node, "is too large or too deeply aliased to be read without "
                               "running the module")
        return value

    def generic_visit(self, node: ast.AST) -> object:
        """Refuse `node`: it is outside the safe subset."""
        raise self._refuse(node, "cannot be read without running the module; use literals, "
                           "f-strings, module-level constants or ontology terms such as "
                           "oda.Energy_keV")

    def _refuse(self, node: ast.AST, why: str) -> AnnotationSyntaxError:
        if not isinstance(node, ast.expr):
            raise TypeError(f"not an expression: {ast.dump(node)[:60]}")
        return self.error(node, f"{ast.unparse(node)[:60]} {why}")

    def visit_Constant(self, node: ast.Constant) -> object:
        return node.value

    def visit_JoinedStr(self, node: ast.JoinedStr) -> object:
        parts: list[str] = []
        for value in node.values:
            parts.append(str(self.visit(value)))
            if sum(map(len, parts)) > _MAX_TEXT:
                raise self._refuse(node, "is too long to be read without running the module")
        return "".join(parts)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> object:
        value = self.visit(node.value)
        if not isinstance(value, str | int | float | bool | type(None)):
            return self.generic_visit(node)
        convert = {ord("r"): repr, ord("a"): ascii}.get(node.conversion, str)
        spec = str(self.visit(node.format_spec)) if node.format_spec else ""
        if _BIG_NUMBER.search(spec):  # a width or precision that would allocate gigabytes
            return self.generic_visit(node)
        try:
            return format(convert(value) if node.conversion > 0 else value, spec)
        except ValueError:  # a format spec that does not fit the value
            return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> object:
        bound = self.names.get(node.id)
        if bound is None or node.id in self.seen:
            raise self.error(node, f"{node.id} is not bound at module level to a value that "
                             "can be read without running the module")
        if isinstance(bound, ast.expr):
            self.seen.add(node.id)
            try:
                return self.visit(bound)
            finally:
                self.seen.discard(node.id)
        if isinstance(bound, Namespace | ModuleRef | TypingName):
            return bound
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> object:
        found = member(self.visit(node.value), node.attr)
        return self.generic_visit(node) if found is None else found

    def visit_List(self, node: ast.List) -> object:
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> object:
        return tuple(self.visit(e) for e in node.elts)

    def visit_Dict(self, node: ast.Dict) -> object:
        pairs = [(self.visit(k), self.visit(v)) if k is not None else self.generic_visit(node)
                 for k, v in zip(node.keys, node.values, strict=True)]
        try:
            return dict(pairs)  # type: ignore[arg-type]
        except TypeError:  # an unhashable key
            return self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> object:
        value = self.visit(node.operand)
        if not isinstance(value, int | float) or not isinstance(node.op, ast.USub | ast.UAdd):
            return self.generic_visit(node)
        return -value if isinstance(node.op, ast.USub) else +value

    def visit_BinOp(self, node: ast.BinOp) -> object:
        left, right = self.visit(node.left), self.visit(node.right)
        numbers = all(isinstance(v, int | float) for v in (left, right))
        strings = all(isinstance(v, str) for v in (left, right))
        op = _NUMBER_OPS.get(type(node.op)) if numbers else None
        if strings and isinstance(node.op, ast.Add):
            op = operator.add
        try:
            return self.generic_visit(node) if op is None else op(left, right)
        except (ZeroDivisionError, OverflowError):
            return self.generic_visit(node)
