"""Broken copies of the example files, made deterministically, and what socmon does with each.

    .venv/bin/python -m tests.monitor.mutants [--cases 300]

prints the README's table: for each file, the cases tried, how many are still valid
(exit 0), how many exit 2 naming the file and the line or key on every error line,
tracebacks, and files written on exit 2. tests/monitor/test_mutated_examples.py runs
the same cases and asserts the promise for each.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from socmon.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "config"
SEED = 12
KINDS = ("toml", "yaml", "csv")
BIG = "x" * 100_000

TOML_VALUES = [
    '""', f'"{BIG}"', "-1", "0", "99999999999999999999", "1e400", "nan", "true", "[]",
    '[1, "a"]', "{ a = 1 }", '"javascript:alert(1)//"', '"http://a b"', '"itcmsd82.ca"',
    '"x@gmail.com"', '"/dev/zero"', '"."', '"\\u0000"', '"\\u001b[31m"', '"Mars/Olympus"',
    '"0.0.0.0"', '"ftp://x"', "1979-05-27", '"é"', '"' + "é" * 300 + '"', '"a b"',
    '"it@cmsd82.ca.evil.com"', '"../../../../etc"', '"http://[::1"', '"http://h:99999"',
]  # fmt: skip
YAML_VALUES = [
    "", f'"{BIG}"', "-1", "[a, b]", "{a: 1}", '!!python/object/apply:os.system ["true"]',
    "!custom x", "*undefined", '"javascript:alert(1)"', '"http://a b"', "x@gmail.com", "null",
    "true", "2024-01-01", '"\\0"', '"\\e[31m"', "y" * 300, "&a [1, 2]", "[" * 50, "|\n  text",
    "'unclosed", "x@cmsd82.ca.evil.com", "https://", "0x1F", ".inf", "- a", "{", "? a",
]  # fmt: skip
CSV_VALUES = [
    "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", BIG, "", "x@gmail.com", "http://a b",
    '"unbalanced', "a,b", "é" * 300, "\x1b[31m", "Form; 2", "facebook_group", "javascript:x",
]  # fmt: skip
GARBAGE = [b"\xff\xfe", b"\x00", b"\xc3", b"\x1b[2J", b"\r", b"\t", b"\x7f", "\u2028".encode()]


@dataclass(frozen=True)
class Outcome:
    kind: str
    case: int
    code: int
    errors: list[str]
    traceback: bool
    named: bool  # every error line names the file and a line or key
    written: list[str]  # files created or changed on exit 2

    @property
    def ok(self) -> bool:
        if self.traceback or self.code not in (0, 2):
            return False
        return self.code == 0 or (self.named and not self.written and bool(self.errors))


def _lines_op(rng: random.Random, text: str, values: list[str]) -> str:
    if not text:
        return rng.choice(values)
    lines = text.split("\n")
    index = rng.randrange(len(lines))
    op = rng.randrange(7)
    if op == 0:
        del lines[index]
    elif op == 1:
        lines.insert(index, lines[index])
    elif op == 2:
        other = rng.randrange(len(lines))
        lines[index], lines[other] = lines[other], lines[index]
    elif op == 3:  # a value replaced
        keyed = [i for i, line in enumerate(lines) if re.match(r"^\s*[-\w]+\s*[=:]", line)]
        index = rng.choice(keyed) if keyed else index
        head = re.match(r"^(\s*(?:- )?[\w.-]+\s*[=:]\s*)", lines[index])
        lines[index] = (head.group(1) if head else "") + rng.choice(values)
    elif op == 4:  # a key misspelt
        lines[index] = re.sub(r"(\w)(\w)", r"\2\1", lines[index], count=1)
    elif op == 5:  # indentation changed
        lines[index] = rng.choice(["  ", "\t", ""]) + lines[index].lstrip()
    else:
        return text[: rng.randrange(len(text))]  # truncated
    return "\n".join(lines)


def _csv_op(rng: random.Random, text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 2 or not text:
        return text + rng.choice(CSV_VALUES)
    index = rng.randrange(1, len(lines))
    cells = lines[index].split(",")
    op = rng.randrange(6)
    if op == 0:  # a cell dropped: a short row
        del cells[rng.randrange(len(cells))]
    elif op == 1:
        cells[rng.randrange(len(cells))] = rng.choice(CSV_VALUES)
    elif op == 2:  # a header column duplicated, dropped or renamed
        header = lines[0].split(",")
        which = rng.randrange(len(header))
        choice = rng.randrange(3)
        if choice == 0:
            header.append(header[which])
        elif choice == 1:
            del header[which]
        else:
            header[which] += "s"
        lines[0] = ",".join(header)
        return "\n".join(lines) + "\n"
    elif op == 3:
        lines.insert(index, lines[index])  # the same account twice
        return "\n".join(lines) + "\n"
    elif op == 4:
        return text[: rng.randrange(1, len(text))]
    else:
        cells.append(rng.choice(CSV_VALUES))
    lines[index] = ",".join(cells)
    return "\n".join(lines) + "\n"


def _special(rng: random.Random, kind: str) -> str | None:
    """Whole-file cases no line edit makes: nesting, alias bombs, tags, duplicate keys."""
    pick = rng.randrange(40)
    if kind == "yaml" and pick == 0:
        return "accounts:\n  - " + "[" * 600 + "]" * 600 + "\n"
    if kind == "yaml" and pick == 1:
        bomb = "".join(f"  - &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}]\n" for i in range(1, 12))
        return "x: &l0 [a]\naccounts:\n  - id: b\n    managers:\n" + bomb.replace(
            "  - ", "      - "
        )
    if kind == "toml" and pick == 0:
        return "x = " + "[" * 5000 + "]" * 5000 + "\n"
    if kind == "yaml" and pick == 2:
        return "accounts:\naccounts:\n"
    return None


def mutate(kind: str, base: str, case: int) -> bytes:
    """The `case`-th broken copy of `base` (same seed, same copies, on every machine)."""
    rng = random.Random(f"{SEED}-{kind}-{case}")
    special = _special(rng, kind)
    if special is not None:
        return special.encode()
    text = base
    for _ in range(rng.choice((1, 1, 2, 3))):
        if kind == "csv":
            text = _csv_op(rng, text)
        else:
            text = _lines_op(rng, text, TOML_VALUES if kind == "toml" else YAML_VALUES)
    data = text.encode()
    if rng.random() < 0.1:
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.choice(GARBAGE) + data[at:]
    if rng.random() < 0.1:
        data = b"\xef\xbb\xbf" + data
    return data


def bases() -> dict[str, str]:
    toml = (EXAMPLES / "socmon.example.toml").read_text(encoding="utf-8")
    toml = toml.replace('state_dir = "/var/lib/socmon"', 'state_dir = "state"')
    toml = toml.replace('registry = "accounts.example.yaml"', 'registry = "accounts.yaml"')
    yaml_text = (EXAMPLES / "accounts.example.yaml").read_text(encoding="utf-8")
    from monitor.csv_import import to_csv
    from monitor.registry import load_registry

    accounts = load_registry(EXAMPLES / "accounts.example.yaml", ["cmsd82.ca"])
    return {"toml": toml, "yaml": yaml_text, "csv": to_csv(accounts)}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }


def _run(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


PLACE = r"(line \d+(:\d+)?( \([^)]*\))?|[A-Za-z_][\w.\[\]-]*)"


def try_case(kind: str, base: dict[str, str], case: int, folder: Path) -> Outcome:
    """Write the world with one broken file, run the commands that read it, judge the result."""
    folder.mkdir(parents=True, exist_ok=True)
    config, registry, csv_file = folder / "socmon.toml", folder / "accounts.yaml", folder / "in.csv"
    shutil.copy(EXAMPLES / "district-logo.png", folder / "district-logo.png")
    config.write_text(base["toml"], encoding="utf-8")
    registry.write_text(base["yaml"], encoding="utf-8")
    target = {"toml": config, "yaml": registry, "csv": csv_file}[kind]
    target.write_bytes(mutate(kind, base[kind], case))
    before = _snapshot(folder)
    if kind == "csv":
        runs = [["accounts", "import", str(csv_file), "--config", str(config), "-o", "out.yaml"]]
        runs[0][-1] = str(folder / "out.yaml")
    else:
        runs = [["accounts", "validate", "--config", str(config)]]
    code, err = _run(runs[0])
    if code == 2 and kind != "csv":
        # The same broken file under `check`: still exit 2, and no database or folder made.
        code2, err2 = _run(["check", "--config", str(config)])
        code, err = (code2, err + err2) if code2 != 2 else (code, err + err2)
    errors = [line for line in err.splitlines() if line.strip()]
    pattern = re.compile(rf"^error: {re.escape(str(target))}:{PLACE}: \S")
    return Outcome(
        kind=kind,
        case=case,
        code=code,
        errors=errors,
        traceback="Traceback" in err,
        named=all(pattern.match(line) for line in errors),
        written=sorted(set(_snapshot(folder).items()) - set(before.items())) if code == 2 else [],  # type: ignore[arg-type]
    )


def table(outcomes: list[Outcome]) -> str:
    rows = [
        "| file | cases tried | still valid (exit 0) | exit 2 | exit 2 naming file and line or key | tracebacks | files written on exit 2 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    names = {
        "toml": "socmon.example.toml",
        "yaml": "accounts.example.yaml",
        "csv": "accounts CSV (`accounts list --format csv` of the example)",
    }
    for kind in KINDS:
        mine = [o for o in outcomes if o.kind == kind]
        twos = [o for o in mine if o.code == 2]
        named = [o for o in twos if o.named and o.errors]
        share = f"{100 * len(named) / len(twos):.0f} %" if twos else "—"
        rows.append(
            f"| {names[kind]} | {len(mine)} | {sum(o.code == 0 for o in mine)} | {len(twos)} | "
            f"{len(named)} ({share}) | {sum(o.traceback for o in mine)} | "
            f"{sum(bool(o.written) for o in twos)} |"
        )
    return "\n".join(rows)


def run_all(
    cases: int, folder: Path, on_case: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    base = bases()
    outcomes = []
    for kind in KINDS:
        for case in range(cases):
            outcome = try_case(kind, base, case, folder / f"{kind}-{case}")
            outcomes.append(outcome)
            if on_case:
                on_case(outcome)
    return outcomes


def _main() -> None:
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_all(args.cases, Path(tmp))
    print(table(outcomes))
    for o in outcomes:
        if not o.ok:
            print(o.kind, o.case, o.code, o.errors[:3], o.written[:3])


if __name__ == "__main__":
    _main()
