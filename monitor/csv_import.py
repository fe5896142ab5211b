"""`socmon accounts import`: a spreadsheet export (CSV) turned into registry YAML.

Each problem names the CSV line. Nothing is written unless every row is valid,
and an existing registry is never overwritten without --force.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from monitor.errors import Problem, UserError
from monitor.registry import Account, validate_accounts

PRINCIPAL_COLUMNS = ("principal", "assistant_principal")
SIMPLE = ("id", "platform", "platform_id", "school", "kind", "audience", "website", "approval")
COLUMNS = (
    *SIMPLE,
    "managers",
    *(f"{p}_{f}" for p in PRINCIPAL_COLUMNS for f in ("name", "user_id", "email")),
)
REQUIRED = ("id", "platform", "platform_id", "school", "managers")


def read_csv(path: Path, email_domains: Sequence[str]) -> list[Account]:
    """Parse and validate the CSV; raise UserError with one problem per mistake."""
    src = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a BOM
    except FileNotFoundError:
        raise UserError.one(src, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError.one(src, "", f"cannot read CSV (save it as UTF-8): {exc}") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        problems = [
            Problem(src, "line 1", f"unknown column {h!r}") for h in header if h not in COLUMNS
        ]
        problems += [
            Problem(src, "line 1", f"required column {c!r} is missing")
            for c in REQUIRED
            if c not in header
        ]
        if problems:
            raise UserError(problems)
        rows: list[dict[str, Any]] = []
        lines: list[int] = []
        for row in reader:
            if None in row:
                raise UserError.one(src, f"line {reader.line_num}", "more cells than columns")
            clean = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if not any(clean.values()):
                continue  # blank spreadsheet row
            rows.append(_to_account(clean))
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise UserError.one(src, "", f"not valid CSV: {exc}") from None
    if not rows:
        raise UserError.one(src, "", "no accounts in the file")

    def line_of(index: int, _key: str | None = None) -> int:
        return lines[index] if index < len(lines) else 0

    return validate_accounts(src, rows, email_domains, line_of)


def _to_account(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: row[k] for k in SIMPLE if row.get(k)}
    managers = row.get("managers", "").replace(",", ";")
    data["managers"] = [m.strip() for m in managers.split(";") if m.strip()]
    principals = []
    for prefix in PRINCIPAL_COLUMNS:
        entry = {f: row.get(f"{prefix}_{f}", "") for f in ("name", "user_id", "email")}
        if any(entry.values()):
            principals.append({k: v for k, v in entry.items() if v or k == "name"})
    if principals:
        data["principals"] = principals
    return data


def to_yaml(accounts: Sequence[Account]) -> str:
    items = [a.model_dump(mode="json", exclude_defaults=True) for a in accounts]
    for item, account in zip(items, accounts, strict=True):
        item["id"], item["platform"] = account.id, account.platform  # always explicit
    header = (
        "# socmon accounts registry, imported from CSV. Keys: see config/accounts.example.yaml\n"
    )
    return header + yaml.safe_dump({"accounts": items}, sort_keys=False, allow_unicode=True)


def write_atomically(path: Path, text: str, *, force: bool) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a registry."""
    if path.exists() and not force:
        raise UserError.one(str(path), "", "already exists; use --force to replace it")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError.one(str(path), "", f"cannot write: {exc.strerror}") from None


def to_csv(accounts: Sequence[Account]) -> str:
    """The registry as a spreadsheet, in the same columns `import` reads (a round trip)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in accounts:
        row = {k: str(getattr(a, k)) for k in SIMPLE}
        row["managers"] = "; ".join(a.managers)
        for prefix, person in zip(PRINCIPAL_COLUMNS, a.principals, strict=False):
            row.update({f"{prefix}_{f}": getattr(person, f) for f in ("name", "user_id", "email")})
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue()
