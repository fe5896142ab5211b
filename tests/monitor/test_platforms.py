"""Each platform is declared once (monitor.platforms) and everything it needs is there."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import connectors
import monitor.platforms
from checks import ALL_CHECKS
from checks.capabilities import CAPABILITIES
from monitor.errors import Problem, UserError
from monitor.platforms import IDS, LABELS, PLATFORMS, by_id
from monitor.platforms.base import PlatformConfig
from monitor.platforms.facebook import FACEBOOK, FacebookConfig
from monitor.platforms.x import X
from monitor.platforms.youtube import YOUTUBE, YouTubeConfig
from monitor.registry import PLATFORMS as REGISTRY_PLATFORMS
from monitor.settings import load_settings
from notifications.links import account_url

ROOT = Path(__file__).resolve().parents[2]


def _connector_platforms() -> dict[str, str]:
    """platform -> connector module, for every class in connectors/ that names its platform."""
    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(connectors.__path__):
        module = importlib.import_module(f"connectors.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            platform = cls.__dict__.get("platform")
            if cls.__module__ == module.__name__ and isinstance(platform, str):
                found[platform] = module.__name__
    return found


def test_every_connector_module_has_a_declaration() -> None:
    declared = {spec.id for spec in PLATFORMS if spec.connect is not None}
    assert _connector_platforms().keys() == declared


def test_every_declaration_module_is_listed_once() -> None:
    modules = {info.name for info in pkgutil.iter_modules(monitor.platforms.__path__)}
    assert modules - {"base"} == set(IDS)
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("platform", IDS)
def test_every_declared_platform_has_a_capability_row_for_every_check(platform: str) -> None:
    assert set(by_id(platform).capabilities) == {check.id for check in ALL_CHECKS}


def test_the_capability_table_has_no_platform_that_is_not_declared() -> None:
    assert set(CAPABILITIES) == set(IDS)


@pytest.mark.parametrize("platform", IDS)
def test_a_platform_with_an_api_has_a_config_a_sandbox_and_fixtures(platform: str) -> None:
    spec = by_id(platform)
    if spec.connect is None:
        # Read by no API: no table to configure, nothing to imitate, and it says why.
        assert spec.config is None and not spec.sandbox and spec.no_api_reason
        return
    assert spec.config is not None and issubclass(spec.config, PlatformConfig)
    assert spec.config.model_config.get("extra") == "forbid"
    assert "token_secret" in spec.secret_keys
    importlib.import_module(spec.sandbox)
    assert (ROOT / "tests" / "fixtures" / platform).is_dir()
    assert not spec.no_api_reason


def test_the_registry_labels_and_links_derive_from_the_declarations() -> None:
    assert REGISTRY_PLATFORMS == IDS
    assert LABELS["youtube"] == "YouTube"
    assert account_url("facebook_group", "42") == "https://www.facebook.com/groups/42"
    assert account_url("x", "@cmsd82") == "https://x.com/cmsd82"
    assert account_url("myspace", "42") == ""


def test_an_unknown_platform_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: facebook, facebook_group, instagram, x, youtube"):
        by_id("myspace")


def test_the_youtube_table_declares_its_three_secrets() -> None:
    assert by_id("youtube").secret_keys == (
        "token_secret",
        "refresh_token_secret",
        "oauth_client_secret",
    )
    assert by_id("x").secret_keys == ("token_secret",)


def test_a_facebook_key_under_another_platform_is_one_problem_naming_file_and_key(
    tmp_path: Path,
) -> None:
    config = tmp_path / "socmon.toml"
    config.write_text(
        '[district]\nname = "D"\nsignature_texts = ["D"]\nemail_domains = ["d.ca"]\n'
        '[platforms.x]\nbase_url = "http://127.0.0.1:9"\nbusiness_id = "82"\n',
        encoding="utf-8",
    )
    with pytest.raises(UserError) as raised:
        load_settings(config)
    problem = Problem(str(config), "platforms.x.business_id", "unknown key")
    assert list(raised.value.problems) == [problem]


def test_each_table_is_read_with_its_own_model(tmp_path: Path) -> None:
    config = tmp_path / "socmon.toml"
    config.write_text(
        '[district]\nname = "D"\nsignature_texts = ["D"]\nemail_domains = ["d.ca"]\n'
        '[platforms.facebook]\nbase_url = "http://127.0.0.1:9"\nbusiness_id = "82"\n'
        '[platforms.youtube]\nbase_url = "http://127.0.0.1:9"\ndaily_quota = 500\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    facebook = FACEBOOK.configured(settings.platforms)
    youtube = YOUTUBE.configured(settings.platforms)
    assert isinstance(facebook, FacebookConfig) and facebook.business_id == "82"
    assert isinstance(youtube, YouTubeConfig) and youtube.daily_quota == 500
    assert X.configured(settings.platforms) is None
