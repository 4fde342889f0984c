"""Tests for keito_core.rules.text."""

from __future__ import annotations

import pytest

from keito_core.errors import KeitoError
from keito_core.rules.text import (
    MAX_NOTES_LENGTH,
    MAX_REASON_LENGTH,
    clean_text,
    counted,
    slugify,
    validate_email,
    validate_name,
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme Website Redesign", "acme-website-redesign"),
        ("  Acme   Website  ", "acme-website"),
        ("Café Münchën", "cafe-munchen"),
        ("Straße & Søn", "strasse-son"),
        ("Æsir Œuvre Łódź", "aesir-oeuvre-lodz"),
        ("R&D / Q3-2024", "r-d-q3-2024"),
        ("--leading and trailing--", "leading-and-trailing"),
        ("already-a-slug", "already-a-slug"),
        ("UPPER_snake_Case", "upper-snake-case"),
        ("Project #42!", "project-42"),
        ("ﬁnance", "finance"),  # ligature folded by NFKD
        ("①②", "12"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", ["", "   ", "!!!", "日本語", "🚀🚀", "---"])
def test_slugify_never_returns_empty(name: str) -> None:
    assert slugify(name) == "item"
    assert slugify(name, fallback="project") == "project"


def test_slugify_caps_length_without_a_trailing_hyphen() -> None:
    name = "Internal Platform Migration to the New Cloud Provider Phase Two"
    slug = slugify(name)
    assert len(slug) <= 40
    assert slug == "internal-platform-migration-to-the-new-c"
    # a cut that lands on a separator drops it
    assert slugify("a" * 39 + " b") == "a" * 39
    assert slugify("x" * 100) == "x" * 40


@pytest.mark.parametrize("name", ["Acme Website Redesign", "Café", "x" * 100, "!!", "a b c"])
def test_slugify_is_idempotent(name: str) -> None:
    assert slugify(slugify(name)) == slugify(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ada@Example.com", "ada@example.com"),
        ("  bob@example.co.uk ", "bob@example.co.uk"),
        ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
        ("agent-7@keito.ai", "agent-7@keito.ai"),
        ("x@y.z", "x@y.z"),
    ],
)
def test_validate_email(text: str, expected: str) -> None:
    assert validate_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "ada@",
        "ada@example",
        "ada@@example.com",
        "ada@exa@mple.com",
        "ada lovelace@example.com",
        "ada@exam ple.com",
        "ada@.example.com",
        "ada@example.com.",
        "ada@example..com",
        "a" * 250 + "@x.com",
    ],
)
def test_validate_email_rejects(text: str) -> None:
    with pytest.raises(KeitoError) as info:
        validate_email(text)
    assert info.value.code == "validation_error"
    assert info.value.field == "email"


def test_validate_email_field_can_be_renamed() -> None:
    with pytest.raises(KeitoError) as info:
        validate_email("nope", field="contact_email")
    assert info.value.field == "contact_email"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme", "Acme"),
        ("  Acme Ltd  ", "Acme Ltd"),
        ("Zoë & Co", "Zoë & Co"),
        ("x" * 200, "x" * 200),
        ("Two  spaces", "Two  spaces"),
    ],
)
def test_validate_name(text: str, expected: str) -> None:
    assert validate_name(text, "client") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("\n\t", "cannot be empty"),
        ("x" * 201, "longer than 200"),
        ("two\nlines", "control characters"),
        ("tab\there", "control characters"),
        ("bell\x07", "control characters"),
    ],
)
def test_validate_name_rejects(text: str, message: str) -> None:
    with pytest.raises(KeitoError, match=message) as info:
        validate_name(text, "client")
    assert info.value.field == "client"
    assert info.value.message.startswith("client ")


def test_validate_name_default_field() -> None:
    with pytest.raises(KeitoError) as info:
        validate_name("")
    assert info.value.field == "name"


@pytest.mark.parametrize(("count", "noun", "expected"), [
    (0, "expense", "0 expenses"), (1, "expense", "1 expense"), (2, "time entry", "2 time entries"),
    (1, "time entry", "1 time entry"), (3, "day", "3 days"), (2, "person", "2 persons"),
])
def test_counted_agrees_the_noun_with_the_count(count, noun, expected) -> None:
    assert counted(count, noun) == expected
    assert counted(2, "person", "people") == "2 people"


@pytest.mark.parametrize(("text", "expected"), [
    (None, None), ("", None), ("   ", None), ("  fixed it \n", "fixed it"), ("x" * 20, "x" * 20),
])
def test_clean_text_strips_and_empties_to_none(text, expected) -> None:
    assert clean_text(text, limit=20, field="notes") == expected


def test_clean_text_refuses_beyond_the_limit_naming_it() -> None:
    assert clean_text(" " + "x" * 20 + " ", limit=20, field="notes") == "x" * 20
    with pytest.raises(KeitoError) as info:
        clean_text("x" * 21, limit=20, field="reason")
    assert (info.value.code, info.value.field) == ("validation_error", "reason")
    assert "20" in info.value.message


def test_the_limits_are_the_documented_ones() -> None:
    assert (MAX_NOTES_LENGTH, MAX_REASON_LENGTH) == (10_000, 2_000)
