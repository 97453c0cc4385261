"""The MMODA dispatcher's endpoints, for the oda-api client: `/run_analysis` (GET, and POST
form for long payloads), `/api/par-names`, `/api/meta-data`, `/api/instr-list` (a 302 to
`/instr-list`, as the original) and `/inspect-state`. The client passes its token as the
`token` parameter; an Authorization header works too."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mmoda.api import body
from mmoda.api.errors import Unauthorized
from mmoda.api.site import Site
from mmoda.dispatcher import catalog
from mmoda.dispatcher.describe import meta_data, names_of
from mmoda.dispatcher.errors import Forbidden, NotUnderstood
from mmoda.dispatcher.inspect import inspect_state
from mmoda.dispatcher.service import Dispatcher
from mmoda.runs.service import Caller

router = APIRouter(tags=["oda-api dispatcher protocol"])
TokenParam = Annotated[str | None, Query(description="the user's JWT (oda-api passes it so)")]
AuthHeader = Annotated[str | None, Header()]


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _caller(site: Site, token: str | None, authorization: str | None) -> Caller:
    try:
        who = site.who(f"Bearer {token}" if token else authorization)
    except Unauthorized as exc:  # the client shows a 403's message; a 401 only as a status
        raise Forbidden(f"{exc}; get a new token", field="token") from exc
    return Caller(who.subject, who.roles)


@router.get("/run_analysis", summary="Ask for a product or poll a job (oda-api)")
async def run_analysis_get(request: Request, authorization: AuthHeader = None) -> Response:
    return await _run_analysis(request, dict(request.query_params), authorization)


@router.post("/run_analysis", summary="Ask for a product or poll a job, as a form (oda-api)")
async def run_analysis_post(request: Request, authorization: AuthHeader = None) -> Response:
    site = _site(request)
    data = await body.read_limited(request, site.settings.max_body_bytes)
    form = dict(parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True))
    return await _run_analysis(request, {**request.query_params, **form}, authorization)


async def _run_analysis(request: Request, args: dict[str, str],
                        authorization: str | None) -> Response:
    token = args.pop("token", None)
    caller = _caller(_site(request), token or None, authorization)
    if token or authorization:
        args["token"] = ""  # only its presence matters from here on (api_code)
    dispatcher: Dispatcher = request.app.state.dispatcher
    return JSONResponse(await dispatcher.run_analysis(args, caller))


@router.get("/api/par-names", summary="The parameter names of a product (oda-api)")
def par_names(request: Request, instrument: str, product_type: str) -> list[str]:
    site = _site(request)
    product = catalog.find(site.kg, instrument, product_type, None)
    return names_of(site.kg, product).published()


@router.get("/api/meta-data", summary="Instrument and product descriptions (oda-api)")
def get_meta_data(request: Request, instrument: str, product_type: str | None = None,
                  token: TokenParam = None, authorization: AuthHeader = None) -> Response:
    site = _site(request)
    caller = _caller(site, token, authorization)
    return JSONResponse(meta_data(site.kg, instrument, product_type, caller))


@router.get("/api/instr-list", summary="Redirects to /instr-list, as MMODA's dispatcher does")
def api_instr_list(request: Request) -> Response:
    query = request.url.query
    target = f"{_site(request).base}/instr-list" + (f"?{query}" if query else "")
    return RedirectResponse(target, status_code=302)


@router.get("/instr-list", summary="The instruments the caller may use (oda-api)")
def instr_list(request: Request, token: TokenParam = None,
               authorization: AuthHeader = None) -> list[str]:
    site = _site(request)
    return catalog.instruments(site.kg, _caller(site, token, authorization))


@router.get("/inspect-state", summary="Recent jobs and their state (role job-manager)")
def get_inspect_state(request: Request, token: TokenParam = None,
                      authorization: AuthHeader = None, job_id: str | None = None,
                      group_by_job: bool = False) -> Response:
    site = _site(request)
    caller = _caller(site, token, authorization)
    if caller.subject is None:
        raise Forbidden("inspecting the state of jobs needs a token", field="token")
    if job_id is not None and not job_id:
        raise NotUnderstood("job_id is empty", field="job_id")
    return JSONResponse(inspect_state(site.kg, caller, base=site.base, job_id=job_id,
                                      group_by_job=group_by_job))
