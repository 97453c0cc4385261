"""The ASGI application: `/sparql` on a lean hot path, everything else through FastAPI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

import mmoda
from mmoda.api import problems
from mmoda.api.errors import ApiError
from mmoda.api.settings import Settings
from mmoda.api.site import Site, open_site
from mmoda.api.sparql import SparqlEndpoint
from mmoda.dispatcher.errors import DispatcherError
from mmoda.kg.errors import KgError
from mmoda.resolvers.errors import ResolverError
from mmoda.runs.errors import RunsError
from mmoda.workflows.errors import WorkflowError

SPARQL_PATHS = ("/sparql", "/sparql/")


class MmodaApp:
    """Routes `/sparql` straight to the SPARQL endpoint (no framework layers on the hot path)."""

    def __init__(self, site: Site, api: FastAPI) -> None:
        self.site = site
        self.api = api
        self.sparql = SparqlEndpoint(site)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in SPARQL_PATHS:
            await self.sparql(scope, receive, send)
        else:
            await self.api(scope, receive, send)


def create_app(settings: Settings | None = None, *, site: Site | None = None) -> MmodaApp:
    """Build the site's ASGI app from validated settings (or an already opened site)."""
    site = site or open_site(settings or Settings())
    api = FastAPI(
        title="MMODA", version=mmoda.__version__,
        description="Multi-messenger astronomy analysis on a knowledge graph.",
        lifespan=_lifespan,
    )
    api.state.site = site
    _install_error_handlers(api)
    from mmoda.api.routes import callbacks, dispatcher, meta, nodes, requests, workflows
    from mmoda.dispatcher.service import Dispatcher

    api.state.dispatcher = Dispatcher(site.kg, site.runs, base=site.base,
                                      wait=site.settings.dispatcher_wait)
    api.include_router(meta.router)
    api.include_router(workflows.router)
    api.include_router(requests.router)
    api.include_router(dispatcher.router)
    api.include_router(callbacks.router)  # before the generic /{kind}/{ident} of nodes
    api.include_router(nodes.router)
    _document_sparql(api)
    return MmodaApp(site, api)


@contextlib.asynccontextmanager
async def _lifespan(api: FastAPI) -> AsyncIterator[None]:
    """Watch runs while serving: re-attach to unfinished ones first (after a restart)."""
    site: Site = api.state.site
    site.runs.monitor.start()
    try:
        yield
    finally:
        site.runs.monitor.stop()
        for executor in site.executors.values():
            executor.close()


def _document_sparql(api: FastAPI) -> None:
    # /sparql is served outside FastAPI (see MmodaApp); describe it in the OpenAPI document.
    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = get_openapi(title=api.title, version=api.version,
                                 description=api.description, routes=api.routes)
            schema["paths"]["/sparql"] = SPARQL_OPENAPI
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


_QUERY_PARAMS = [
    {"name": n, "in": "query", "required": False, "schema": {"type": "string"}, "description": d}
    for n, d in (("query", "SPARQL 1.1 query"), ("default-graph-uri", "default graph (repeat)"),
                 ("named-graph-uri", "named graph (repeat)"))
]
SPARQL_OPENAPI: dict[str, Any] = {
    "get": {
        "summary": "SPARQL 1.1 query (no query: the service description)",
        "parameters": _QUERY_PARAMS,
        "responses": {"200": {"description": "results (JSON, XML, CSV, TSV) or RDF by Accept"},
                      "400": {"description": "malformed query (problem+json)"},
                      "406": {"description": "no acceptable result format"},
                      "422": {"description": "result larger than the size limit"},
                      "503": {"description": "query time limit reached or overloaded"}},
    },
    "post": {
        "summary": "SPARQL 1.1 query or update (updates need an admin bearer token)",
        "requestBody": {"content": {
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                "query": {"type": "string"}, "update": {"type": "string"}}}},
            "application/sparql-query": {"schema": {"type": "string"}},
            "application/sparql-update": {"schema": {"type": "string"}},
        }},
        "responses": {"200": {"description": "results"}, "204": {"description": "update applied"},
                      "401": {"description": "update without a token"},
                      "403": {"description": "update without the admin role"},
                      "413": {"description": "body over the size limit"},
                      "415": {"description": "unsupported Content-Type"}},
    },
}


def _install_error_handlers(api: FastAPI) -> None:
    def render(request: Request, exc: Exception) -> Response:
        status, headers, body = problems.problem(exc, instance=request.url.path)
        return Response(body, status_code=status, headers=headers)

    async def on_error(request: Request, exc: Exception) -> Response:
        return render(request, exc)

    async def on_http(request: Request, exc: Any) -> Response:
        err = ApiError(str(exc.detail))
        err.status, err.title = exc.status_code, str(exc.detail)
        return render(request, err)

    async def on_validation(request: Request, exc: Any) -> Response:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in exc.errors()]
        err = ApiError("invalid request parameters", errors=errors)
        return render(request, err)

    api.add_exception_handler(ApiError, on_error)
    for handled in (KgError, WorkflowError, ResolverError, RunsError, DispatcherError):
        api.add_exception_handler(handled, on_error)
    api.add_exception_handler(StarletteHTTPException, on_http)
    api.add_exception_handler(RequestValidationError, on_validation)
    api.add_exception_handler(Exception, on_error)
