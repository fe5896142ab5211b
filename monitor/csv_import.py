"""`socmon accounts import`: a spreadsheet export (CSV) turned into registry YAML.

Each problem names the CSV line. Nothing is written unless every row is valid,
and an existing registry is never overwritten without --force.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from monitor.csv_io import read_rows, write_csv
from monitor.errors import UserError
from monitor.inputs import DATA_MAX_BYTES, read_text
from monitor.outputs import write_atomically
from monitor.registry import Account, validate_accounts

__all__ = ["COLUMNS", "read_csv", "to_csv", "to_yaml", "write_atomically"]

PRINCIPAL_COLUMNS = ("principal", "assistant_principal")
SIMPLE = ("id", "platform", "platform_id", "school", "kind", "audience", "website", "approval")
COLUMNS = (
    *SIMPLE,
    "managers",
    *(f"{p}_{f}" for p in PRINCIPAL_COLUMNS for f in ("name", "user_id", "email")),
)
REQUIRED = ("id", "platform", "platform_id", "school", "managers")


def read_csv(
    path: Path, email_domains: Sequence[str], *, max_bytes: int = DATA_MAX_BYTES
) -> list[Account]:
    """Parse and validate the CSV; raise UserError with one problem per mistake."""
    src = str(path)
    text = read_text(path, what="CSV", max_bytes=max_bytes)
    lines: list[int] = []

    def items() -> Iterator[dict[str, Any]]:
        # One row at a time: a 50 MB export never exists as a list of dicts beside its accounts.
        for row in read_rows(text, src, columns=COLUMNS, required=REQUIRED):
            lines.append(row.line)
            yield _to_account(row.cells)

    def place(index: int, loc: tuple[str | int, ...]) -> str:
        return f"line {lines[index]} ({_column(loc)})" if loc else f"line {lines[index]}"

    accounts = validate_accounts(src, items(), email_domains, place)
    if not accounts:
        raise UserError.one(src, "line 2", "no accounts: the file has a header row only")
    return accounts


def _column(loc: tuple[str | int, ...]) -> str:
    """The CSV column a registry key came from: principals[1].email -> assistant_principal_email."""
    if loc[0] == "principals" and len(loc) >= 3 and isinstance(loc[1], int):
        prefix = PRINCIPAL_COLUMNS[loc[1]] if loc[1] < len(PRINCIPAL_COLUMNS) else "principal"
        return f"{prefix}_{loc[2]}"
    return str(loc[0])


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


def to_csv(accounts: Sequence[Account]) -> str:
    """The registry as a spreadsheet, in the same columns `import` reads (a round trip)."""
    rows = []
    for a in accounts:
        if len(a.principals) > len(PRINCIPAL_COLUMNS):
            # The spreadsheet has columns for two; dropping the others would lose them silently.
            raise UserError.one(
                "--format",
                "",
                f"account {a.id} has {len(a.principals)} principals and a CSV holds "
                f"{len(PRINCIPAL_COLUMNS)}: use --format json",
            )
        row = {k: str(getattr(a, k)) for k in SIMPLE}
        row["managers"] = "; ".join(a.managers)
        for prefix, person in zip(PRINCIPAL_COLUMNS, a.principals, strict=False):
            row.update({f"{prefix}_{f}": getattr(person, f) for f in ("name", "user_id", "email")})
        rows.append([row.get(c, "") for c in COLUMNS])
    return write_csv(COLUMNS, rows)
