"""Node pages, collections and node writes: `/{kind}` and `/{kind}/{id}`."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from mmoda.api import body, negotiation, render
from mmoda.api.auth import require
from mmoda.api.errors import BadRequest, NotFound, Unprocessable
from mmoda.api.site import KINDS, Site
from mmoda.kg import graphs, nodes

router = APIRouter()

IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")
RUN_KINDS = {"runs", "results", "requests"}
FormatParam = Annotated[str | None, Query(alias="format", description="html|jsonld|ttl|nt|rdf")]


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"no collection /{kind}; collections: {', '.join(KINDS)}")
    return KINDS[kind]


def _ident(ident: str) -> str:
    if not IDENT.match(ident):
        raise BadRequest("node id must be 1-128 characters of letters, digits and ._~- "
                         f"starting with a letter or digit, not {ident!r}",
                         errors=[{"field": "id", "message": "invalid node id"}])
    return ident


@router.get("/{kind}", summary="A page of the nodes of a kind (Hydra collection)")
def list_nodes(request: Request, kind: str, format: FormatParam = None,
               page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
               size: Annotated[int | None, Query(ge=1, le=1000)] = None) -> Response:
    site = _site(request)
    media = negotiation.choose(request.headers.get("accept"), format)
    size = size or site.settings.page_size
    members, total = site.kg.members(_kind(kind), offset=(page - 1) * size, limit=size)
    doc = render.collection_doc(site, kind, members, total, page, size)
    return render.collection(site, doc, media)


@router.get("/{kind}/{ident}", summary="A node, content-negotiated")
def get_node(request: Request, kind: str, ident: str, format: FormatParam = None) -> Response:
    site = _site(request)
    _kind(kind)
    media = negotiation.choose(request.headers.get("accept"), format)
    iri = site.iri(kind, _ident(ident))
    return render.node(site, iri, site.kg.get_node(iri), media)


@router.put("/{kind}/{ident}", summary="Create or replace a node (admin)", status_code=200)
async def put_node(request: Request, kind: str, ident: str,
                   authorization: Annotated[str | None, Header()] = None) -> Response:
    site = _site(request)
    require(site.who(authorization), "admin")
    return await _write(request, site, kind, site.iri(kind, _ident(ident)))


@router.post("/{kind}", summary="Create a node with a minted id (admin)", status_code=201)
async def post_node(request: Request, kind: str,
                    authorization: Annotated[str | None, Header()] = None,
                    slug: Annotated[str | None, Header()] = None) -> Response:
    site = _site(request)
    require(site.who(authorization), "admin")
    ident = _ident(slug) if slug else uuid.uuid4().hex
    iri = site.iri(kind, ident)
    if site.kg.ask("exists", bindings={"node": ox.NamedNode(iri)}):
        raise BadRequest(f"<{iri}> exists already; PUT replaces it",
                         errors=[{"field": "Slug", "message": "node exists"}])
    return await _write(request, site, kind, iri)


@router.delete("/{kind}/{ident}", summary="Delete a node (admin)", status_code=204)
def delete_node(request: Request, kind: str, ident: str,
                authorization: Annotated[str | None, Header()] = None) -> Response:
    site = _site(request)
    require(site.who(authorization), "admin")
    _kind(kind)
    site.kg.delete_node(site.iri(kind, _ident(ident)))
    return Response(status_code=204)


async def _write(request: Request, site: Site, kind: str, iri: str) -> Response:
    expected = _kind(kind)
    data = await body.read_limited(request, site.settings.max_body_bytes)
    quads = body.parse_node(data, request.headers.get("content-type"), iri=iri,
                            resolver=site.contexts)
    _check_kind(site, iri, quads, expected)
    graph = graphs.RUNS if kind in RUN_KINDS else graphs.CATALOG
    created = site.kg.put_node(iri, quads, graph=graph)
    site.kg.flush()
    media = negotiation.choose(request.headers.get("accept"), None)
    headers = {"Location": iri}
    return render.node(site, iri, site.kg.get_node(iri), media,
                       status=201 if created else 200, headers=headers)


def _check_kind(site: Site, iri: str, quads: list[ox.Quad], expected: str) -> None:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    if any(expected in site.kg.superclasses(t) for t in nodes.types(triples, iri)):
        return
    raise Unprocessable(
        f"<{iri}> must be typed {render.pages.short(expected)} (or a subclass) to be written here",
        errors=[{"field": "@type", "focus": iri, "message": f"expected {expected}"}],
    )
