"""Signed links for the digest: "mark reviewed" and "open history" without a password.

A token is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`. The payload
names the recipient, the account ids they may act on, the purpose and an expiry; the
key is derived from the web secret key, so links, sessions and CSRF tokens never share
a key. Use it like this (the digest builds links, the web page verifies them):

    token = make_link_token(secret, email="a@x.ca", account_ids=["acc-1"],
                            purpose="review", expires_at=now + timedelta(days=7))
    url = link_url(settings.web.public_url, token)
    claims = verify_link_token(token, secret, now=clock())  # LinkTampered / LinkExpired
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import SecretStr

Purpose = Literal["review", "history"]
PURPOSES: tuple[str, ...] = ("review", "history")
_VERSION = 1


class LinkError(Exception):
    """A link that must be refused; `status` is the HTTP status the web page answers."""

    status = 403


class LinkTampered(LinkError):
    """The token is malformed or its signature does not match."""


class LinkExpired(LinkError):
    """The token was genuine but its expiry has passed."""

    status = 410


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a verified token allows: this person, these accounts, this purpose, until then."""

    email: str
    account_ids: tuple[str, ...]
    purpose: Purpose
    expires_at: datetime


def derive_key(secret: SecretStr | str | bytes, label: str) -> bytes:
    """A sub-key of the web secret for one use (links, sessions, csrf)."""
    raw = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    raw_bytes = raw.encode() if isinstance(raw, str) else raw
    return hmac.new(raw_bytes, f"socmon:{label}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def make_link_token(
    secret: SecretStr | str | bytes,
    *,
    email: str,
    account_ids: Iterable[str],
    purpose: Purpose,
    expires_at: datetime,
) -> str:
    """A URL-safe signed token for one recipient and their accounts."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    ids = sorted(set(account_ids))
    if not ids:
        raise ValueError("a link must name at least one account")
    body = {
        "v": _VERSION,
        "p": purpose,
        "e": email.strip().lower(),
        "a": ids,
        "x": int(expires_at.timestamp()),
    }
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_sign(derive_key(secret, 'link'), payload)}"


def verify_link_token(token: str, secret: SecretStr | str | bytes, *, now: datetime) -> LinkClaims:
    """Check signature then expiry; raise LinkTampered or LinkExpired."""
    payload, sep, signature = token.partition(".")
    if not sep or not payload or not signature:
        raise LinkTampered("the link is incomplete")
    expected = _sign(derive_key(secret, "link"), payload)
    if not hmac.compare_digest(expected, signature):
        raise LinkTampered("the link's signature does not match")
    try:
        body = json.loads(_unb64(payload))
        claims = LinkClaims(
            email=str(body["e"]),
            account_ids=tuple(str(a) for a in body["a"]),
            purpose=body["p"],
            expires_at=datetime.fromtimestamp(int(body["x"]), UTC),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
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
