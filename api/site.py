"""Everything a request handler needs, built once from the settings by `open_site`."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from mmoda.api.auth import Principal, principal
from mmoda.api.settings import Settings
from mmoda.api.site_nodes import sync_executors
from mmoda.executors.base import Executor
from mmoda.executors.registry import create_executor
from mmoda.kg import bootstrap
from mmoda.kg.jsonld import ContextResolver
from mmoda.kg.store import KnowledgeGraph
from mmoda.runs.service import RunService
from mmoda.workflows.examples import register_examples
from mmoda.workflows.registry import Registry

log = logging.getLogger("mmoda.api")

KINDS = {
    "workflows": "https://odahub.io/mmoda#Workflow",
    "datasets": "https://odahub.io/mmoda#Dataset",
    "sites": "https://odahub.io/mmoda#Site",
    "runs": "https://odahub.io/mmoda#Run",
    "results": "https://odahub.io/mmoda#Result",
    "requests": "https://odahub.io/mmoda#Request",
    "instruments": "https://odahub.io/mmoda#Instrument",
    "agents": "https://odahub.io/mmoda#Agent",
    "executors": "https://odahub.io/mmoda#Executor",
}
"""URL segment of each node kind the site mints IRIs for, and the class its nodes belong to."""


@dataclass
class Site:
    """A running site: its settings, its knowledge graph and its security context."""

    settings: Settings
    kg: KnowledgeGraph
    contexts: ContextResolver = field(init=False)

    def __post_init__(self) -> None:
        self.contexts = ContextResolver([self.context_url])
        self._secret = self.settings.secret()
        key = self.settings.jwt_public_key
        self._public_key = key.read_text(encoding="utf-8") if key is not None else None

    @cached_property
    def sources(self) -> Path:
        """Where registered workflow code is kept: `source_dir`, else in the data directory,
        else (in-memory store) a temporary directory made on first use."""
        if self.settings.source_dir is not None:
            return self.settings.source_dir
        if self.settings.data_dir is not None:
            return self.settings.data_dir / "workflow-sources"
        return Path(tempfile.mkdtemp(prefix="mmoda-sources-"))

    def _directory(self, configured: Path | None, name: str) -> Path:
        if configured is not None:
            return configured.absolute()
        if self.settings.data_dir is not None:
            return (self.settings.data_dir / name).absolute()
        return Path(tempfile.mkdtemp(prefix=f"mmoda-{name}-"))

    @cached_property
    def executors(self) -> dict[str, Executor]:
        """The configured executors, by the IRI of their Executor node."""
        return {self.iri("executors", ident): create_executor(
                    conf["kind"], {k: v for k, v in conf.items() if k != "kind"})
                for ident, conf in self.settings.executors.items()}

    @cached_property
    def runs(self) -> RunService:
        """The request path: reuse, resolution, runs and their monitor."""
        s = self.settings
        return RunService(self.kg, self.executors, base=self.base, site=self.site_iri,
                          jobs=self._directory(s.jobs_dir, "jobs"),
                          results=self._directory(s.results_dir, "results"),
                          run_roles=frozenset(s.run_roles), anonymous_runs=s.anonymous_runs,
                          default_timeout=s.run_timeout, poll_interval=s.poll_interval,
                          callback_secret=self._secret.encode("utf-8"))

    @property
    def site_iri(self) -> str:
        """The IRI of this site's own Site node."""
        return self.iri("sites", self.settings.site_id)

    @property
    def registry(self) -> Registry:
        """Registers workflows into this site's catalog, offered by this site."""
        return Registry(self.kg, base_url=self.base, site=self.site_iri)

    @property
    def base(self) -> str:
        """The base URL node IRIs are minted under (no trailing slash)."""
        return self.settings.base_url

    @property
    def context_url(self) -> str:
        """Where this site serves the project JSON-LD context."""
        return f"{self.base}/ontology/context.jsonld"

    def iri(self, kind: str, ident: str) -> str:
        """The IRI of node `ident` of `kind` (e.g. `datasets`)."""
        return f"{self.base}/{kind}/{ident}"

    def who(self, authorization: str | None) -> Principal:
        """The caller named by an Authorization header value."""
        return principal(authorization, self._secret, issuer=self.settings.jwt_issuer,
                         public_key=self._public_key)


def open_site(settings: Settings) -> Site:
    """Open the store, load the ontology if it changed and the example catalog on first start."""
    from mmoda.shapes.validate import NodeValidator

    kg = KnowledgeGraph(settings.data_dir, validator=NodeValidator())
    first_start = len(kg.raw) == 0
    if bootstrap.ensure_ontology(kg):
        log.info("ontology graph loaded")
    site = Site(settings, kg)
    if first_start and settings.load_example_catalog:
        count = bootstrap.load_catalog(kg, base_url=settings.base_url)
        workflows = register_examples(site.registry)
        log.info("bundled example catalog loaded: %d nodes, %d workflows", count, len(workflows))
    sync_executors(kg, settings.executors, base=site.base, site=site.site_iri)
    kg.flush()
    return site
