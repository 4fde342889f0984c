"""What the fake's accounting code raises; the dispatcher turns each into Xero's answer."""

from __future__ import annotations

from collections.abc import Sequence


class Rejected(Exception):
    """Xero refuses the element with these validation messages (400 ValidationException)."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages: Sequence[str] = messages


class Violation(Exception):
    """The request breaks the specification or the README's rules: a bug in the client."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems: Sequence[str] = problems


class NotModelled(Exception):
    """Valid against Xero, but the fake does not do it (a test must not rely on it)."""


class NotFound(Exception):
    """No such record (404)."""
