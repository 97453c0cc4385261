"""A test workflow with a 2-second walltime, run for longer: the runner must time it out."""

import time
from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__runtime__ = {"walltime": "2 s"}

ODA = "http://odahub.io/ontology#"
Seconds = Annotated[float, f"{ODA}Float"]


def overrun(seconds: Seconds = 30.0) -> Seconds:
    """Sleep longer than the walltime allows."""
    time.sleep(seconds)
    return seconds
