"""The request path: prepare → authorise → reuse → resolve → record → submit (see
docs/architecture.md). `RunService` is what the API and the CLI call."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mmoda.executors.base import Executor, JobHandle
from mmoda.executors.errors import ExecutorError
from mmoda.kg import graphs
from mmoda.kg.store import KnowledgeGraph
from mmoda.resolvers.errors import UnknownWorkflow
from mmoda.resolvers.request import Asked, Prepared, prepare
from mmoda.resolvers.resolve import Candidate, Resolution, resolve
from mmoda.resolvers.reuse import find_reusable
from mmoda.runs import views
from mmoda.runs.callbacks import callback_url, valid_key
from mmoda.runs.errors import CannotRun, NotAllowed, NotCancellable
from mmoda.runs.jobs import RUNNABLE_KINDS, job_spec
from mmoda.runs.monitor import Active, RunMonitor
from mmoda.runs.nodes import request_quads, run_quads, updated
from mmoda.runs.vocab import MMODA

__all__ = ["Caller", "RunService"]


@dataclass(frozen=True)
class Caller:
    """Who submits or looks: the token subject (None: anonymous) and roles."""

    subject: str | None
    roles: frozenset[str]

    @property
    def admin(self) -> bool:
        return "admin" in self.roles

    @property
    def requester(self) -> str | None:
        """The pseudonymous id stored in the graph (never the subject itself)."""
        if self.subject is None:
            return None
        return "sha256:" + hashlib.sha256(self.subject.encode("utf-8")).hexdigest()


class RunService:
    """Requests in, runs out: the site's one path from a request to results."""

    def __init__(self, kg: KnowledgeGraph, executors: Mapping[str, Executor], *, base: str,
                 site: str, jobs: Path, results: Path, run_roles: frozenset[str],
                 anonymous_runs: bool, default_timeout: float | None,
                 poll_interval: float = 0.5, callback_secret: bytes | None = None) -> None:
        """`callback_secret` makes the keys of the callback URLs given to nb2workflow services
        (`{base}/callbacks/{run id}?key=`); None: service runs are only polled."""
        self.kg, self.executors, self.base, self.site = kg, executors, base, site
        self._callback_secret = callback_secret
        self.jobs, self.results = jobs, results
        self.run_roles, self.anonymous_runs = run_roles, anonymous_runs
        self.default_timeout = default_timeout
        self.monitor = RunMonitor(kg, executors, base=base, site=site, jobs=jobs,
                                  results=results, interval=poll_interval)

    def submit(self, asked: Asked, caller: Caller) -> views.RequestView:
        """Answer a request: reuse an earlier result, or resolve and start a run."""
        prepared = prepare(self.kg, asked)
        self._authorise(prepared, caller)
        request = f"{self.base}/requests/{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        reuse = find_reusable(self.kg, prepared, now=now)
        if reuse is not None:
            quads = request_quads(prepared, request, site=self.site, created=now,
                                  requester=caller.requester, reused_run=reuse.run)
            self.kg.put_node(request, quads, graph=graphs.RUNS)
            return views.request_view(self.kg, request, reused=reuse)
        if prepared.info.kind not in RUNNABLE_KINDS:
            raise UnknownWorkflow("workflow", f"<{prepared.workflow}> is of kind "
                                  f"{prepared.info.kind!r}; this site runs workflows of the kinds "
                                  f"{', '.join(RUNNABLE_KINDS)}")
        resolution = resolve(self.kg, prepared, site=self.site, runnable=self._runnable,
                             load=self.monitor.load)
        run = self._record(prepared, request, resolution, caller, now)
        self._start(prepared, run, resolution.chosen)
        return views.request_view(self.kg, request)

    def plan(self, asked: Asked, caller: Caller) -> dict[str, object]:
        """What `submit` would do, without writing or starting anything: the canonical
        parameters and identity, the run that would be reused, or the resolution."""
        prepared = prepare(self.kg, asked)
        self._authorise(prepared, caller)
        answer: dict[str, object] = {
            "workflow": prepared.workflow, "version": prepared.version,
            "identity": prepared.identity, "reused": False,
            "parameters": {n: v.lexical for n, v in prepared.parameters.items()}}
        reuse = find_reusable(self.kg, prepared)
        if reuse is not None:
            return answer | {"reused": True, "run": reuse.run, "site": reuse.site}
        resolution = resolve(self.kg, prepared, site=self.site, runnable=self._runnable,
                             load=self.monitor.load)
        return answer | {"resolution": resolution.as_json()}

    def _authorise(self, prepared: Prepared, caller: Caller) -> None:
        allowed = prepared.info.roles or self.run_roles
        if caller.admin or allowed & caller.roles:
            return
        # an open instance lets anyone run unrestricted workflows, signed in or not
        if self.anonymous_runs and not prepared.info.roles:
            return
        raise NotAllowed(f"running <{prepared.workflow}> needs a bearer token with one of the "
                         f"roles {', '.join(sorted(allowed))}",
                         anonymous=caller.subject is None)

    def _runnable(self, candidate: Candidate) -> str | None:
        if not candidate.local:
            return "forwarding to peer sites is not available on this site"
        if candidate.executor not in self.executors:
            return "this executor is not configured in the site's settings"
        return None

    def _record(self, prepared: Prepared, request: str, resolution: Resolution,
                caller: Caller, now: datetime) -> str:
        run = f"{self.base}/runs/{uuid.uuid4().hex}"
        self.kg.put_nodes({
            request: request_quads(prepared, request, site=self.site, created=now,
                                   requester=caller.requester, resolution=resolution),
            run: run_quads(prepared, run, request=request, resolution=resolution,
                           creators=prepared.info.creators,
                           requester=caller.requester)}, graph=graphs.RUNS)
        return run

    def accepts_callback(self, run: str, key: str | None) -> bool:
        """True when `key` is the callback key of `run` (never when callbacks are off)."""
        return self._callback_secret is not None and valid_key(self._callback_secret, run, key)

    def _start(self, prepared: Prepared, run: str, chosen: Candidate) -> None:
        run_id = run.rsplit("/", 1)[-1]
        executor = self.executors[chosen.executor]
        callback = None
        if self._callback_secret is not None and prepared.info.kind == "service":
            callback = callback_url(self.base, run, self._callback_secret)
        try:
            spec = job_spec(prepared, run=run, run_id=run_id, jobdir=self.jobs / run_id,
                            default_timeout=self.default_timeout, callback=callback)
            handle = executor.submit(spec)
        except (CannotRun, ExecutorError, OSError) as exc:
            self.monitor.finish(run, "ERROR", f"the job could not start: {exc}", None)
            return
        with self.monitor.lock:
            quads = updated(self.kg.describe(run), run, {
                MMODA + "externalJobId": str(handle), MMODA + "state": "QUEUED"})
            self.kg.put_node(run, quads, graph=graphs.RUNS)
            self.monitor.watch(Active(run, chosen.executor, handle, spec.workdir, "QUEUED"))

    def cancel(self, run: str, caller: Caller) -> views.RunView:
        """Abort a queued or running run (its owner or an administrator)."""
        view = views.run_view(self.kg, run)
        views.check_owner(view, caller.requester, admin=caller.admin, action="cancel")
        active = self.monitor.active(run)
        if active is None:
            raise NotCancellable(f"run <{run}> is {view.phase}; only queued or running runs "
                                 "can be cancelled")
        try:
            self.executors[active.executor].cancel(active.handle)
        except ExecutorError as exc:
            raise NotCancellable(f"run <{run}> cannot be cancelled: {exc}") from exc
        self.monitor.poll_once()
        return views.run_view(self.kg, run)

    def logs(self, view: views.RunView, *, tail: int = 50) -> str:
        """The last `tail` lines of the run's job output (stdout, then stderr), when its
        executor keeps them; "" otherwise."""
        executor = self.executors.get(view.executor or "")
        if view.external_id is None or executor is None or not executor.supports_logs:
            return ""
        handle = JobHandle.parse(view.external_id)
        try:
            return "".join(executor.logs(handle, stream=stream, tail=tail)
                           for stream in ("stdout", "stderr"))
        except ExecutorError:
            return ""
