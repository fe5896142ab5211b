"""Signed links for the digest: "mark reviewed" and "open history" without a password.

A token is an itsdangerous URL-safe serialization (HMAC-SHA256 under its own salt of the
web secret key, so links, sessions and CSRF tokens never share a key) of the recipient,
the account ids they may act on, the purpose, when it was issued and when it expires.
The issue time lets `socmon users revoke-links EMAIL` withdraw every link sent before it.
Use it like this (the digest builds links, the web page verifies them):

    token = make_link_token(secret, email="a@x.ca", account_ids=["acc-1"], purpose="review",
                            expires_at=now + timedelta(days=7), issued_at=now)
    url = link_url(settings.web.public_url, token)
    claims = verify_link_token(token, secret, now=clock())  # LinkTampered / LinkExpired
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import SecretStr

Purpose = Literal["review", "history"]
PURPOSES: tuple[str, ...] = ("review", "history")
_VERSION = 2


class LinkError(Exception):
    """A link that must be refused; `status` is the HTTP status the web page answers."""

    status = 403
    outcome = "tampered"


class LinkTampered(LinkError):
    """The token is malformed or its signature does not match."""


class LinkExpired(LinkError):
    """The token was genuine but its expiry has passed."""

    status = 410
    outcome = "expired"


class LinkRevoked(LinkError):
    """The token was genuine but its recipient's links were revoked after it was issued."""

    status = 410
    outcome = "revoked"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a verified token allows: this person, these accounts, this purpose, until then."""

    email: str
    account_ids: tuple[str, ...]
    purpose: Purpose
    expires_at: datetime
    issued_at: datetime


def _serializer(secret: SecretStr | str | bytes) -> URLSafeSerializer:
    raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return URLSafeSerializer(
        raw, salt="socmon.digest-link", signer_kwargs={"digest_method": hashlib.sha256}
    )


def make_link_token(
    secret: SecretStr | str | bytes,
    *,
    email: str,
    account_ids: Iterable[str],
    purpose: Purpose,
    expires_at: datetime,
    issued_at: datetime | None = None,
) -> str:
    """A URL-safe signed token for one recipient and their accounts.

    Without `issued_at` the token counts as issued at the epoch: any revocation withdraws it.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    if expires_at.tzinfo is None or (issued_at is not None and issued_at.tzinfo is None):
        raise ValueError("expires_at and issued_at must be aware datetimes")
    ids = sorted(set(account_ids))
    if not ids:
        raise ValueError("a link must name at least one account")
    body = {
        "v": _VERSION,
        "p": purpose,
        "e": email.strip().lower(),
        "a": ids,
        "x": int(expires_at.timestamp()),
        "i": int(issued_at.timestamp()) if issued_at else 0,
    }
    return str(_serializer(secret).dumps(body))


def verify_link_token(token: str, secret: SecretStr | str | bytes, *, now: datetime) -> LinkClaims:
    """Check signature then expiry; raise LinkTampered or LinkExpired."""
    try:
        body: Any = _serializer(secret).loads(token)
    except BadSignature:
        raise LinkTampered("the link's signature does not match") from None
    try:
        claims = LinkClaims(
            email=str(body["e"]),
            account_ids=tuple(str(a) for a in body["a"]),
            purpose=body["p"],
            expires_at=datetime.fromtimestamp(int(body["x"]), UTC),
            issued_at=datetime.fromtimestamp(int(body["i"]), UTC),
        )
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        # Signed but unreadable: only a key shared with another format could do this.
        raise LinkTampered("the link's content is not readable") from None
    if body.get("v") != _VERSION or claims.purpose not in PURPOSES:
        raise LinkTampered("the link is of an unknown kind")
    if now >= claims.expires_at:
        raise LinkExpired(f"the link expired on {claims.expires_at:%Y-%m-%d %H:%M} UTC")
    return claims


def link_url(public_url: str, token: str) -> str:
    """The address a digest prints; empty when the web page has no public address."""
    return f"{public_url.rstrip('/')}/link/{token}" if public_url else ""
