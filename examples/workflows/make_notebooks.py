"""Write the example nb2workflow notebooks ``lightcurve.ipynb`` and ``image.ipynb``.

The notebooks are generated, not edited by hand: change the cell sources here and run
``python examples/workflows/make_notebooks.py`` (``--check`` only reports whether the files on
disk are up to date). They are written without outputs, with fixed cell ids, so regenerating
them is byte-for-byte reproducible.

Both notebooks follow the nb2workflow grammar: a cell tagged ``parameters`` with one annotated
assignment per line (``name = default  # oda:Type ; oda:lower_limit ...``) and full-line comments
that are Turtle about the notebook itself (here its licence, ``dct:license``, written with full
IRIs because nb2workflow only knows the ``oda``, ``unit``, ``rdf``, ``rdfs`` and ``xsd``
prefixes, and written bare because it wraps anything starting with ``http`` in angle brackets),
and a cell tagged ``outputs`` whose lines are typed with ODA product types. They analyse the
SIMULATED event list written by ``simulate.py`` (``data/sim_isgri_events.fits``), read relative
to the working directory, which is the notebook's own directory when nb2workflow or papermill
runs it.
"""

import sys
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

HERE = Path(__file__).resolve().parent

LICENSE_TURTLE = "# http://purl.org/dc/terms/license https://spdx.org/licenses/MIT"


def metadata_turtle(product: str) -> str:
    """Full-line Turtle about the notebook: licence, author, labels and runtime needs.

    Predicates are full IRIs so that nb2workflow, which knows only its own prefixes, reads the
    same statements.
    """
    return "\n".join([
        LICENSE_TURTLE,
        '# http://purl.org/dc/terms/creator "MMODA developers"',
        '# https://odahub.io/mmoda#instrumentName "isgri_sim"',
        f'# https://odahub.io/mmoda#productName "{product}"',
        "# https://odahub.io/mmoda#cpus 1",
        '# https://odahub.io/mmoda#memory "1 GiB"',
        '# https://odahub.io/mmoda#walltime "10 min"',
    ])

# ----------------------------------------------------------------------------------------------
# Code shared by both notebooks (each notebook is self-contained, so it is repeated in each).

COMMON_HELPERS = '''\
import matplotlib.pyplot as plt
import numpy as np
from astropy.io import fits

plt.switch_backend("Agg")

# SIMULATED event list shipped with the examples (written by simulate.py).
EVENTS_FILE = "data/sim_isgri_events.fits"


def isot_to_met(isot: str, mjdref: float) -> float:
    """Seconds since MJDREF for an ISOT date-time read on the time scale of the event file."""
    ref = np.datetime64("1858-11-17T00:00:00", "us") + np.timedelta64(
        round(mjdref * 86400e6), "us"
    )
    return float((np.datetime64(isot, "us") - ref) / np.timedelta64(1, "s"))


def gti_overlap(lo: np.ndarray, hi: np.ndarray, gtis: np.ndarray) -> np.ndarray:
    """Time (s) that each interval [lo, hi) spends in the good time intervals ``gtis``."""
    total = np.zeros(np.shape(lo))
    for start, stop in gtis:
        total += np.clip(np.minimum(hi, stop) - np.maximum(lo, start), 0.0, None)
    return total


def separation_deg(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> np.ndarray:
    """Angular distance (deg) of (ra, dec) from (ra0, dec0), haversine formula."""
    ra, dec, ra0, dec0 = (np.radians(v) for v in (ra, dec, ra0, dec0))
    h = np.sin((dec - dec0) / 2) ** 2 + np.cos(dec) * np.cos(dec0) * np.sin((ra - ra0) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


if not E1_keV < E2_keV:
    raise ValueError(f"empty energy band: E1_keV={E1_keV} must be below E2_keV={E2_keV}")

with fits.open(EVENTS_FILE) as hdul:
    evt_header = hdul["EVENTS"].header.copy()
    events = {name: np.array(hdul["EVENTS"].data[name], dtype=float)
              for name in ("TIME", "ENERGY", "RA", "DEC")}
    gtis = np.column_stack([hdul["GTI"].data["START"], hdul["GTI"].data["STOP"]])

mjdref = float(evt_header["MJDREF"])
t_start = isot_to_met(T1, mjdref)
t_stop = isot_to_met(T2, mjdref)
if not t_start < t_stop:
    raise ValueError(f"empty time range: T1={T1} must be before T2={T2}")
exposure = float(gti_overlap(np.array(t_start), np.array(t_stop), gtis))
if exposure <= 0:
    raise ValueError(f"no good time between T1={T1} and T2={T2} in the simulated data")

selected = (
    (events["TIME"] >= t_start) & (events["TIME"] < t_stop)
    & (events["ENERGY"] >= E1_keV) & (events["ENERGY"] < E2_keV)
)
print(f"{int(selected.sum())} SIMULATED events in {E1_keV}-{E2_keV} keV, {T1} to {T2} "
      f"({evt_header['TIMESYS']}), exposure {exposure:.0f} s")
'''

