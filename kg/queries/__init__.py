"""SPARQL text of the store's queries, one `.rq` file each; values are bound, never pasted.

A bare name (``"workflows"``) is a query of this package; ``"<package>/<name>"`` (e.g.
``"resolvers/resolve"``) is ``mmoda/<package>/queries/<name>.rq``, so that each package keeps
its own queries next to its code.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> str:
    """The text of the query `name` (see the module docstring for how names map to files)."""
    package, _, stem = name.rpartition("/")
    where = f"mmoda.{package}.queries" if package else __name__
    return (files(where) / f"{stem}.rq").read_text(encoding="utf-8")
