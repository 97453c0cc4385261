"""Test workflows (Python functions) whose behaviour the request-path tests rely on."""

import time
from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__runtime__ = {"walltime": "5 min"}

ODA = "http://odahub.io/ontology#"
Seconds = Annotated[float, f"{ODA}Float"]


def sleepy(seconds: Seconds = 3.0) -> Seconds:
    """Sleep, then return how long."""
    time.sleep(seconds)
    return seconds


def failing(flux: Seconds = 1.0) -> Seconds:
    """Fail the way a real analysis does, with its own message."""
    raise ValueError(f"no source brighter than {flux} found in the field of view")
