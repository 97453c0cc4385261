"""Registering workflows in a site's catalog: one node per workflow, one fragment per version.

`Registry.register` adds git facts to a parsed `WorkflowSpec`, finds its instrument node,
keeps the node's earlier versions (a changed content hash is a new version that
`prov:wasRevisionOf` the previous current one; the same hash re-registers in place), has the
reasoner classify the parameter restriction classes, and writes the workflow (validated) and
the site's `mmoda:offersWorkflow` link in one transaction; the restriction classes and their
inferred links go to the `classified` graph. Nothing is written when any step fails.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from mmoda.kg import graphs
from mmoda.kg.store import KnowledgeGraph
from mmoda.workflows import git
from mmoda.workflows.classify import classify_restrictions
from mmoda.workflows.errors import InvalidMetadata, UnknownInstrument
from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.rdf import Placement, version_iri, workflow_quads

__all__ = ["Registered", "Registry"]

_MMODA, _DCAT = "https://odahub.io/mmoda#", "http://www.w3.org/ns/dcat#"
_HAS_VERSION = ox.NamedNode(_DCAT + "hasVersion")
_CURRENT = ox.NamedNode(_DCAT + "hasCurrentVersion")
_REVISES = ox.NamedNode("http://www.w3.org/ns/prov#wasRevisionOf")
_OFFERS = ox.NamedNode(_MMODA + "offersWorkflow")
_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")
_PUBLIC_REPO = re.compile(r"(https?|git|file)://\S+")


@dataclass(frozen=True)
class Registered:
    """The outcome of one registration: the workflow and version IRIs, whether the version is
    new, the version it revises, and the number of links the reasoner inferred."""

    workflow: str
    version: str
    new_version: bool
    previous: str | None
    inferred: int


class Registry:
    """Writes workflows into the catalog of `kg` under `{base_url}/workflows/{id}`.

    `site` is the IRI of this site's node, which is made to offer every registered workflow
    (when the catalog holds that node).
    """

    def __init__(self, kg: KnowledgeGraph, *, base_url: str, site: str | None = None) -> None:
        self.kg = kg
        self.base = base_url.rstrip("/")
        self.site = site

    def iri(self, ident: str) -> str:
        """The IRI of workflow `ident`; `InvalidMetadata` for an id unfit as a path segment."""
        if not _IDENT.fullmatch(ident):
            raise InvalidMetadata("id", ident, "1-128 letters, digits and ._~- starting with a "
                                  "letter or digit")
        return f"{self.base}/workflows/{ident}"

    def register(self, spec: WorkflowSpec, *, ident: str | None = None) -> Registered:
        """Register one workflow (see the module docstring)."""
        return self.register_many([(ident, spec)])[0]

    def register_many(self, items: Sequence[tuple[str | None, WorkflowSpec]]) -> list[Registered]:
        """Register several workflows in one transaction and one reasoner run."""
        now = datetime.now(UTC).replace(microsecond=0)
        specs = [(self.iri(ident or spec.name), with_git(spec)) for ident, spec in items]
        if len({iri for iri, _ in specs}) < len(specs):
            raise InvalidMetadata("id", [iri for iri, _ in specs], "registered twice in a batch")
        instruments = self._instruments()
        batch: dict[str, list[ox.Quad]] = {}
        done: list[Registered] = []
        for iri, spec in specs:
            quads, outcome = self._node(iri, spec, now, instruments)
            batch[iri] = quads
            done.append(outcome)
        classified = classify_restrictions([(iri, s) for iri, s in specs])
        if self.site is not None and (offering := self._offering(self.site, list(batch))):
            batch[self.site] = offering
        self.kg.put_nodes(batch, graph=graphs.CATALOG)
        self.kg.bulk_extend(classified.quads, graph=graphs.CLASSIFIED)
        return [dataclasses.replace(r, inferred=classified.links.get(r.workflow, 0)) for r in done]

    def _node(self, iri: str, spec: WorkflowSpec, now: datetime,
              instruments: dict[str, str]) -> tuple[list[ox.Quad], Registered]:
        version = version_iri(spec, iri)
        old = self.kg.describe(iri, graph=graphs.CATALOG)
        current = next((_v(t.object) for t in old if t.predicate == _CURRENT), None)
        existed = any(_v(t.subject) == version for t in old)
        previous = next((_v(t.object) for t in old if _v(t.subject) == version
                         and t.predicate == _REVISES), None) if existed else current
        versions = tuple(sorted({_v(t.object) for t in old if t.predicate == _HAS_VERSION}
                                - {version}))
        kept = [ox.Quad(t.subject, t.predicate, t.object) for t in old
                if _in_version(t.subject, iri) and not _in_version(t.subject, version)]
        placement = Placement(instrument=self._instrument(spec, instruments), previous=previous,
                              versions=versions, created=now,
                              source_directory=_source_directory(spec))
        quads = workflow_quads(spec, iri, placement=placement) + kept
        return quads, Registered(iri, version, not existed, previous, 0)

    def _instruments(self) -> dict[str, str]:
        rows = self.kg.select("instruments")
        return {_v(r["name"]): _v(r["instrument"]) for r in rows}

    def _instrument(self, spec: WorkflowSpec, instruments: dict[str, str]) -> str | None:
        if spec.instrument is None:
            return None
        if spec.instrument not in instruments:
            raise UnknownInstrument(spec.instrument, list(instruments))
        return instruments[spec.instrument]

    def _offering(self, site: str, workflows: list[str]) -> list[ox.Quad]:
        """The site node with links to `workflows`; none when the catalog lacks the node."""
        triples = self.kg.describe(site, graph=graphs.CATALOG)
        if not triples:
            return []
        links = [ox.Triple(ox.NamedNode(site), _OFFERS, ox.NamedNode(w)) for w in workflows]
        return [ox.Quad(t.subject, t.predicate, t.object) for t in dict.fromkeys(triples + links)]


def _v(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else ""


def _in_version(term: ox.NamedNode | ox.BlankNode | ox.Triple, prefix: str) -> bool:
    """True for the version IRI `prefix` itself and its fragments (`{prefix}-...`); with a
    workflow IRI as prefix, for every version fragment (`{iri}#v-...`)."""
    value = term.value if isinstance(term, ox.NamedNode) else ""
    if "#" not in prefix:
        return value.startswith(prefix + "#v-")
    return value == prefix or value.startswith(prefix + "-")


def _source_directory(spec: WorkflowSpec) -> str | None:
    return str(Path(spec.source_path).resolve().parent) if spec.source_path else None


def with_git(spec: WorkflowSpec) -> WorkflowSpec:
    """`spec` with the commit, tag, repository and path of its source file when git has them."""
    if spec.source_path is None or spec.commit is not None:
        return spec
    found = git.locate(Path(spec.source_path))
    if found is None:
        return spec
    repository = spec.repository or found.repository
    if repository is not None and not _PUBLIC_REPO.fullmatch(repository):
        repository = None  # scp-like ssh addresses are not IRIs
    return dataclasses.replace(spec, commit=found.commit, tag=spec.tag or found.tag,
                               repository=repository, repository_path=found.path)
