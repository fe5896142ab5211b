"""Addresses printed in digests: the account on its platform, and signed web-page links."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote

from pydantic import SecretStr

from monitor.platforms import LABELS, by_id
from monitor.secrets import SecretMissing, resolve_secret
from monitor.settings import Settings
from monitor.signed_links import Purpose, link_url, make_link_token

logger = logging.getLogger(__name__)

# Derived from the platform declarations, where each platform's label and address live.
PLATFORM_LABELS = LABELS


def account_url(platform: str, platform_id: str) -> str:
    """The public address of an account; the id is quoted so it cannot break the URL."""
    try:
        template = by_id(platform).profile_url
    except KeyError:
        return ""
    return template.format(id=quote(platform_id.lstrip("@"), safe=""))


class Links:
    """Signed "history" and "mark reviewed" links for one run; empty when not configured."""

    def __init__(
        self,
        public_url: str,
        secret: SecretStr | None,
        expires_at: datetime,
        issued_at: datetime | None = None,
    ) -> None:
        self.public_url = public_url
        self._secret = secret
        self._expires_at = expires_at
        # The issue time lets `socmon users revoke-links` withdraw links sent before it.
        self._issued_at = issued_at

    @property
    def enabled(self) -> bool:
        return bool(self.public_url and self._secret is not None)

    def url(self, purpose: Purpose, email: str, account_id: str) -> str:
        if self._secret is None or not self.public_url:
            return ""
        token = make_link_token(
            self._secret,
            email=email,
            account_ids=[account_id],
            purpose=purpose,
            expires_at=self._expires_at,
            issued_at=self._issued_at,
        )
        return link_url(self.public_url, token)


def links_for(settings: Settings, now: datetime) -> Links:
    """Links for a run at `now`; without a public URL or its secret, digests carry no links."""
    web = settings.web
    if not web.public_url:
        return Links("", None, now)
    try:
        secret = resolve_secret(web.secret_key_secret)
    except SecretMissing as exc:
        # The digest is still worth sending without links; say why they are missing.
        logger.warning("digest links disabled reason=%s", exc)
        return Links("", None, now)
    return Links(web.public_url, secret, now + timedelta(days=web.link_valid_days), now)
