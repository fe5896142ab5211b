"""The sandbox's image CDN over real HTTP: JPEG bytes fixed by the URL, validators, variants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.images import decode_image
from monitor.logo import LogoDetector
from sandbox.server import SandboxServer
from sandbox.world import World

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FIRST = 500_000_000_000_000  # World.synthetic's first page id
LOGO = Path(__file__).resolve().parents[2] / "config" / "district-logo.png"


@pytest.fixture(scope="module")
def cdn() -> Iterator[httpx.Client]:
    with (
        SandboxServer(World.synthetic(10, NOW)) as server,
        httpx.Client(base_url=f"{server.base_url}/_sandbox/img") as http,
    ):
        yield http


def test_a_url_always_serves_the_same_jpeg_and_answers_its_etag_with_304(
    cdn: httpx.Client,
) -> None:
    first, again = cdn.get(f"/{FIRST + 1}-cover.jpg"), cdn.get(f"/{FIRST + 1}-cover.jpg")
    assert first.headers["content-type"] == "image/jpeg"
    assert first.content == again.content
    assert decode_image(first.content).image is not None
    etag = first.headers["etag"]
    assert cdn.get(f"/{FIRST + 1}-cover.jpg", headers={"If-None-Match": etag}).status_code == 304


def test_every_url_serves_content_of_its_own(cdn: httpx.Client) -> None:
    names = [f"/{FIRST + i}-{image}.jpg" for i in range(10) for image in ("cover", "picture")]
    bodies = {cdn.get(name).content for name in names}
    assert len(bodies) == len(names)  # a content hash never stands for another Page's image


def test_half_the_synthetic_covers_carry_the_district_logo(cdn: httpx.Client) -> None:
    detector = LogoDetector.from_files([LOGO])
    seen = {}
    for i in range(4):
        for image in ("cover", "picture"):
            decoded = decode_image(cdn.get(f"/{FIRST + i}-{image}.jpg").content).image
            assert decoded is not None
            seen[i, image] = detector.seen(decoded)
    assert seen == {
        (0, "cover"): True,
        (0, "picture"): False,
        (1, "cover"): False,
        (1, "picture"): False,
        (2, "cover"): True,
        (2, "picture"): False,
        (3, "cover"): False,
        (3, "picture"): False,
    }
