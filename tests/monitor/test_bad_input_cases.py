"""The cases of issue 12: each bad input is one line naming where, exit 2, nothing written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_bad_input import GOOD_ACCOUNT, GOOD_TOML, run, write

from monitor.logfmt import quote

Capsys = pytest.CaptureFixture[str]


def files_under(folder: Path, *, but: str = "") -> set[str]:
    names = {str(p.relative_to(folder)) for p in folder.rglob("*")}
    return {n for n in names if not (but and n.startswith(but))}


def validate(tmp_path: Path, capsys: Capsys, toml: str = GOOD_TOML, registry: str | None = None):  # type: ignore[no-untyped-def]
    config = write(tmp_path, toml, registry)
    return config, *run("accounts", "validate", "--config", str(config), capsys=capsys)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (
            'registry = "/dev/zero"',
            "registry: registry '/dev/zero' is a device, not a regular file",
        ),
        ('registry = ""', "registry: is empty"),
        ('registry = "."', "is a directory"),
        ("registry = 'fifo'", "is a FIFO, not a regular file"),
    ],
)
def test_a_registry_that_is_not_a_regular_file_names_the_config_key(
    line: str, key: str, tmp_path: Path, capsys: Capsys
) -> None:
    os.mkfifo(tmp_path / "fifo")  # opening it must not wait for a writer
    toml = GOOD_TOML.replace('registry = "accounts.yaml"', line)
    config, code, err = validate(tmp_path, capsys, toml)
    assert code == 2
    assert err.startswith(f"error: {config}:registry: ") and key in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("name", ["/dev/zero", "fifo", "."])
def test_a_config_or_csv_that_is_not_a_regular_file_is_one_line(
    name: str, tmp_path: Path, capsys: Capsys
) -> None:
    os.mkfifo(tmp_path / "fifo")
    path = name if name.startswith("/") else str(tmp_path / name)
    code, err = run("accounts", "validate", "--config", path, capsys=capsys)
    assert code == 2 and err.startswith(f"error: {path}") and len(err.splitlines()) == 1
    config = write(tmp_path)
    code, err = run("accounts", "import", path, "--config", str(config), capsys=capsys)
    assert code == 2 and err.startswith(f"error: {path}") and len(err.splitlines()) == 1


def test_a_registry_over_the_size_limit_is_refused_naming_the_key(
    tmp_path: Path, capsys: Capsys
) -> None:
    body = "accounts:\n" + GOOD_ACCOUNT + "# " + "x" * (1024 * 1024) + "\n"
    config, code, err = validate(tmp_path, capsys, GOOD_TOML + "", body)
    assert code == 0, err  # under the default 50 MB
    toml = GOOD_TOML.replace(
        'registry = "accounts.yaml"', 'registry = "accounts.yaml"\nregistry_max_mb = 1'
    )
    config, code, err = validate(tmp_path, capsys, toml, body)
    assert code == 2 and f"{config}:registry: " in err and "larger than 1,048,576 bytes" in err


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            (
                "[platforms.facebook]\n",
                '[platforms.facebook]\napi_version = "v' + "9" * 100_000 + '"\n',
            ),
            "platforms.facebook.api_version: String should have at most 64",
        ),
        (
            ("[platforms.facebook]\n", '[platforms.facebook]\nbusiness_id = "1/../x"\n'),
            "platforms.facebook.business_id",
        ),
        (
            ("http://127.0.0.1:9", "http://127.0.0.1:9/a b"),
            "platforms.facebook.base_url: contains a space",
        ),
        (
            ("http://127.0.0.1:9", "javascript:alert(1)//"),
            "platforms.facebook.base_url: must start with http",
        ),
        (
            ("[district]\n", '[district]\nit_contact = "itcmsd82.ca"\n'),
            "district.it_contact: 'itcmsd82.ca' is not an email",
        ),
        (
            ("[district]\n", '[district]\ncommunications = ["c@gmail.com"]\n'),
            "district.communications: c@gmail.com is not in the district's email_domains",
        ),
        (
            ("[district]\n", '[district]\nit_contact = "it@cmsd82.ca.evil.com"\n'),
            "district.it_contact: it@cmsd82.ca.evil.com is not in",
        ),
        (
            ('name = "Coast Mountains School District 82"', 'name = "' + "S" * 300 + '"'),
            "district.name: String should have at most 200",
        ),
        (
            "\n[smtp]\nhost = 'relay'\nsender = 'socmon@cmsd-82.ca'\n",
            "smtp.sender: socmon@cmsd-82.ca is not in",
        ),
        ("\n[smtp]\nhost = 'a b'\n", "smtp.host: 'a b' is not a host name"),
        ("\n[web]\npublic_url = 'javascript:alert(1)//'\n", "web.public_url: must start with http"),
        ("\n[web]\npublic_url = 'http://socmon.cmsd82.ca'\n", "web.public_url: must be https://"),
        ("\n[web]\nhost = ''\n", "web.host: is empty"),
        ("\n[metrics]\nhost = ''\n", "metrics.host: is empty"),
        ('database_url = "mysql://x"\n', "database_url: only sqlite"),
        ('database_url = "::not a url"\n', "database_url: not a database URL"),
        ("\n[digest]\nmax_attempts = 99999999999999999999\n", "digest.max_attempts"),
        (('state_dir = "state"', 'state_dir = "socmon.toml"'), "state_dir: "),
    ],
)
def test_every_config_value_is_checked_where_it_is_read(
    edit: tuple[str, str] | str, expected: str, tmp_path: Path, capsys: Capsys
) -> None:
    if isinstance(edit, tuple):
        toml = GOOD_TOML.replace(*edit)
    elif edit.startswith("database_url"):
        toml = edit + GOOD_TOML
    else:
        toml = GOOD_TOML + edit
    config, code, err = validate(tmp_path, capsys, toml)
    assert code == 2
    assert f"error: {config}:{expected}" in err
    assert len(err) < 1000  # the 100,000 characters are not echoed back


@pytest.mark.parametrize(
    "edit",
    [
        "\n[web]\npublic_url = 'https://socmon.cmsd82.ca'\n",
        "\n[web]\npublic_url = 'http://127.0.0.1:8080'\nhost = '0.0.0.0'\n",
        "\n[smtp]\nhost = 'relay.cmsd82.ca'\nsender = 'socmon@cmsd82.ca'\n",
    ],
)
def test_good_values_of_the_checked_keys_pass(edit: str, tmp_path: Path, capsys: Capsys) -> None:
    _, code, err = validate(tmp_path, capsys, GOOD_TOML + edit)
    assert (code, err) == (0, "")


def test_a_config_with_a_bom_is_read(tmp_path: Path, capsys: Capsys) -> None:
    config = write(tmp_path)
    config.write_text("\ufeff" + GOOD_TOML, encoding="utf-8")
    assert run("accounts", "validate", "--config", str(config), capsys=capsys) == (0, "")


def test_validate_says_it_checked_the_whole_config(tmp_path: Path, capsys: Capsys) -> None:
    config = write(tmp_path)
    code, _ = run("accounts", "validate", "--config", str(config), capsys=capsys)
    assert code == 0
    # run() consumed the output; validate again to read stdout.
    with pytest.raises(SystemExit):
        from socmon.cli import main

        main(["accounts", "validate", "--config", str(config)])
    out = capsys.readouterr().out
    for section in ("database_url", "state_dir", "smtp", "web", "registry"):
        assert section in out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD_ACCOUNT + "    managers: [b@cmsd82.ca]\n", "line 7: key 'managers' appears twice"),
        (
            GOOD_ACCOUNT + "    principals:\n      - nmae: Ann\n",
            "line 8 (accounts[0].principals[0].nmae): unknown key",
        ),
        (
            GOOD_ACCOUNT + "    principals:\n      - nmae: Ann\n",
            "(accounts[0].principals[0].name): required key is missing",
        ),
        (GOOD_ACCOUNT + "    website: https://a b\n", "(accounts[0].website): contains a space"),
        (
            GOOD_ACCOUNT.replace("Hillcrest Elementary", "S" * 300),
            "(accounts[0].school): String should have at most 200",
        ),
        ("  - " + "[" * 600 + "]" * 600 + "\n", "line 2: nested more than"),
        (
            GOOD_ACCOUNT + "    approval: !!python/object/apply:os.system [true]\n",
            "line 7: YAML tag",
        ),
        (GOOD_ACCOUNT.replace("    platform:", "  platform:"), "line 3:"),
        (GOOD_ACCOUNT + "    approval: a\x00b\n", "line 7:16: NUL byte"),
    ],
)
def test_a_bad_registry_names_the_full_path_and_the_right_line(
    body: str, expected: str, tmp_path: Path, capsys: Capsys
) -> None:
    _, code, err = validate(tmp_path, capsys, registry="accounts:\n" + body)
    assert code == 2
    assert f"{tmp_path / 'accounts.yaml'}:" in err and expected in err
    assert "Traceback" not in err and len(err.splitlines()) <= 3


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: Path, capsys: Capsys) -> None:
    levels = "".join(
        f"x{i}: &x{i} [*x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}, *x{i - 1}]\n"
        for i in range(1, 10)
    )
    body = (
        GOOD_ACCOUNT
        + "    approval:\n      x0: &x0 [a]\n"
        + "".join("      " + line for line in levels.splitlines(keepends=True))
    )
    _, code, err = validate(tmp_path, capsys, registry="accounts:\n" + body)
    assert code == 2 and "expands to more than 10,000 values" in err


def test_a_yaml_syntax_error_is_reported_where_the_broken_construct_starts(
    tmp_path: Path, capsys: Capsys
) -> None:
    body = GOOD_ACCOUNT.replace("managers: [j.smith@cmsd82.ca]", "managers: [j.smith@cmsd82.ca")
    _, code, err = validate(tmp_path, capsys, registry="accounts:\n" + body + GOOD_ACCOUNT)
    assert code == 2 and "accounts.yaml:line 6:" in err


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        ("id,platform,platform_id,school,managers,id\n", "line 1: column 'id' appears twice"),
        (
            "id,platform,platform_id,school,managers\nhill-fb,facebook,1,Hill\n",
            "line 2: fewer cells (4) than columns (5)",
        ),
        (
            "id,platform,platform_id,school,managers\n=1+1,facebook,1,Hill,a@cmsd82.ca\n",
            "line 2 (id)",
        ),
    ],
)
def test_a_csv_with_duplicate_columns_or_short_rows_is_refused(
    csv: str, expected: str, tmp_path: Path, capsys: Capsys
) -> None:
    config = write(tmp_path)
    (tmp_path / "in.csv").write_text(csv, encoding="utf-8")
    code, err = run(
        "accounts", "import", str(tmp_path / "in.csv"), "--config", str(config), capsys=capsys
    )
    assert code == 2 and expected in err


def test_a_missing_csv_column_is_reported_once(tmp_path: Path, capsys: Capsys) -> None:
    config = write(tmp_path)
    rows = "".join(f"h{i}-fb,facebook,{i},Hill\n" for i in range(5))
    (tmp_path / "in.csv").write_text("id,platform,platform_id,school\n" + rows, encoding="utf-8")
    code, err = run(
        "accounts", "import", str(tmp_path / "in.csv"), "--config", str(config), capsys=capsys
    )
    assert code == 2 and err.count("managers") == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "lapses",
                "mute",
                "99999999999999999999999",
                "--reason",
                "r",
                "--by",
                "a@cmsd82.ca",
                "--until",
                "2030-01-01",
            ],
            "'lapse_id'",
        ),
        (
            [
                "lapses",
                "mute",
                "0",
                "--reason",
                "r",
                "--by",
                "a@cmsd82.ca",
                "--until",
                "2030-01-01",
            ],
            "'lapse_id'",
        ),
        (["lapses", "list", "--bogus"], "--bogus"),
        (["accounts", "import"], "'csv_file'"),
        (["serve", "--port", "70000"], "'--port'"),
        (["lapses", "list", "--format", "xml"], "'--format'"),
    ],
)
def test_usage_errors_are_one_line_naming_the_argument(
    args: list[str], expected: str, capsys: Capsys
) -> None:
    code, err = run(*args, capsys=capsys)
    assert code == 2
    assert (
        len(err.strip().splitlines()) == 1 and expected in err and err.startswith("error: socmon")
    )


def test_demo_refuses_a_state_dir_that_is_a_file(tmp_path: Path, capsys: Capsys) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    code, err = run("demo", "--state-dir", str(tmp_path / "f"), capsys=capsys)
    assert code == 2 and "--state-dir: is a file, not a folder" in err


@pytest.mark.parametrize("command", [["check"], ["status"], ["digest"], ["lapses", "list"]])
def test_commands_on_a_new_state_folder_create_nothing(
    command: list[str], tmp_path: Path, capsys: Capsys
) -> None:
    config = write(tmp_path)
    before = files_under(tmp_path)
    code, err = run(*command, "--config", str(config), capsys=capsys)
    assert code == 2 and f"{config}:state_dir: no database at" in err
    assert files_under(tmp_path) == before


def test_export_with_force_replaces_only_a_regular_file(tmp_path: Path, capsys: Capsys) -> None:
    config = write(tmp_path)
    assert run("db", "upgrade", "--config", str(config), capsys=capsys)[0] == 0
    (tmp_path / "adir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "real.csv").write_text("old", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    before = files_under(tmp_path, but="state/")
    for name, why in [
        ("adir", "is a directory"),
        ("fifo", "not a regular file"),
        ("link.csv", "symbolic link"),
    ]:
        code, err = run(
            "lapses",
            "export",
            str(tmp_path / name),
            "--force",
            "--config",
            str(config),
            capsys=capsys,
        )
        assert code == 2 and why in err
    assert files_under(tmp_path, but="state/") == before  # no .adir.XXXX left behind
    assert stat.S_ISFIFO((tmp_path / "fifo").lstat().st_mode)
    code, _ = run(
        "lapses",
        "export",
        str(tmp_path / "real.csv"),
        "--force",
        "--config",
        str(config),
        capsys=capsys,
    )
    assert code == 0 and (tmp_path / "real.csv").read_text(encoding="utf-8").startswith("id,")
    assert files_under(tmp_path, but="state/") == before


def test_socmon_creates_its_files_0600_in_0700_folders(tmp_path: Path, capsys: Capsys) -> None:
    config = write(tmp_path)
    old = os.umask(0o022)
    try:
        assert run("db", "upgrade", "--config", str(config), capsys=capsys)[0] == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state" / "socmon.db").stat().st_mode) == 0o600


def test_accounts_list_as_csv_neutralises_formula_cells(tmp_path: Path, capsys: Capsys) -> None:
    config = write(
        tmp_path, registry="accounts:\n" + GOOD_ACCOUNT + "    approval: '=HYPERLINK(\"x\")'\n"
    )
    from socmon.cli import main

    with pytest.raises(SystemExit):
        main(["accounts", "list", "--format", "csv", "--config", str(config)])
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out and ",=HYPERLINK" not in out


def test_control_characters_in_a_log_value_are_escaped() -> None:
    assert quote("/x\x1b[31m\x00\x85") == '"/x\\x1b[31m\\x00\\x85"'
    assert "\n" not in quote("a\nb") and "\x1b" not in quote("\x1b")


def test_a_formula_cell_round_trips_through_list_and_import(tmp_path: Path, capsys: Capsys) -> None:
    config = write(tmp_path, registry="accounts:\n" + GOOD_ACCOUNT + "    approval: '=1+1'\n")
    from socmon.cli import main

    with pytest.raises(SystemExit):
        main(["accounts", "list", "--format", "csv", "--config", str(config)])
    (tmp_path / "list.csv").write_text(capsys.readouterr().out, encoding="utf-8")
    out = tmp_path / "back.yaml"
    code, err = run(
        "accounts", "import", str(tmp_path / "list.csv"), "--config", str(config), "-o", str(out),
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "approval: =1+1" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b"a = 1\nb = \xff\n", "line 2:5: not valid UTF-8"),
        (b"a = 1\n\nb = \x00\n", "line 3:5: NUL byte"),
    ],
)
def test_bad_bytes_are_reported_at_line_and_column(data: bytes, where: str, tmp_path: Path) -> None:
    from monitor.errors import UserError
    from monitor.inputs import read_text

    (tmp_path / "f").write_bytes(data)
    with pytest.raises(UserError) as info:
        read_text(tmp_path / "f", what="config", max_bytes=100)
    assert str(info.value).startswith(f"{tmp_path / 'f'}:{where}")


def test_a_bom_is_dropped_in_every_reader(tmp_path: Path) -> None:
    from monitor.inputs import read_text

    (tmp_path / "f").write_bytes(b"\xef\xbb\xbfaccounts:\n")
    assert read_text(tmp_path / "f", what="registry", max_bytes=100) == "accounts:\n"


def test_a_csv_listing_refuses_to_drop_a_third_principal(tmp_path: Path, capsys: Capsys) -> None:
    people = "".join(f"      - name: P{i}\n" for i in range(3))
    config = write(tmp_path, registry="accounts:\n" + GOOD_ACCOUNT + "    principals:\n" + people)
    code, err = run("accounts", "list", "--format", "csv", "--config", str(config), capsys=capsys)
    assert code == 2 and "hillcrest-fb has 3 principals and a CSV holds 2" in err