# ----------------------------------------------------------------------------------------------
# lightcurve.ipynb

LC_TITLE = """\
# Light curve (SIMULATED INTEGRAL/ISGRI-like data)

Counts light curve of the events recorded within `radius` degrees of a sky position (`RA`,
`DEC`), in the energy band `E1_keV`-`E2_keV` and the time range `T1`-`T2` (ISOT, TT scale),
binned in `time_bin` seconds. The background is estimated in an annulus from `radius + 0.5` to
`radius + 1.25` degrees around the position and scaled to the area of the circle; each bin gives
the gross rate, the background rate and the net rate with its Poisson error. Bins with less
than 10 % of good time are dropped.

**The data are simulated**: a point source at the Crab position with a power-law spectrum
(photon index 2.1, 15-300 keV), a sinusoidally modulated rate and a flare at
2003-03-15T12:00:00, over a uniform background, observed on 2003-03-15 in three good time
intervals. They are not INTEGRAL observations (see `simulate.py`).

Outputs: the light curve as a FITS binary table (`lightcurve`, OGIP-like `RATE` extension),
a PNG plot (`lightcurve_png`) and the mean gross count rate (`mean_rate`, counts/s).
"""

LC_PARAMETERS = f"""\
{metadata_turtle("lightcurve")}

RA = 83.6331  # oda:PointOfInterestRA
DEC = 22.0145  # oda:PointOfInterestDEC
radius = 0.25  # oda:AngleDegrees ; oda:lower_limit 0.01 ; oda:upper_limit 1
T1 = "2003-03-15T00:00:00"  # oda:StartTimeISOT
T2 = "2003-03-16T00:00:00"  # oda:EndTimeISOT
E1_keV = 20.0  # oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 300
E2_keV = 100.0  # oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 300
time_bin = 600.0  # oda:TimeIntervalSeconds ; oda:lower_limit 10 ; oda:upper_limit 86400
"""

