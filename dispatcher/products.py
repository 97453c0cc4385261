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
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.table import Table

from mmoda.dispatcher.fitsdata import array_unit, guard, hdu_unit, jsonable

__all__ = ["Encoded", "ResultItem", "encode_results"]

log = logging.getLogger(__name__)
ODA = "http://odahub.io/ontology#"
TEXT_TYPES = {ODA + "ParameterProduct", ODA + "ODATextProduct"}
IMAGES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}


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
        products.append(("text_product_list", {"name": item.name, "value": jsonable(value),
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
            return "numpy_data_product_list", _numpy(name, [array_unit(array, name)], meta)
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
        return "numpy_data_product_list", _numpy(name, [hdu_unit(h) for h in hdul], meta)


def _numpy(name: str, units: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    return {"data_unit_list": units, "name": name, "meta_data": json.dumps(meta)}


def _table(name: str, table: Table, meta: dict[str, Any]) -> dict[str, Any]:
    with io.StringIO() as text:
        table.write(text, format="ascii.ecsv")
        return {"ascii": text.getvalue(), "binary": None, "name": name, "meta_data": dict(meta)}


def _b64(data: bytes) -> str:
    return guard(base64.urlsafe_b64encode(data).decode())
