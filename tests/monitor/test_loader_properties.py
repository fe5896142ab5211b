"""Property-based: whatever a file holds, loading it gives a valid object or one UserError
whose every problem names the file and a line or key; never another exception."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.csv_import import COLUMNS, read_csv
from monitor.errors import UserError
from monitor.registry import load_registry
from monitor.settings import Settings, load_settings
from tests.monitor.mutants import CSV_VALUES, TOML_VALUES, YAML_VALUES, bases
from tests.monitor.mutants import EXAMPLES as EXAMPLES_DIR

PLACE = re.compile(r"^(line \d+(:\d+)?( \([^)]*\))?|[A-Za-z_][\w.\[\]-]*)$")
BASE = bases()
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)


def _outcome(load, data: bytes, name: str) -> object:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        shutil.copy(EXAMPLES_DIR / "district-logo.png", Path(tmp) / "district-logo.png")
        try:
            return load(path)
        except UserError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.source == str(path), problem
                assert PLACE.match(problem.where), problem
            return exc


def _edited(base: str, values: list[str]):  # type: ignore[no-untyped-def]
    """The example with some lines replaced, dropped or given a hostile value."""
    lines = base.split("\n")
    edit = st.tuples(
        st.integers(0, len(lines) - 1),
        st.one_of(st.sampled_from(values), st.text(max_size=40), st.just(None)),
    )

    def apply(edits: list[tuple[int, str | None]]) -> bytes:
        out = list(lines)
        for index, value in edits:
            head = re.match(r"^(\s*(?:- )?[\w.-]+\s*[=:]\s*)", out[index])
            out[index] = "" if value is None else (head.group(1) if head else "") + value
        return "\n".join(out).encode("utf-8", "surrogatepass")

    return st.lists(edit, min_size=1, max_size=4).map(apply)


ANY_BYTES = st.binary(max_size=400)


@EXAMPLES
@given(st.one_of(_edited(BASE["toml"], TOML_VALUES), ANY_BYTES))
def test_a_config_file_loads_or_names_file_and_key(data: bytes) -> None:
    result = _outcome(load_settings, data, "socmon.toml")
    assert isinstance(result, Settings | UserError)


@EXAMPLES
@given(st.one_of(_edited(BASE["yaml"], YAML_VALUES), ANY_BYTES))
def test_a_registry_file_loads_or_names_file_and_line(data: bytes) -> None:
    result = _outcome(lambda p: load_registry(p, ["cmsd82.ca"]), data, "accounts.yaml")
    assert isinstance(result, list | UserError)


@st.composite
def _csv(draw: st.DrawFn) -> bytes:
    lines = BASE["csv"].rstrip("\n").split("\n")
    header = draw(st.lists(st.sampled_from([*COLUMNS, "x"]), min_size=1, max_size=16))
    rows = [lines[0] if draw(st.booleans()) else ",".join(header)]
    for line in lines[1 : 1 + draw(st.integers(0, 4))]:
        cells = line.split(",")
        for _ in range(draw(st.integers(0, 2))):
            cells[draw(st.integers(0, len(cells) - 1))] = draw(
                st.one_of(st.sampled_from(CSV_VALUES), st.text(max_size=20))
            )
        rows.append(",".join(cells[: draw(st.integers(1, len(cells) + 1))]))
    return "\n".join(rows).encode("utf-8", "surrogatepass")


@EXAMPLES
@given(st.one_of(_csv(), ANY_BYTES))
def test_a_csv_file_imports_or_names_file_and_line(data: bytes) -> None:
    result = _outcome(lambda p: read_csv(p, ["cmsd82.ca"]), data, "in.csv")
    assert isinstance(result, list | UserError)
