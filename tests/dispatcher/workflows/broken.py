"""Test workflow: fails the way a real analysis does, with its own message."""

from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__instrument__ = "isgri_sim"
__product__ = "broken"

Flux = Annotated[float, "http://odahub.io/ontology#Float"]


def broken(flux: Flux = 1.0) -> Flux:
    """Find no source."""
    raise ValueError(f"no source brighter than {flux} found in the field of view")
