"""`socmon serve` / `socmon users`, and the hardened systemd unit."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store.db import make_engine, session_factory
from monitor.store.migrate import upgrade
from monitor.store.models import User
from socmon.cli import main
from socmon.cli.web import inherited_socket

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "socmon-web.service"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "accounts.yaml").write_text(
        "accounts:\n  - id: north-fb\n    platform: facebook\n    platform_id: '1'\n"
        "    school: North High\n    managers: [mia@lpsd.ca]\n"
    )
    path = tmp_path / "socmon.toml"
    path.write_text(
        f'state_dir = "{tmp_path}"\nregistry = "accounts.yaml"\n'
        '[district]\nname = "Lakes and Plains School District"\n'
        'signature_texts = ["Lakes and Plains"]\nemail_domains = ["lpsd.ca"]\n'
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'socmon.db'}")
    upgrade(engine)
    engine.dispose()
    for name in (
        "SOCMON_WEB_SECRET",
        "SOCMON_WEB_SECRET_FILE",
        "CREDENTIALS_DIRECTORY",
        "SOCMON_NEW_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    return path


def _run(*argv: str) -> int:
    try:
        main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _users(config: Path) -> list[User]:
    engine = make_engine(f"sqlite:///{config.parent / 'socmon.db'}")
    with session_factory(engine)() as s:
        users = list(s.scalars(select(User)))
    engine.dispose()
    return users


def test_serve_without_the_secret_key_fails_with_one_line_and_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("serve", "--config", str(config)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert (
        err[0].startswith("error: ")
        and "SOCMON_WEB_SECRET" in err[0]
        and "web.secret_key_secret" in err[0]
    )


def test_serve_refuses_a_short_secret_key(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCMON_WEB_SECRET", "short")
    assert _run("serve", "--config", str(config)) == 2
    err = capsys.readouterr().err
    assert "shorter than 32 characters" in err and "short\n" not in err


def test_users_add_reads_the_password_from_the_environment_and_stores_argon2id(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOCMON_NEW_PASSWORD", "a long enough password")
    assert _run("users", "add", "Comms@LPSD.ca", "--role", "comms", "--config", str(config)) == 0
    [user] = _users(config)
    assert (user.email, user.role) == ("comms@lpsd.ca", "comms")
    assert user.password_hash.startswith("$argon2id$")
    assert _run("users", "list", "--config", str(config)) == 0
    out = capsys.readouterr().out
    assert (
        "comms@lpsd.ca\tcomms\tactive" in out and "argon2" not in out and "long enough" not in out
    )


def test_users_add_reads_a_password_file_and_refuses_a_duplicate(
    config: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("another long password\n")
    args = (
        "users",
        "add",
        "mia@lpsd.ca",
        "--role",
        "manager",
        "--password-file",
        str(secret),
        "--config",
        str(config),
    )
    assert _run(*args) == 0
    assert _run(*args) == 2
    assert _run(*args, "--update") == 0
    assert len(_users(config)) == 1


def test_users_add_refuses_a_short_password_and_an_unknown_role(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCMON_NEW_PASSWORD", "short")
    assert _run("users", "add", "it@lpsd.ca", "--role", "it", "--config", str(config)) == 2
    monkeypatch.setenv("SOCMON_NEW_PASSWORD", "a long enough password")
    assert _run("users", "add", "it@lpsd.ca", "--role", "admin", "--config", str(config)) == 2
    assert _users(config) == []


def test_serve_takes_the_socket_systemd_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    saved = os.dup(3) if _fd_open(3) else None
    os.dup2(listener.fileno(), 3)
    try:
        monkeypatch.setenv("LISTEN_PID", str(os.getpid()))
        monkeypatch.setenv("LISTEN_FDS", "1")
        sock = inherited_socket()
        assert sock is not None and sock.getsockname() == listener.getsockname()
        assert "LISTEN_FDS" not in os.environ
        sock.detach()
    finally:
        if saved is not None:
            os.dup2(saved, 3)
            os.close(saved)
        else:
            os.close(3)
        listener.close()


def _fd_open(fd: int) -> bool:
    import os

    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def test_no_socket_is_taken_when_systemd_passed_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTEN_PID", "1")
    monkeypatch.setenv("LISTEN_FDS", "1")
    assert inherited_socket() is None


def test_the_web_unit_is_hardened_to_an_exposure_of_at_most_0_5() -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNIT)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout + result.stderr)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 0.5
