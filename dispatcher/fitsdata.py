"""FITS HDUs as the oda-api client's `NumpyDataUnit` dicts, without pickle where possible.

Numpy data travel as the `data` literal the client `eval`s (exact float reprs, non-finite
floats as `float('nan')`...). The client cannot rebuild 1-d/0-d plain arrays, object or
variable-length columns, nested records or long doubles from `data`; those units fall back to
the pickled `binarys` (which needs pickle-compatible numpy on both sides). Strings in the
literals are written `nul\\x6c` and base64 is broken with an ignored newline, so that the
client's `replace('null', 'None')` over the whole reply leaves them intact.
"""

from __future__ import annotations

import base64
import math
import pickle
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from astropy.io import fits

__all__ = ["array_unit", "guard", "hdu_unit", "jsonable"]

HDU_TYPES = ((fits.PrimaryHDU, "primary"), (fits.ImageHDU, "image"),
             (fits.BinTableHDU, "bintable"), (fits.TableHDU, "table"))
COMMENTARY, CARD = ("COMMENT", "HISTORY", ""), 72
SCALING = re.compile(r"^(BSCALE|BZERO|TSCAL\d+|TZERO\d+)$")  # data are sent already scaled
NON_FINITE = re.compile(r"\b(nan|inf)\b")


def hdu_unit(hdu: Any) -> dict[str, Any]:
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
            out[key] = jsonable(value)
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


def array_unit(array: np.ndarray, name: str) -> dict[str, Any]:
    """A plain or record array (a `.npy` file) as one image or table data unit."""
    kind = "image" if array.dtype.names is None else "bintable"
    return _unit(_packed(array), kind, {}, name, None)


def _unit(data: np.ndarray | None, kind: str, header: dict[str, Any], name: str,
          units: dict[str, str] | None) -> dict[str, Any]:
    """A NumpyDataUnit dict: `data` literal, or pickled `binarys` where no literal works."""
    literal = None if data is None else _literal(data)
    pickled = None if data is None or literal is not None else base64.b64encode(pickle.dumps(data))
    return {"data": literal, "dt": None if data is None else _dt(data.dtype), "name": name,
            "header": header, "binarys": None if pickled is None else guard(pickled.decode()),
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


def guard(b64: str) -> str:
    """Break each "null" with a newline, which the client's base64 decoding discards."""
    return b64.replace("null", "nu\nll")


def jsonable(value: Any) -> Any:
    """`value` with non-finite floats as text (JSON, and the client's decoding, lack NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value
