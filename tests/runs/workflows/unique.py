"""A test workflow whose results must never be reused: every request runs it."""

from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__runtime__ = {"reusable": False}

ODA = "http://odahub.io/ontology#"
Number = Annotated[float, f"{ODA}Float"]


def draw(scale: Number = 1.0) -> Number:
    """A value that is new every time."""
    return scale * 3
