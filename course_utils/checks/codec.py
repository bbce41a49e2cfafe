"""Plain data: the only form in which an answer crosses the process boundary (JSON-able, no pickle).

:func:`to_plain` turns whatever a student's code produced into numbers, strings and
numeric arrays (flattened, with their shape), or says why it is not plain
(:data:`UNSUPPORTED` with a :class:`NotPlain` reason); :func:`decode_plain` rebuilds a
trusted value from such data, validating every field. The grader's child encodes,
the grader decodes; ``Question.check()`` does both in the student's own kernel, so the
two judge the same values. An object with a fake ``__eq__`` or ``shape`` does not
survive :func:`to_plain`.

>>> to_plain([1, 2.5])["shape"], decode_plain(to_plain([1, 2.5])).tolist()
([2], [1.0, 2.5])
>>> decode_plain(to_plain(None)) is None
True
>>> decode_plain(to_plain([[1, 2], [3]])).reason
'ragged'
"""
from __future__ import annotations

import math
from enum import StrEnum

MAX_ELEMENTS = 2_000_000          # largest array an answer may hold
MAX_TEXT = 10_000                 # longest string answer / message kept
MAX_ITEMS = 1_000                 # dict / list answers (layer summaries)


class Wire(StrEnum):
    """A string of the format both processes speak: it is its value in JSON, in comparisons and in reprs."""

    def __repr__(self):
        return repr(self.value)


class PlainType(Wire):
    """The ``"type"`` of a plain value (``MISSING``: a variable the cell did not define)."""

    NONE = "none"
    ELLIPSIS = "ellipsis"
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STR = "str"
    NDARRAY = "ndarray"
    DICT = "dict"
    LIST = "list"
    UNSUPPORTED = "unsupported"
    MISSING = "missing"


class NotPlain(Wire):
    """Why an answer is not plain data (the ``"kind"`` of an ``"unsupported"`` value)."""

    NESTED = "nested"
    COMPLEX = "complex"
    LARGE = "large"
    TYPE = "type"
    NONE_INSIDE = "none_inside"
    RAGGED = "ragged"
    DTYPE = "dtype"


UNSUPPORTED = PlainType.UNSUPPORTED
MISSING_VALUE = {"type": PlainType.MISSING}


def unsupported(reason: NotPlain, detail: str, **extra) -> dict:
    """The plain form of an answer that is not plain data.

    >>> unsupported(NotPlain.TYPE, "a generator")
    {'type': 'unsupported', 'kind': 'type', 'detail': 'a generator'}
    """
    return {"type": UNSUPPORTED, "kind": reason, "detail": detail, **extra}


class Unsupported:
    """A decoded answer that was not plain data; ``reason`` (a :class:`NotPlain`) says why."""

    def __init__(self, reason: NotPlain, detail: str = ""):
        self.reason, self.detail = reason, detail

    def __repr__(self):
        return f"Unsupported({str(self.reason)!r}, {self.detail!r})"


class NotAttempted:
    """The answer is still the stub (``None``, ``...`` or ``NotImplementedError``)."""

    def __init__(self, detail: str = ""):
        self.detail = detail

    def __repr__(self):
        return "NotAttempted()"


