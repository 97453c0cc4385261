"""`GET /callbacks/{run id}?key=…&action=…`: nb2workflow services (and oda_api's
ProgressReporter in their notebooks) reporting on a run forwarded to them.

No bearer token: the key in the URL the run handed to the service is the credential
(`runs.callbacks`). A verified callback of an active run is appended to the run's
`callbacks.jsonl`, where its job runner reads it; the graph is written by the run monitor only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mmoda.api.errors import ApiError, Forbidden, NotFound
from mmoda.api.routes import nodes
from mmoda.api.site import Site
from mmoda.runs.callbacks import record_callback

router = APIRouter()


class Conflict(ApiError):
    """The resource is not in a state that allows this (409)."""

    status = 409
    title = "Conflict"


@router.get("/callbacks/{run_id}", summary="A callback of the nb2workflow service running a run")
def receive_callback(request: Request, run_id: str, key: str | None = None) -> JSONResponse:
    site: Site = request.app.state.site
    run = site.iri("runs", nodes._ident(run_id))
    if not site.runs.accepts_callback(run, key):
        raise Forbidden("the callback key is missing or wrong",
                        errors=[{"field": "key", "message": "not this run's callback key"}])
    active = site.runs.monitor.active(run)
    if active is None:
        field = [{"field": "run_id", "message": f"run {run_id} is not running"}]
        if site.kg.describe(run):
            raise Conflict(f"run <{run}> has ended", errors=field)
        raise NotFound(f"no run <{run}>", errors=field)
    record_callback(active.jobdir, [(k, v) for k, v in request.query_params.multi_items()
                                    if k != "key"])
    return JSONResponse({"status": "ok"})
