"""Invoice numbers from a pattern such as `INV-{YYYY}-{####}`.

Tokens: ``{YYYY}`` four-digit year, ``{YY}`` two-digit year, ``{MM}`` two-digit month (all of
the issue date, case-insensitive) and exactly one ``{#...}`` with 1 to 10 ``#``: the sequence
number zero-padded to that width (a longer number is printed in full, never truncated).
Everything else is literal text; braces are reserved for tokens.
"""

from __future__ import annotations

import re
from datetime import date

from keito_core.errors import validation

FIELD = "invoice_number_pattern"
MAX_PATTERN_LENGTH = 64
_TOKEN_RE = re.compile(r"\{([^{}]*)\}")
_NUMBER_TOKEN_RE = re.compile(r"^#{1,10}$")
_DATE_TOKENS = ("YYYY", "YY", "MM")
_HINT = "use literal text with {YYYY}, {YY}, {MM} and one {####}, e.g. INV-{YYYY}-{####}"


def validate_pattern(pattern: str) -> str:
    """The stripped pattern, or a validation error naming what is wrong with it."""
    cleaned = pattern.strip()
    if not cleaned:
        raise validation("invoice number pattern is empty", field=FIELD, hint=_HINT)
    if len(cleaned) > MAX_PATTERN_LENGTH:
        raise validation(
            f"invoice number pattern is longer than {MAX_PATTERN_LENGTH} characters", field=FIELD
        )
    if not cleaned.isprintable():
        raise validation("invoice number pattern has control characters", field=FIELD)
    if "{" in _TOKEN_RE.sub("", cleaned) or "}" in _TOKEN_RE.sub("", cleaned):
        raise validation(f"unbalanced braces in {cleaned!r}", field=FIELD, hint=_HINT)
    numbers = 0
    for token in _TOKEN_RE.findall(cleaned):
        if token.startswith("#"):
            if not _NUMBER_TOKEN_RE.match(token):
                raise validation(
                    f"number token {{{token}}} must have 1 to 10 '#'", field=FIELD, hint=_HINT
                )
            numbers += 1
        elif token.upper() not in _DATE_TOKENS:
            raise validation(f"unknown token {{{token}}} in {cleaned!r}", field=FIELD, hint=_HINT)
    if numbers != 1:
        raise validation(
            f"invoice number pattern needs exactly one {{#...}} token, found {numbers}",
            field=FIELD,
            hint=_HINT,
        )
    return cleaned


def format_invoice_number(pattern: str, *, number: int, issue_date: date) -> str:
    """The invoice number for sequence `number` issued on `issue_date` under `pattern`."""
    cleaned = validate_pattern(pattern)
    if isinstance(number, bool) or number < 1:
        raise validation(f"invoice sequence number must be 1 or more, not {number}", field="number")

    def render(match: re.Match[str]) -> str:
        token = match.group(1).upper()
        if token.startswith("#"):
            return str(number).zfill(len(token))
        return {
            "YYYY": f"{issue_date.year:04d}",
            "YY": f"{issue_date.year % 100:02d}",
            "MM": f"{issue_date.month:02d}",
        }[token]

    return _TOKEN_RE.sub(render, cleaned)
