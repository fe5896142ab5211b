"""The web page in Debian's Chromium (Playwright): sign in, filter, timeline, mute, CSV, screenshots."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.web.conftest import PASSWORD, WebWorld

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def base_url(world: WebWorld) -> Iterator[str]:
    """The app under uvicorn in a thread; the socket listens before the thread starts, so no wait."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(world.app, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


def _sign_in(page: object, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=email]", email)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base_url}/")  # type: ignore[attr-defined]


def test_comms_signs_in_filters_opens_a_timeline_mutes_and_exports(
    browser: object, base_url: str, tmp_path: Path
) -> None:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _sign_in(page, base_url, "comms@lpsd.ca")
    assert page.locator("text=north-fb fails principal_admin").count() == 1
    page.screenshot(path=str(tmp_path / "overview-desktop.png"), full_page=True)

    page.select_option("select[name=school]", "South Elementary")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*school=South+Elementary*")
    assert page.locator("text=south-ig fails two_admins").count() == 1
    assert page.locator("text=north-fb fails principal_admin").count() == 0

    with page.expect_download() as info:
        page.click("text=Export CSV")
    csv_path = tmp_path / "export.csv"
    info.value.save_as(csv_path)
    text = csv_path.read_text()
    assert "south-ig" in text and "north-fb" not in text

    page.goto(f"{base_url}/accounts/north-fb")
    assert page.locator("h2", has_text="Timeline").count() == 1
    assert page.locator(".timeline li.k-opened").count() == 2
    page.click("#lapse-1 summary")
    page.fill("#lapse-1 input[name=reason]", "principal on leave until January")
    page.fill("#lapse-1 input[name=until]", "2026-12-18")
    page.click("#lapse-1 button[type=submit]")
    page.wait_for_url("**/accounts/north-fb#lapse-1")
    assert page.locator("text=Muted until 2026-12-18 by comms@lpsd.ca").count() == 1
    assert page.locator(".timeline li.k-muted").count() == 1
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()


def test_the_overview_fits_a_phone_screen(browser: object, base_url: str, tmp_path: Path) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )  # type: ignore[attr-defined]
    page = context.new_page()
    _sign_in(page, base_url, "comms@lpsd.ca")
    page.screenshot(path=str(tmp_path / "overview-phone.png"), full_page=True)
    # No horizontal scrolling of the whole page on a phone (wide tables scroll inside their card).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
