"""Deterministic synthetic nb2workflow notebooks for the registration benchmark.

Every notebook has a markdown title, a cell tagged `parameters` (licence and other metadata as
full-line Turtle comments, then 5-10 annotated assignments drawn from a pool of parameter
templates: ODA types with units, formats, limits or allowed values, typed hints, optional
parameters, unannotated literals), an untagged code cell and a cell tagged `outputs` with 1-3
typed outputs. A share of the notebooks (`restricted`, default 60 %) keeps the limits and
allowed values of its parameters, which makes registration classify restriction classes with
the reasoner; the others declare the same kinds of parameters without any restriction.
Parameter names, defaults and limits vary from notebook to notebook, so all are distinct.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

LICENSE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT"
INSTRUMENTS = ("isgri", "fermi_lat")  # the instruments of the bundled example catalog
PRODUCTS = ("lightcurve", "spectrum", "image", "table", "catalog")
CREATORS = ("MMODA developers", "Jane Doe <jane@example.org> (0000-0002-1825-0097)",
            "Astro Group, University of Geneva", "John Roe")
KEYWORDS = ("light curve", "spectrum", "image", "hard X-rays", "gamma rays", "transients",
            "GRB", "AGN", "pulsar", "simulated")
OUTPUTS = (  # (names to pick from, ODA product type, expression)
    (("lc", "lightcurve", "light_curve"), "oda:LightCurve", "'lc.fits'"),
    (("spec", "spectrum", "pha"), "oda:Spectrum", "'spec.fits'"),
    (("img", "image", "sky_image"), "oda:Image", "'img.fits'"),
    (("png", "plot", "figure"), "oda:ODAPictureProduct", "'plot.png'"),
    (("table", "catalog_table", "sources"), "oda:ODAAstropyTable", "'table.ecsv'"),
    (("summary", "report", "log"), "oda:ODATextProduct", "'summary'"),
    (("mean_rate", "flux", "peak_value"), "oda:Float", "0.0"),
)

Line = Callable[[random.Random, str, bool], str]  # (rng, name, restricted) -> source line


def _pick(rng: random.Random, values: tuple[float, ...]) -> float:
    return values[rng.randrange(len(values))]


def _limits(rng: random.Random, lows: tuple[float, ...], highs: tuple[float, ...],
            digits: int = 3) -> tuple[float, float, float]:
    lo, hi = _pick(rng, lows), _pick(rng, highs)
    return lo, hi, round(rng.uniform(lo, hi), digits)



def _ranged(annotation: str, lows: tuple[float, ...], highs: tuple[float, ...],
            digits: int = 3) -> Line:
    """A line builder for a number typed `annotation`, limited to [low, high] when restricted."""
    def line(rng: random.Random, name: str, restricted: bool) -> str:
        lo, hi, default = _limits(rng, lows, highs, digits)
        limits = f" ; oda:lower_limit {lo:g} ; oda:upper_limit {hi:g}" if restricted else ""
        return f"{name} = {default}  # {annotation}{limits}"
    return line

_energy_gev = _ranged("oda:Energy_GeV ; oda:unit unit:GeV", (0.1, 1.0, 10.0),
                      (100.0, 1000.0, 3000.0))
_radius = _ranged("oda:AngleDegrees ; oda:unit unit:Degree", (0.01, 0.05, 0.1),
                  (1.0, 2.0, 5.0, 10.0))
_pixel = _ranged("oda:AngleMinutes ; oda:unit unit:arcmin", (0.5, 1.0), (10.0, 30.0, 60.0), 2)
_time_bin = _ranged("oda:TimeIntervalSeconds", (1.0, 10.0, 60.0), (3600.0, 86400.0), 1)
_wavelength = _ranged("oda:Wavelength_nm ; oda:unit unit:nm", (100.0, 300.0, 400.0),
                      (700.0, 1000.0, 2500.0), 1)
_frequency = _ranged("oda:FrequencyGHz ; oda:unit unit:GHz", (0.1, 1.0), (10.0, 100.0, 300.0), 2)


def _energy(rng: random.Random, name: str, restricted: bool) -> str:
    lo, hi, default = _limits(rng, (3.0, 15.0, 20.0, 25.0, 30.0), (100.0, 300.0, 800.0, 1000.0))
    unit = " ; oda:unit unit:keV" if rng.random() < 0.5 else ""
    limits = f" ; oda:lower_limit {lo:g} ; oda:upper_limit {hi:g}" if restricted else ""
    return f"{name} = {default}  # oda:Energy_keV{unit}{limits}"



def _ra(rng: random.Random, name: str, restricted: bool) -> str:
    limits = " ; oda:lower_limit 0 ; oda:upper_limit 360" if restricted and rng.random() < .5 \
        else ""
    return f"{name} = {rng.uniform(0, 360):.4f}  # oda:PointOfInterestRA{limits}"


def _dec(rng: random.Random, name: str, restricted: bool) -> str:
    limits = " ; oda:lower_limit -90 ; oda:upper_limit 90" if restricted and rng.random() < .5 \
        else ""
    return f"{name} = {rng.uniform(-90, 90):.4f}  # oda:PointOfInterestDEC{limits}"





def _start(rng: random.Random, name: str, restricted: bool) -> str:
    day = rng.randrange(1, 28)
    return f'{name} = "2003-03-{day:02d}T00:00:00"  # oda:StartTimeISOT'


def _end(rng: random.Random, name: str, restricted: bool) -> str:
    day = rng.randrange(1, 28)
    return f'{name} = "2004-04-{day:02d}T12:00:00"  # oda:EndTimeISOT'


def _mjd(rng: random.Random, name: str, restricted: bool) -> str:
    return f"{name} = {rng.uniform(52000, 60000):.3f}  # oda:StartTimeMJD"


def _npix(rng: random.Random, name: str, restricted: bool) -> str:
    lo, hi = int(_pick(rng, (4, 8, 16))), int(_pick(rng, (256, 512, 1024)))
    limits = f" ; oda:lower_limit {lo} ; oda:upper_limit {hi}" if restricted else ""
    return f"{name} = {rng.randrange(lo, hi)}  # oda:Integer{limits}"


def _mode(rng: random.Random, name: str, restricted: bool) -> str:
    values = sorted(rng.sample(range(0, 10), rng.randrange(2, 5)))
    allowed = " ; oda:allowed_value " + ", ".join(map(str, values)) if restricted else ""
    return f"{name} = {rng.choice(values)}  # oda:Integer{allowed}"


def _band(rng: random.Random, name: str, restricted: bool) -> str:
    values = sorted(rng.sample(["u", "b", "g", "r", "i", "z", "v"], rng.randrange(2, 5)))
    allowed = " ; oda:allowed_value " + ",".join(f'"{v}"' for v in values) if restricted else ""
    return f'{name} = "{rng.choice(values)}"  # oda:PhotometricBand{allowed}'


def _flag(rng: random.Random, name: str, restricted: bool) -> str:
    value = rng.choice(("True", "False"))
    return f"{name} = {value}  # oda:Boolean" if rng.random() < 0.5 else f"{name} = {value}"


def _source(rng: random.Random, name: str, restricted: bool) -> str:
    src = rng.choice(("Crab", "Cyg X-1", "Vela X-1", "Mrk 421", "3C 279", "Cen A"))
    return f'{name} = "{src}"  # oda:AstrophysicalObject'


def _threshold(rng: random.Random, name: str, restricted: bool) -> str:
    low = f" ; oda:lower_limit {_pick(rng, (1e-9, 1e-6, 0.0)):g}" if restricted else ""
    return f"{name} = {rng.uniform(1e-3, 5):.3e}  # oda:Float{low}"


def _percent(rng: random.Random, name: str, restricted: bool) -> str:
    limits = " ; oda:lower_limit 0 ; oda:upper_limit 100" if restricted else ""
    return f"{name} = {rng.uniform(0, 100):.1f}  # oda:Percentage{limits}"




def _distance(rng: random.Random, name: str, restricted: bool) -> str:
    low = " ; oda:lower_limit 0" if restricted else ""
    return f"{name} = {rng.uniform(0.1, 30):.2f}  # oda:Distance_kpc ; oda:unit unit:kpc{low}"


def _int_hint(rng: random.Random, name: str, restricted: bool) -> str:
    return f"{name}: int = {rng.randrange(1, 100)}"


def _float_hint(rng: random.Random, name: str, restricted: bool) -> str:
    return f"{name}: float = {rng.uniform(0, 10):.3f}"


def _optional(rng: random.Random, name: str, restricted: bool) -> str:
    return rng.choice((f"{name}: float | None = None  # oda:Float",
                       f"{name} = None  # oda:Float, oda:optional",
                       f"{name}: Optional[float] = None"))


def _text(rng: random.Random, name: str, restricted: bool) -> str:
    return rng.choice((f'{name} = "{rng.choice(("fast", "full", "auto"))}"',
                       f'{name} = "run-{rng.randrange(1000)}"  # oda:String'))


TEMPLATES: tuple[tuple[tuple[str, ...], Line], ...] = (  # (names to pick from, line builder)
    (("E1_keV", "emin_keV", "e_lo", "energy_min"), _energy),
    (("E2_keV", "emax_keV", "e_hi", "energy_max"), _energy),
    (("E_GeV", "emin_gev", "threshold_energy"), _energy_gev),
    (("RA", "ra", "ra_deg", "src_ra"), _ra),
    (("DEC", "dec", "dec_deg", "src_dec"), _dec),
    (("radius", "r_src", "aperture", "roi_radius"), _radius),
    (("pixel_size", "pix_arcmin", "binsz"), _pixel),
    (("time_bin", "dt", "bin_seconds", "tbin"), _time_bin),
    (("T1", "t_start", "start_time"), _start),
    (("T2", "t_stop", "end_time"), _end),
    (("t0_mjd", "mjd_ref", "trigger_mjd"), _mjd),
    (("npix", "n_pixels", "grid_size"), _npix),
    (("mode", "method", "level"), _mode),
    (("band", "filter_band", "photometric_band"), _band),
    (("verbose", "use_cache", "flag"), _flag),
    (("src_name", "target", "object_name"), _source),
    (("threshold", "min_flux", "detection_sigma"), _threshold),
    (("coverage", "min_exposure_pct"), _percent),
    (("wavelength", "lambda_nm"), _wavelength),
    (("frequency", "freq_ghz"), _frequency),
    (("distance", "d_kpc"), _distance),
    (("n_iter", "max_sources", "seed"), _int_hint),
    (("scale", "smoothing", "sigma"), _float_hint),
    (("rmax", "max_radius", "upper_bound"), _optional),
    (("label", "run_mode", "tag"), _text),
)


@dataclass(frozen=True)
class NotebookSet:
    """What `generate` wrote: the notebook paths, and which declare restrictions."""

    paths: list[Path]
    restricted: list[bool]


def build(i: int, rng: random.Random, restricted: bool) -> str:
    """The JSON text of synthetic notebook number `i`."""
    product = rng.choice(PRODUCTS)
    meta = [LICENSE]
    if rng.random() < 0.6:
        meta.append(f'# http://purl.org/dc/terms/creator "{rng.choice(CREATORS)}"')
    if rng.random() < 0.5:
        meta.append(f'# https://odahub.io/mmoda#instrumentName "{rng.choice(INSTRUMENTS)}"')
    if rng.random() < 0.5:
        meta.append(f'# https://odahub.io/mmoda#productName "{product}"')
    if rng.random() < 0.5:
        words = rng.sample(KEYWORDS, rng.randrange(1, 4))
        meta.append("# http://www.w3.org/ns/dcat#keyword " + " , ".join(f'"{w}"' for w in words))
    if rng.random() < 0.3:
        meta.append(f"# https://odahub.io/mmoda#cpus {rng.randrange(1, 5)}")
    picked = rng.sample(TEMPLATES, rng.randrange(5, 11))
    params = []
    uses_optional = False
    for names, line in picked:
        params.append(line(rng, rng.choice(names), restricted))
        uses_optional |= "Optional[" in params[-1]
    head = ["from typing import Optional", ""] if uses_optional else []
    outputs = rng.sample(OUTPUTS, rng.randrange(1, 4))
    out_lines = [f"{rng.choice(names)} = {expr}  # {kind}" for names, kind, expr in outputs]
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}}
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            f"# Synthetic {product} workflow {i}\n\nBenchmark notebook number {i}: computes a "
            f"{product} from {len(params)} parameters (generated, never executed).",
            id=f"nb{i}-md"),
        nbformat.v4.new_code_cell("\n".join([*meta, *head, *params]) + "\n", id=f"nb{i}-par",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(f"result = {i}  # the analysis would go here\n",
                                  id=f"nb{i}-run"),
        nbformat.v4.new_code_cell("\n".join(out_lines) + "\n", id=f"nb{i}-out",
                                  metadata={"tags": ["outputs"]}),
    ]
    return nbformat.writes(nb) + "\n"


def generate(directory: Path, count: int, *, seed: int = 42,
             restricted_share: float = 0.6) -> NotebookSet:
    """Write `count` notebooks `bench-NNNNN.ipynb` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths, restricted = [], []
    for i in range(count):
        with_limits = rng.random() < restricted_share
        path = directory / f"bench-{i:05d}.ipynb"
        path.write_text(build(i, rng, with_limits), encoding="utf-8")
        paths.append(path)
        restricted.append(with_limits)
    return NotebookSet(paths, restricted)
