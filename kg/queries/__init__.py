"""SPARQL text of the store's queries, one `.rq` file each; values are bound, never pasted.

A bare name (``"workflows"``) is a query of this package; ``"<package>/<name>"`` (e.g.
``"resolvers/resolve"``) is ``mmoda/<package>/queries/<name>.rq``, so that each package keeps
its own queries next to its code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def load(name: str) -> str:
    """The text of the query `name` (see the module docstring for how names map to files)."""
    package, _, stem = name.rpartition("/")
    where = f"mmoda.{package}.queries" if package else __name__
    return (files(where) / f"{stem}.rq").read_text(encoding="utf-8")


_CONSTANT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def inline(text: str, bindings: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Bound values written into the query as constants where it names them `$var`.

    pyoxigraph evaluates `substitutions` by joining the bound values at the end, after the
    whole pattern has been evaluated; a constant lets the planner start from it (an index
    lookup). The constants are N-Triples terms serialised by pyoxigraph from parsed terms, so
    no caller text reaches the SPARQL parser. A `$var` left unbound stays a variable. The
    bindings not written in (named `?var` only) are returned, for `substitutions`.
    """
    used: set[str] = set()

    def constant(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in bindings:
            return match.group(0)
        used.add(name)
        return str(bindings[name])

    return _CONSTANT.sub(constant, text), {k: v for k, v in bindings.items() if k not in used}
