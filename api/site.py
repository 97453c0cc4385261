"""Everything a request handler needs, built once from the settings by `open_site`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mmoda.api.auth import Principal, principal
from mmoda.api.settings import Settings
from mmoda.kg import bootstrap
from mmoda.kg.jsonld import ContextResolver
from mmoda.kg.store import KnowledgeGraph

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
        return principal(authorization, self._secret, issuer=self.settings.jwt_issuer)


def open_site(settings: Settings) -> Site:
    """Open the store, load the ontology if it changed and the example catalog on first start."""
    from mmoda.shapes.validate import NodeValidator

    kg = KnowledgeGraph(settings.data_dir, validator=NodeValidator())
    first_start = len(kg.raw) == 0
    if bootstrap.ensure_ontology(kg):
        log.info("ontology graph loaded")
    if first_start and settings.load_example_catalog:
        count = bootstrap.load_catalog(kg, base_url=settings.base_url)
        log.info("bundled example catalog loaded: %d nodes", count)
    kg.flush()
    return Site(settings, kg)
