"""What a workflow declares: its formal parameters and outputs, as plain dataclasses.

A `WorkflowSpec` is read from a notebook by `mmoda.workflows.notebook.parse_notebook` and turned
into a catalog node by `mmoda.workflows.rdf.workflow_quads`. IRIs that depend on where the
workflow is published (the restriction classes) are kept as fragment references (`#type-x`)
and resolved against the workflow IRI when the node is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Creator", "FormalOutput", "FormalParameter", "RuntimeNeeds", "WorkflowSpec"]

ODA = "http://odahub.io/ontology#"
UNIT = "http://odahub.io/ontology/unit#"


@dataclass(frozen=True)
class FormalParameter:
    """One input of a workflow, with its ODA type and the constraints on its value.

    `type_iri` is the ODA class named in the annotation (or inferred from the Python value);
    when limits or allowed values are given, `restriction_iri` is the fragment (`#type-<name>`)
    of the synthesised subclass of `type_iri` that carries them. `default` is the Python value
    (None for an optional parameter without default); `comment` is the raw trailing comment.
    """

    name: str
    type_iri: str
    default: Any
    python_type: type
    unit: str | None = None
    format: str | None = None
    lower_limit: int | float | None = None
    upper_limit: int | float | None = None
    allowed_values: tuple[Any, ...] = ()
    optional: bool = False
    restriction_iri: str | None = None
    comment: str = ""
    label: str | None = None
    description: str | None = None
    hint: str | None = None
    position: int = 0

    @property
    def restricted(self) -> bool:
        """True when the parameter narrows its type with limits or allowed values."""
        return bool(self.allowed_values) or self.lower_limit is not None \
            or self.upper_limit is not None

    def parameter_type(self, version_iri: str) -> str:
        """The IRI to publish as the parameter's type: the restriction class (a fragment of the
        workflow version, `{version}-type-<name>`), else `type_iri`."""
        if self.restriction_iri is None:
            return self.type_iri
        return f"{version_iri}-{self.restriction_iri.lstrip('#')}"


@dataclass(frozen=True)
class FormalOutput:
    """One output of a workflow: its name and ODA product type (a subclass of oda:DataProduct).

    `expression` is the source of the assigned value (None for a bare `name  # oda:Type`).
    """

    name: str
    type_iri: str
    comment: str = ""
    expression: str | None = None
    position: int = 0


@dataclass(frozen=True)
class Creator:
    """An author of a workflow; `orcid` is the full ORCID IRI (https://orcid.org/0000-...)."""

    name: str
    orcid: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class RuntimeNeeds:
    """What a workflow needs to run: cpus, memory (MiB), walltime (s) and a container image;
    and how its results may be reused: for `result_lifetime_s` seconds (None: as long as they
    exist), or never when `reusable` is False."""

    cpus: int | None = None
    memory_mb: int | None = None
    walltime_s: int | None = None
    image: str | None = None
    result_lifetime_s: int | None = None
    reusable: bool | None = None


@dataclass(frozen=True)
class WorkflowSpec:
    """A workflow as a notebook declares it.

    `extra_turtle` holds the notebook-level Turtle statements not consumed into the fields
    (licence, title, description), about the placeholder subject `NOTEBOOK_SUBJECT`.
    `content_hash` is the sha256 of the normalised code cells; `version` defaults to its
    first 12 digits. `commit` is the git commit of the notebook when it is tracked and clean.

    `kind` is "notebook", "function" (`entry` is then the function's name) or "service" (an
    nb2workflow service: `service_url` and the target name in `entry`). `instrument` and
    `product` are the labels MMODA users know (e.g. "isgri", "lightcurve"); `repository`,
    `repository_path` and `tag` locate the code when it comes from a git repository.
    """

    name: str
    title: str
    description: str
    parameters: tuple[FormalParameter, ...]
    outputs: tuple[FormalOutput, ...]
    extra_turtle: str = ""
    source_path: str | None = None
    content_hash: str = ""
    license: str | None = None
    version: str = ""
    commit: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)
    kind: str = "notebook"
    entry: str | None = None
    service_url: str | None = None
    creators: tuple[Creator, ...] = ()
    instrument: str | None = None
    product: str | None = None
    runtime: RuntimeNeeds = field(default_factory=RuntimeNeeds)
    repository: str | None = None
    repository_path: str | None = None
    tag: str | None = None

    NOTEBOOK_SUBJECT = "urn:x-mmoda:notebook"

    def parameter(self, name: str) -> FormalParameter:
        """The parameter called `name`; KeyError if there is none."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def output(self, name: str) -> FormalOutput:
        """The output called `name`; KeyError if there is none."""
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)
