"""RunService decisions that need no HTTP: refusals happen before anything is written."""

from __future__ import annotations

import pytest

from mmoda.api.site import open_site
from mmoda.resolvers.errors import UnknownWorkflow
from mmoda.resolvers.request import Asked
from mmoda.runs.errors import NotAllowed
from mmoda.runs.service import Caller
from support import make_settings

USER = Caller("alice", frozenset({"user"}))


def test_unknown_kinds_are_refused_before_anything_is_written() -> None:
    site = open_site(make_settings(None))
    site.kg.update("""PREFIX mmoda: <https://odahub.io/mmoda#>
        DELETE { GRAPH ?g { ?v mmoda:workflowKind ?k } }
        INSERT { GRAPH ?g { ?v mmoda:workflowKind "bogus" } }
        WHERE { GRAPH ?g { ?v mmoda:workflowKind ?k } }""")
    before = len(site.kg.raw)
    with pytest.raises(UnknownWorkflow, match=r"of kind 'bogus'.*notebook, function, service"
                       ) as caught:
        site.runs.submit(Asked(workflow=site.iri("workflows", "spectrum")), USER)
    assert caught.value.field == "workflow" and len(site.kg.raw) == before


def test_a_workflow_may_restrict_who_runs_it() -> None:
    site = open_site(make_settings(None))
    spectrum = site.iri("workflows", "spectrum")
    site.kg.update(f"""INSERT DATA {{ GRAPH <https://odahub.io/mmoda/graph/catalog> {{
        <{spectrum}> <https://odahub.io/mmoda#allowedRole> "integral-private" }} }}""")
    before = len(site.kg.raw)
    with pytest.raises(NotAllowed, match="integral-private"):
        site.runs.submit(Asked(workflow=site.iri("workflows", "spectrum")), USER)
    assert len(site.kg.raw) == before
    assert Caller("alice", frozenset({"user"})).requester != Caller("bob", frozenset()).requester
    assert "alice" not in (USER.requester or "")
