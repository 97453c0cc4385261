"""Errors of the knowledge-graph layer; foreign errors are wrapped here (`raise … from exc`)."""

from __future__ import annotations

from typing import Any


class KgError(Exception):
    """Base class of every error raised by `mmoda.kg`."""


class RdfSyntaxError(KgError):
    """A document could not be parsed as the RDF format it claims to be."""

    def __init__(self, fmt: str, message: str) -> None:
        super().__init__(f"malformed {fmt}: {message}")
        self.format = fmt
        self.message = message


class ContextError(KgError):
    """A JSON-LD document names a remote context the store does not resolve."""


class NodeNotFound(KgError):
    """No description of the node is stored."""


class NodeMismatch(KgError):
    """A document does not describe the node it is written as, or describes other nodes."""


class NodeInvalid(KgError):
    """A node broke the SHACL shapes; `violations` lists each broken constraint."""

    def __init__(self, violations: list[dict[str, Any]]) -> None:
        first = violations[0]["message"] if violations else "invalid node"
        super().__init__(f"{len(violations)} SHACL violation(s); first: {first}")
        self.violations = violations


class QuerySyntaxError(KgError):
    """A SPARQL query or update did not parse."""


class QueryTimeout(KgError):
    """A query ran past its time limit."""


class ResultTooLarge(KgError):
    """A query's serialised result exceeded the size limit."""


class Overloaded(KgError):
    """Too many runaway queries are still running; try again later."""
