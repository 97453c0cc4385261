"""`Annotated` metadata as the Turtle of a notebook annotation comment, located in the module.

An IRI (string or `oda.X`) or an annotation string (`"oda:Energy_keV ; oda:lower_limit 15"`) is
used as written; a dict (`{"unit": "keV", "lower_limit": 0}`) is written out as Turtle. Several
pieces are joined with `;`. Every character keeps the line and column it came from, so Turtle
errors point into the module.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import re

from mmoda.workflows.annotation import Fragment, looks_like_turtle
from mmoda.workflows.errors import UnknownTerm
from mmoda.workflows.pyhints import Hint
from mmoda.workflows.pysource import ModuleSource

__all__ = ["annotation_fragment"]

_KEYS = {"unit": "oda:unit", "format": "oda:format", "lower_limit": "oda:lower_limit",
         "upper_limit": "oda:upper_limit", "allowed_values": "oda:allowed_value",
         "label": "rdfs:label", "description": "dct:description"}
_TYPE_FIRST = re.compile(r"\s*[^\s;,]+\s*(?:[;,]|$)")  # `oda:X ; ...`, not `oda:unit unit:keV`


def _term(value: object, prefix: str) -> str | None:
    """A unit or format as Turtle: `<IRI>`, a compact IRI, or a local name in `prefix`."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return f"<{value}>"
    return value if ":" in value else f"{prefix}:{value}"


def _literal(value: object) -> str | None:
    """`value` as a Turtle literal; None for what a limit or allowed value cannot be."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else None


def _dict_turtle(key: object, value: object) -> str | None:
    """`predicate object(s)` for one entry of a metadata dict; None when the value is wrong."""
    if key in ("unit", "format"):
        term = _term(value, "unit" if key == "unit" else "oda")
    elif key == "allowed_values":
        items = [_literal(v) for v in value] if isinstance(value, list | tuple) else []
        known = [i for i in items if i is not None]
        term = ", ".join(known) if known and len(known) == len(items) else None
    elif key in ("label", "description"):
        term = _literal(value) if isinstance(value, str) else None
    else:
        term = _literal(value) if isinstance(value, int | float) \
            and not isinstance(value, bool) else None
    return None if term is None else f"{_KEYS[str(key)]} {term}"


def _dict_piece(module: ModuleSource, node: ast.expr, value: dict[object, object]) -> str:
    parts = []
    for key, item in value.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), list(_KEYS), n=3, cutoff=0.6)
            with module.located(module.where(node)):
                raise UnknownTerm(repr(key), close, reason="not an annotation key")
        turtle = _dict_turtle(key, item)
        if turtle is None:
            raise module.error(node, f"annotation key {key!r} cannot be {item!r}")
        parts.append(turtle)
    return " ; ".join(parts)


def _piece(module: ModuleSource, node: ast.expr) -> Fragment:
    """The Turtle one piece of `Annotated` metadata says, located in the module."""
    value = module.value(node)
    if isinstance(value, dict) and value:
        text = _dict_piece(module, node, value)
        return Fragment(text, ((node.lineno, module.column(node)),) * len(text))
    if not isinstance(value, str) or not looks_like_turtle(value):
        raise module.error(node, f"{ast.unparse(node)[:60]} is no ontology annotation; give a "
                           "class IRI or oda.X, an annotation string such as 'oda:Energy_keV "
                           "; oda:lower_limit 15', or a dict of unit, limits, allowed_values")
    return Fragment(value, module.positions(node, value))


def annotation_fragment(module: ModuleSource, hint: Hint | None) -> Fragment | None:
    """The annotation comment the metadata of `hint` amounts to; None without metadata."""
    pieces = [_piece(module, m) for m in hint.metadata] if hint else []
    if not pieces:
        return None
    text, where = pieces[0].text, list(pieces[0].where)
    for piece in pieces[1:]:
        joint = " ; a " if _TYPE_FIRST.match(piece.text) else " ; "
        text += joint + piece.text
        where += [piece.locate(0)] * len(joint) + list(piece.where)
    return Fragment(text, tuple(where))
