"""The replies of `/run_analysis` in the form the oda-api client checks: HTTP 200, a
`query_status` among submitted/progress/done/failed, `job_monitor` with a stable `job_id`, a
full `exit_status`, `products` always present, and `api_code` reproducing the request."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["QUERY_STATUS", "api_code", "exit_status", "progress_reports", "reply"]

#: run phase (IVOA UWS) → the dispatcher's query status
QUERY_STATUS = {"PENDING": "submitted", "QUEUED": "submitted", "HELD": "submitted",
                "SUSPENDED": "submitted", "EXECUTING": "progress", "COMPLETED": "done",
                "ERROR": "failed", "ABORTED": "failed", "UNKNOWN": "failed"}


def exit_status(job_status: str, *, message: str = "", error_message: str = "",
                debug_message: str = "", comment: str = "", warning: str = "") -> dict[str, Any]:
    """Every key the client reads: `status` 1 for a failure, 0 otherwise."""
    return {"status": 1 if job_status == "failed" else 0, "message": message,
            "error_message": error_message, "debug_message": debug_message,
            "comment": comment, "warning": warning, "job_status": job_status}


def reply(query_status: str, *, job_id: str, session_id: str, products: Mapping[str, Any],
          exit: Mapping[str, Any], progress: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """One reply of `/run_analysis`."""
    monitor = {"job_id": job_id, "session_id": session_id, "status": query_status,
               "full_report_dict_list": list(progress)}
    return {"query_status": query_status, "job_monitor": monitor, "job_status": query_status,
            "exit_status": dict(exit), "products": dict(products), "session_id": session_id,
            "time_request": time.time()}


def progress_reports(progress: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A run's progress reports as the dispatcher's callback records (`full_report_dict_list`)."""
    out = []
    for report in progress:
        entry: dict[str, Any] = {"action": "progress", "stage": report.get("stage") or "",
                                 "message": report.get("message") or "",
                                 "time": report.get("time") or ""}
        if report.get("fraction") is not None:
            entry |= {"progress": round(100 * float(report["fraction"]), 3),
                      "progress_max": 100}
        out.append(entry)
    return out


def api_code(url: str, parameters: Mapping[str, Any], *, instrument: str, product: str,
             token: bool) -> str:
    """A runnable oda-api snippet asking `url` for the same product with the same parameters
    (`"\\x00"` written as None). A token, when the request had one, is read from the user's
    environment (`ODA_TOKEN`, `.oda-token`), never written into the code."""
    lines = ["from oda_api.api import DispatcherAPI"]
    lines += ["from oda_api.token import discover_token"] if token else []
    lines += ["", f"disp = DispatcherAPI(url={url!r})", "", "par_dict = {"]
    for name in sorted(parameters):
        shown = None if parameters[name] == "\x00" else parameters[name]
        lines.append(f"    {name!r}: {shown!r},")
    lines += [f"    'instrument': {instrument!r},", f"    'product': {product!r},",
              "    'product_type': 'Real',"]
    lines += ["    'token': discover_token(),"] if token else []
    lines += ["}", "", "data_collection = disp.get_product(**par_dict)",
              "data_collection.show()", ""]
    return "\n".join(lines)
