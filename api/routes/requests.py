"""Requests, runs and results: `POST /requests`, `GET /requests/{id}`, `GET|DELETE
/runs/{id}`, `GET /results/{id}` with its files, provenance and RO-Crate.

`Accept: application/json` asks for the status views below; RDF and HTML media types get
the nodes themselves (the generic node routes).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pyoxigraph as ox
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from mmoda.api import body, negotiation
from mmoda.api.errors import BadRequest, NotAcceptable, NotFound, Unprocessable
from mmoda.api.routes import nodes
from mmoda.api.site import Site
from mmoda.resolvers.request import Asked
from mmoda.runs import views
from mmoda.runs.service import Caller

router = APIRouter()
JSON = "application/json"


class RequestBody(BaseModel):
    """A request: a workflow (IRI or id) or instrument + product, parameters, reuse policy."""

    model_config = ConfigDict(extra="forbid")

    workflow: str | None = Field(None, description="Workflow IRI, or its id on this site")
    version: str | None = Field(None, description="A version IRI (default: the current one)")
    instrument: str | None = Field(None, description="Instrument label (with product)")
    product: str | None = Field(None, description="Product label (with instrument)")
    parameters: dict[str, Any] = Field(default_factory=dict)
    reuse: Literal["any", "local", "never"] = "any"

    @field_validator("workflow", "version")
    @classmethod
    def _iri(cls, value: str | None, info: ValidationInfo) -> str | None:
        # an id (no scheme) is checked as a node id later; an IRI must be one pyoxigraph takes
        if value is None or (info.field_name == "workflow"
                             and not value.startswith(("http://", "https://"))):
            return value
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IRI") from exc
        return value


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _caller(site: Site, authorization: str | None) -> Caller:
    who = site.who(authorization)
    return Caller(who.subject, who.roles)


def _wants_json(request: Request, fmt: str | None) -> bool:
    accept = (request.headers.get("accept") or "").split(",")[0].split(";")[0].strip()
    return fmt == "status" or (fmt is None and accept == JSON)


@router.post("/requests", summary="Ask for a product: reuse an earlier result or start a run",
             status_code=201)
async def post_request(request: Request,
                       authorization: Annotated[str | None, Header()] = None,
                       dry_run: Annotated[bool, Query(
                           description="only say what would happen (reuse or resolution)")]
                       = False) -> Response:
    site = _site(request)
    caller = _caller(site, authorization)
    asked = _asked(site, await body.read_limited(request, site.settings.max_body_bytes))
    if dry_run:
        return JSONResponse(site.runs.plan(asked, caller))
    view = site.runs.submit(asked, caller)
    status = 200 if view.reused else 201
    return JSONResponse(view.as_json(), status_code=status,
                        headers={"Location": view.iri})


def _asked(site: Site, data: bytes) -> Asked:
    try:
        parsed = RequestBody.model_validate(json.loads(data or b"null"))
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}",
                         errors=[{"field": "body", "message": str(exc)}]) from exc
    except ValidationError as exc:
        errors = [{"field": ".".join(map(str, e["loc"])) or "body", "message": e["msg"]}
                  for e in exc.errors()]
        raise Unprocessable("invalid request: " + "; ".join(
            f"{e['field']}: {e['message']}" for e in errors), errors=errors) from exc
    workflow = parsed.workflow
    if workflow and not workflow.startswith(("http://", "https://")):
        workflow = site.iri("workflows", nodes._ident(workflow))
    return Asked(workflow=workflow, version=parsed.version, instrument=parsed.instrument,
                 product=parsed.product, parameters=parsed.parameters, reuse=parsed.reuse)


FormatParam = Annotated[str | None, Query(alias="format")]


@router.get("/requests/{ident}", summary="A request: identity, resolution, run, results")
def get_request(request: Request, ident: str, format: FormatParam = None,
                authorization: Annotated[str | None, Header()] = None) -> Response:
    site = _site(request)
    if not _wants_json(request, format):
        return nodes.get_node(request, "requests", ident, format)
    view = views.request_view(site.kg, site.iri("requests", nodes._ident(ident)))
    caller = _caller(site, authorization)
    views.check_owner(view, caller.requester, admin=caller.admin, action="see")
    return JSONResponse(view.as_json())


@router.get("/runs/{ident}", summary="A run: phase, progress, log tail, results")
def get_run(request: Request, ident: str, format: FormatParam = None,
            tail: Annotated[int, Query(ge=0, le=10_000)] = 50,
            authorization: Annotated[str | None, Header()] = None) -> Response:
    site = _site(request)
    if not _wants_json(request, format):
        return nodes.get_node(request, "runs", ident, format)
    run = site.iri("runs", nodes._ident(ident))
    view = views.run_view(site.kg, run)
    caller = _caller(site, authorization)
    views.check_owner(view, caller.requester, admin=caller.admin, action="see")
    return JSONResponse(view.as_json() | {"log_tail": site.runs.logs(view, tail=tail)})


@router.delete("/runs/{ident}", summary="Cancel a queued or running run (its owner, or admin)")
def delete_run(request: Request, ident: str,
               authorization: Annotated[str | None, Header()] = None) -> Response:
    site = _site(request)
    run = site.iri("runs", nodes._ident(ident))
    view = site.runs.cancel(run, _caller(site, authorization))
    return JSONResponse(view.as_json(), status_code=202)


@router.get("/results/{ident}", summary="A result: files, value, licence, citation")
def get_result(request: Request, ident: str, format: FormatParam = None) -> Response:
    site = _site(request)
    if not _wants_json(request, format):
        return nodes.get_node(request, "results", ident, format)
    return JSONResponse(views.result_view(site.kg, site.iri("results", nodes._ident(ident))))


@router.get("/results/{ident}/files/{name}", summary="A file of a result")
def get_result_file(request: Request, ident: str, name: str) -> Response:
    site = _site(request)
    result = views.result_view(site.kg, site.iri("results", nodes._ident(ident)))
    entry = next((f for f in result["files"] if f["name"] == name), None)
    path = site.runs.results / ident / name
    if entry is None or not path.is_file():
        raise NotFound(f"result {ident} has no file {name!r}")
    return FileResponse(path, media_type=entry["media_type"], filename=name)


_PROV_FORMATS = {"ttl": "turtle", "turtle": "turtle", "jsonld": "jsonld", "json": "provjson",
                 "provn": "provn", "provjson": "provjson", "provxml": "provxml"}
_PROV_MEDIA = {"text/turtle": "turtle", "application/ld+json": "jsonld",
               "text/provenance-notation": "provn", "application/json": "provjson",
               "application/xml": "provxml"}


@router.get("/results/{ident}/provenance",
            summary="Provenance of a result: PROV-O (Turtle, JSON-LD), PROV-N, PROV-JSON")
def get_provenance(request: Request, ident: str, format: FormatParam = None) -> Response:
    from mmoda.runs.provenance import FORMATS, provenance_triples, serialize_provenance

    site = _site(request)
    fmt = _prov_format(request.headers.get("accept"), format)
    triples = provenance_triples(site.kg, site.iri("results", nodes._ident(ident)))
    return Response(serialize_provenance(triples, fmt), media_type=FORMATS[fmt])


def _prov_format(accept: str | None, fmt: str | None) -> str:
    if fmt is not None:
        if fmt.lower() not in _PROV_FORMATS:
            raise NotAcceptable(f"format={fmt!r} is not offered; use one of "
                                f"{', '.join(_PROV_FORMATS)}")
        return _PROV_FORMATS[fmt.lower()]
    media = negotiation.choose(accept, None, list(_PROV_MEDIA)[::-1])
    return _PROV_MEDIA[media]


@router.get("/results/{ident}/ro-crate", summary="A Workflow Run RO-Crate (zip) of a result")
def get_ro_crate(request: Request, ident: str) -> Response:
    from mmoda.runs.crate import ro_crate_zip
    from mmoda.runs.provenance import provenance_triples

    site = _site(request)
    result = site.iri("results", nodes._ident(ident))
    files = [(site.runs.results / ident / f["name"], f["name"])
             for f in views.result_view(site.kg, result)["files"]]
    with tempfile.TemporaryDirectory() as tmp:
        path = ro_crate_zip(provenance_triples(site.kg, result), result, files,
                            Path(tmp) / f"{ident}.crate.zip")
        data = path.read_bytes()
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{ident}.crate.zip"'})
