"""The replies that end a query: `done` with the run's results as the client's product lists,
or `failed` with the workflow's own error message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmoda.dispatcher import replies
from mmoda.dispatcher.describe import closure
from mmoda.dispatcher.products import ResultItem, encode_results
from mmoda.dispatcher.query import Query, analysis_parameters, code
from mmoda.kg.store import KnowledgeGraph
from mmoda.runs import views
from mmoda.runs.service import RunService

__all__ = ["done_reply", "failed_reply", "result_item"]


def done_reply(kg: KnowledgeGraph, runs: RunService, base: str, query: Query, job_id: str,
               view: views.RequestView) -> dict[str, Any]:
    """`done`: the products, the ontology type of each, and a comment saying when the answer
    is a reuse (which run, which site) besides the workflow's own comments."""
    run = view.run
    items = [result_item(kg, runs.results, r["iri"]) for r in (run.results if run else [])]
    encoded = encode_results(items, superclasses=closure(kg), meta={
        "instrument": query.product.instrument, "product": query.product.product})
    comments = [encoded.comment] if encoded.comment else []
    if view.reused and run is not None:
        comments.append(f"reused the result of run {run.iri} at site {run.site} "
                        f"(ended {run.ended}); no new run was needed")
    products = {**encoded.products, "job_id": job_id, "session_id": query.session_id,
                "prod_uris": encoded.prod_uris, "analysis_parameters": analysis_parameters(query),
                "api_code": code(base, query)}
    return replies.reply("done", job_id=job_id, session_id=query.session_id, products=products,
                         exit=replies.exit_status("done", comment="\n".join(comments)))


def failed_reply(base: str, query: Query, job_id: str, message: str, *,
                 run: str | None = None, debug: str = "") -> dict[str, Any]:
    """`failed` with `message` (the workflow's error), where it ran and the log tail."""
    where = f"run {run} failed: {message}" if run else message
    products = {"analysis_parameters": analysis_parameters(query), "api_code": code(base, query)}
    return replies.reply("failed", job_id=job_id, session_id=query.session_id,
                         products=products, exit=replies.exit_status(
                             "failed", message=message, error_message=where,
                             debug_message=debug))


def result_item(kg: KnowledgeGraph, results: Path, result: str) -> ResultItem:
    """What the product encoder needs of one Result: output name, type, files and value."""
    shown = views.result_view(kg, result)
    folder = results / shown["id"]
    files = tuple(folder / f["name"] for f in shown["files"] if f["name"])
    return ResultItem(name=shown["output"] or shown["id"], product_type=shown["product_type"],
                      files=files, value=shown["value"], has_value=shown["value"] is not None)
