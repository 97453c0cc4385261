"""SPARQL text of the store's queries, one `.rq` file each; values are bound, never pasted."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    """The text of `queries/<name>.rq`."""
    return (files(__name__) / f"{name}.rq").read_text(encoding="utf-8")
