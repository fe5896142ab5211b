"""User mistakes (bad config, registry, CSV, arguments) as data, printed as one line each."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# C0 and C1 control characters, DEL, line separators and bidi overrides: never printed raw
# (a terminal runs escape codes; an override reorders what the reader sees).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# A message quotes at most this much of what the user wrote.
MAX_MESSAGE = 300


def escape_controls(text: str) -> str:
    """`text` with control characters shown as \\xNN, so it stays one printable line."""
    return _CONTROLS.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one place: `file:where: what`."""

    source: str
    where: str
    what: str

    def __str__(self) -> str:
        place = f"{self.source}:{self.where}" if self.where else self.source
        what = self.what if len(self.what) <= MAX_MESSAGE else self.what[:MAX_MESSAGE] + "…"
        return escape_controls(f"{place}: {what}")


class UserError(Exception):
    """Raised for a user's mistake; the CLI prints each problem and exits 2."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, source: str, where: str, what: str) -> UserError:
        return cls([Problem(source, where, what)])


def pydantic_problems(source: str, exc: object, *, prefix: str = "") -> list[Problem]:
    """Turn a pydantic ValidationError into one Problem per error, naming the key path."""
    from pydantic import ValidationError

    assert isinstance(exc, ValidationError)
    problems = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        where = f"{prefix}{path}" if path else prefix.rstrip(".")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append(Problem(source, where, msg))
    return problems
