"""A run's results as the `products` lists of a dispatcher reply, decodable by the oda-api client.

By file format (and type): FITS → `numpy_data_product_list` (one data unit per HDU), or
`astropy_table_product_ascii_list` (ECSV of the first table HDU) when the type is an
ODAAstropyTable; ECSV/CSV → the ascii list; `.npy` → one numpy data unit; PNG/JPEG/GIF (by
magic bytes) → `binary_image_product_list`; other files → `binary_data_product_list`. Values
(and ParameterProduct/ODATextProduct values) → `text_product_list`; a WorkflowResultComment is
no product but the reply's comment.

Numpy data travel as the `data` literal the client `eval`s (no pickle, exact float reprs,
non-finite floats as `float('nan')`...). The client cannot rebuild 1-d/0-d plain arrays, object
or variable-length columns, nested records or long doubles from `data`; those units fall back to
the pickled `binarys` (which needs pickle-compatible numpy on both sides).

The client decodes the whole reply with `str(reply).replace('null', 'None')`. Guarded: strings
in `data`/`dt` literals (`nul\\x6c`) and every base64 string (an ignored newline: `nu\\nll`).
Not guardable, hence corrupted when they contain "null": header strings, ECSV text, text values,
names and meta data. COMMENT/HISTORY/blank cards are joined into one string per keyword, each
card padded to 72 characters, so that astropy splits them back into the original cards.
Product meta data are `meta` without `src_name`/`product`, so that the client names products
`<output>_<i>`; table meta data are a dict (a JSON string breaks the client's naming).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import math
import pickle
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Table

__all__ = ["Encoded", "ResultItem", "encode_results"]

log = logging.getLogger(__name__)
ODA = "http://odahub.io/ontology#"
TEXT_TYPES = {ODA + "ParameterProduct", ODA + "ODATextProduct"}
IMAGES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}
HDU_TYPES = ((fits.PrimaryHDU, "primary"), (fits.ImageHDU, "image"),
             (fits.BinTableHDU, "bintable"), (fits.TableHDU, "table"))
COMMENTARY, CARD = ("COMMENT", "HISTORY", ""), 72
SCALING = re.compile(r"^(BSCALE|BZERO|TSCAL\d+|TZERO\d+)$")  # data are sent already scaled
NON_FINITE = re.compile(r"\b(nan|inf)\b")


@dataclass(frozen=True)
class ResultItem:
    """One result of a run as the encoder needs it."""

    name: str
    product_type: str | None
    files: tuple[Path, ...]
    value: Any = None
    has_value: bool = False


@dataclass
class Encoded:
    """The product lists of a reply, the type of each output and the workflow's comment."""

    products: dict[str, Any] = field(default_factory=dict)
    prod_uris: dict[str, str] = field(default_factory=dict)
    comment: str = ""


def encode_results(items: Sequence[ResultItem], *, superclasses: Callable[[str], Set[str]],
                   meta: Mapping[str, Any] | None = None) -> Encoded:
    """Encode `items` into the client's product lists; `superclasses(t)` is t's closure."""
    out, comments = Encoded(), []
    shown = {k: v for k, v in (meta or {}).items() if v is not None
             and k not in ("src_name", "product")}
    for item in items:
        kinds: set[str] = set()
        if item.product_type:
            out.prod_uris[item.name] = item.product_type
            kinds = {item.product_type, *superclasses(item.product_type)}
        has, value = _value(item)
        if ODA + "WorkflowResultComment" in kinds:
            comments += [value if isinstance(value, str) else json.dumps(value)] if has else []
            continue
        for key, product in _item_products(item, kinds, shown, has, value):
            out.products.setdefault(key, []).append(product)
    out.comment = "\n".join(comments)
    return out