LC_COMPUTE = '''\
from astropy.table import Table

if time_bin <= 0:
    raise ValueError(f"time_bin must be positive, got {time_bin}")

sep = separation_deg(events["RA"], events["DEC"], RA, DEC)
r_in, r_out = radius + 0.5, radius + 1.25
in_source = selected & (sep < radius)
in_annulus = selected & (sep >= r_in) & (sep < r_out)


def cap_area(r_deg: float) -> float:
    """Solid angle (sr) of a spherical cap of angular radius ``r_deg``."""
    return 2 * np.pi * (1 - np.cos(np.radians(r_deg)))


bkg_scale = cap_area(radius) / (cap_area(r_out) - cap_area(r_in))

n_bins = int(np.ceil((t_stop - t_start) / time_bin))
edges = t_start + time_bin * np.arange(n_bins + 1)
edges[-1] = min(edges[-1], t_stop)
bin_exposure = gti_overlap(edges[:-1], edges[1:], gtis)
frac_exp = bin_exposure / np.diff(edges)
counts = np.histogram(events["TIME"][in_source], bins=edges)[0]
bkg_counts = np.histogram(events["TIME"][in_annulus], bins=edges)[0]

good = frac_exp >= 0.1
if not good.any():
    raise ValueError("no time bin has at least 10 % of good time; widen T1-T2 or time_bin")
exp_good = bin_exposure[good]
rate = counts[good] / exp_good
error = np.sqrt(counts[good]) / exp_good
bkg_rate = bkg_scale * bkg_counts[good] / exp_good
bkg_error = bkg_scale * np.sqrt(bkg_counts[good]) / exp_good

lc = Table()
lc["TIME"] = 0.5 * (edges[:-1] + edges[1:])[good]
lc["TIME"].unit = "s"
lc["TIMEDEL"] = np.diff(edges)[good]
lc["TIMEDEL"].unit = "s"
lc["FRACEXP"] = frac_exp[good]
lc["COUNTS"] = counts[good].astype(np.int32)
lc["RATE"] = rate
lc["RATE"].unit = "count / s"
lc["ERROR"] = error
lc["ERROR"].unit = "count / s"
lc["BKG_RATE"] = bkg_rate
lc["BKG_RATE"].unit = "count / s"
lc["NET_RATE"] = rate - bkg_rate
lc["NET_RATE"].unit = "count / s"
lc["NET_ERROR"] = np.hypot(error, bkg_error)
lc["NET_ERROR"].unit = "count / s"

mean_rate = float(counts[good].sum() / exp_good.sum())

lc.meta.update({
    "EXTNAME": "RATE",
    "HDUCLASS": "OGIP",
    "HDUCLAS1": "LIGHTCURVE",
    "TELESCOP": evt_header["TELESCOP"],
    "INSTRUME": evt_header["INSTRUME"],
    "OBJECT": "SIMULATED",
    "RA_OBJ": RA,
    "DEC_OBJ": DEC,
    "RADIUS": radius,
    "BKG_RIN": r_in,
    "BKG_ROUT": r_out,
    "BACKSCAL": bkg_scale,
    "E_MIN": E1_keV,
    "E_MAX": E2_keV,
    "TIMEDEL": time_bin,
    "TSTART": t_start,
    "TSTOP": t_stop,
    "DATE-OBS": T1,
    "DATE-END": T2,
    "MJDREF": mjdref,
    "TIMESYS": evt_header["TIMESYS"],
    "TIMEUNIT": "s",
    "EXPOSURE": float(exp_good.sum()),
    "MEANRATE": mean_rate,
    "COMMENT": ["Simulated data generated by MMODA examples, not real observations."],
})
lc_file = "lightcurve.fits"
lc.write(lc_file, format="fits", overwrite=True)
print(f"{len(lc)} bins, mean gross rate {mean_rate:.4f} counts/s -> {lc_file}")
'''

LC_PLOT = '''\
hours = (lc["TIME"] - t_start) / 3600.0
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.errorbar(hours, lc["RATE"], yerr=lc["ERROR"], xerr=0.5 * lc["TIMEDEL"] / 3600.0,
            fmt=".", color="0.6", label="gross (source + background)")
ax.errorbar(hours, lc["NET_RATE"], yerr=lc["NET_ERROR"], fmt=".", color="C0", label="net")
ax.plot(hours, lc["BKG_RATE"], drawstyle="steps-mid", color="C3", label="background")
ax.set_xlabel(f"hours since {T1} ({evt_header['TIMESYS']})")
ax.set_ylabel("counts / s")
ax.set_title(f"SIMULATED {evt_header['INSTRUME']} light curve, {E1_keV:g}-{E2_keV:g} keV, "
             f"r < {radius:g} deg of ({RA:.3f}, {DEC:.3f})")
ax.legend(loc="upper right")
ax.text(0.01, 0.97, "simulated data, not real observations", transform=ax.transAxes,
        va="top", fontsize=8, color="C3")
fig.tight_layout()
png_file = "lightcurve.png"
fig.savefig(png_file, dpi=100)
plt.close(fig)
'''

