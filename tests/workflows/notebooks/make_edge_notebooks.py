"""Write the edge-case notebooks of the workflow-parser tests (`python make_edge_notebooks.py`).

Each notebook exercises one corner of the nb2workflow annotation grammar; the tests parse every
one with `mmoda.workflows` and with nb2workflow and compare. `--check` only reports whether the
files on disk are up to date. Cell ids are fixed, so regenerating is byte-for-byte reproducible.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
LICENSE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT"

NOTEBOOKS: dict[str, tuple[str, str, str]] = {
    # name: (markdown, parameters cell, outputs cell)
    "optional_none": ("# Optional via None\n\n`oda:optional` on a None default.", f"""\
{LICENSE}
ra = 10.0  # oda:PointOfInterestRA
radius = None  # oda:Float, oda:optional
""", "result = 'x'  # oda:ODATextProduct\n"),
    "optional_hint": ("# Optional hints", f"""\
{LICENSE}
from typing import Optional

a: Optional[float] = None  # oda:Float
b: float | None = None  # oda:Angle
c: int | None = 3
d: Optional[str] = None
""", "result = 'x'  # oda:ODATextProduct\n"),
    "typed_hint": ("# Typed hints without annotations", f"""\
{LICENSE}
n: int = 5
x: float = 2.5
s: str = "abc"
flag: bool = False
""", "result = 'x'  # oda:ODATextProduct\n"),
    "unit_limits": ("# Units, formats and limits", f"""\
{LICENSE}
energy = 35.  # oda:Energy_keV ; oda:unit unit:keV ; oda:lower_limit 15 ; oda:upper_limit 800.
radius: float = 3.  # oda:Angle ; oda:unit unit:arcmin
npix = 64  # oda:Integer ; oda:lower_limit 8 ; oda:upper_limit 512
t0 = 56000.  # oda:StartTime ; oda:format oda:MJD
""", "spectrum = 'spec.fits'  # oda:Spectrum\n"),
    "allowed_values": ("# Allowed values", f"""\
{LICENSE}
band = "v"  # oda:PhotometricBand ; oda:allowed_value "b","g","r","v"
mode = 2  # oda:Integer ; oda:allowed_value 1, 2, 3
""", "result = 'x'  # oda:ODATextProduct\n"),
    "multiline_turtle": ("# Turtle over several comment lines", """\
# http://purl.org/dc/terms/license
#     https://spdx.org/licenses/Apache-2.0
# Plain prose comment: the source position follows.
ra = 83.63  # oda:PointOfInterestRA
# http://www.w3.org/ns/dcat#keyword "light curve" ,
#     "simulated"
dec = 22.01  # oda:PointOfInterestDEC
""", "lc = 'lc.fits'  # http://odahub.io/ontology#LightCurve\n"),
    "hash_in_string": ("# Hashes inside strings", f"""\
{LICENSE}
pattern = "a#b"  # oda:String ; rdfs:label "label with # inside"
note = 'x # y'
url = "http://example.org/#frag"  # oda:String
""", "result = 'x'  # oda:ODATextProduct\n"),
    "negative_scientific": ("# Negative numbers and scientific notation", f"""\
{LICENSE}
dec = -22.5  # oda:PointOfInterestDEC ; oda:lower_limit -90 ; oda:upper_limit 90
flux = 1.5e-3  # oda:Float ; oda:lower_limit 1e-6
offset = -3  # oda:Integer
big = 2.5E10
""", "img = 'img.fits'  # oda:Image\n"),
    "bool_list": ("# Booleans, lists and dicts", f"""\
{LICENSE}
verbose = True
flag = False  # oda:Boolean
bands = ["b", "g"]
opts = {{"a": 1}}  # oda:StructuredParameter
""", "table = 'tbl.ecsv'  # oda:ODAAstropyTable\n"),
    "no_comment": ("Parameters without any comment.", f"""\
{LICENSE}
x = 3.5
n = 10
name = "Crab"
""", "result  # oda:ODATextProduct\ntable = tbl\nimage = 'i.png'  # http://odahub.io/ontology#ODAPictureProduct\n"),
    "hint_and_value_disagree": ("# A float hint on an int default", f"""\
{LICENSE}
y: float = 5
""", "result = 'x'  # oda:ODATextProduct\n"),
}


def build(name: str, markdown: str, parameters: str, outputs: str) -> str:
    """The notebook JSON (nbformat 4, no outputs, fixed cell ids)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    nb.cells = [
        nbformat.v4.new_markdown_cell(markdown, id=f"{name}-md"),
        nbformat.v4.new_code_cell(parameters, id=f"{name}-par", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("result = 'x'\n", id=f"{name}-run"),
        nbformat.v4.new_code_cell(outputs, id=f"{name}-out", metadata={"tags": ["outputs"]}),
    ]
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, parts in NOTEBOOKS.items():
        path, text = HERE / f"{name}.ipynb", build(name, *parts)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.name)
        if "--check" not in argv:
            path.write_text(text, encoding="utf-8")
    print(("stale: " if "--check" in argv else "written: ") + (", ".join(stale) or "none"))
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
