"""Results encoded by mmoda.dispatcher.products, decoded by the real oda-api client."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS
from oda_api.api import DataCollection
from oda_api.data_products import (
    BinaryProduct,
    NumpyDataProduct,
    ODAAstropyTable,
    PictureProduct,
    TextLikeProduct,
)

from mmoda.dispatcher.products import Encoded, ResultItem, encode_results

matplotlib.use("Agg")
from matplotlib import pyplot as plt

ODA = "http://odahub.io/ontology#"
SUPER = {
    ODA + "LightCurve": {ODA + "NumpyDataProduct", ODA + "DataProduct"},
    ODA + "Image": {ODA + "NumpyDataProduct", ODA + "DataProduct"},
    ODA + "NumpyDataProduct": {ODA + "DataProduct"},
    ODA + "ODAAstropyTable": {ODA + "DataProduct"},
    ODA + "ODAPictureProduct": {ODA + "DataProduct"},
    ODA + "ODABinaryProduct": {ODA + "DataProduct"},
    ODA + "ODATextProduct": {ODA + "DataProduct"},
    ODA + "Float": {ODA + "ParameterProduct"},
    ODA + "String": {ODA + "ParameterProduct"},
}
META = {"instrument": "isgri_sim", "product": "lightcurve"}


def superclasses(iri: str) -> set[str]:
    return SUPER.get(iri, set())


def encode(*items: ResultItem) -> Encoded:
    return encode_results(items, superclasses=superclasses, meta=META)


def client_decode(encoded: Encoded) -> DataCollection:
    """What the client does with a reply: JSON, the "null" replacement, then the products."""
    reply: Any = {"products": encoded.products, "job_monitor": {"job_id": "x", "session_id": "s"}}
    reply = json.loads(json.dumps(reply, allow_nan=False))
    reply = ast.literal_eval(str(reply).replace("null", "None"))
    return DataCollection.from_response_json(reply, "inst", "prod")


def only(collection: DataCollection) -> Any:
    assert len(collection._p_list) == 1, collection._n_list
    return collection._p_list[0]


def assert_same_columns(got: Any, want: Any) -> None:
    assert list(got.dtype.names) == list(want.dtype.names)
    for name in want.dtype.names:
        assert got[name].dtype == want[name].dtype, name
        np.testing.assert_array_equal(got[name], want[name], strict=True)


def lightcurve_file(path: Path) -> Path:
    columns = [
        fits.Column(name="TIME", format="D", unit="d", array=58000 + np.arange(6) / 7),
        fits.Column(name="RATE", format="E", unit="count/s",
                    array=np.array([1.1, np.nan, 3.3, np.inf, -np.inf, 1e-30])),
        fits.Column(name="COUNTS", format="J", array=np.arange(6) * 1000003),
        fits.Column(name="FLAGS", format="I", bzero=32768, array=np.arange(6, dtype="u2") + 60000),
    ]
    table = fits.BinTableHDU.from_columns(columns, name="LIGHTCURVE")
    table.header["OBJECT"] = "Crab"
    table.header["TSTART"] = (58000.25, "start time")
    table.header["EMPTY"] = fits.card.UNDEFINED
    table.header["COMMENT"] = "first comment"
    table.header["COMMENT"] = "x" * 100
    table.header["HISTORY"] = "made by a test"
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    return path


def test_lightcurve_fits_is_a_numpy_product_with_exact_columns(tmp_path: Path) -> None:
    path = lightcurve_file(tmp_path / "lc.fits")
    item = ResultItem("lightcurve", ODA + "LightCurve", (path,))
    encoded = encode(item)
    assert list(encoded.products) == ["numpy_data_product_list"]
    assert all(u["binarys"] is None for u in encoded.products["numpy_data_product_list"][0][
        "data_unit_list"])  # the eval'd `data` path, no pickle
    collection = client_decode(encoded)
    assert collection._n_list == ["lightcurve_0"]
    product = collection.lightcurve_0
    assert isinstance(product, NumpyDataProduct)
    assert product.meta_data == {"instrument": "isgri_sim"}
    primary, unit = product.data_unit
    assert primary.hdu_type == "primary" and primary.data is None
    assert unit.hdu_type == "bintable" and unit.name == "LIGHTCURVE"
    with fits.open(path) as hdul:
        assert_same_columns(unit.data, hdul[1].data)
    assert unit.units_dict == {"TIME": "d", "RATE": "count/s"}
    assert unit.header["OBJECT"] == "Crab" and unit.header["TSTART"] == 58000.25
    assert unit.header["EMPTY"] is None

    out = tmp_path / "written.fits"
    product.write_fits_file(str(out))
    with fits.open(path) as original, fits.open(out) as written:
        assert_same_columns(written[1].data, original[1].data)
        assert written[1].columns["RATE"].unit == "count/s"
        assert [str(c).strip() for c in written[1].header["COMMENT"]] == [
            "first comment", "x" * 72, "x" * 28]
        assert list(written[1].header["HISTORY"]) == ["made by a test"]


def test_image_with_wcs_and_non_finite_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    image = rng.normal(size=(30, 40)).astype(">f4")
    image[3, 4], image[5, 6], image[7, 8] = np.nan, np.inf, -np.inf
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval, wcs.wcs.crpix, wcs.wcs.cdelt = [83.6, 22.0], [20, 15], [-0.01, 0.01]
    counts = np.arange(12, dtype="u2").reshape(3, 4) + 65000
    fits.HDUList([fits.PrimaryHDU(image, header=wcs.to_header()),
                  fits.ImageHDU(counts, name="COUNTS")]).writeto(tmp_path / "sky.fits")
    collection = client_decode(encode(ResultItem("image", ODA + "Image",
                                                 (tmp_path / "sky.fits",))))
    sky, unit = collection.image_0.data_unit
    assert sky.data.dtype == image.dtype
    np.testing.assert_array_equal(sky.data, image)  # NaN positions and infinities included
    np.testing.assert_array_equal(unit.data, counts, strict=True)
    decoded = WCS(sky.header)
    assert decoded.wcs.ctype[0] == "RA---TAN"
    np.testing.assert_allclose(decoded.all_pix2world([[1, 2]], 0), wcs.all_pix2world([[1, 2]], 0))
    out = tmp_path / "written.fits"
    collection.image_0.write_fits_file(str(out))
    with fits.open(out) as written:
        np.testing.assert_array_equal(written[0].data, image)
        np.testing.assert_array_equal(written[1].data, counts, strict=True)


def test_strings_with_null_and_nan_floats_survive(tmp_path: Path) -> None:
    table = fits.BinTableHDU.from_columns([
        fits.Column(name="NAME", format="12A", array=["null", "a null b", "nullnull", ""]),
        fits.Column(name="nullable", format="D", array=[np.nan, 1 / 3, -0.0, np.inf]),
        fits.Column(name="VEC", format="2E", array=np.array([[1, np.nan]] * 4)),
    ])
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(tmp_path / "t.fits")
    encoded = encode(ResultItem("table", ODA + "NumpyDataProduct", (tmp_path / "t.fits",)))
    unit = client_decode(encoded).table_0.data_unit[1]
    with fits.open(tmp_path / "t.fits") as hdul:
        assert_same_columns(unit.data, hdul[1].data)
    assert list(unit.data["NAME"]) == ["null", "a null b", "nullnull", ""]


def test_astropy_tables_from_fits_ecsv_and_csv(tmp_path: Path) -> None:
    table = Table({"name": ["Crab", "Vela", "null"], "flux": [1.5, np.nan, 2.0e-12],
                   "n": [1, 2, 3]})
    table["flux"].unit = "erg/(s cm2)"
    table.write(tmp_path / "cat.fits")
    table.write(tmp_path / "cat.ecsv")
    table.write(tmp_path / "cat.csv")
    encoded = encode(ResultItem("catalog", ODA + "ODAAstropyTable", (tmp_path / "cat.fits",)),
                     ResultItem("ecsv", None, (tmp_path / "cat.ecsv",)),
                     ResultItem("csv", ODA + "ODAAstropyTable", (tmp_path / "cat.csv",)))
    assert list(encoded.products) == ["astropy_table_product_ascii_list"]
    collection = client_decode(encoded)
    assert collection._n_list == ["catalog_0", "ecsv_1", "csv_2"]
    for product in collection._p_list:
        assert isinstance(product, ODAAstropyTable)
        for column in ("flux", "n"):
            np.testing.assert_array_equal(product.table[column], table[column], strict=True)
    assert collection.catalog_0.table["flux"].unit == "erg/(s cm2)"
    assert list(collection.ecsv_1.table["name"]) == ["Crab", "Vela", "None"]  # not guardable


def test_fits_image_typed_as_table_stays_numpy(tmp_path: Path) -> None:
    fits.PrimaryHDU(np.ones((3, 3))).writeto(tmp_path / "im.fits")
    encoded = encode(ResultItem("t", ODA + "ODAAstropyTable", (tmp_path / "im.fits",)))
    assert list(encoded.products) == ["numpy_data_product_list"]


def test_png_is_a_picture_with_identical_bytes(tmp_path: Path) -> None:
    figure = plt.figure(figsize=(2, 2))
    plt.plot([1, 2, 3])
    figure.savefig(tmp_path / "plot.png")
    plt.close(figure)
    encoded = encode(ResultItem("plot", ODA + "ODAPictureProduct", (tmp_path / "plot.png",)))
    picture = only(client_decode(encoded))
    assert isinstance(picture, PictureProduct)
    assert picture.binary_data == (tmp_path / "plot.png").read_bytes()
    assert picture.img_type == "png"


def bytes_encoding_null() -> bytes:
    rng = np.random.default_rng(42)
    while True:
        data = rng.integers(0, 256, 48, dtype=np.uint8).tobytes()
        if "null" in base64.urlsafe_b64encode(data).decode():
            return data


@pytest.mark.filterwarnings("ignore:BinaryData class is deprecated")
def test_binary_whose_base64_contains_null_is_guarded(tmp_path: Path) -> None:
    data = bytes_encoding_null()
    (tmp_path / "blob.dat").write_bytes(data)
    encoded = encode(ResultItem("blob", ODA + "ODABinaryProduct", (tmp_path / "blob.dat",)))
    product = only(client_decode(encoded))
    assert isinstance(product, BinaryProduct)
    assert product.bin_data == data

    # without the guard, the client's "null" → "None" replacement changes the bytes...
    plain = base64.urlsafe_b64encode(data).decode()
    assert base64.urlsafe_b64decode(plain.replace("null", "None")) != data
    # ...so BinaryProduct's md5 check fails, and so does the client's fallback
    unguarded = {"name": "blob", "data": plain, "md5": hashlib.md5(data).hexdigest()}
    with pytest.raises(AttributeError):
        client_decode(Encoded({"binary_data_product_list": [unguarded]}))


def test_npy_arrays_including_the_pickle_fallback(tmp_path: Path) -> None:
    plane = np.arange(12.0).reshape(3, 4)
    plane[1, 1] = np.nan
    np.save(tmp_path / "plane.npy", plane)
    line = data = np.frombuffer(bytes_encoding_null(), dtype="<f8").copy()
    np.save(tmp_path / "line.npy", line)  # 1-d: no literal the client can rebuild
    encoded = encode(ResultItem("plane", None, (tmp_path / "plane.npy",)),
                     ResultItem("line", None, (tmp_path / "line.npy",)))
    units = [p["data_unit_list"][0] for p in encoded.products["numpy_data_product_list"]]
    assert units[0]["binarys"] is None and units[1]["data"] is None
    collection = client_decode(encoded)
    np.testing.assert_array_equal(collection.plane_0.data_unit[0].data, plane, strict=True)
    np.testing.assert_array_equal(collection.line_1.data_unit[0].data, data, strict=True)


def test_values_comments_and_prod_uris(tmp_path: Path) -> None:
    (tmp_path / "flux.json").write_text("3.5\n")
    (tmp_path / "big.json").write_text(json.dumps({"a": [1, None]}))
    encoded = encode(
        ResultItem("flux", ODA + "Float", (tmp_path / "flux.json",), 3.5, True),
        ResultItem("label", ODA + "String", (), "hello", True),
        ResultItem("note", ODA + "ODATextProduct", (), "some text", True),
        ResultItem("big", None, (tmp_path / "big.json",)),
        ResultItem("missing", ODA + "Float", (), None, True),
        ResultItem("why", ODA + "WorkflowResultComment", (), "first remark", True),
        ResultItem("also", ODA + "WorkflowResultComment", (), "second remark", True))
    assert list(encoded.products) == ["text_product_list"]
    assert encoded.comment == "first remark\nsecond remark"
    assert encoded.prod_uris == {"flux": ODA + "Float", "label": ODA + "String",
                                 "note": ODA + "ODATextProduct", "missing": ODA + "Float",
                                 "why": ODA + "WorkflowResultComment",
                                 "also": ODA + "WorkflowResultComment"}
    collection = client_decode(encoded)
    assert collection._n_list == ["flux_0", "label_1", "note_2", "big_3", "missing_4"]
    assert all(isinstance(p, TextLikeProduct) for p in collection._p_list)
    assert [p.value for p in collection._p_list] == [
        3.5, "hello", "some text", {"a": [1, None]}, None]
    assert collection.flux_0.meta_data["uri"] == ODA + "Float"


def test_non_finite_values_and_unreadable_fits(tmp_path: Path) -> None:
    (tmp_path / "bad.fits").write_bytes(b"not a fits file")
    encoded = encode(ResultItem("x", ODA + "Float", (), float("nan"), True),
                     ResultItem("bad", ODA + "Image", (tmp_path / "bad.fits",)))
    collection = client_decode(encoded)
    assert collection._n_list == ["bad_0", "x_1"]  # the client's order: binaries before texts
    assert collection.x_1.value == "nan"
    assert collection.bad_0.bin_data == b"not a fits file"


def test_large_image_encodes_quickly(tmp_path: Path) -> None:
    shape = (1000, 1000)
    image = np.random.default_rng(3).normal(size=shape)
    image[::97, ::89] = np.nan
    fits.PrimaryHDU(image).writeto(tmp_path / "big.fits")
    start = time.perf_counter()
    encoded = encode(ResultItem("big", ODA + "Image", (tmp_path / "big.fits",)))
    elapsed = time.perf_counter() - start
    unit = encoded.products["numpy_data_product_list"][0]["data_unit_list"][0]
    assert unit["binarys"] is None and unit["data"].count("float('nan')") == np.isnan(image).sum()
    rows = unit["data"][2:-2].split("], [")  # the client's eval of all rows takes seconds
    assert len(rows) == shape[0]
    decoded = np.asarray([eval(f"({r},)") for r in rows[:2]], dtype=unit["dt"])
    assert decoded.dtype == np.dtype(">f8")  # FITS byte order kept
    np.testing.assert_array_equal(decoded, image[:2])
    print(f"encoded {image.size} pixels in {elapsed:.2f} s")
