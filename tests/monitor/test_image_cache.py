"""Logo verdicts are reused while an image is unchanged: no request, no bytes, no detector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx
from sqlalchemy import Engine, func, select

from connectors.base import AccountSnapshot
from monitor.context import App
from monitor.cycle_record import Fenced
from monitor.image_cache import FORGET_AFTER, ImageCache, Verdict
from monitor.logo import LogoDetector
from monitor.logo_enricher import LogoEnricher, open_enricher
from monitor.registry import Account
from monitor.settings import District, Settings
from monitor.store.db import session_factory
from monitor.store.models import ImageVerdict
from sandbox.images import district_logo, jpeg, paste, photo_background

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BANNER = "https://cdn.example.test/banner.jpg"
PICTURE = "https://cdn.example.test/picture.jpg"
CONFIG_LOGO = Path(__file__).resolve().parents[2] / "config" / "district-logo.png"
ACCOUNT = Account(
    id="bayview-secondary-fb",
    platform="facebook",
    platform_id="100000000000002",
    school="Bayview Secondary",
    managers=("l.roy@cmsd82.ca",),
)


@pytest.fixture(scope="module")
def detector() -> LogoDetector:
    return LogoDetector([("district", district_logo())])


def image_bytes(seed: int, *, logo: bool) -> bytes:
    import numpy as np

    img = photo_background(np.random.default_rng(seed), 820, 312)
    if logo:
        img = paste(img, district_logo(160), 40, 60)
    return jpeg(img, 85)


def snapshot(at: datetime, banner: str = BANNER, picture: str = "") -> AccountSnapshot:
    return AccountSnapshot(
        platform="facebook",
        platform_id=ACCOUNT.platform_id,
        fetched_at=at,
        banner_url=banner,
        picture_url=picture,
    )


def served(body: bytes, etag: str = '"v1"') -> respx.Route:
    """BANNER answers `body` with an ETag, and 304 to a request that already has it."""

    def reply(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"etag": etag})
        return httpx.Response(
            200, content=body, headers={"content-type": "image/jpeg", "etag": etag}
        )

    return respx.get(BANNER).mock(side_effect=reply)


@respx.mock
async def test_an_unchanged_url_reuses_its_verdict_without_any_request(
    detector: LogoDetector,
) -> None:
    route = served(image_bytes(1, logo=True))
    async with httpx.AsyncClient() as client:
        step = LogoEnricher(client, detector, ImageCache(detector.fingerprint))
        first = await step(ACCOUNT, snapshot(NOW))
        later = await step(ACCOUNT, snapshot(NOW + timedelta(days=6)))
    assert first.logo_seen["banner"] is True and later.logo_seen["banner"] is True
    assert route.call_count == 1
    assert (step.stats.reused, step.stats.downloaded, step.stats.analysed) == (1, 1, 1)
    assert later.logo_analysed_at == {"banner": NOW}  # the evidence says when it was analysed


@respx.mock
async def test_after_the_recheck_period_a_304_keeps_the_verdict_without_analysing(
    detector: LogoDetector,
) -> None:
    route = served(image_bytes(2, logo=False))
    async with httpx.AsyncClient() as client:
        step = LogoEnricher(client, detector, ImageCache(detector.fingerprint))
        await step(ACCOUNT, snapshot(NOW))
        later = await step(ACCOUNT, snapshot(NOW + timedelta(days=8)))
    assert route.call_count == 2
    assert route.calls.last.request.headers["if-none-match"] == '"v1"'
    assert later.logo_seen["banner"] is False  # still no logo: a lapse stays a lapse
    assert (step.stats.not_modified, step.stats.downloaded, step.stats.analysed) == (1, 1, 1)
    assert later.logo_analysed_at == {"banner": NOW}
    verdict = step.cache.get(BANNER)
    assert verdict is not None and verdict.checked_at == NOW + timedelta(days=8)


@respx.mock
async def test_a_changed_image_behind_the_same_url_is_analysed_again(
    detector: LogoDetector,
) -> None:
    bodies = iter([image_bytes(3, logo=False), image_bytes(4, logo=True)])
    etags = iter(['"old"', '"new"'])
    respx.get(BANNER).mock(
        side_effect=lambda _r: httpx.Response(
            200, content=next(bodies), headers={"content-type": "image/jpeg", "etag": next(etags)}
        )
    )
    async with httpx.AsyncClient() as client:
        step = LogoEnricher(
            client, detector, ImageCache(detector.fingerprint), recheck=timedelta(0)
        )
        first = await step(ACCOUNT, snapshot(NOW))
        later = await step(ACCOUNT, snapshot(NOW + timedelta(hours=1)))
    assert (first.logo_seen["banner"], later.logo_seen["banner"]) == (False, True)
    assert step.stats.analysed == 2
    assert later.logo_analysed_at == {"banner": NOW + timedelta(hours=1)}


@respx.mock
async def test_the_same_picture_on_two_accounts_is_analysed_once(detector: LogoDetector) -> None:
    body = image_bytes(5, logo=True)
    for url in (BANNER, PICTURE):
        respx.get(url).mock(
            return_value=httpx.Response(200, content=body, headers={"content-type": "image/jpeg"})
        )
    async with httpx.AsyncClient() as client:
        step = LogoEnricher(client, detector, ImageCache(detector.fingerprint))
        snap = await step(ACCOUNT, snapshot(NOW, banner=BANNER, picture=PICTURE))
    assert snap.logo_seen == {"banner": True, "picture": True}
    assert (step.stats.downloaded, step.stats.analysed) == (2, 1)


@respx.mock
async def test_an_image_that_cannot_be_read_on_revalidation_is_unknown_not_the_old_verdict(
    detector: LogoDetector,
) -> None:
    respx.get(BANNER).mock(
        side_effect=[
            httpx.Response(
                200, content=image_bytes(6, logo=True), headers={"content-type": "image/jpeg"}
            ),
            httpx.Response(404),
        ]
    )
    async with httpx.AsyncClient() as client:
        step = LogoEnricher(client, detector, ImageCache(detector.fingerprint))
        await step(ACCOUNT, snapshot(NOW))
        later = await step(ACCOUNT, snapshot(NOW + timedelta(days=30)))
    assert later.logo_seen["banner"] is None


def verdict(at: datetime, *, seen: bool = True, content: str = "c1") -> Verdict:
    return Verdict(seen, content, at, at, '"e"', "Mon, 02 Mar 2026 09:00:00 GMT")


def test_saved_verdicts_load_again_and_are_updated_in_place(engine: Engine) -> None:
    sessions = session_factory(engine)
    cache = ImageCache("detector-a")
    cache.put(BANNER, verdict(NOW))
    cache.save(sessions, NOW)
    again = ImageCache.load(sessions, "detector-a")
    assert again.get(BANNER) == verdict(NOW)
    assert again.by_content("c1") == verdict(NOW)

    again.put(BANNER, verdict(NOW + timedelta(days=1), seen=False, content="c2"))
    again.save(sessions, NOW + timedelta(days=1))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ImageVerdict)) == 1
    assert ImageCache.load(sessions, "detector-a").get(BANNER) == verdict(
        NOW + timedelta(days=1), seen=False, content="c2"
    )


def test_new_logo_files_void_every_saved_verdict(engine: Engine) -> None:
    sessions = session_factory(engine)
    cache = ImageCache("detector-a")
    cache.put(BANNER, verdict(NOW))
    cache.save(sessions, NOW)
    assert ImageCache.load(sessions, "detector-b").get(BANNER) is None


def test_urls_not_checked_for_a_long_time_are_forgotten(engine: Engine) -> None:
    sessions = session_factory(engine)
    cache = ImageCache("detector-a")
    cache.put(BANNER, verdict(NOW))
    cache.save(sessions, NOW)
    later = NOW + FORGET_AFTER + timedelta(days=1)
    cache.put(PICTURE, verdict(later, content="c3"))
    cache.save(sessions, later)
    loaded = ImageCache.load(sessions, "detector-a")
    assert loaded.get(BANNER) is None and loaded.get(PICTURE) is not None
    # The cache kept in memory between cycles forgets them too.
    assert cache.get(BANNER) is None and cache.by_content("c1") is None
    assert cache.get(PICTURE) is not None


def test_the_detector_fingerprint_follows_the_logo_files() -> None:
    assert LogoDetector([("d", district_logo())]).fingerprint == (
        LogoDetector([("d", district_logo())]).fingerprint
    )
    assert LogoDetector([("d", district_logo())]).fingerprint != (
        LogoDetector([("d", district_logo(variant="letters"))]).fingerprint
    )


def logo_app(engine: Engine, tmp_path: Path) -> App:
    settings = Settings(
        district=District(
            name="Coast Mountains School District 82",
            signature_texts=("Coast Mountains School District 82",),
            email_domains=("cmsd82.ca",),
            logo_files=(CONFIG_LOGO,),
        ),
        state_dir=tmp_path,
    )
    return App(settings, engine, session_factory(engine), [ACCOUNT], clock=lambda: NOW)


async def test_the_cycle_step_saves_its_verdicts_for_the_next_process(
    engine: Engine, tmp_path: Path
) -> None:
    body = image_bytes(7, logo=True)
    with respx.mock:
        route = respx.get(BANNER).mock(
            return_value=httpx.Response(200, content=body, headers={"content-type": "image/jpeg"})
        )
        async with open_enricher(logo_app(engine, tmp_path)) as step:
            assert step is not None
            await step(ACCOUNT, snapshot(NOW))
        # A new App (a new process) has nothing in memory: the verdict comes from the database.
        async with open_enricher(logo_app(engine, tmp_path)) as step:
            assert step is not None
            again = await step(ACCOUNT, snapshot(NOW + timedelta(days=1)))
    assert route.call_count == 1
    assert again.logo_seen["banner"] is True and step.stats.reused == 1


async def test_the_next_cycle_of_one_app_keeps_the_verdicts_in_memory_unless_the_save_failed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = logo_app(engine, tmp_path)
    loads: list[str] = []
    real_load = ImageCache.load

    def counted(sessions: object, detector: str) -> ImageCache:
        loads.append(detector)
        return real_load(app.sessions, detector)

    monkeypatch.setattr(ImageCache, "load", staticmethod(counted))
    body = image_bytes(7, logo=True)
    with respx.mock:
        respx.get(BANNER).mock(
            return_value=httpx.Response(200, content=body, headers={"content-type": "image/jpeg"})
        )
        async with open_enricher(app) as step:
            assert step is not None
            await step(ACCOUNT, snapshot(NOW))
        async with open_enricher(app) as step:
            assert step is not None
            again = await step(ACCOUNT, snapshot(NOW + timedelta(days=1)))
        assert len(loads) == 1 and again.logo_seen["banner"] is True
        # A worker fenced out saves nothing (here the check past the recheck period), so
        # its memory no longer matches the database: the next cycle reads the database.
        async with open_enricher(app, fence=_TakenOver()) as step:
            assert step is not None
            await step(ACCOUNT, snapshot(NOW + timedelta(days=9)))
            assert step.cache.changed == 1
        async with open_enricher(app) as step:
            assert step is not None
        assert len(loads) == 2


async def test_no_logo_file_means_no_logo_step(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        district=District(
            name="Coast Mountains School District 82",
            signature_texts=("Coast Mountains School District 82",),
            email_domains=("cmsd82.ca",),
        ),
        state_dir=tmp_path,
    )
    app = App(settings, engine, session_factory(engine), [ACCOUNT], clock=lambda: NOW)
    async with open_enricher(app) as step:
        assert step is None


class _TakenOver:
    """A fence whose lease another worker has taken."""

    def held(self) -> bool:
        return False

    def check(self, session: object) -> None:
        raise Fenced()


def test_a_worker_whose_lease_was_taken_over_saves_no_verdict(engine: Engine) -> None:
    sessions = session_factory(engine)
    cache = ImageCache("detector-a")
    cache.put(BANNER, verdict(NOW))
    cache.save(sessions, NOW, fence=_TakenOver())
    assert ImageCache.load(sessions, "detector-a").get(BANNER) is None
