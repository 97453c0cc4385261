"""`/inspect-state`: the site's recent jobs for operators (role `job-manager`, or MMODA's
`job manager`), as `{"records": [...]}` (grouped by job id with `group_by_job`)."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from mmoda.dispatcher.errors import Forbidden, NotUnderstood
from mmoda.dispatcher.replies import QUERY_STATUS
from mmoda.kg.rdfio import value
from mmoda.kg.store import KnowledgeGraph
from mmoda.runs.service import Caller

__all__ = ["JOB_MANAGER_ROLES", "inspect_state"]

JOB_MANAGER_ROLES = frozenset({"job-manager", "job manager"})


def inspect_state(kg: KnowledgeGraph, caller: Caller, *, base: str, job_id: str | None = None,
                  group_by_job: bool = False) -> dict[str, Any]:
    """The most recent 1000 requests (or the one `job_id`) with their run's state."""
    if not (caller.admin or caller.roles & JOB_MANAGER_ROLES):
        raise Forbidden("inspecting the state of jobs needs a token with the role "
                        "'job-manager' (MMODA's 'job manager')", field="token")
    bindings = {}
    if job_id is not None:
        if not job_id.isalnum():
            raise NotUnderstood(f"job_id {job_id!r} is not a job id", field="job_id")
        bindings["request"] = ox.NamedNode(f"{base}/requests/{job_id}")
    records = [_record(row, bindings.get("request"))
               for row in kg.select("dispatcher/requests", bindings=bindings)]
    if not group_by_job:
        return {"records": records}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record["job_id"], []).append(record)
    return {"records": [{"job_id": k, "job_status_data": v} for k, v in grouped.items()]}


def _record(row: dict[str, Any], request: ox.NamedNode | None) -> dict[str, Any]:
    r = {k: value(v) for k, v in row.items()}
    iri = r.get("request") or (request.value if request else "")
    state = r.get("state") or "UNKNOWN"
    return {"job_id": iri.rsplit("/", 1)[-1], "request": iri, "created": r.get("created"),
            "workflow": r.get("workflow"), "identity": r.get("identity"),
            "run": r.get("run"), "reused": "reusedRun" in r, "phase": state,
            "job_status": "done" if "reusedRun" in r else QUERY_STATUS.get(state, "unknown"),
            "ended": r.get("ended"), "message": r.get("message")}
