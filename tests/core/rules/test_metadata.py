"""Tests for keito_core.rules.metadata."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from keito_core.errors import KeitoError
from keito_core.rules.metadata import (
    MAX_METADATA_BYTES,
    parse_metadata,
    serialise_metadata,
    validate_metadata,
)


def padded(size: int, char: str = "a") -> dict[str, str]:
    """An object whose compact serialisation is exactly `size` bytes (for 1-byte `char`...)."""
    overhead = len('{"k":""}')
    width = len(char.encode("utf-8"))
    assert (size - overhead) % width == 0
    return {"k": char * ((size - overhead) // width)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, {}),
        (None, {}),
        ({"model": "claude", "tokens": 1234}, {"model": "claude", "tokens": 1234}),
        ({"nested": {"a": [1, 2, {"b": None}]}}, {"nested": {"a": [1, 2, {"b": None}]}}),
        ({"tuple": (1, 2)}, {"tuple": [1, 2]}),  # normalised to what JSON stores
        ({"flag": True, "ratio": 0.5}, {"flag": True, "ratio": 0.5}),
        ({"ünï": "cødé ✓"}, {"ünï": "cødé ✓"}),
    ],
)
def test_validate_metadata_accepts_json_objects(value: object, expected: dict[str, Any]) -> None:
    assert validate_metadata(value) == expected


def test_validate_metadata_returns_a_copy() -> None:
    original = {"a": [1]}
    result = validate_metadata(original)
    result["a"].append(2)
    assert original == {"a": [1]}


def test_limit_is_4096_bytes() -> None:
    assert MAX_METADATA_BYTES == 4096


@pytest.mark.parametrize("size", [4095, 4096])
def test_up_to_the_limit_is_fine(size: int) -> None:
    value = padded(size)
    assert len(serialise_metadata(value).encode("utf-8")) == size
    assert validate_metadata(value) == value


@pytest.mark.parametrize(("size", "char"), [(4097, "a"), (4097 + 1, "é"), (5000, "a")])
def test_over_the_limit_is_metadata_too_large(size: int, char: str) -> None:
    value = padded(size, char)
    with pytest.raises(KeitoError) as info:
        validate_metadata(value)
    assert info.value.code == "metadata_too_large"
    assert info.value.field == "metadata"
    assert str(size) in info.value.message


def test_size_counts_utf8_bytes_not_characters() -> None:
    # 1,500 three-byte characters: 1,508 characters but 4,508 bytes.
    value = {"k": "✓" * 1500}
    assert len(serialise_metadata(value)) < MAX_METADATA_BYTES
    with pytest.raises(KeitoError) as info:
        validate_metadata(value)
    assert info.value.code == "metadata_too_large"


def test_size_is_measured_compactly() -> None:
    # Pretty-printed this would exceed the limit; compact it fits exactly.
    value = {f"k{i:03d}": i % 10 for i in range(455)}
    compact = serialise_metadata(value)
    assert len(json.dumps(value).encode()) > MAX_METADATA_BYTES
    assert len(compact.encode()) <= MAX_METADATA_BYTES
    assert validate_metadata(value) == value


@pytest.mark.parametrize(
    "value",
    [[1, 2], "text", 3, 2.5, True, ["a"], ("a",)],
)
def test_non_objects_are_validation_errors(value: object) -> None:
    with pytest.raises(KeitoError) as info:
        validate_metadata(value)
    assert info.value.code == "validation_error"
    assert info.value.field == "metadata"


@pytest.mark.parametrize(
    "value",
    [
        {1: "a"},
        {"a": {2: "b"}},
        {"a": [{None: 1}]},
        {"a": Decimal("1.5")},
        {"a": date(2024, 1, 1)},
        {"a": {1, 2}},
        {"a": float("nan")},
        {"a": float("inf")},
        {("a",): 1},
    ],
)
def test_values_that_are_not_plain_json_are_rejected(value: dict[Any, Any]) -> None:
    with pytest.raises(KeitoError) as info:
        validate_metadata(value)
    assert info.value.code == "validation_error"
    assert info.value.field == "metadata"


def test_circular_references_are_rejected() -> None:
    value: dict[str, Any] = {}
    value["self"] = value
    with pytest.raises(KeitoError) as info:
        validate_metadata(value)
    assert info.value.code == "validation_error"


def test_shared_subobjects_are_fine() -> None:
    shared = {"x": 1}
    assert validate_metadata({"a": shared, "b": shared}) == {"a": {"x": 1}, "b": {"x": 1}}


def test_very_deep_nesting_is_rejected_cleanly() -> None:
    value: dict[str, Any] = {}
    cursor = value
    for _ in range(100_000):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(KeitoError):
        validate_metadata(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", {}),
        ('{"ticket": "ABC-123"}', {"ticket": "ABC-123"}),
        (' { "a" : [1, 2.5, null, true] } ', {"a": [1, 2.5, None, True]}),
        ('{"ü": "✓"}', {"ü": "✓"}),
    ],
)
def test_parse_metadata(text: str, expected: dict[str, Any]) -> None:
    assert parse_metadata(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("{", "not valid JSON"),
        ("{'a': 1}", "not valid JSON"),
        ("{a: 1}", "not valid JSON"),
        ('{"a": NaN}', "not valid JSON"),
        ('{"a": Infinity}', "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('"text"', "JSON object"),
        ("null", "JSON object"),
        ("42", "JSON object"),
    ],
)
def test_parse_metadata_rejects(text: str, message: str) -> None:
    with pytest.raises(KeitoError, match=message) as info:
        parse_metadata(text)
    assert info.value.code == "validation_error"
    assert info.value.field == "metadata"


def test_parse_metadata_enforces_the_size_limit() -> None:
    text = json.dumps(padded(4097))
    with pytest.raises(KeitoError) as info:
        parse_metadata(text)
    assert info.value.code == "metadata_too_large"