def _short(text, limit=300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(obj) -> str:
    try:
        return type(obj).__name__
    except Exception:  # pragma: no cover - exotic metaclasses
        return "object"


def to_plain(obj, _depth=0):
    """Turn a student's answer into JSON-able plain data, or say why it is not plain.

    Numbers become ``{"type": "int"|"float"|"bool", "value": ...}``, arrays and lists
    of numbers ``{"type": "ndarray", "dtype", "shape", "data"}`` (data flattened),
    strings ``{"type": "str"}``, dicts and lists of those recursively. ``None`` and
    ``...`` mean "not attempted". Anything else becomes ``{"type": "unsupported"}``
    (:func:`unsupported`). The types are :class:`PlainType`.

    >>> to_plain(3)
    {'type': 'int', 'value': 3}
    >>> to_plain({"a": 1.5})["items"]["a"]
    {'type': 'float', 'value': 1.5}
    >>> to_plain(object())["type"]
    'unsupported'
    """
    import numpy as np

    if _depth > 20:
        return unsupported(NotPlain.NESTED, "nested too deeply")
    if obj is None:
        return {"type": PlainType.NONE}
    if obj is Ellipsis:
        return {"type": PlainType.ELLIPSIS}
    if type(obj) is bool or type(obj) is np.bool_:
        return {"type": PlainType.BOOL, "value": bool(obj)}
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        value = int(obj)
        if abs(value) > 2**63:
            return {"type": PlainType.FLOAT, "value": float(value)}
        return {"type": PlainType.INT, "value": value}
    if isinstance(obj, (float, np.floating)):
        return {"type": PlainType.FLOAT, "value": _json_float(float(obj))}
    if isinstance(obj, (complex, np.complexfloating)):
        return unsupported(NotPlain.COMPLEX, "a complex number")
    if isinstance(obj, str):
        text = str.__getitem__(obj, slice(None))
        return {"type": PlainType.STR, "value": text[:MAX_TEXT], "truncated": len(text) > MAX_TEXT}
    if isinstance(obj, dict):
        if len(obj) > MAX_ITEMS:
            return unsupported(NotPlain.LARGE, f"a dict with {len(obj)} items")
        items = {}
        for key, value in list(obj.items()):
            items[_short(key, 200)] = to_plain(value, _depth + 1)
        return {"type": PlainType.DICT, "items": items}
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (dict, str)) for v in list(obj)[:MAX_ITEMS]):
        if len(obj) > MAX_ITEMS:
            return unsupported(NotPlain.LARGE, f"a list with {len(obj)} items")
        return {"type": PlainType.LIST, "items": [to_plain(v, _depth + 1) for v in obj]}
    if isinstance(obj, (np.ndarray, list, tuple)) or hasattr(obj, "__array__"):
        return _array_to_plain(obj)
    return unsupported(NotPlain.TYPE, _type_name(obj))


def _json_float(value: float):
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _array_to_plain(obj):
    import numpy as np

    what = _type_name(obj)
    try:
        if isinstance(obj, (list, tuple)) and any(x is None for x in obj):
            return unsupported(NotPlain.NONE_INSIDE, f"a {what} containing None")
        array = np.array(obj, copy=True, subok=False)
    except ValueError as exc:
        if _nested_shape(obj) is None:
            return unsupported(NotPlain.RAGGED, f"a ragged {what} (rows of different lengths)")
        return unsupported(NotPlain.TYPE, f"{what} ({_short(exc, 120)})")
    except Exception as exc:
        return unsupported(NotPlain.TYPE, f"{what} ({type(exc).__name__})")
    if type(array) is not np.ndarray:  # pragma: no cover - subok=False guarantees this
        return unsupported(NotPlain.TYPE, what)
    if array.size > MAX_ELEMENTS:
        return unsupported(NotPlain.LARGE, f"an array of {array.size} values")
    kind = array.dtype.kind
    if kind == "c":
        return unsupported(NotPlain.COMPLEX, "an array of complex numbers")
    if kind in "OUSVMm":
        sample = ""
        if kind == "O" and array.size:
            sample = f" of {_type_name(array.flat[0])}"
        label = {"O": f"objects{sample}", "U": "text", "S": "bytes"}.get(kind, str(array.dtype))
        return unsupported(NotPlain.DTYPE, f"a {what} holding {label}, not numbers", dtype=str(array.dtype))
    if kind == "b":
        dtype, data = "bool", [bool(v) for v in array.ravel().tolist()]
    elif kind in "iu":
        if array.size and (array.max() > 2**63 - 1):
            array = array.astype(np.float64)
            dtype, data = "float64", [_json_float(v) for v in array.ravel().tolist()]
        else:
            dtype, data = "int64", [int(v) for v in array.astype(np.int64).ravel().tolist()]
    else:
        dtype = "float64"
        data = [_json_float(v) for v in array.astype(np.float64).ravel().tolist()]
    return {"type": PlainType.NDARRAY, "dtype": dtype, "shape": [int(n) for n in array.shape], "data": data,
            "source": "list" if isinstance(obj, (list, tuple)) else "array", "orig_dtype": str(array.dtype)}