def _item_products(item: ResultItem, kinds: Set[str], meta: dict[str, Any], has: bool,
                   value: Any) -> list[tuple[str, dict[str, Any]]]:
    """One product per file (the value's own `<name>.json` aside), and the value as text."""
    files = [f for f in item.files if not (has and f.name == f"{item.name}.json")]
    if missing := [f for f in files if not f.is_file()]:
        log.warning("result %s: files %s are missing; not sent", item.name, missing)
        files = [f for f in files if f not in missing]
    products = [_file_product(item.name, f, kinds, meta) for f in files]
    if has and (not files or kinds & TEXT_TYPES):
        uri = {"uri": item.product_type} if item.product_type else {}
        products.append(("text_product_list", {"name": item.name, "value": _jsonable(value),
                                               "meta_data": {**meta, **uri}}))
    return products


def _value(item: ResultItem) -> tuple[bool, Any]:
    """The item's value: inline, else read from its `<name>.json` file."""
    if item.has_value:
        return True, item.value
    stored = next((f for f in item.files if f.name == f"{item.name}.json"), None)
    try:
        return (True, json.loads(stored.read_text(encoding="utf-8"))) if stored else (False, None)
    except (OSError, ValueError):
        return False, None


def _file_product(name: str, path: Path, kinds: Set[str],
                  meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The list key and the product dict of one result file."""
    suffix = Path(path.name.lower().removesuffix(".gz")).suffix
    try:
        if suffix in (".fits", ".fit", ".fts"):
            return _fits_product(name, path, kinds, meta)
        if suffix in (".ecsv", ".csv"):
            table = Table.read(path, format="ascii.ecsv" if suffix == ".ecsv" else "ascii.csv")
            return "astropy_table_product_ascii_list", _table(name, table, meta)
        if suffix == ".npy":
            array = np.load(path, allow_pickle=False)
            kind = "image" if array.dtype.names is None else "bintable"
            units = [_unit(_packed(array), kind, {}, name, None)]
            return "numpy_data_product_list", _numpy(name, units, meta)
    except (OSError, ValueError) as exc:
        log.warning("result file %s cannot be read as %s (%s); sent as binary", path, suffix, exc)
    data = path.read_bytes()
    image = next((kind for magic, kind in IMAGES.items() if data.startswith(magic)), None)
    if image:
        return "binary_image_product_list", {"img_type": image, "b64data": _b64(data),
                                             "metadata": {}, "name": name, "filename": path.name}
    return "binary_data_product_list", {"name": name, "data": _b64(data),
                                        "md5": hashlib.md5(data).hexdigest()}


def _fits_product(name: str, path: Path, kinds: Set[str],
                  meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A FITS file: all HDUs as numpy data units, or its first table as an astropy table."""
    with fits.open(path, memmap=False) as hdul:
        tables = [h for h in hdul if isinstance(h, fits.BinTableHDU | fits.TableHDU)]
        if ODA + "ODAAstropyTable" in kinds and tables:
            return "astropy_table_product_ascii_list", _table(name, Table.read(tables[0]), meta)
        return "numpy_data_product_list", _numpy(name, [_hdu_unit(h) for h in hdul], meta)


def _hdu_unit(hdu: Any) -> dict[str, Any]:
    """One HDU as a data unit: physical (scaled) data, header and column units."""
    kind = next((k for cls, k in HDU_TYPES if isinstance(hdu, cls)), None)
    if kind is None:
        raise ValueError(f"unsupported HDU {type(hdu).__name__}")
    table = kind in ("bintable", "table")
    data = None if hdu.data is None else _packed(hdu.data) if table else np.asarray(hdu.data)
    units = {c.name: str(c.unit) for c in hdu.columns if c.unit} if table else None
    floats = data is not None and data.dtype.kind == "f"
    header = _header(hdu.header, lambda k: bool(SCALING.match(k)) or (floats and k == "BLANK"))
    return _unit(data, kind, header, hdu.name, units or None)


def _header(header: fits.Header, skip: Callable[[str], bool]) -> dict[str, Any]:
    """FITS keywords as JSON values (Undefined → None, non-finite → text)."""
    out: dict[str, Any] = {}
    for card in header.cards:
        key, value = card.keyword, card.value
        if skip(key):
            continue
        if key in COMMENTARY:
            before = out.get(key)
            pad = CARD * max(1, math.ceil(len(before) / CARD)) if before is not None else 0
            out[key] = (before or "").ljust(pad) + str(value)
        elif isinstance(value, bool | int | str | float):
            out[key] = _jsonable(value)
        else:  # Undefined, complex
            out[key] = None if isinstance(value, fits.card.Undefined) else str(value)
    return out


def _packed(array: Any) -> np.ndarray:
    """A plain ndarray; records repacked field by field (physical values, no padding)."""
    if array.dtype.names is None:
        return np.asarray(array)
    columns = [np.asarray(array[n]) for n in array.dtype.names]
    dtype = [(n, c.dtype, c.shape[1:]) for n, c in zip(array.dtype.names, columns, strict=True)]
    packed = np.empty(len(array), dtype=dtype)
    for n, c in zip(array.dtype.names, columns, strict=True):
        packed[n] = c
    return packed


def _unit(data: np.ndarray | None, kind: str, header: dict[str, Any], name: str,
          units: dict[str, str] | None) -> dict[str, Any]:
    """A NumpyDataUnit dict: `data` literal, or pickled `binarys` where no literal works."""
    literal = None if data is None else _literal(data)
    pickled = None if data is None or literal is not None else base64.b64encode(pickle.dumps(data))
    return {"data": literal, "dt": None if data is None else _dt(data.dtype), "name": name,
            "header": header, "binarys": None if pickled is None else _guard(pickled.decode()),
            "meta_data": {}, "hdu_type": kind, "units_dict": units}


def _literal(array: np.ndarray) -> str | None:
    """The Python literal the client evals into `array`, or None if it cannot rebuild one."""
    fields = array.dtype.fields
    bases = [f[0].base for f in fields.values()] if fields else [array.dtype]
    plain_ok = fields is None and array.ndim >= 2 and array.shape[0] > 0
    if not (plain_ok or (fields and array.ndim == 1)) or not all(
            d.kind in "biufcSU" and d.char not in "gG" for d in bases):
        return None
    if any(d.kind in "cSU" for d in bases) or any(f[0].shape for f in (fields or {}).values()):
        return _element(array.tolist()).replace("null", "nul\\x6c")
    text = repr(array.tolist())  # only numbers and booleans: fast, exact
    return NON_FINITE.sub(r"float('\1')", text) if "nan" in text or "inf" in text else text


def _element(value: Any) -> str:
    """One element of `tolist()` as a literal, non-finite floats as `float('nan')`..."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float('{value}')"
    if isinstance(value, complex):
        return f"complex({_element(value.real)}, {_element(value.imag)})"
    if isinstance(value, np.ndarray):  # a subarray field of a record
        return _element(value.tolist())
    if isinstance(value, list):
        return "[" + ", ".join(_element(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(_element(v) + ", " for v in value) + ")"
    return repr(value)


def _dt(dtype: np.dtype[Any]) -> str:
    """The dtype as the client's `_eval_dt` reads it."""
    return dtype.str if dtype.fields is None else repr(dtype.descr).replace("null", "nul\\x6c")


def _numpy(name: str, units: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    return {"data_unit_list": units, "name": name, "meta_data": json.dumps(meta)}


def _table(name: str, table: Table, meta: dict[str, Any]) -> dict[str, Any]:
    with io.StringIO() as text:
        table.write(text, format="ascii.ecsv")
        return {"ascii": text.getvalue(), "binary": None, "name": name, "meta_data": dict(meta)}


def _b64(data: bytes) -> str:
    return _guard(base64.urlsafe_b64encode(data).decode())


def _guard(b64: str) -> str:
    """Break each "null" with a newline, which the client's base64 decoding discards."""
    return b64.replace("null", "nu\nll")


def _jsonable(value: Any) -> Any:
    """`value` with non-finite floats as text (JSON, and the client's decoding, lack NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
