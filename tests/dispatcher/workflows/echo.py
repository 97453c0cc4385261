"""Test workflow: says back the parameters it received, under the names it gives them."""

from typing import Annotated

__license__ = "MIT"
__author__ = "MMODA test suite"
__instrument__ = "isgri_sim"
__product__ = "echo"

ODA = "http://odahub.io/ontology#"
Ra = Annotated[float, f"{ODA}PointOfInterestRA"]
Dec = Annotated[float, f"{ODA}PointOfInterestDEC"]
Start = Annotated[str, f"{ODA}StartTimeISOT"]
End = Annotated[str, f"{ODA}EndTimeISOT"]
Band = Annotated[float, f"{ODA}Energy_keV"]
Text = Annotated[str, f"{ODA}String"]
Weights = Annotated[list, f"{ODA}StructuredParameter"]
Visible = Annotated[str, f"{ODA}VisibleBand"]


def echo(ra: Ra = 10.0, dec: Dec = 20.0, start: Start = "2003-03-15T00:00:00",
         end: End = "2003-03-16T00:00:00", band: Band = 20.0, label: Text = "x",
         scale: Band | None = 1.0, weights: Weights = [1.0],  # noqa: B006
         visible: Visible = "v") -> Text:
    """Say back what was received."""
    return (f"ra={ra} dec={dec} start={start} end={end} band={band} label={label} "
            f"scale={scale} weights={weights} visible={visible}")
