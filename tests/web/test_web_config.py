"""[web] and [web.oidc] configuration mistakes are one line naming the key, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import UserError
from monitor.settings import load_settings

BASE = '[district]\nname = "LPSD"\nsignature_texts = ["LPSD"]\nemail_domains = ["lpsd.ca"]\n'
OIDC = (
    '[web.oidc]\nissuer = "{issuer}"\nclient_id = "socmon"\n'
    'client_secret_secret = "SOCMON_OIDC_SECRET"\nallowed_domains = ["lpsd.ca"]\n'
)


def _load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "socmon.toml"
    path.write_text(BASE + text)
    return load_settings(path)


def test_a_complete_oidc_section_loads(tmp_path: Path) -> None:
    web = '[web]\npublic_url = "https://socmon.lpsd.ca"\n'
    settings = _load(tmp_path, web + OIDC.format(issuer="https://login.example.org/t/v2.0/"))
    assert settings.web.oidc.issuer == "https://login.example.org/t/v2.0"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            '[web]\npublic_url = "https://s.lpsd.ca"\n'
            + OIDC.format(issuer="http://login.example.org"),
            "issuer",
        ),
        ("[web]\n" + OIDC.format(issuer="https://login.example.org"), "public_url"),
        ("[web]\nlocal_passwords = false\n", "local_passwords"),
        ("[web]\nsession_idle_minutes = 1\n", "session_idle_minutes"),
        (
            '[web]\npublic_url = "https://s.lpsd.ca"\n'
            + OIDC.format(issuer="https://x.org")
            + 'role_map = { g = "admin" }\n',
            "role_map",
        ),
    ],
)
def test_a_bad_web_setting_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(UserError) as info:
        _load(tmp_path, text)
    assert key in str(info.value)
