"""The district logo detector on generated banners, and the enricher that fills logo_seen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
import respx

from checks import signature as signature_module
from checks.base import CheckOptions, Status
from connectors.base import AccountSnapshot, Fact
from connectors.images import Image, decode_image
from monitor.errors import UserError
from monitor.image_cache import ImageCache
from monitor.logo import LogoDetector
from monitor.logo_enricher import LogoEnricher
from monitor.registry import Account
from monitor.settings import District, Settings
from sandbox.images import DECOYS, district_logo, jpeg, paste, photo_background, shift_colours

CONFIG_LOGO = Path(__file__).resolve().parents[2] / "config" / "district-logo.png"
BANNER_URL = "https://cdn.example.test/banner.jpg"
PICTURE_URL = "https://cdn.example.test/picture.jpg"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def detector() -> LogoDetector:
    return LogoDetector([("district", district_logo())])


def banner(
    seed: int,
    *,
    logo: str | None = "district",
    scale: float = 0.8,
    at: tuple[float, float] = (0.5, 0.5),
    quality: int = 75,
    size: tuple[int, int] = (820, 312),
) -> Image:
    """A JPEG-compressed, colour-shifted photo-like banner, with a logo at `at` (0..1) if any."""
    rng = np.random.default_rng(seed)
    width, height = size
    img = photo_background(rng, width, height)
    if logo is not None:
        side = round(200 * scale)
        x, y = round(at[0] * (width - side)), round(at[1] * (height - side))
        img = paste(img, district_logo(side, logo), x, y)
    img = shift_colours(img, rng)
    decoded = decode_image(jpeg(img, quality)).image
    assert decoded is not None
    return decoded


@pytest.mark.parametrize("scale", [0.3, 0.45, 0.7, 1.0, 1.25, 1.5])
@pytest.mark.parametrize("seed", [1, 2])
def test_it_sees_the_logo_at_scales_from_0_3_to_1_5(
    detector: LogoDetector, scale: float, seed: int
) -> None:
    at = (0.15 + 0.7 * ((seed * 37) % 10) / 10, 0.3)
    assert detector.seen(banner(seed, scale=scale, at=at))


@pytest.mark.parametrize("at", [(0.0, 0.0), (1.0, 1.0), (0.05, 0.9), (0.9, 0.1), (0.5, 0.5)])
def test_it_sees_the_logo_anywhere_in_the_banner(
    detector: LogoDetector, at: tuple[float, float]
) -> None:
    assert detector.seen(banner(3, scale=0.6, at=at))


@pytest.mark.parametrize("edge", ["left", "right", "top", "bottom"])
def test_it_sees_a_logo_cut_by_the_banner_edge(detector: LogoDetector, edge: str) -> None:
    rng = np.random.default_rng(4)
    img = photo_background(rng, 820, 312)
    side, cut = 150, 30  # a fifth of the logo outside the banner
    x, y = {"left": (-cut, 80), "right": (820 - side + cut, 80)}.get(edge, (300, 0))
    if edge == "top":
        y = -cut
    elif edge == "bottom":
        y = 312 - side + cut
    decoded = decode_image(jpeg(paste(img, district_logo(side), x, y), 75)).image
    assert decoded is not None
    assert detector.seen(decoded)


@pytest.mark.parametrize("quality", [60, 70, 85])
def test_it_sees_the_logo_through_jpeg_compression_and_a_colour_shift(
    detector: LogoDetector, quality: int
) -> None:
    assert detector.seen(banner(5, scale=0.5, quality=quality))


def test_it_sees_the_logo_filling_a_profile_picture(detector: LogoDetector) -> None:
    assert detector.seen(banner(6, scale=0.8, size=(170, 170)))


@pytest.mark.parametrize("seed", range(10, 18))
def test_it_does_not_see_a_logo_in_a_banner_without_one(detector: LogoDetector, seed: int) -> None:
    assert not detector.seen(banner(seed, logo=None))


@pytest.mark.parametrize("scale", [0.4, 0.8, 1.3])
@pytest.mark.parametrize("decoy", DECOYS)
def test_it_does_not_take_a_look_alike_for_the_district_logo(
    detector: LogoDetector, decoy: str, scale: float
) -> None:
    assert not detector.seen(banner(7, logo=decoy, scale=scale, at=(0.3, 0.5)))


def test_it_reports_where_and_how_large_the_logo_is(detector: LogoDetector) -> None:
    match = detector.find(banner(8, scale=1.0, at=(0.0, 0.5)))
    assert match is not None
    assert abs(match.x - 0) <= 4 and abs(match.y - 56) <= 4 and abs(match.width - 200) <= 8


def test_the_committed_demo_logo_is_the_drawn_emblem() -> None:
    loaded = cv2.imread(str(CONFIG_LOGO), cv2.IMREAD_COLOR)
    assert loaded is not None
    assert np.array_equal(loaded, district_logo())


def test_it_ignores_the_transparent_parts_of_a_logo_file(tmp_path: Path) -> None:
    logo = district_logo()
    rgba = np.dstack([logo, np.full(logo.shape[:2], 255, np.uint8)])
    rgba[:30, :30, 3] = 0  # a transparent corner: the banner shows something else there
    path = tmp_path / "logo.png"
    cv2.imwrite(str(path), rgba)
    found = LogoDetector.from_files([path])
    assert found.seen(banner(9, scale=0.6))
    assert not found.seen(banner(9, logo=None))


def test_it_refuses_a_logo_file_that_is_not_an_image(tmp_path: Path) -> None:
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not a picture")
    with pytest.raises(UserError) as raised:
        LogoDetector.from_files([bad])
    assert "district.logo_files" in str(raised.value.problems[0])


# --- the enricher: fetch both images, fill logo_seen, and what the signature check makes of it


def settings(logos: tuple[Path, ...]) -> Settings:
    district = District(
        name="Coast Mountains School District 82",
        signature_texts=("Coast Mountains School District 82",),
        email_domains=("cmsd82.ca",),
        logo_files=logos,
    )
    return Settings(district=district)


ACCOUNT = Account(
    id="bayview-secondary-fb",
    platform="facebook",
    platform_id="100000000000002",
    school="Bayview Secondary",
    managers=("l.roy@cmsd82.ca",),
)


def snapshot(**fields: object) -> AccountSnapshot:
    base: dict[str, object] = {
        "platform": "facebook",
        "platform_id": "100000000000002",
        "fetched_at": NOW,
        "name": "Bayview Secondary",
        "about": "Official page of Bayview Secondary.",  # no signature text
        "banner_url": BANNER_URL,
        "picture_url": PICTURE_URL,
    }
    return AccountSnapshot(**(base | fields))  # type: ignore[arg-type]


def enricher(client: httpx.AsyncClient, detector: LogoDetector) -> LogoEnricher:
    """The logo step with an empty, in-memory verdict cache."""
    return LogoEnricher(client, detector, ImageCache(detector.fingerprint))


def jpeg_reply(img: Image) -> httpx.Response:
    return httpx.Response(200, content=jpeg(img, 80), headers={"content-type": "image/jpeg"})


def signature_of(snap: AccountSnapshot) -> tuple[Status, str]:
    view = ACCOUNT.view()
    options = CheckOptions(signature_texts=("Coast Mountains School District 82",))
    finding = signature_module.signature.run(view, snap, options)
    return finding.status, finding.detail


@respx.mock
async def test_the_enricher_passes_the_signature_on_the_logo_in_the_banner(
    detector: LogoDetector,
) -> None:
    respx.get(BANNER_URL).mock(return_value=jpeg_reply(banner(20, scale=0.7)))
    respx.get(PICTURE_URL).mock(return_value=jpeg_reply(banner(21, logo=None, size=(170, 170))))
    async with httpx.AsyncClient() as client:
        enrich = enricher(client, detector)
        enriched = await enrich(ACCOUNT, snapshot())
    assert enriched.logo_seen == {"banner": True, "picture": False}
    status, detail = signature_of(enriched)
    assert status is Status.PASS and "logo appears in the banner" in detail


@respx.mock
async def test_the_enricher_gives_a_lapse_when_only_a_look_alike_is_there(
    detector: LogoDetector,
) -> None:
    respx.get(BANNER_URL).mock(return_value=jpeg_reply(banner(22, logo="letters")))
    respx.get(PICTURE_URL).mock(return_value=jpeg_reply(banner(23, logo=None, size=(170, 170))))
    async with httpx.AsyncClient() as client:
        enriched = await enricher(client, detector)(ACCOUNT, snapshot())
    assert enriched.logo_seen == {"banner": False, "picture": False}
    assert signature_of(enriched)[0] is Status.LAPSE


@respx.mock
async def test_the_enricher_gives_unknown_for_an_image_it_cannot_read(
    detector: LogoDetector,
) -> None:
    respx.get(BANNER_URL).mock(return_value=httpx.Response(404))
    garbage = httpx.Response(200, content=b"\xff\xd8\xff" + b"\x00" * 50)
    garbage.headers["content-type"] = "image/jpeg"
    respx.get(PICTURE_URL).mock(return_value=garbage)
    async with httpx.AsyncClient() as client:
        enriched = await enricher(client, detector)(ACCOUNT, snapshot())
    assert enriched.logo_seen == {"banner": None, "picture": None}
    status, detail = signature_of(enriched)
    assert status is Status.UNKNOWN and "could not be checked" in detail


@respx.mock
async def test_the_enricher_counts_a_missing_banner_as_no_logo_without_fetching(
    detector: LogoDetector,
) -> None:
    route = respx.get(PICTURE_URL).mock(return_value=jpeg_reply(banner(24, scale=0.7)))
    async with httpx.AsyncClient() as client:
        enriched = await enricher(client, detector)(
            ACCOUNT, snapshot(banner_url="", picture_url=PICTURE_URL)
        )
    assert enriched.logo_seen == {"banner": False, "picture": True}
    assert route.call_count == 1 and len(respx.calls) == 1


def test_without_a_logo_configured_only_the_text_counts() -> None:
    assert "no district logo configured" in signature_of(snapshot())[1]


async def test_the_enricher_leaves_unexposed_images_to_the_check(detector: LogoDetector) -> None:
    hidden = snapshot(unexposed={Fact.IMAGES: "not exposed"})
    async with httpx.AsyncClient() as client:
        enriched = await enricher(client, detector)(ACCOUNT, hidden)
    assert enriched.logo_seen == {}