def _nested_shape(obj, depth=0):
    """The shape nested lists would have as an array; None when their rows differ (ragged).

    >>> _nested_shape([[1, 2], [3, 4], [5, 6]]), _nested_shape([[1, 2], [3]]), _nested_shape([1, [2]])
    ((3, 2), None, None)
    """
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.shape
    if not isinstance(obj, (list, tuple)) or depth > 32:
        return ()
    shapes = {_nested_shape(v, depth + 1) for v in obj}
    if None in shapes or len(shapes) > 1:
        return None
    return (len(obj),) + (shapes.pop() if shapes else ())


def decode_plain(plain):
    """Rebuild a trusted Python value from plain data, validating every field.

    Returns ``None``, ``Ellipsis``, ``bool``/``int``/``float``, ``str``, a NumPy array
    (bool, int64 or float64 only), a ``dict``/``list`` of those, or an
    :class:`Unsupported` marker. Malformed input raises ``ValueError``.

    >>> decode_plain({"type": "ndarray", "dtype": "int64", "shape": [2], "data": [1, 2]}).dtype
    dtype('int64')
    >>> decode_plain({"type": "ndarray", "dtype": "object", "shape": [1], "data": [1]})
    Traceback (most recent call last):
    ...
    ValueError: bad array dtype 'object'
    """
    import numpy as np

    if not isinstance(plain, dict) or not isinstance(plain.get("type"), str):
        raise ValueError("plain value must be a dict with a 'type'")
    kind = plain["type"]   # compared with PlainType members, which are these strings
    if kind == PlainType.NONE:
        return None
    if kind == PlainType.ELLIPSIS:
        return Ellipsis
    if kind == PlainType.BOOL:
        if type(plain.get("value")) is not bool:
            raise ValueError("bad bool")
        return plain["value"]
    if kind == PlainType.INT:
        if type(plain.get("value")) is not int:
            raise ValueError("bad int")
        return plain["value"]
    if kind == PlainType.FLOAT:
        return _decode_float(plain.get("value"))
    if kind == PlainType.STR:
        if type(plain.get("value")) is not str:
            raise ValueError("bad str")
        return plain["value"][:MAX_TEXT]
    if kind == PlainType.NDARRAY:
        dtype = plain.get("dtype")
        if dtype not in ("bool", "int64", "float64"):
            raise ValueError(f"bad array dtype {dtype!r}")
        shape = plain.get("shape")
        if not isinstance(shape, list) or len(shape) > 32 or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError("bad array shape")
        data = plain.get("data")
        size = math.prod(shape)
        if not isinstance(data, list) or len(data) != size or size > MAX_ELEMENTS:
            raise ValueError("array data does not match its shape")
        if dtype == "float64":
            values = [_decode_float(v) for v in data]
        elif dtype == "int64":
            if not all(type(v) is int for v in data):
                raise ValueError("bad int array")
            values = data
        else:
            if not all(type(v) is bool for v in data):
                raise ValueError("bad bool array")
            values = data
        return np.array(values, dtype=dtype).reshape(shape)
    if kind == PlainType.DICT:
        items = plain.get("items")
        if not isinstance(items, dict) or len(items) > MAX_ITEMS:
            raise ValueError("bad dict")
        return {str(k)[:200]: decode_plain(v) for k, v in items.items()}
    if kind == PlainType.LIST:
        items = plain.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ValueError("bad list")
        return [decode_plain(v) for v in items]
    if kind == PlainType.UNSUPPORTED:
        if plain.get("kind") not in set(NotPlain):
            raise ValueError("bad reason for an unsupported answer")
        return Unsupported(NotPlain(plain["kind"]), _short(plain.get("detail", ""), 200))
    raise ValueError(f"unknown plain type {kind!r}")


def _decode_float(value) -> float:
    if type(value) is float or type(value) is int:
        return float(value)
    if value in ("nan", "inf", "-inf"):
        return float(value)
    raise ValueError("bad float")

