"""Free-form metadata on records: a JSON object of at most 4 KB once serialised.

Size is measured on the compact UTF-8 serialisation (`json.dumps` with `(",", ":")`
separators and `ensure_ascii=False`). Keys must be strings at every depth, values plain JSON
(no NaN or Infinity). `None` means "no metadata" and becomes `{}`.
"""

from __future__ import annotations

import json
from typing import Any

from keito_core.errors import KeitoError, validation

MAX_METADATA_BYTES = 4096


def _check_keys(value: object) -> None:
    """Raise unless every object key at every depth is a string."""
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise validation(
                        f"metadata keys must be strings, not {key!r}", field="metadata"
                    )
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def serialise_metadata(value: dict[str, Any]) -> str:
    """The compact JSON text whose UTF-8 size the limit applies to."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def validate_metadata(value: object) -> dict[str, Any]:
    """A normalised copy of `value` if it is a JSON object within MAX_METADATA_BYTES."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation(
            f"metadata must be a JSON object, not {type(value).__name__}", field="metadata"
        )
    try:
        _check_keys(value)
        text = serialise_metadata(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise validation(f"metadata is not plain JSON: {exc}", field="metadata") from None
    size = len(text.encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise KeitoError(
            "metadata_too_large",
            f"metadata is {size} bytes; the limit is {MAX_METADATA_BYTES}",
            field="metadata",
            hint="store large data elsewhere and keep a reference in metadata",
        )
    result: dict[str, Any] = json.loads(text)
    return result


def _reject_constant(name: str) -> None:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def parse_metadata(text: str) -> dict[str, Any]:
    """The metadata object in a `--metadata` JSON string."""
    if not text.strip():
        raise validation("metadata is empty", field="metadata", hint="pass a JSON object like {}")
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise validation(f"metadata is not valid JSON: {exc}", field="metadata") from None
    if value is None:
        raise validation("metadata must be a JSON object, not null", field="metadata")
    return validate_metadata(value)
