"""`/run_analysis` on MMODA's one request path: a new query becomes a request (answered by
reuse or a run, `RunService.submit`); a poll (`job_id` = the request's id) reads it back. A
reply waits up to `wait` seconds for the run to end, so short runs answer `done` at once
instead of after the client's one-second polling loop."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping

import anyio

from mmoda.dispatcher import replies
from mmoda.dispatcher.catalog import find
from mmoda.dispatcher.describe import names_of
from mmoda.dispatcher.errors import Forbidden, NotUnderstood
from mmoda.dispatcher.names import PROTOCOL_FIELDS, PublicNames
from mmoda.dispatcher.query import Query, analysis_parameters, code
from mmoda.dispatcher.results import done_reply, failed_reply
from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.errors import ParameterErrors, ResolverError
from mmoda.resolvers.request import Asked
from mmoda.runs import views
from mmoda.runs.errors import NotAllowed, NotFound
from mmoda.runs.service import Caller, RunService

__all__ = ["Dispatcher"]

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNNING = ("submitted", "progress")
Reply = dict[str, object]


class Dispatcher:
    """Answers the oda-api client from the site's catalog, requests and runs."""

    def __init__(self, kg: KnowledgeGraph, runs: RunService, *, base: str, wait: float) -> None:
        self.kg, self.runs, self.base, self.wait = kg, runs, base, wait

    def query(self, args: Mapping[str, str], caller: Caller) -> Query:
        """Parse the client's fields; the product must exist and be open to `caller`."""
        instrument, product = args.get("instrument"), args.get("product_type")
        for name, given in (("instrument", instrument), ("product_type", product)):
            if not given:
                raise NotUnderstood(f"the request names no {name}", field=name)
        time_format = args.get("T_format", "isot").lower()
        if time_format not in ("isot", "mjd"):
            raise NotUnderstood(f"T_format must be 'isot' or 'mjd', not {time_format!r}",
                                field="T_format")
        parameters = {k: v for k, v in args.items() if k not in PROTOCOL_FIELDS}
        return Query(find(self.kg, str(instrument), str(product), caller),
                     args.get("query_status", "new"), args.get("job_id") or None,
                     args.get("session_id", ""), parameters, time_format, "token" in args)

    async def run_analysis(self, args: Mapping[str, str], caller: Caller) -> Reply:
        """The reply to one call, after waiting up to `wait` s for a running request to end."""
        query = await anyio.to_thread.run_sync(self.query, args, caller)
        answer, request = await anyio.to_thread.run_sync(self.answer, query, caller)
        deadline = time.monotonic() + self.wait
        while request and answer["query_status"] in _RUNNING and time.monotonic() < deadline:
            seen = self.runs.monitor.generation
            while self.runs.monitor.generation == seen and time.monotonic() < deadline:
                await anyio.sleep(0.01)
            answer = await anyio.to_thread.run_sync(self.poll, query, request, caller)
        return answer

    def answer(self, query: Query, caller: Caller) -> tuple[Reply, str | None]:
        """The reply now, and the request it is about (None: refused before one existed)."""
        if query.job_id and query.status != "new":
            request = self._known(query.job_id)
            return self.poll(query, request, caller), request
        names = names_of(self.kg, query.product)
        asked = Asked(workflow=query.product.workflow, parameters=self._ours(query, names))
        try:
            view = self.runs.submit(asked, caller)
        except ParameterErrors as exc:
            raise NotUnderstood(_parameter_message(exc, names), field=names.public(
                exc.errors[0].name) if exc.errors[0].name in names.by_public.values()
                else exc.errors[0].name) from exc
        except NotAllowed as exc:
            raise Forbidden(str(exc), field="token") from exc
        except ResolverError as exc:  # understood, but no site can run it: a failed query
            return failed_reply(self.base, query, uuid.uuid4().hex, str(exc)), None
        return self._reply(query, view, caller), view.iri

    def poll(self, query: Query, request: str, caller: Caller) -> Reply:
        """The reply for an existing request (a poll of `job_id`)."""
        try:
            view = views.request_view(self.kg, request)
            views.check_owner(view, caller.requester, admin=caller.admin, action="see")
        except NotFound as exc:
            raise NotUnderstood(f"job_id {query.job_id!r} is not a request of this site",
                                field="job_id") from exc
        except NotAllowed as exc:
            raise Forbidden(str(exc), field="token") from exc
        return self._reply(query, view, caller)

    def _known(self, job_id: str) -> str:
        if not _JOB_ID.match(job_id):
            raise NotUnderstood(f"job_id {job_id!r} is not a job id of this site", field="job_id")
        return f"{self.base}/requests/{job_id}"

    def _ours(self, query: Query, names: PublicNames) -> dict[str, str]:
        unknown = sorted(set(query.parameters) - set(names.by_public))
        if unknown:
            raise NotUnderstood(
                f"unknown parameter{'s' * (len(unknown) > 1)} {', '.join(unknown)} for "
                f"{query.product.instrument}/{query.product.product}; its parameters are "
                f"{', '.join(names.published())}", field=unknown[0])
        times = {p for p, n in names.by_public.items() if p in ("T1", "T2")}
        return {names.by_public[p]: (f"MJD {v}" if p in times and query.time_format == "mjd"
                                     and v != "\x00" else v)
                for p, v in query.parameters.items()}

    def _reply(self, query: Query, view: views.RequestView, caller: Caller) -> Reply:
        job_id = view.iri.rsplit("/", 1)[-1]
        run = view.run
        status = "done" if view.reused else replies.QUERY_STATUS.get(
            run.phase if run else "UNKNOWN", "failed")
        if status == "done":
            return done_reply(self.kg, self.runs, self.base, query, job_id, view)
        if status == "failed":
            message = (run.message if run else None) or "the run failed"
            debug = self.runs.logs(run, tail=20) if run else ""
            return failed_reply(self.base, query, job_id, message, run=run.iri if run else None,
                                debug=debug)
        progress = replies.progress_reports(run.progress if run else [])
        products = {} if query.status != "new" else {
            "analysis_parameters": analysis_parameters(query), "input_prod_list": [],
            "api_code": code(self.base, query)}
        return replies.reply(status, job_id=job_id, session_id=query.session_id,
                             products=products, progress=progress,
                             exit=replies.exit_status(status))


def _parameter_message(exc: ParameterErrors, names: PublicNames) -> str:
    inverse = {n: p for p, n in names.by_public.items()}
    return "; ".join(f"parameter {inverse.get(e.name, e.name)} = {e.value!r}: {e.reason}"
                     for e in exc.errors)
