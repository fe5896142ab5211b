"""CSV in and out: one reader that checks the header and every row's length, one writer
that neutralises formula cells (cells come from strangers: page texts, names)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.errors import Problem, UserError

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Largest cell read; csv's own default (131,072) would be an unexplained csv.Error.
MAX_CELL = 100_000


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line in the file and its cells by (lower-case) column name."""

    line: int
    cells: dict[str, str]


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula: a leading quote makes it text."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def unneutralise(text: str) -> str:
    """Undo `safe_cell` on import, so socmon's own CSV round-trips."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Header and rows, every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def read_rows(
    text: str, src: str, *, columns: Sequence[str], required: Sequence[str]
) -> Iterator[Row]:
    """Rows of a CSV whose header names known columns, each once; blank rows skipped.

    Header problems (unknown, duplicate, missing columns) are reported once, on line 1;
    a row with fewer or more cells than the header is an error naming its line.
    """
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_cells = next(reader, None)
        header = [h.strip().lower() for h in header_cells or []]
        if not header:
            raise UserError.one(src, "line 1", "no header row (the first line names the columns)")
        _check_header(src, header, columns, required)
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank spreadsheet row
            if len(cells) != len(header):
                few = "fewer" if len(cells) < len(header) else "more"
                raise UserError.one(
                    src,
                    f"line {reader.line_num}",
                    f"{few} cells ({len(cells)}) than columns ({len(header)})",
                )
            yield Row(
                reader.line_num,
                {h: unneutralise(c.strip()) for h, c in zip(header, cells, strict=True)},
            )
    except csv.Error as exc:
        raise UserError.one(src, f"line {reader.line_num}", f"not valid CSV: {exc}") from None


def _check_header(
    src: str, header: list[str], columns: Sequence[str], required: Sequence[str]
) -> None:
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(src, "line 1", f"column {name!r} appears twice"))
        elif name not in columns:
            problems.append(Problem(src, "line 1", f"unknown column {name[:80]!r}"))
        seen.add(name)
    problems += [
        Problem(src, "line 1", f"required column {c!r} is missing")
        for c in required
        if c not in seen
    ]
    if problems:
        raise UserError(problems)
