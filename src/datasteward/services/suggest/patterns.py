"""The simple value shapes ``steward suggest`` tries, most specific first.

Each is tested by the engine against every value of every text column (one counter per
pattern in the statistics query); a shape is suggested only when every value has it.
Character classes are written out (``[0-9]``, not ``\\d``) so every engine's regex flavour
reads them alike.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PATTERNS", "TOKEN", "Pattern"]


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: str
    description: str
    #: one character class repeated: ``+`` becomes ``{n}`` when every value has n characters
    one_class: bool = False
    #: too loose to suggest on its own; it tells codes from text for ``length``
    gate_only: bool = False

    def with_width(self, width: int) -> str:
        """The pattern with its one repeated class fixed to ``width`` characters."""
        assert self.one_class and self.regex.endswith("+$")
        return f"{self.regex[:-2]}{{{width}}}$"


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "uuid",
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        "a UUID",
    ),
    Pattern("iso_date", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "an ISO date (YYYY-MM-DD)"),
    Pattern(
        "iso_timestamp",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
        r"(Z|[+-][0-9]{2}:?[0-9]{2})?$",
        "an ISO timestamp",
    ),
    Pattern("email", r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", "an email address"),
    Pattern("url", r"^https?://[^\s]+$", "an http(s) URL"),
    Pattern("digits", "^[0-9]+$", "digits only", one_class=True),
    Pattern("upper", "^[A-Z]+$", "upper-case letters only", one_class=True),
    Pattern("lower", "^[a-z]+$", "lower-case letters only", one_class=True),
    Pattern("upper_digits", "^[A-Z0-9]+$", "upper-case letters and digits", one_class=True),
    Pattern("lower_digits", "^[a-z0-9]+$", "lower-case letters and digits", one_class=True),
    Pattern("prefixed_number", "^[A-Z]+-[0-9]+$", "upper-case letters, a dash and digits"),
    Pattern("letters", "^[A-Za-z]+$", "letters only", one_class=True),
    Pattern("alphanumeric", "^[A-Za-z0-9]+$", "letters and digits", one_class=True),
    Pattern("token", r"^[^\s]+$", "one word", gate_only=True),
)

#: the name of the pattern every code (as opposed to free text) matches
TOKEN = "token"
