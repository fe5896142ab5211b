"""The logo verdicts of banners and pictures already analysed, so unchanged images cost nothing.

A banner changes a few times a year, but every cycle sees its URL. The cache keeps, per
URL, the detector's verdict, the content hash and the HTTP validators. The enricher
(monitor.logo_enricher) reuses a verdict without any request while the URL is unchanged
and was checked recently, revalidates with a conditional request after that, and runs
the detector only on content it has never analysed. Verdicts are keyed to the detector's
fingerprint: new logo files mean every image is analysed again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.cycle_record import Fence, Fenced
from monitor.store.models import ImageVerdict

logger = logging.getLogger(__name__)

# A URL nobody has shown for this long is gone from every account: forget its verdict.
FORGET_AFTER = timedelta(days=90)
_CHUNK = 500  # rows per INSERT: well under SQLite's bound-parameter limit


def url_key(url: str) -> str:
    """The cache key of a URL (CDN URLs are long; their hash is a fixed-size key)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The detector's answer for one URL's content, and when it was analysed and checked."""

    seen: bool
    content_sha256: str
    analysed_at: datetime
    checked_at: datetime
    etag: str = ""
    last_modified: str = ""


class ImageCache:
    """Verdicts by URL and by content for one detector; remembers what changed."""

    def __init__(self, detector: str, verdicts: dict[str, Verdict] | None = None) -> None:
        self.detector = detector
        self._by_url = verdicts or {}
        self._by_content = {v.content_sha256: v for v in self._by_url.values()}
        self._changed: dict[str, Verdict] = {}

    @classmethod
    def load(cls, sessions: sessionmaker[Session], detector: str) -> ImageCache:
        """This detector's verdicts from the database; empty (and said once) if it cannot."""
        try:
            # Plain columns, streamed: ORM objects for every image at once (20,000 at
            # 10,000 Pages) set the cycle's peak memory, measured.
            query = select(
                ImageVerdict.url_key,
                ImageVerdict.seen,
                ImageVerdict.content_sha256,
                ImageVerdict.analysed_at,
                ImageVerdict.checked_at,
                ImageVerdict.etag,
                ImageVerdict.last_modified,
            ).where(ImageVerdict.detector == detector)
            with sessions() as session:
                rows = session.execute(query.execution_options(yield_per=1000))
                verdicts = {
                    key: Verdict(seen, content, analysed, checked, etag, modified)
                    for key, seen, content, analysed, checked, etag, modified in rows
                }
        except SQLAlchemyError as exc:
            # Only a cost: every image is analysed again this cycle.
            logger.warning("logo cache unreadable, analysing every image: %s", type(exc).__name__)
            verdicts = {}
        return cls(detector, verdicts)

    def get(self, url: str) -> Verdict | None:
        return self._by_url.get(url_key(url))

    def by_content(self, content_sha256: str) -> Verdict | None:
        return self._by_content.get(content_sha256)

    def put(self, url: str, verdict: Verdict) -> None:
        key = url_key(url)
        self._by_url[key] = verdict
        self._by_content[verdict.content_sha256] = verdict
        self._changed[key] = verdict

    @property
    def changed(self) -> int:
        return len(self._changed)

    def save(
        self, sessions: sessionmaker[Session], now: datetime, fence: Fence | None = None
    ) -> bool:
        """Write what changed (one transaction) and forget URLs not seen for FORGET_AFTER.

        Under a `fence`, nothing is written once another worker has taken the lease over.
        True when the database holds everything this cache knows.
        """
        self._forget(now - FORGET_AFTER)
        if not self._changed:
            return True
        rows = [_row(key, self.detector, v) for key, v in self._changed.items()]
        try:
            with sessions() as session, session.begin():
                if fence is not None:
                    fence.check(session)
                for start in range(0, len(rows), _CHUNK):
                    _upsert(session, rows[start : start + _CHUNK])
                session.execute(
                    delete(ImageVerdict).where(ImageVerdict.checked_at < now - FORGET_AFTER)
                )
        except Fenced:
            logger.info("logo cache not saved: another worker holds the lease")
            return False
        except SQLAlchemyError as exc:
            # The verdicts of this cycle are already in its findings; only the saving is lost.
            logger.warning("logo cache not saved: %s", type(exc).__name__)
            return False
        self._changed.clear()
        return True

    def _forget(self, before: datetime) -> None:
        """Drop what the database forgets too, so a cache kept in memory does not grow."""
        old = [key for key, v in self._by_url.items() if v.checked_at < before]
        if not old:
            return
        for key in old:
            del self._by_url[key]
            self._changed.pop(key, None)
        self._by_content = {v.content_sha256: v for v in self._by_url.values()}


def _row(key: str, detector: str, v: Verdict) -> dict[str, object]:
    return {
        "url_key": key,
        "detector": detector,
        "seen": v.seen,
        "content_sha256": v.content_sha256,
        "etag": v.etag,
        "last_modified": v.last_modified,
        "analysed_at": v.analysed_at,
        "checked_at": v.checked_at,
    }


def _upsert(session: Session, rows: list[dict[str, object]]) -> None:
    """INSERT ... ON CONFLICT (url_key) DO UPDATE, in the dialect of the database."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ImageVerdict).values(rows)
    columns = {c: stmt.excluded[c] for c in rows[0] if c != "url_key"}
    session.execute(stmt.on_conflict_do_update(index_elements=["url_key"], set_=columns))
