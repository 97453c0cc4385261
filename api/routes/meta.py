"""Service-level routes: home, health, the ontology and its JSON-LD context."""

from __future__ import annotations

import json

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

import mmoda
from mmoda.api import negotiation, pages, render
from mmoda.api.routes.nodes import FormatParam
from mmoda.api.site import KINDS, Site
from mmoda.kg import jsonld, rdfio
from mmoda.ontology import load_context

router = APIRouter()


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


@router.get("/", summary="This site: landing page, or its Site node as RDF")
def home(request: Request, format: FormatParam = None) -> Response:
    site = _site(request)
    media = negotiation.choose(request.headers.get("accept"), format)
    if media == negotiation.HTML:
        counts = {kind: site.kg.members(cls, limit=0)[1] for kind, cls in KINDS.items()}
        return render.respond(pages.home_page(site, counts), media)
    iri = site.iri("sites", site.settings.site_id)
    return render.node(site, iri, site.kg.get_node(iri), media)


@router.get("/health", summary="Liveness and store facts")
def health(request: Request) -> Response:
    site = _site(request)
    body = {"status": "ok", "version": mmoda.__version__, "site": site.settings.site_id,
            "store": "memory" if site.kg.path is None else "disk", "quads": site.kg.count()}
    return Response(json.dumps(body), media_type="application/json")


@router.get("/ontology", summary="The ontology graph (with inferred links), content-negotiated")
def ontology(request: Request, format: FormatParam = None) -> Response:
    site = _site(request)
    media = negotiation.choose(request.headers.get("accept"), format,
                               [negotiation.RDFXML, negotiation.NTRIPLES, negotiation.JSONLD,
                                negotiation.TURTLE])
    triples = site.kg.construct("ontology_graph")
    if media == negotiation.JSONLD:
        doc = jsonld.compact(json.loads(rdfio.serialize(triples, ox.RdfFormat.JSON_LD)),
                             context_url=site.context_url, resolver=site.contexts)
        return render.respond(json.dumps(doc), media)
    return render.respond(render.graph_bytes(triples, media), media)


@router.get("/ontology/context.jsonld", summary="The project JSON-LD context")
def context() -> Response:
    return Response(json.dumps(load_context(), indent=1), media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=3600",
                             "Access-Control-Allow-Origin": "*"})
