"""Contributing workflows over HTTP: `POST /workflows` with a notebook, a Python module, a git
URL + path or an nb2workflow service URL; and the example data files the catalog points at.

RDF bodies (Turtle, JSON-LD, ...) keep their meaning from the node routes: a Workflow node
written as is (admin). Everything else is parsed into a workflow and registered.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from mmoda.api import body
from mmoda.api.auth import require
from mmoda.api.errors import BadRequest, NotFound, UnsupportedMediaType
from mmoda.api.routes import nodes
from mmoda.api.site import Site
from mmoda.workflows import sources
from mmoda.workflows.model import WorkflowSpec
from mmoda.workflows.registry import Registered

router = APIRouter()

NOTEBOOK_TYPES = {"application/x-ipynb+json"}
PYTHON_TYPES = {"text/x-python", "text/x-script.python", "application/x-python"}
RDF_TYPES = {"application/ld+json", "text/turtle", "application/n-triples", "application/rdf+xml"}
_EXAMPLE_DATA = {"sim_isgri_events.fits": "application/fits"}


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


@router.post("/workflows", summary="Register a workflow (contributor), or write a node (admin)",
             status_code=201)
async def post_workflow(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    slug: Annotated[str | None, Header()] = None,
    function: Annotated[str | None, Query(description="function of a Python module")] = None,
    filename: Annotated[str | None, Query(description="file name of an upload")] = None,
) -> Response:
    site = _site(request)
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media in RDF_TYPES:
        return await nodes.post_node(request, "workflows", authorization, slug)
    require(site.who(authorization), "contributor")
    registry = site.registry
    if slug is not None:
        registry.iri(slug)  # a bad id is refused before anything is read or kept
    data = await body.read_limited(request, site.settings.max_body_bytes)
    created: list[Path] = []
    try:
        specs = _specs(site, media, data, function=function, filename=filename, created=created)
        done = registry.register_many([(slug if len(specs) == 1 else None, s) for s in specs])
    except Exception:
        sources.discard(created)
        raise
    site.kg.flush()
    return _answer(done)


def _specs(site: Site, media: str, data: bytes, *, function: str | None,
           filename: str | None, created: list[Path]) -> list[WorkflowSpec]:
    if media in NOTEBOOK_TYPES or media in PYTHON_TYPES:
        name = filename or ("workflow.ipynb" if media in NOTEBOOK_TYPES else "workflow.py")
        return [sources.from_upload(data, name, root=site.sources, function=function,
                                    created=created)]
    if media == "application/json":
        return _from_json(site, _json(data), function=function, filename=filename,
                          created=created)
    raise UnsupportedMediaType(
        f"Content-Type {media or '(none)'} is not accepted; send a notebook "
        "(application/x-ipynb+json), a Python module (text/x-python), JSON "
        '{"git": URL, "path": ..., "ref": ...} or {"service": URL, "license": ..., '
        '"instrument": ...}, or an RDF node')


def _json(data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not JSON: {exc}",
                         errors=[{"field": "body", "message": str(exc)}]) from exc
    if not isinstance(doc, dict):
        raise BadRequest("the body must be a JSON object",
                         errors=[{"field": "body", "message": "not an object"}])
    return doc


def _from_json(site: Site, doc: dict[str, Any], *, function: str | None,
               filename: str | None, created: list[Path]) -> list[WorkflowSpec]:
    if "cells" in doc and "nbformat" in doc:  # a notebook sent as plain JSON
        data = json.dumps(doc).encode()
        return [sources.from_upload(data, filename or "workflow.ipynb", root=site.sources,
                                    created=created)]
    if "git" in doc:
        url, path = _text(doc, "git"), _text(doc, "path")
        ref = _text(doc, "ref") if doc.get("ref") is not None else None
        return [sources.from_git(url, path, root=site.sources, ref=ref,
                                 function=doc.get("function") or function, created=created)]
    if "service" in doc:
        licence = _text(doc, "license") if doc.get("license") is not None else None
        instrument = _text(doc, "instrument") if doc.get("instrument") is not None else None
        return sources.from_service(_text(doc, "service"), license=licence,
                                    instrument=instrument)
    raise BadRequest('expected {"git": URL, "path": FILE[, "ref": REV]}, {"service": URL} '
                     "or a notebook", errors=[{"field": "body", "message": "unknown shape"}])


def _text(doc: dict[str, Any], key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key!r} must be a non-empty string",
                         errors=[{"field": key, "message": "missing or not a string"}])
    return value.strip()


def _answer(done: list[Registered]) -> Response:
    items = [{"workflow": r.workflow, "version": r.version, "new_version": r.new_version,
              "previous": r.previous, "inferred_links": r.inferred} for r in done]
    status = 201 if any(r.new_version for r in done) else 200
    content: Any = items[0] if len(items) == 1 else {"registered": items}
    return JSONResponse(content, status_code=status, headers={"Location": done[0].workflow})


@router.get("/examples/data/{name}", summary="A data file of the bundled example catalog")
def example_data(name: str) -> Response:
    if name not in _EXAMPLE_DATA:
        raise NotFound(f"no example data file {name!r}; files: {', '.join(_EXAMPLE_DATA)}")
    path = files("mmoda.examples").joinpath("workflows", "data", name)
    return FileResponse(str(path), media_type=_EXAMPLE_DATA[name], filename=name)
