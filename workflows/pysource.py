"""Reading a Python module without running it: its module-level names and their values.

Contributed code is never imported. Module-level assignments, imports, classes and functions
are recorded as syntax; values are evaluated on demand in the safe subset of
`mmoda.workflows.pyvalues`. Errors are given the line and column (in characters) of the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager

from mmoda.workflows.annotation import Fragment
from mmoda.workflows.errors import (
    AnnotationSyntaxError,
    DefaultOutOfRange,
    InvalidMetadata,
    UnknownTerm,
)
from mmoda.workflows.pyvalues import (
    Binding,
    Evaluator,
    ModuleRef,
    Namespace,
    Opaque,
    TypingName,
    member,
)

__all__ = ["ModuleSource"]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
Located = ast.expr | ast.stmt | ast.arg


def _bound_names(target: ast.expr) -> Iterator[ast.Name]:
    """The names an assignment target binds (not `x` of `x.a = ...` or `x[0] = ...`)."""
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _imported(stmt: ast.ImportFrom, name: str) -> Binding:
    found = member(ModuleRef(stmt.module or ""), name) if not stmt.level else None
    if isinstance(found, str):  # `from mmoda.workflows.terms import ODA`
        return ast.copy_location(ast.Constant(found), stmt)
    return found if isinstance(found, Namespace | ModuleRef | TypingName) \
        else Opaque(f"imported from {stmt.module}")


def _term_position(annotation: Fragment, term: str) -> tuple[int, int]:
    """Where `annotation` names `term` (`oda:X`, `<IRI>`), else where it starts."""
    for needle in (term.strip("<>"), term.partition(":")[2]):
        index = annotation.text.find(needle) if needle else -1
        if index >= 0:
            return annotation.locate(index)
    return annotation.locate(0)


class ModuleSource:
    """A parsed module and its module-level names; see the module docstring."""

    def __init__(self, text: str) -> None:
        """Parse `text`; invalid Python raises `AnnotationSyntaxError`."""
        self.text, self.lines = text, _LINE_BREAK.split(text)
        try:
            self.tree = ast.parse(text)
        except SyntaxError as exc:
            raise AnnotationSyntaxError(exc.lineno or 1, exc.offset or 1,
                                        f"not valid Python: {exc.msg}") from exc
        self.names: dict[str, Binding] = {}
        for stmt in self.tree.body:
            self._bind(stmt)

    def _bind(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Try):
            # The `try` body is the path taken when its imports succeed, so it binds last.
            for inner in [s for h in stmt.handlers for s in h.body] + stmt.body:
                self._bind(inner)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                for name in _bound_names(target):
                    plain = name is target and not isinstance(stmt, ast.AugAssign)
                    self.names[name.id] = stmt.value if plain and stmt.value is not None \
                        else Opaque("a computed value")
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                top = a.name.split(".")[0]
                self.names[a.asname or top] = ModuleRef(a.name if a.asname else top)
        elif isinstance(stmt, ast.ImportFrom):
            for a in stmt.names:
                self.names[a.asname or a.name] = _imported(stmt, a.name)
        elif isinstance(stmt, ast.ClassDef | ast.FunctionDef):
            self.names[stmt.name] = stmt

    def column(self, node: Located) -> int:
        """The 1-based column of `node` in characters (`ast` counts UTF-8 bytes)."""
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        return len(line.encode("utf-8")[:node.col_offset].decode("utf-8", "replace")) + 1

    def where(self, node: Located) -> tuple[int, int]:
        """The 1-based line and column of `node`."""
        return node.lineno, self.column(node)

    def error(self, node: Located, message: str) -> AnnotationSyntaxError:
        """An `AnnotationSyntaxError` at `node`."""
        return AnnotationSyntaxError(node.lineno, self.column(node), message)

    @contextmanager
    def located(self, at: tuple[int, int], annotation: Fragment | None = None) -> Iterator[None]:
        """Re-raise the workflow errors that carry no position with the position `at`, or for
        `UnknownTerm` where `annotation` (the Turtle the metadata amounts to) names the term."""
        def text(where: tuple[int, int]) -> str:
            return f"line {where[0]}, column {where[1]}"
        try:
            yield
        except UnknownTerm as exc:
            where = text(_term_position(annotation, exc.term) if annotation else at)
            reason = f"{exc.reason}; {where}" if exc.reason else where
            raise UnknownTerm(exc.term, exc.suggestions, reason=reason) from exc
        except DefaultOutOfRange as exc:
            raise DefaultOutOfRange(exc.parameter, exc.value,
                                    f"{exc.reason} ({text(at)})") from exc
        except InvalidMetadata as exc:
            raise InvalidMetadata(exc.field, exc.value, f"{exc.reason} ({text(at)})") from exc

    def positions(self, node: ast.expr, text: str) -> tuple[tuple[int, int], ...]:
        """Where each character of `text`, the value of `node`, is written; the start of `node`
        for every character when that cannot be told (escapes, f-strings, names)."""
        start = (node.lineno, self.column(node))
        if isinstance(node, ast.Constant) and node.lineno == node.end_lineno:
            segment = ast.get_source_segment(self.text, node) or ""
            quote = next((i for i, c in enumerate(segment) if c in "'\""), len(segment))
            body = quote + (3 if segment[quote:quote + 3] in ('"""', "'''") else 1)
            if segment[body:body + len(text)] == text:
                return tuple((start[0], start[1] + body + i) for i in range(len(text)))
        return (start,) * len(text)

    def value(self, node: ast.expr) -> object:
        """The value of `node` in the safe subset; `AnnotationSyntaxError` outside it."""
        return Evaluator(self.names, self.error).visit(node)

    def typing_name(self, node: ast.expr) -> str | None:
        """`"Annotated"` for `Annotated`, `typing.Annotated`, ...; None when not from typing."""
        try:
            found = self.value(node)
        except AnnotationSyntaxError:
            return None
        return found.name if isinstance(found, TypingName) else None
