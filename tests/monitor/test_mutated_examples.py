"""Hundreds of broken copies of the example files: exit 0 or one line per problem naming the
file and the line or key, exit 2, no traceback, nothing written (cases: tests/monitor/mutants.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.monitor.mutants import KINDS, bases, try_case

CASES = 200


@pytest.mark.parametrize("kind", KINDS)
def test_every_broken_copy_of_an_example_file_exits_2_naming_the_place_and_writes_nothing(
    kind: str, tmp_path: Path
) -> None:
    base = bases()
    outcomes = [try_case(kind, base, case, tmp_path / str(case)) for case in range(CASES)]
    bad = [o for o in outcomes if not o.ok]
    assert not bad, "\n".join(
        f"case {o.case}: exit {o.code} {o.errors[:2]} {o.written[:2]}" for o in bad
    )
    # The mutations really break things: most copies are refused, none silently.
    assert sum(o.code == 2 for o in outcomes) > CASES // 2
