"""The logo step of a cycle: fetch an account's banner and picture, look for the district logo.

Fills `snapshot.logo_seen` for the signature check; the detector is monitor.logo.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import cv2
import httpx

from connectors.base import AccountSnapshot, Fact
from connectors.http import build_client
from connectors.images import fetch_image
from monitor.cycle import Enrich
from monitor.logo import IMAGE_TIMEOUT, LogoDetector
from monitor.registry import Account
from monitor.settings import Settings

logger = logging.getLogger(__name__)


def make_enricher(
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    detector: LogoDetector | None = None,
    max_fetches: int = 8,
) -> Enrich:
    """The cycle step that fills `snapshot.logo_seen`; a no-op when no logo is configured."""
    if detector is None and settings.district.logo_files:
        detector = LogoDetector.from_files(settings.district.logo_files)
    if detector is None:

        async def unchanged(_account: Account, snapshot: AccountSnapshot) -> AccountSnapshot:
            return snapshot

        return unchanged
    found = detector
    fetches = asyncio.Semaphore(max_fetches)
    # Detection is CPU-bound: no more threads at it than there are cores.
    cores = asyncio.Semaphore(os.cpu_count() or 2)

    async def look(account: Account, image: str, url: str) -> bool | None:
        if not url:
            return False  # no such image on the account, so no logo in it
        async with fetches:
            fetched = await fetch_image(client, url)
        if fetched.image is None:
            logger.info("logo: %s %s not checked: %s", account.id, image, fetched.detail)
            return None
        async with cores:
            try:
                return await asyncio.to_thread(found.seen, fetched.image)
            except cv2.error as exc:
                logger.warning("logo: %s %s could not be searched: %s", account.id, image, exc)
                return None

    async def enrich(account: Account, snapshot: AccountSnapshot) -> AccountSnapshot:
        if not snapshot.exposes(Fact.IMAGES):
            return snapshot  # the signature check reports the images as unexposed
        banner, picture = await asyncio.gather(
            look(account, "banner", snapshot.banner_url),
            look(account, "picture", snapshot.picture_url),
        )
        return dataclasses.replace(snapshot, logo_seen={"banner": banner, "picture": picture})

    return enrich


@asynccontextmanager
async def open_enricher(settings: Settings) -> AsyncIterator[Enrich | None]:
    """The logo step with its own image client, or None when no logo is configured."""
    if not settings.district.logo_files:
        yield None
        return
    detector = LogoDetector.from_files(settings.district.logo_files)
    async with build_client(IMAGE_TIMEOUT, max_connections=8) as client:
        yield make_enricher(settings, client, detector=detector)
