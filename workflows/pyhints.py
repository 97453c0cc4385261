"""Type hints unwrapped as syntax: `Annotated` metadata, `Optional`, unions, aliases, records.

Nothing is evaluated but the heads of subscripts (is this `typing.Annotated`?): a hint such as
`Optional[RightAscension]`, with `RightAscension = Annotated[float, oda.PointOfInterestRA]` at
module level, becomes the bare type `float`, the metadata `oda.PointOfInterestRA` (still
syntax) and "None allowed".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from mmoda.workflows.pysource import ModuleSource

__all__ = ["Hint", "record_fields", "unwrap"]


@dataclass(frozen=True)
class Hint:
    """A type hint unwrapped: the bare type, the `Annotated` metadata, whether None is allowed."""

    base: ast.expr
    metadata: tuple[ast.expr, ...] = ()
    optional: bool = False

    def annotation(self) -> ast.expr:
        """The bare type, as `base | None` when the hint allows None."""
        if not self.optional:
            return self.base
        return ast.BinOp(left=self.base, op=ast.BitOr(), right=ast.Constant(None))


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    return [node]


def unwrap(module: ModuleSource, node: ast.expr, seen: frozenset[str] = frozenset()) -> Hint:
    """`node` unwrapped: aliases followed, `Annotated` metadata collected, None noted."""
    alias = module.names.get(node.id) if isinstance(node, ast.Name) else None
    if isinstance(node, ast.Name) and isinstance(alias, ast.expr):
        if node.id in seen:
            raise module.error(node, f"the type alias {node.id} refers to itself")
        return unwrap(module, alias, seen | {node.id})
    head = module.typing_name(node.value) if isinstance(node, ast.Subscript) else None
    if isinstance(node, ast.Subscript) and head in ("Annotated", "Optional", "Union"):
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head == "Annotated":
            inner = unwrap(module, args[0], seen)
            return Hint(inner.base, inner.metadata + tuple(args[1:]), inner.optional)
        members = [*args, ast.Constant(None)] if head == "Optional" else args
        return _union(module, node, members, seen)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union(module, node, _union_members(node), seen)
    return Hint(node)


def _union(module: ModuleSource, node: ast.expr, members: list[ast.expr],
           seen: frozenset[str]) -> Hint:
    rest = [m for m in members if not _is_none(m)]
    if len(rest) == 1:
        inner = unwrap(module, rest[0], seen)
        return Hint(inner.base, inner.metadata, inner.optional or len(rest) < len(members))
    if any(unwrap(module, m, seen).metadata for m in rest):
        raise module.error(node, "a union of annotated types has no single ontology type; "
                           "annotate the union as a whole: Annotated[A | B, oda.Type]")
    return Hint(node)


def record_fields(module: ModuleSource, node: ast.expr, seen: frozenset[str] = frozenset()
                  ) -> list[tuple[str, ast.expr]] | None:
    """The (name, annotation) fields of the NamedTuple or TypedDict class `node` names;
    None when `node` names no such class."""
    cls = module.names.get(node.id) if isinstance(node, ast.Name) else None
    if not isinstance(cls, ast.ClassDef) or cls.name in seen:
        return None
    fields: list[tuple[str, ast.expr]] = []
    for base in cls.bases:  # a TypedDict may extend another one
        if module.typing_name(base) not in ("NamedTuple", "TypedDict"):
            inherited = record_fields(module, base, seen | {cls.name})
            if inherited is None:
                return None
            fields += inherited
    return fields + [(s.target.id, s.annotation) for s in cls.body
                     if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)]
