"""A test workflow on near-real-time data: its results may be reused for 2 seconds only."""

from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__runtime__ = {"result_lifetime": "2 s"}

ODA = "http://odahub.io/ontology#"
Number = Annotated[float, f"{ODA}Float"]


def latest(scale: Number = 1.0) -> Number:
    """A value computed from 'the latest data'."""
    return scale * 2
