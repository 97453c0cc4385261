"""Fixtures of the resolver tests: the real ontology graph for superclass closures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mmoda.kg.bootstrap import ensure_ontology
from mmoda.kg.store import KnowledgeGraph


@pytest.fixture(scope="module")
def kg() -> Iterator[KnowledgeGraph]:
    """The ontology graph, for the real superclass closures."""
    store = KnowledgeGraph()
    ensure_ontology(store)
    yield store
