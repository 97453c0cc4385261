"""One `/run_analysis` call as the dispatcher understands it, and what a reply repeats of it
(`analysis_parameters`, `api_code`)."""

from __future__ import annotations

from dataclasses import dataclass

from mmoda.dispatcher.catalog import Product
from mmoda.dispatcher.replies import api_code

__all__ = ["Query", "analysis_parameters", "code"]


@dataclass(frozen=True)
class Query:
    """One `/run_analysis` call: the product, the client's status and ids, the parameters
    under their published names (as sent) and whether a token came with it."""

    product: Product
    status: str
    job_id: str | None
    session_id: str
    parameters: dict[str, str]
    time_format: str
    token: bool


def analysis_parameters(query: Query) -> dict[str, object]:
    """What the client asked (parameters under their published names), without the token."""
    extra = {"T_format": query.time_format} if query.time_format != "isot" else {}
    return {**query.parameters, **extra, "instrument": query.product.instrument,
            "product_type": query.product.product, "query_type": "Real"}


def code(base: str, query: Query) -> str:
    """The `api_code` of `query`."""
    extra = {"T_format": query.time_format} if query.time_format != "isot" else {}
    return api_code(base, {**query.parameters, **extra},
                    instrument=query.product.instrument,
                    product=query.product.product, token=query.token)
