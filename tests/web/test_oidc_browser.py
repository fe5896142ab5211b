"""Chromium signs in through the district's identity provider, end to end."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr

from monitor.settings_web import Oidc
from socmon.web.app import create_app
from tests.web.conftest import SECRET, WebWorld, make_settings
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider
from tests.web.test_browser import CHROMIUM, browser

__all__ = ["browser"]  # the Chromium fixture, shared with the other browser tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def site(world: WebWorld, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """socmon (with [web.oidc]) under uvicorn and the provider; their two base URLs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    world.clock.now = datetime.now(UTC)  # level with the provider's own clock
    with running_provider(tmp_path, [f"{base}/oidc/callback"]) as provider:
        oidc = Oidc(
            issuer=provider.issuer, client_id=CLIENT_ID, client_secret_secret="SOCMON_OIDC_SECRET",
            allowed_domains=("lpsd.ca",), role_claim="groups", role_map={"g-comms": "comms"},
        )  # fmt: skip
        app = create_app(
            make_settings(public_url=base, oidc=oidc), world.sessions, world.clock, SECRET,
            oidc_secret=SecretStr(CLIENT_SECRET),
        )  # fmt: skip
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        yield base, provider.issuer
        server.should_exit = True
        thread.join(timeout=10)
    sock.close()


def test_comms_staff_sign_in_with_the_district_account_in_chromium(
    browser: object, site: tuple[str, str], tmp_path: Path
) -> None:
    base, issuer = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{base}/directory")
    page.click("#oidc")
    page.wait_for_url(f"{issuer}/interaction/**")
    page.fill("input[name=login]", "gwen")
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/directory")
    assert page.locator("text=south-ig").count() >= 1  # comms, through the g-comms group
    assert page.locator("text=Sign out").count() == 1
    page.screenshot(path=str(tmp_path / "oidc-signed-in-phone.png"), full_page=True)
    context.close()