LC_OUTPUTS = """\
lightcurve = lc_file  # oda:LightCurve
lightcurve_png = png_file  # oda:ODAPictureProduct
mean_rate = mean_rate  # oda:Float
"""

# ----------------------------------------------------------------------------------------------
# image.ipynb

IMG_TITLE = """\
# Sky image (SIMULATED INTEGRAL/ISGRI-like data)

Counts map of the events in the energy band `E1_keV`-`E2_keV` and the time range `T1`-`T2`
(ISOT, TT scale): a `npix` x `npix` image with square pixels of `pixel_size` arcminutes in the
gnomonic (TAN) projection centred on (`RA`, `DEC`), North up and East left. The FITS header
carries the world coordinate system (`CTYPE` `RA---TAN`/`DEC--TAN`, `CRVAL` at the requested
position, `CDELT` the pixel size in degrees), the band and the exposure.

**The data are simulated**: a point source at the Crab position (RA 83.6331, Dec 22.0145) with a
12 arcmin FWHM point-spread function over a uniform background that fills a disc of 2.5 degrees
around it. They are not INTEGRAL observations (see `simulate.py`).

Outputs: the counts map as a FITS image (`image`), a PNG rendering (`image_png`) and the sky
position of the brightest pixel (`peak_ra`, `peak_dec`, degrees).
"""

IMG_PARAMETERS = f"""\
{metadata_turtle("image")}

RA = 83.6331  # oda:PointOfInterestRA
DEC = 22.0145  # oda:PointOfInterestDEC
T1 = "2003-03-15T00:00:00"  # oda:StartTimeISOT
T2 = "2003-03-16T00:00:00"  # oda:EndTimeISOT
E1_keV = 20.0  # oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 300
E2_keV = 100.0  # oda:Energy_keV ; oda:lower_limit 15 ; oda:upper_limit 300
pixel_size = 3.0  # oda:AngleMinutes ; oda:lower_limit 0.5 ; oda:upper_limit 30
npix = 60  # oda:Integer ; oda:lower_limit 8 ; oda:upper_limit 512
"""

IMG_COMPUTE = '''\
from astropy.wcs import WCS

if pixel_size <= 0 or npix <= 0:
    raise ValueError(f"pixel_size ({pixel_size}) and npix ({npix}) must be positive")

wcs = WCS(naxis=2)
wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
wcs.wcs.cunit = ["deg", "deg"]
wcs.wcs.crval = [RA, DEC]
wcs.wcs.crpix = [(npix + 1) / 2, (npix + 1) / 2]
wcs.wcs.cdelt = [-pixel_size / 60.0, pixel_size / 60.0]
wcs.wcs.radesys = "ICRS"
wcs.wcs.equinox = 2000.0

# Only the hemisphere around the centre projects sensibly onto the tangent plane.
near = selected & (separation_deg(events["RA"], events["DEC"], RA, DEC) < 80.0)
x, y = wcs.wcs_world2pix(events["RA"][near], events["DEC"][near], 0)
counts_map = np.histogram2d(y, x, bins=npix, range=[[-0.5, npix - 0.5], [-0.5, npix - 0.5]])[0]

header = wcs.to_header()
header["BUNIT"] = ("count", "counts per pixel")
for key in ("TELESCOP", "INSTRUME"):
    header[key] = evt_header[key]
header["OBJECT"] = "SIMULATED"
header["E_MIN"] = (E1_keV, "[keV] lower bound of the energy band")
header["E_MAX"] = (E2_keV, "[keV] upper bound of the energy band")
header["DATE-OBS"] = (T1, "start of the time range")
header["DATE-END"] = (T2, "end of the time range")
header["TSTART"] = (t_start, "[s] since MJDREF")
header["TSTOP"] = (t_stop, "[s] since MJDREF")
header["MJDREF"] = mjdref
header["DATEREF"] = (str(np.datetime64("1858-11-17", "s") + round(mjdref * 86400)), "MJDREF")
header["MJD-OBS"] = (mjdref + t_start / 86400, "[d] start of the time range")
header["MJD-END"] = (mjdref + t_stop / 86400, "[d] end of the time range")
header["TIMESYS"] = evt_header["TIMESYS"]
header["EXPOSURE"] = (exposure, "[s] good time in the time range")
header["COMMENT"] = "Simulated data generated by MMODA examples, not real observations."

img_file = "image.fits"
fits.PrimaryHDU(counts_map.astype(np.int32), header=header).writeto(img_file, overwrite=True)

iy, ix = np.unravel_index(np.argmax(counts_map), counts_map.shape)
peak = wcs.pixel_to_world(ix, iy)
peak_ra, peak_dec = float(peak.ra.deg), float(peak.dec.deg)
print(f"{int(counts_map.sum())} counts in the map, brightest pixel ({ix}, {iy}) at "
      f"RA {peak_ra:.4f}, Dec {peak_dec:.4f} -> {img_file}")
'''

