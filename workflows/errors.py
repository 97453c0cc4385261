"""Errors raised while reading a workflow notebook; each says where and what to change."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AnnotationSyntaxError",
    "DefaultOutOfRange",
    "InvalidMetadata",
    "MissingLicense",
    "MissingModuleLicense",
    "NoParametersCell",
    "NotANotebook",
    "RepositoryUnreadable",
    "ServiceProtocolError",
    "ServiceUnreachable",
    "ServiceUrlError",
    "UnknownInstrument",
    "UnknownTerm",
    "UnsatisfiableRestriction",
    "WorkflowError",
    "WorkflowNotFound",
]


class WorkflowError(Exception):
    """Base class of every error raised by `mmoda.workflows`."""


class NoParametersCell(WorkflowError):
    """The notebook has no code cell tagged `parameters`."""

    def __init__(self, source: str = "the notebook") -> None:
        super().__init__(f"{source} has no code cell tagged 'parameters'; tag the cell that "
                         "assigns the workflow's inputs (View > Cell Toolbar > Tags)")
        self.source = source


class AnnotationSyntaxError(WorkflowError):
    """A parameter/output annotation or a Turtle comment line is not valid Turtle.

    `line` and `column` are 1-based and count within the cell that holds the comment.
    """

    def __init__(self, line: int, column: int, message: str, *, cell: str = "") -> None:
        where = f"{cell} cell, " if cell else ""
        super().__init__(f"{where}line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message
        self.cell = cell


class UnknownTerm(WorkflowError):
    """An annotation names a class, unit, format or property the ontology does not know.

    `suggestions` lists the closest known terms (compact IRIs such as `oda:Energy_keV`).
    """

    def __init__(self, term: str, suggestions: Sequence[str] = (), *, reason: str = "") -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        why = f" ({reason})" if reason else ""
        super().__init__(f"unknown term {term}{why}{hint}")
        self.term = term
        self.suggestions = list(suggestions)
        self.reason = reason


class DefaultOutOfRange(WorkflowError):
    """A parameter's default value breaks its own type, limits or allowed values."""

    def __init__(self, parameter: str, value: object, reason: str) -> None:
        super().__init__(f"default of parameter {parameter!r} ({value!r}) {reason}")
        self.parameter = parameter
        self.value = value
        self.reason = reason


class MissingLicense(WorkflowError):
    """The notebook declares no licence (or not as an IRI), which publishing requires."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            (detail or "the notebook declares no licence")
            + "; add a full-line comment to the parameters cell such as "
            "'# dct:license <https://spdx.org/licenses/MIT>'")
        self.detail = detail


class InvalidMetadata(WorkflowError):
    """A piece of workflow metadata (creator, runtime needs, labels) cannot be read."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"workflow metadata {field} = {value!r}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


class RepositoryUnreadable(WorkflowError):
    """A git repository (or a file in it) cannot be read: bad URL, revision or path."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot read repository {url}: {reason}")
        self.url = url
        self.reason = reason


class UnknownInstrument(WorkflowError):
    """A workflow names an instrument label that no Instrument node of the catalog has."""

    def __init__(self, label: str, known: list[str]) -> None:
        known_text = ", ".join(sorted(known)) or "none"
        super().__init__(f"no instrument named {label!r} in the catalog (known: {known_text}); "
                         "add an Instrument node first")
        self.label = label
        self.known = known


class ServiceUrlError(WorkflowError, ValueError):
    """A service URL that cannot name an nb2workflow service (not http/https, credentials...)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url!r} is not a usable nb2workflow service URL: {reason}")
        self.url = url
        self.reason = reason


class ServiceUnreachable(WorkflowError):
    """An nb2workflow service did not answer: connection error, timeout or a non-200 status."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"nb2workflow service {url} is unreachable: {reason}")
        self.url = url
        self.reason = reason


class ServiceProtocolError(WorkflowError):
    """An nb2workflow service answered, but not with the JSON shape of its protocol."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"nb2workflow service {url} answered unexpectedly: {reason}")
        self.url = url
        self.reason = reason


class UnsatisfiableRestriction(WorkflowError):
    """The limits or allowed values a workflow gives its parameters admit no value at all."""

    def __init__(self, parameters: list[str], reason: str) -> None:
        super().__init__(f"parameter(s) {', '.join(parameters)} admit no value: {reason}")
        self.parameters = parameters
        self.reason = reason


class MissingModuleLicense(MissingLicense):
    """A Python-function workflow declares no `__license__`, or one that is no SPDX id or IRI."""

    def __init__(self, detail: str = "") -> None:
        WorkflowError.__init__(
            self, (detail or "the module declares no licence")
            + '; declare it at module level, e.g. __license__ = "MIT" (an SPDX id or an IRI)')
        self.detail = detail


class WorkflowNotFound(WorkflowError):
    """No workflow where one was named: no such module, entry point or function, or several
    functions that could each be the workflow. `candidates` lists what there is."""

    def __init__(self, detail: str, candidates: Sequence[str] = ()) -> None:
        listed = f"; candidates: {', '.join(candidates)}" if candidates else ""
        super().__init__(detail + listed)
        self.detail = detail
        self.candidates = list(candidates)


class NotANotebook(WorkflowError):
    """The content given as a notebook is not a readable Jupyter notebook (nbformat 4)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a Jupyter notebook: {reason}")
        self.reason = reason
