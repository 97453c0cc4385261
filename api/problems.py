"""The one place where errors become HTTP answers: `application/problem+json` (RFC 9457)."""

from __future__ import annotations

import json
import logging
from typing import Any

from mmoda.api.errors import ApiError
from mmoda.dispatcher import errors as dp
from mmoda.kg import errors as kg
from mmoda.resolvers import errors as rv
from mmoda.runs import errors as runs
from mmoda.workflows import errors as wf

log = logging.getLogger("mmoda.api")

PROBLEM = "application/problem+json"

_KG_STATUS: dict[type[Exception], tuple[int, str]] = {
    kg.RdfSyntaxError: (400, "Malformed RDF"),
    kg.ContextError: (400, "Unresolvable JSON-LD context"),
    kg.QuerySyntaxError: (400, "Malformed SPARQL"),
    kg.NodeMismatch: (400, "Document does not describe this node"),
    kg.NodeNotFound: (404, "Not Found"),
    kg.NodeInvalid: (422, "SHACL validation failed"),
    kg.ResultTooLarge: (422, "Result too large"),
    kg.QueryTimeout: (503, "Query time limit reached"),
    kg.Overloaded: (503, "Too many runaway queries"),
}


def problem(exc: Exception, *, instance: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for `exc`; unknown errors are logged and answered 500."""
    status, title, errors, headers = _classify(exc)
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    shown = (ApiError, kg.KgError, runs.RunsError, dp.DispatcherError)
    body["detail"] = str(exc) if status < 500 or isinstance(exc, shown) \
        else "internal error; see the server log"
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if isinstance(exc, dp.DispatcherError):
        body |= _dispatcher_fields(exc)
    headers = {"content-type": PROBLEM, **headers}
    return status, headers, json.dumps(body, default=str).encode()


def _classify(exc: Exception) -> tuple[int, str, list[dict[str, Any]], dict[str, str]]:
    if isinstance(exc, ApiError):
        return exc.status, exc.title, exc.errors, exc.headers
    for cls, (status, title) in _KG_STATUS.items():
        if isinstance(exc, cls):
            errors = exc.violations if isinstance(exc, kg.NodeInvalid) else []
            headers = {"retry-after": "5"} if isinstance(exc, kg.Overloaded) else {}
            return status, title, errors, headers
    if isinstance(exc, kg.KgError):
        return 500, "Knowledge graph error", [], {}
    if isinstance(exc, dp.DispatcherError):
        return exc.status, exc.title, [{"field": exc.field or "request",
                                        "message": exc.message}], {}
    if isinstance(exc, wf.WorkflowError):
        return 422, "Workflow not registered", [_workflow_error(exc)], {}
    if isinstance(exc, rv.ResolverError | runs.RunsError):
        return _request_problem(exc)
    log.exception("unhandled error", exc_info=exc)
    return 500, "Internal Server Error", [], {}


_WORKFLOW_FIELDS: dict[type[Exception], str] = {
    wf.NoParametersCell: "parameters cell", wf.NotANotebook: "notebook",
    wf.AnnotationSyntaxError: "annotation",
    wf.UnknownTerm: "annotation", wf.MissingLicense: "license",
    wf.RepositoryUnreadable: "git", wf.ServiceUrlError: "service",
    wf.ServiceUnreachable: "service", wf.ServiceProtocolError: "service",
    wf.UnknownInstrument: "instrument", wf.UnsatisfiableRestriction: "parameters",
}


def _workflow_error(exc: wf.WorkflowError) -> dict[str, Any]:
    """One `errors` entry naming the field at fault, the reason and where (line, column)."""
    field = next((f for cls, f in _WORKFLOW_FIELDS.items() if isinstance(exc, cls)), "workflow")
    entry: dict[str, Any] = {"field": getattr(exc, "parameter", None) or getattr(
        exc, "field", None) or field, "message": str(exc)}
    for attr in ("line", "column", "cell", "term", "suggestions", "value", "reason", "url"):
        value = getattr(exc, attr, None)
        if value not in (None, "", []):
            entry[attr] = value
    return entry


def _request_problem(exc: Exception) -> tuple[int, str, list[dict[str, Any]], dict[str, str]]:
    """Errors of the request path: bad parameters, unknown workflows, no site, access."""
    if isinstance(exc, rv.ParameterErrors):
        return 422, "Invalid parameters", [
            {"field": f"parameters.{e.name}", **e.as_dict(), "message": e.reason}
            for e in exc.errors], {}
    if isinstance(exc, rv.ParameterError):
        return 422, "Invalid parameters", [{"field": f"parameters.{exc.name}", **exc.as_dict(),
                                            "message": exc.reason}], {}
    if isinstance(exc, rv.UnknownWorkflow):
        return 422, "Unknown workflow", [{"field": exc.field, "message": str(exc)}], {}
    if isinstance(exc, rv.NoCandidate):
        return 422, "No site can run this request", [
            {"field": "resolution", "constraint": exc.constraint, "message": str(exc),
             "details": exc.details}], {}
    if isinstance(exc, runs.NotAllowed):
        if exc.anonymous:
            return 401, "Unauthorized", [], {"WWW-Authenticate": 'Bearer realm="mmoda"'}
        return 403, "Forbidden", [], {}
    if isinstance(exc, runs.NotFound):
        return 404, "Not Found", [], {}
    if isinstance(exc, runs.NotCancellable):
        return 409, "Conflict", [], {}
    return 503, "Cannot run", [], {}


def _dispatcher_fields(exc: dp.DispatcherError) -> dict[str, Any]:
    """What the oda-api client reads of a refusal: `exit_status.message` (403), `error`."""
    from mmoda.dispatcher.replies import exit_status

    return {"error": exc.message, "exit_status": exit_status(
        "failed", message=exc.message, error_message=exc.message)}