IMG_PLOT = '''\
from matplotlib.colors import PowerNorm

fig = plt.figure(figsize=(6.5, 5.5))
ax = fig.add_subplot(projection=wcs)
im = ax.imshow(counts_map, origin="lower", cmap="magma", norm=PowerNorm(0.5))
ax.plot(RA, DEC, "+", color="cyan", ms=12, transform=ax.get_transform("icrs"))
ax.coords[0].set_axislabel("RA (ICRS)")
ax.coords[1].set_axislabel("Dec (ICRS)")
ax.set_title(f"SIMULATED {evt_header['INSTRUME']} counts, {E1_keV:g}-{E2_keV:g} keV")
fig.colorbar(im, ax=ax, label="counts / pixel")
fig.text(0.01, 0.01, "simulated data, not real observations", fontsize=8, color="C3")
png_file = "image.png"
fig.savefig(png_file, dpi=100)
plt.close(fig)
'''

IMG_OUTPUTS = """\
image = img_file  # oda:Image
image_png = png_file  # oda:ODAPictureProduct
peak_ra = peak_ra  # oda:Float
peak_dec = peak_dec  # oda:Float
"""


def _markdown(cell_id: str, source: str) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source.rstrip("\n"))
    cell["id"] = cell_id
    return cell


def _code(cell_id: str, source: str, tags: list[str] | None = None) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source.rstrip("\n"))
    cell["id"] = cell_id
    if tags:
        cell["metadata"]["tags"] = tags
    return cell


def _notebook(cells: list[NotebookNode]) -> NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb["metadata"] = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def notebooks() -> dict[str, NotebookNode]:
    """The example notebooks, by file name."""
    return {
        "lightcurve.ipynb": _notebook(
            [
                _markdown("title", LC_TITLE),
                _code("parameters", LC_PARAMETERS, ["parameters"]),
                _code("read-events", COMMON_HELPERS),
                _code("lightcurve", LC_COMPUTE),
                _code("plot", LC_PLOT),
                _code("outputs", LC_OUTPUTS, ["outputs"]),
            ]
        ),
        "image.ipynb": _notebook(
            [
                _markdown("title", IMG_TITLE),
                _code("parameters", IMG_PARAMETERS, ["parameters"]),
                _code("read-events", COMMON_HELPERS),
                _code("image", IMG_COMPUTE),
                _code("plot", IMG_PLOT),
                _code("outputs", IMG_OUTPUTS, ["outputs"]),
            ]
        ),
    }


def render(nb: NotebookNode) -> str:
    """The notebook as the JSON text written to disk (validated, trailing newline)."""
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the notebooks next to this file; with ``--check``, only compare. Exit status."""
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    stale = []
    for name, nb in notebooks().items():
        path = HERE / name
        text = render(nb)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run make_notebooks.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
