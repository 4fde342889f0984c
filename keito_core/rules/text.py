"""Names, command-line handles and email addresses."""

from __future__ import annotations

import re
import unicodedata

from keito_core.errors import validation

MAX_SLUG_LENGTH = 40
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
#: The longest notes of a time entry or an expense.
MAX_NOTES_LENGTH = 10_000
#: The longest reason or note of an approval decision.
MAX_REASON_LENGTH = 2_000
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "Ð": "d",
    }
)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")


def slugify(name: str, *, fallback: str = "item") -> str:
    """A lower-case ASCII handle like `acme-website-redesign`, at most 40 chars, never empty."""
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    slug = slug[:MAX_SLUG_LENGTH].rstrip("-")
    return slug or fallback


def validate_email(text: str, *, field: str = "email") -> str:
    """The stripped, lower-cased address if it looks like `local@domain.tld`."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise validation("email is empty", field=field)
    if len(cleaned) > MAX_EMAIL_LENGTH or not _EMAIL_RE.match(cleaned):
        raise validation(f"not an email address: {text.strip()!r}", field=field)
    return cleaned


def validate_name(text: str, field: str = "name") -> str:
    """The stripped name if it is non-empty, single-line and at most 200 characters."""
    cleaned = text.strip()
    if not cleaned:
        raise validation(f"{field} cannot be empty", field=field)
    if len(cleaned) > MAX_NAME_LENGTH:
        raise validation(f"{field} is longer than {MAX_NAME_LENGTH} characters", field=field)
    if any(unicodedata.category(char) == "Cc" for char in cleaned):
        raise validation(f"{field} cannot contain line breaks or control characters", field=field)
    return cleaned


def clean_text(text: str | None, *, limit: int, field: str) -> str | None:
    """Free text with surrounding space removed (empty is None), refused beyond `limit` chars."""
    if text is None:
        return None
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise validation(f"{field}: {len(cleaned):,} characters, more than the {limit:,} allowed",
                         field=field, hint="shorten the text, or keep the long version "
                                           "elsewhere and refer to it")
    return cleaned or None


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`1 time entry`, `2 time entries`, `0 expenses`: a count with its noun agreeing."""
    many = plural if plural is not None else (
        singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou"
        else singular + "s")
    return f"{count} {singular if count == 1 else many}"
