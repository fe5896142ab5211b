"""A user's mistake: one line per problem naming the file and key or line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from socmon.cli import main

GOOD_TOML = """
state_dir = "state"
registry = "accounts.yaml"
[district]
name = "Coast Mountains School District 82"
signature_texts = ["Coast Mountains School District 82"]
email_domains = ["cmsd82.ca"]
timezone = "America/Vancouver"
[platforms.facebook]
base_url = "http://127.0.0.1:9"
token_secret = "SOCMON_FACEBOOK_TOKEN"
"""

GOOD_ACCOUNT = """  - id: hillcrest-fb
    platform: facebook
    platform_id: "100"
    school: Hillcrest Elementary
    managers: [j.smith@cmsd82.ca]
"""

GOOD_CSV_HEADER = "id,platform,platform_id,school,managers,principal_name,principal_email\n"


def run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return int(exit_info.value.code or 0), err


def write(tmp_path: Path, toml: str = GOOD_TOML, registry: str | None = None) -> Path:
    (tmp_path / "accounts.yaml").write_text(
        registry if registry is not None else "accounts:\n" + GOOD_ACCOUNT, encoding="utf-8"
    )
    config = tmp_path / "socmon.toml"
    config.write_text(toml, encoding="utf-8")
    return config


def test_a_valid_config_and_registry_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run("accounts", "validate", "--config", str(write(tmp_path)), capsys=capsys)
    assert (code, err) == (0, "")


BAD_CONFIGS = {
    "unknown_key": (GOOD_TOML + "colour = 'blue'\n", "colour: unknown key"),
    "misspelt_section_key": (
        GOOD_TOML.replace("timezone =", "time_zone ="),
        "district.time_zone: unknown key",
    ),
    "bad_timezone": (
        GOOD_TOML.replace("America/Vancouver", "Mars/Olympus"),
        "district.timezone: unknown time zone 'Mars/Olympus'",
    ),
    "missing_district": ('state_dir = "s"\n', "district: required key is missing"),
    "not_toml": ("[district\nname=", "not valid TOML"),
    "domain_is_an_email": (
        GOOD_TOML.replace('["cmsd82.ca"]', '["it@cmsd82.ca"]'),
        "district.email_domains",
    ),
    "base_url_without_scheme": (
        GOOD_TOML.replace("http://127.0.0.1:9", "graph.facebook.com"),
        "platforms.facebook.base_url",
    ),
    "secret_value_instead_of_a_name": (
        GOOD_TOML.replace('"SOCMON_FACEBOOK_TOKEN"', '"EAAB-real-token-value"'),
        "platforms.facebook.token_secret",
    ),
    "unknown_platform": (
        GOOD_TOML + "[platforms.myspace]\nbase_url='http://x'\n",
        "platforms.myspace",
    ),
    "facebook_key_under_x": (
        GOOD_TOML + "[platforms.x]\nbase_url = 'http://127.0.0.1:9'\nbusiness_id = '82'\n",
        "platforms.x.business_id: unknown key",
    ),
    "youtube_key_under_instagram": (
        GOOD_TOML + "[platforms.instagram]\nbase_url = 'http://127.0.0.1:9'\ndaily_quota = 5\n",
        "platforms.instagram.daily_quota: unknown key",
    ),
    "graph_key_under_youtube": (
        GOOD_TOML + "[platforms.youtube]\nbase_url = 'http://127.0.0.1:9'\napi_version = 'v1'\n",
        "platforms.youtube.api_version: unknown key",
    ),
    "concurrency_zero": (
        GOOD_TOML + "concurrency = 0\n",
        "platforms.facebook.concurrency",
    ),
    "wrong_type": (GOOD_TOML.replace('state_dir = "state"', "state_dir = 5"), "state_dir"),
    "first_hour_after_last": (
        GOOD_TOML + "[schedule]\nfirst_hour = 20\nlast_hour = 6\n",
        "schedule.first_hour: is later than schedule.last_hour",
    ),
    "missing_logo_file": (
        GOOD_TOML.replace("[district]\n", '[district]\nlogo_files = ["nope.png"]\n'),
        "district.logo_files",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_a_bad_config_names_the_file_and_key_and_exits_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml, expected = BAD_CONFIGS[case]
    config = write(tmp_path, toml)
    code, err = run("accounts", "validate", "--config", str(config), capsys=capsys)
    assert code == 2
    assert err.startswith(f"error: {config}")
    assert expected in err
    assert "EAAB-real-token-value" not in err


def test_a_missing_config_file_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run("accounts", "validate", "--config", str(tmp_path / "nope.toml"), capsys=capsys)
    assert code == 2
    assert "nope.toml: config file not found" in err


BAD_REGISTRIES = {
    "retired_credential_key": (
        GOOD_ACCOUNT + "    credential: SOCMON_HILLCREST_TOKEN\n",
        "line 7 (accounts[0].credential): no longer supported (it was never used): remove it",
    ),
    "unknown_key": (
        GOOD_ACCOUNT + "    colour: blue\n",
        "line 7 (accounts[0].colour): unknown key",
    ),
    "duplicate_id": (
        GOOD_ACCOUNT + GOOD_ACCOUNT.replace('"100"', '"101"'),
        "line 7 (accounts[1].id): duplicate account id 'hillcrest-fb'",
    ),
    "same_page_twice": (
        GOOD_ACCOUNT + GOOD_ACCOUNT.replace("hillcrest-fb", "hillcrest-2-fb"),
        "(accounts[1].platform_id): facebook account 100 is registered twice",
    ),
    "malformed_email": (
        GOOD_ACCOUNT.replace("j.smith@cmsd82.ca", "j.smith(at)cmsd82"),
        "line 6 (accounts[0].managers[0])",
    ),
    "personal_manager_email": (
        GOOD_ACCOUNT.replace("j.smith@cmsd82.ca", "jsmith@gmail.com"),
        "line 6 (accounts[0].managers[0]): jsmith@gmail.com is not a district work email",
    ),
    "unknown_platform": (
        GOOD_ACCOUNT.replace("platform: facebook", "platform: myspace"),
        "line 3 (accounts[0].platform): unknown platform 'myspace' (one of facebook, ",
    ),
    "missing_school": (
        GOOD_ACCOUNT.replace("    school: Hillcrest Elementary\n", ""),
        "(accounts[0].school): required key is missing",
    ),
    "bad_audience": (GOOD_ACCOUNT + "    audience: everyone\n", "(accounts[0].audience)"),
    "reserved_id": (
        GOOD_ACCOUNT.replace("id: hillcrest-fb", "id: credential-facebook"),
        "line 2 (accounts[0].id): ids starting with credential- or unregistered- are reserved",
    ),
    "bad_id": (
        GOOD_ACCOUNT.replace("id: hillcrest-fb", "id: Hillcrest FB!"),
        "line 2 (accounts[0].id)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTRIES))
def test_a_bad_registry_entry_names_the_line_and_key_and_exits_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body, expected = BAD_REGISTRIES[case]
    config = write(tmp_path, registry="accounts:\n" + body)
    code, err = run("accounts", "validate", "--config", str(config), capsys=capsys)
    assert code == 2
    assert f"{tmp_path / 'accounts.yaml'}:" in err
    assert expected in err


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ("accounts: [\n", "not valid YAML"),
        ("- just a list\n", "must be a mapping with one key, 'accounts'"),
        ("accounts:\n  - 42\n", "line 2 (accounts[0]): an account must be a mapping of keys"),
    ],
)
def test_a_registry_of_the_wrong_shape_exits_2(
    registry: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(
        "accounts", "validate", "--config", str(write(tmp_path, registry=registry)), capsys=capsys
    )
    assert code == 2
    assert expected in err


BAD_CSVS = {
    "unknown_column": (
        "id,platform,platform_id,school,managers,colour\n",
        "line 1: unknown column 'colour'",
    ),
    "missing_column": (
        "id,platform,school,managers\nx,facebook,S,a@cmsd82.ca\n",
        "required column 'platform_id' is missing",
    ),
    "bad_row": (
        GOOD_CSV_HEADER
        + "hill-fb,facebook,1,Hill,a@cmsd82.ca,Ann,a@cmsd82.ca\nbad fb,facebook,2,Hill,a@cmsd82.ca,Ann,ann@cmsd82.ca\n",
        "line 3 (id)",
    ),
    "personal_email": (
        GOOD_CSV_HEADER + "hill-fb,facebook,1,Hill,a@gmail.com,Ann,\n",
        "line 2 (managers): a@gmail.com is not a district work email",
    ),
    "too_many_cells": (
        GOOD_CSV_HEADER + "hill-fb,facebook,1,Hill,a@cmsd82.ca,Ann,a@cmsd82.ca,extra\n",
        "line 2: more cells (8) than columns (7)",
    ),
    "empty": (GOOD_CSV_HEADER, "line 2: no accounts: the file has a header row only"),
}


@pytest.mark.parametrize("case", sorted(BAD_CSVS))
def test_a_bad_csv_names_the_line_and_exits_2_writing_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, expected = BAD_CSVS[case]
    config = write(tmp_path)
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(text, encoding="utf-8")
    out = tmp_path / "new.yaml"
    code, err = run(
        "accounts", "import", str(csv_file), "--config", str(config), "-o", str(out), capsys=capsys
    )
    assert code == 2
    assert f"{csv_file}:" in err and expected in err
    assert not out.exists()


def test_a_csv_import_round_trips_through_the_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path)
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "\ufeff"
        + GOOD_CSV_HEADER
        + "hill-fb,facebook,100,Hillcrest Elementary,a@cmsd82.ca; b@cmsd82.ca,Ann Lee,a.lee@cmsd82.ca\n",
        encoding="utf-8",
    )
    out = tmp_path / "accounts.yaml"
    code, err = run(
        "accounts",
        "import",
        str(csv_file),
        "--config",
        str(config),
        "-o",
        str(out),
        "--force",
        capsys=capsys,
    )
    assert code == 0, err
    code, err = run("accounts", "validate", "--config", str(config), capsys=capsys)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "b@cmsd82.ca" in text and "Ann Lee" in text


def test_csv_import_never_overwrites_a_registry_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path)
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        GOOD_CSV_HEADER + "hill-fb,facebook,1,Hill,a@cmsd82.ca,Ann,\n", encoding="utf-8"
    )
    before = (tmp_path / "accounts.yaml").read_text(encoding="utf-8")
    code, err = run(
        "accounts",
        "import",
        str(csv_file),
        "--config",
        str(config),
        "-o",
        str(tmp_path / "accounts.yaml"),
        capsys=capsys,
    )
    assert code == 2 and "already exists; use --force" in err
    assert (tmp_path / "accounts.yaml").read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "lapses",
                "mute",
                "1",
                "--reason",
                "r",
                "--by",
                "not-an-email",
                "--until",
                "2030-01-01",
            ],
            "--by",
        ),
        (
            ["lapses", "mute", "1", "--reason", "r", "--by", "c@cmsd82.ca", "--until", "next week"],
            "--until: 'next week' is not a date",
        ),
        (
            [
                "lapses",
                "mute",
                "1",
                "--reason",
                "r",
                "--by",
                "c@cmsd82.ca",
                "--until",
                "2001-01-01",
            ],
            "in the past",
        ),
        (
            [
                "lapses",
                "mute",
                "999",
                "--reason",
                "r",
                "--by",
                "c@cmsd82.ca",
                "--until",
                "2030-01-01",
            ],
            "lapse 999 is not open",
        ),
        (["lapses", "list", "--check", "nonsense"], "unknown check 'nonsense'"),
    ],
)
def test_bad_cli_arguments_exit_2_with_one_line(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path)
    assert run("db", "upgrade", "--config", str(config), capsys=capsys)[0] == 0
    code, err = run(*args, "--config", str(config), capsys=capsys)
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_a_non_number_lapse_id_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        "lapses",
        "mute",
        "abc",
        "--reason",
        "r",
        "--by",
        "c@cmsd82.ca",
        "--until",
        "2030-01-01",
        capsys=capsys,
    )
    assert code == 2


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ("accounts:\n" + GOOD_ACCOUNT + "  - id: [unclosed\n", "not valid YAML"),
        ("accounts:\n" + GOOD_ACCOUNT + "extra: 1\n", "must be a mapping with one key, 'accounts'"),
        ("accounts: 5\n", "accounts.yaml:line 1: accounts: must be a list"),
        ("accounts:\n" + GOOD_ACCOUNT + "---\naccounts: []\n", "must hold one YAML document"),
    ],
)
def test_a_registry_broken_after_valid_accounts_still_exits_2(
    registry: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(
        "accounts", "validate", "--config", str(write(tmp_path, registry=registry)), capsys=capsys
    )
    assert code == 2
    assert expected in err


def test_an_empty_accounts_list_is_an_error_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for body in ("accounts:\n", "accounts: []\n"):
        code, err = run(
            "accounts", "validate", "--config", str(write(tmp_path, registry=body)), capsys=capsys
        )
        assert code == 2
        assert f"{tmp_path / 'accounts.yaml'}:accounts: lists no accounts" in err
