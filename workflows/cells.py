"""Reading notebook cells: the assignments of a tagged cell, its comments, the markdown header.

Assignments are found with Python's `ast` (name, type hint, default via `ast.literal_eval`),
comments with `tokenize`, so `#` inside string literals is never mistaken for a comment.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

from mmoda.workflows.annotation import Fragment
from mmoda.workflows.errors import AnnotationSyntaxError

__all__ = ["Assignment", "ScannedCell", "content_hash", "markdown_header", "scan", "tagged"]

NOT_LITERAL = object()  # the default of an assignment whose value is not a Python literal


@dataclass(frozen=True)
class Assignment:
    """`name[: hint] = value  # comment`, or a bare `name  # comment` (an output declaration)."""

    name: str
    line: int
    hint: ast.expr | None
    value: Any  # the literal value, None for a bare name, NOT_LITERAL for an expression
    expression: str | None  # the source of the value, None for a bare name
    comment: Fragment | None  # the trailing comment on the statement's last line, if any


@dataclass(frozen=True)
class ScannedCell:
    """The assignments of a cell and its blocks of consecutive full-line comments."""

    assignments: tuple[Assignment, ...]
    comment_blocks: tuple[tuple[Fragment, ...], ...]


def tagged(nb: NotebookNode, tag: str) -> list[NotebookNode]:
    """The code cells of `nb` carrying `tag` in their metadata."""
    return [c for c in nb.cells
            if c.cell_type == "code" and tag in c.get("metadata", {}).get("tags", [])]


def _comments(source: str) -> dict[int, tuple[Fragment, bool]]:
    """Per line: the comment's text (after `#` and spaces) and whether it fills the line."""
    out: dict[int, tuple[Fragment, bool]] = {}
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            (line, col), raw = tok.start, tok.string
            skip = len(raw) - len(raw.lstrip("# \t"))
            full = not lines[line - 1][:col].strip()
            out[line] = (Fragment.at(raw[skip:].rstrip(), line, col + skip + 1), full)
    return out


def _assignment(node: ast.stmt, source: str, comment: Fragment | None,
                cell: str) -> Assignment | None:
    """The `Assignment` of one statement, None when it assigns nothing by name."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Name):
        return Assignment(node.value.id, node.lineno, None, None, None, comment)
    hint: ast.expr | None = None
    value: ast.expr | None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, value = node.targets[0], node.value
    elif isinstance(node, ast.AnnAssign):
        target, hint, value = node.target, node.annotation, node.value
    else:
        return None
    if not isinstance(target, ast.Name):
        raise AnnotationSyntaxError(node.lineno, node.col_offset + 1,
                                    "assign one plain name per line", cell=cell)
    if value is None:
        return Assignment(target.id, node.lineno, hint, None, "None", comment)
    try:
        literal = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        literal = NOT_LITERAL
    expression = ast.get_source_segment(source, value) or ast.unparse(value)
    return Assignment(target.id, node.lineno, hint, literal, expression, comment)


def scan(source: str, *, cell: str) -> ScannedCell:
    """The assignments and full-line comment blocks of a code cell's `source`."""
    try:
        tree = ast.parse(source)
        comments = _comments(source)
    except SyntaxError as exc:
        raise AnnotationSyntaxError(exc.lineno or 1, exc.offset or 1,
                                    f"not valid Python: {exc.msg}", cell=cell) from exc
    found = []
    for node in tree.body:
        end = node.end_lineno or node.lineno
        trailing = comments.get(end)
        comment = trailing[0] if trailing and not trailing[1] else None
        if (a := _assignment(node, source, comment, cell)) is not None:
            found.append(a)
    blocks: list[list[int]] = []
    for line in sorted(n for n, (_, full) in comments.items() if full):
        if blocks and blocks[-1][-1] == line - 1:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return ScannedCell(tuple(found), tuple(
        tuple(comments[n][0] for n in b if comments[n][0].text) for b in blocks))


def markdown_header(nb: NotebookNode) -> tuple[str | None, str]:
    """The title (first heading) and the rest of the notebook's first markdown cell."""
    cell = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.strip()), None)
    if cell is None:
        return None, ""
    lines = cell.source.strip().splitlines()
    if lines[0].startswith("#"):
        return lines[0].lstrip("#").strip() or None, "\n".join(lines[1:]).strip()
    return None, "\n".join(lines).strip()


def content_hash(nb: NotebookNode) -> str:
    """sha256 of the code cells' tags and sources, with line ends and trailing blanks normalised."""
    cells = [(sorted(c.get("metadata", {}).get("tags", [])),
              "\n".join(line.rstrip() for line in c.source.replace("\r\n", "\n").split("\n"))
              .strip("\n"))
             for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode("utf-8")).hexdigest()
