"""The one way data crosses the sandbox wall: an ``.npz`` payload of JSON metadata plus arrays.

The trusted side writes a request to the sandbox's stdin and reads the result from
a pipe. Everything that comes back is hostile data: the reader caps its size
(raw and unpacked), loads arrays without pickles, and checks the metadata
against a strict schema before anything else looks at it.

This module is imported inside the sandbox too (by the runner), so it needs
nothing but NumPy and the standard library.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import numpy as np

META_KEY = "__meta__"


class ChannelError(ValueError):
    """The payload is not what the protocol allows (too big, malformed, wrong schema)."""


def encode(meta: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """One payload: ``meta`` as UTF-8 JSON bytes under ``__meta__``, and the arrays by name."""
    buffer = io.BytesIO()
    blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(buffer, **{META_KEY: blob}, **(arrays or {}))
    return buffer.getvalue()


def decode(payload: bytes, max_bytes: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a payload within ``max_bytes`` (packed and unpacked); raise ChannelError otherwise."""
    if len(payload) > max_bytes:
        raise ChannelError(f"the result is larger than {max_bytes} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            if sum(info.file_size for info in archive.infolist()) > max_bytes:
                raise ChannelError(f"the result unpacks to more than {max_bytes} bytes")
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ChannelError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError from a pickled array, ...
        raise ChannelError(f"the result is not a readable payload ({type(exc).__name__})") from None
    blob = arrays.pop(META_KEY, None)
    if blob is None or blob.dtype != np.uint8 or blob.ndim != 1:
        raise ChannelError("the result has no metadata")
    try:
        meta = json.loads(blob.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ChannelError("the result's metadata is not JSON") from None
    if not isinstance(meta, dict):
        raise ChannelError("the result's metadata is not an object")
    for name, array in arrays.items():
        if array.dtype.kind not in "biufc":
            raise ChannelError(f"array {name!r} holds {array.dtype}, not numbers")
    return meta, arrays


# ----- a small strict schema: exact keys, exact types ------------------------------------------

Schema = type | tuple | dict | list


def validate(value: Any, schema: Schema, where: str = "result") -> None:
    """Raise ChannelError unless ``value`` matches ``schema``.

    A schema is a type (or tuple of types), a dict of required keys to schemas (no
    other keys allowed; a key ending in ``?`` is optional), ``[item_schema]`` for a
    list, or ``{str: item_schema}`` for a mapping with any string keys.
    """
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise ChannelError(f"{where} must be an object")
        if list(schema) == [str]:
            for key, item in value.items():
                validate(key, str, f"{where} key")
                validate(item, schema[str], f"{where}[{key!r}]")
            return
        required = {k for k in schema if not k.endswith("?")}
        allowed = {k.rstrip("?") for k in schema}
        missing, extra = required - set(value), set(value) - allowed
        if missing or extra:
            raise ChannelError(f"{where} has keys {sorted(value)}; expected {sorted(allowed)}")
        for key, item in value.items():
            validate(item, schema[key] if key in schema else schema[key + "?"], f"{where}.{key}")
        return
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise ChannelError(f"{where} must be a list")
        for i, item in enumerate(value):
            validate(item, schema[0], f"{where}[{i}]")
        return
    if schema is float and isinstance(value, int) and not isinstance(value, bool):
        return
    if isinstance(value, bool) and schema in (int, float):
        raise ChannelError(f"{where} must be a number")
    if not isinstance(value, schema):
        raise ChannelError(f"{where} must be {schema}")
