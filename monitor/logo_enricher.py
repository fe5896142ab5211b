"""The logo step of a cycle: is the district logo in an account's banner or picture?

Fills `snapshot.logo_seen` (and when each image was analysed) for the signature check;
the detector is monitor.logo. An image costs nothing while its URL is unchanged and was
checked within `district.logo_recheck_days`; after that a conditional request asks
whether it changed; the detector runs only on content never analysed (monitor.image_cache).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import cv2
import httpx

from connectors.base import AccountSnapshot, Fact
from connectors.http import build_client
from connectors.images import decode_image, download_image
from monitor.context import App
from monitor.cycle_record import Fence
from monitor.image_cache import ImageCache, Verdict
from monitor.logo import IMAGE_TIMEOUT, LogoDetector
from monitor.registry import Account

logger = logging.getLogger(__name__)
KEPT = "logo_enricher.image_cache"  # its key in App.between_cycles


@dataclasses.dataclass
class LogoStats:
    """What the logo step cost in one cycle (for the benchmark and the logs)."""

    reused: int = 0  # verdicts taken from the cache without a request
    not_modified: int = 0  # conditional requests answered 304
    downloaded: int = 0  # image bodies downloaded
    bytes: int = 0
    analysed: int = 0  # detector runs


class LogoEnricher:
    """The cycle step that fills `snapshot.logo_seen`, reusing verdicts of unchanged images."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        detector: LogoDetector,
        cache: ImageCache,
        *,
        recheck: timedelta = timedelta(days=7),
        max_fetches: int = 8,
    ) -> None:
        self._client = client
        self._detector = detector
        self.cache = cache
        self._recheck = recheck
        self._fetches = asyncio.Semaphore(max_fetches)
        # Detection is CPU-bound: no more threads at it than there are cores.
        self._cores = asyncio.Semaphore(os.cpu_count() or 2)
        self.stats = LogoStats()
        self._analysing: dict[str, asyncio.Future[bool | None]] = {}

    async def __call__(self, account: Account, snapshot: AccountSnapshot) -> AccountSnapshot:
        if not snapshot.exposes(Fact.IMAGES):
            return snapshot  # the signature check reports the images as unexposed
        now = snapshot.fetched_at
        banner, picture = await asyncio.gather(
            self._look(account, "banner", snapshot.banner_url, now),
            self._look(account, "picture", snapshot.picture_url, now),
        )
        looks = {"banner": banner, "picture": picture}
        return dataclasses.replace(
            snapshot,
            logo_seen={
                image: v.seen if isinstance(v, Verdict) else v for image, v in looks.items()
            },
            logo_analysed_at={
                image: v.analysed_at for image, v in looks.items() if isinstance(v, Verdict)
            },
        )

    async def _look(
        self, account: Account, image: str, url: str, now: datetime
    ) -> Verdict | bool | None:
        """A verdict, False when there is no such image, None when it could not be read."""
        if not url:
            return False  # no such image on the account, so no logo in it
        cached = self.cache.get(url)
        if cached is not None and now - cached.checked_at < self._recheck:
            self.stats.reused += 1
            return cached
        async with self._fetches:
            got = await download_image(
                self._client,
                url,
                etag=cached.etag if cached else "",
                last_modified=cached.last_modified if cached else "",
            )
        if got.not_modified and cached is not None:
            self.stats.not_modified += 1
            return self._keep(url, dataclasses.replace(cached, checked_at=now))
        if got.body is None:
            logger.info("logo: %s %s not checked: %s", account.id, image, got.detail)
            return None
        self.stats.downloaded += 1
        self.stats.bytes += len(got.body)
        content = hashlib.sha256(got.body).hexdigest()
        same = self.cache.by_content(content)
        if same is not None:  # the same picture seen elsewhere (a shared district banner)
            seen, analysed_at = same.seen, same.analysed_at
        else:
            # One analysis per content, even when two accounts show it at the same moment.
            if content not in self._analysing:
                self._analysing[content] = asyncio.ensure_future(
                    self._analyse(account, image, got.body)
                )
            found = await self._analysing[content]
            if found is None:
                return None  # kept: the same content is not analysed again this cycle
            # The verdict goes into the cache (by content) below, before any other look runs,
            # so the finished analysis need not be held for the rest of the cycle.
            self._analysing.pop(content, None)
            seen, analysed_at = found, now
        verdict = Verdict(seen, content, analysed_at, now, got.etag, got.last_modified)
        return self._keep(url, verdict)

    async def _analyse(self, account: Account, image: str, body: bytes) -> bool | None:
        async with self._cores:
            # Decoding too runs off the event loop: ~1 ms a banner, which the loop needs
            # for the other Pages' requests.
            try:
                found, problem = await asyncio.to_thread(self._detect, body)
            except cv2.error as exc:
                logger.warning("logo: %s %s could not be searched: %s", account.id, image, exc)
                return None
        if problem:
            logger.info("logo: %s %s not checked: %s", account.id, image, problem)
            return None
        self.stats.analysed += 1
        return found

    def _detect(self, body: bytes) -> tuple[bool, str]:
        """In a worker thread: (logo seen, "") or (False, why the image cannot be decoded)."""
        decoded = decode_image(body)
        if decoded.image is None:
            return False, decoded.detail
        return self._detector.seen(decoded.image), ""

    def _keep(self, url: str, verdict: Verdict) -> Verdict:
        self.cache.put(url, verdict)
        return verdict


@asynccontextmanager
async def open_enricher(app: App, fence: Fence | None = None) -> AsyncIterator[LogoEnricher | None]:
    """The logo step with its own image client and the saved verdicts, or None (no logo).

    On exit the verdicts of this cycle are saved for the next one (not by a fenced worker).
    """
    district = app.settings.district
    if not district.logo_files:
        yield None
        return
    detector = LogoDetector.from_files(district.logo_files)
    # The verdicts stay in memory between cycles (a daemon's next cycle needs them all):
    # reloading 20,000 from the database every cycle set the second cycle's peak memory.
    kept = app.between_cycles.pop(KEPT, None)
    if isinstance(kept, ImageCache) and kept.detector == detector.fingerprint:
        cache = kept
    else:
        cache = await asyncio.to_thread(ImageCache.load, app.sessions, detector.fingerprint)
    recheck = timedelta(days=district.logo_recheck_days)
    async with build_client(IMAGE_TIMEOUT, max_connections=8) as client:
        enricher = LogoEnricher(client, detector, cache, recheck=recheck)
        try:
            yield enricher
        finally:
            if await asyncio.to_thread(cache.save, app.sessions, app.clock(), fence):
                # Kept only when the database agrees with it; otherwise read it again.
                app.between_cycles[KEPT] = cache
            logger.info(
                "logo step: %d reused, %d not modified, %d downloaded (%d bytes), %d analysed",
                enricher.stats.reused,
                enricher.stats.not_modified,
                enricher.stats.downloaded,
                enricher.stats.bytes,
                enricher.stats.analysed,
            )
