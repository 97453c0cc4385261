"""Replies as the client checks them: statuses, exit_status keys, progress, api_code."""

from __future__ import annotations

import ast

from mmoda.dispatcher.replies import QUERY_STATUS, api_code, exit_status, progress_reports, reply


def test_every_run_phase_maps_to_a_status_the_client_accepts() -> None:
    assert set(QUERY_STATUS.values()) <= {"submitted", "progress", "done", "failed"}
    assert QUERY_STATUS["EXECUTING"] == "progress" and QUERY_STATUS["ABORTED"] == "failed"


def test_a_reply_carries_what_the_client_reads() -> None:
    answer = reply("failed", job_id="j", session_id="s", products={},
                   exit=exit_status("failed", message="boom"))
    assert answer["query_status"] == "failed" and answer["products"] == {}
    assert answer["job_monitor"] == {"job_id": "j", "session_id": "s", "status": "failed",
                                     "full_report_dict_list": []}
    assert answer["exit_status"]["status"] == 1 and answer["exit_status"]["message"] == "boom"
    assert set(answer["exit_status"]) == {"status", "message", "error_message", "debug_message",
                                          "comment", "warning", "job_status"}
    assert exit_status("done")["status"] == 0


def test_progress_reports_become_callback_records() -> None:
    [first, second] = progress_reports([
        {"stage": "binning", "fraction": 0.25, "message": "1/4", "time": "t"},
        {"stage": None, "fraction": None, "message": None, "time": None}])
    assert first == {"action": "progress", "stage": "binning", "message": "1/4", "time": "t",
                     "progress": 25.0, "progress_max": 100}
    assert "progress" not in second and second["stage"] == ""


def test_api_code_is_python_that_never_holds_the_token() -> None:
    code = api_code("http://h:1", {"RA": "83.6", "opt": "\x00", "l": "[1, 2]"},
                    instrument="i", product="p", token=True)
    tree = ast.parse(code)
    [assign] = [n for n in tree.body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "par_dict"]
    keys = [k.value for k in assign.value.keys]  # type: ignore[attr-defined]
    assert keys == ["RA", "l", "opt", "instrument", "product", "product_type", "token"]
    assert "'opt': None" in code and "discover_token()" in code
    assert "token" not in api_code("http://h:1", {}, instrument="i", product="p", token=False)
