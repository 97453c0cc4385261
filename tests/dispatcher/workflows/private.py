"""Test workflow of an instrument whose data are restricted (the site adds the role)."""

from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__instrument__ = "isgri"
__product__ = "secret"

Number = Annotated[float, "http://odahub.io/ontology#Float"]


def secret(x: Number = 1.0) -> Number:
    """Double it."""
    return 2 * x
