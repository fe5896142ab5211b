"""`socmon connect`: wired into the CLI; a platform without per-channel grants is a user error."""

from __future__ import annotations

import pytest

from socmon.cli import main


def test_connect_names_the_only_platform_with_grants_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["connect", "x", "hillcrest-x"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: socmon connect:x: only youtube takes a per-channel grant"]


def test_connect_is_listed_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["connect", "--help"])
    assert done.value.code == 0
    assert "Grant socmon read access to one channel" in capsys.readouterr().out
