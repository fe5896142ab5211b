"""OpenID Connect sign-in (authorization code + PKCE) against the district's provider.

Authlib builds the authorization request and the PKCE challenge; joserfc (Authlib's JOSE
library) verifies the ID token: signature against the provider's published keys, issuer,
audience, expiry and nonce, all read against the App's clock. The provider is named by
its issuer URL; its endpoints come from its discovery document, whose `issuer` must be
exactly that URL (OpenID Connect Discovery 1.0, section 4.3).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import SecretStr

from monitor.settings_web import Oidc

logger = logging.getLogger(__name__)

LEEWAY_SECONDS = 60  # clock skew allowed between the provider and this server
ROLE_ORDER = ("comms", "it", "manager")


class OidcError(Exception):
    """The sign-in cannot complete; the message is safe to show and names no secret."""

    status = 400


class NotDistrictAccount(OidcError):
    """Signed in at the provider, but not as someone socmon lets in."""

    status = 403


class ProviderUnavailable(OidcError):
    """The provider did not answer or answered nonsense: try again later."""

    status = 502


@dataclass(frozen=True, slots=True)
class Pending:
    """What the browser carries between the redirect to the provider and the callback."""

    state: str
    nonce: str
    verifier: str
    next: str


def get_json(http: httpx.Client, url: str) -> dict[str, Any]:
    try:
        response = http.get(url)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("identity provider unavailable url=%s error=%s", url, type(exc).__name__)
        raise ProviderUnavailable(
            "The district's sign-in service did not answer. Try again."
        ) from None
    if not isinstance(body, dict):
        raise ProviderUnavailable("The district's sign-in service answered nonsense.")
    return body


def discover(http: httpx.Client, oidc: Oidc) -> dict[str, Any]:
    """The provider's metadata; refused when it names another issuer."""
    meta = get_json(http, f"{oidc.issuer}/.well-known/openid-configuration")
    if meta.get("issuer") != oidc.issuer:
        logger.error("identity provider names another issuer: %r", meta.get("issuer"))
        raise ProviderUnavailable(
            "The district's sign-in service does not identify itself as the configured issuer."
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(key), str):
            raise ProviderUnavailable(f"The sign-in service's metadata has no {key}.")
    return meta


def authorization_url(
    meta: dict[str, Any], oidc: Oidc, redirect_uri: str, next: str
) -> tuple[str, Pending]:
    """Where to send the browser, and what to remember for the callback."""
    pending = Pending(generate_token(32), generate_token(32), generate_token(64), next)
    url = prepare_grant_uri(
        meta["authorization_endpoint"],
        client_id=oidc.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=" ".join(oidc.scopes),
        state=pending.state,
        nonce=pending.nonce,
        code_challenge=create_s256_code_challenge(pending.verifier),
        code_challenge_method="S256",
    )
    return url, pending


def exchange_code(
    http: httpx.Client,
    meta: dict[str, Any],
    oidc: Oidc,
    secret: SecretStr,
    redirect_uri: str,
    code: str,
    verifier: str,
) -> str:
    """The ID token for an authorization code (refused: expired, replayed or foreign code)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": oidc.client_id,
        "client_secret": secret.get_secret_value(),
    }
    try:
        response = http.post(meta["token_endpoint"], data=data)
    except httpx.HTTPError as exc:
        logger.warning("token endpoint unavailable error=%s", type(exc).__name__)
        raise ProviderUnavailable(
            "The district's sign-in service did not answer. Try again."
        ) from None
    if response.status_code == 400:
        # invalid_grant: the code expired, was used already, or was issued to someone else.
        logger.warning("authorization code refused by the provider")
        raise OidcError("This sign-in has expired or was already used. Sign in again.")
    try:
        response.raise_for_status()
        token = response.json().get("id_token")
    except (httpx.HTTPError, ValueError, AttributeError):
        raise ProviderUnavailable("The district's sign-in service answered nonsense.") from None
    if not isinstance(token, str):
        raise ProviderUnavailable("The district's sign-in service sent no ID token.")
    return token


def verify_id_token(
    token: str, jwks: dict[str, Any], oidc: Oidc, nonce: str, now: datetime
) -> dict[str, Any]:
    """The ID token's claims once signature, issuer, audience, times and nonce all hold."""
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=["RS256", "ES256", "PS256", "EdDSA"])
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": oidc.issuer},
            aud={"essential": True, "value": oidc.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, TypeError) as exc:
        logger.warning("ID token refused: %s", type(exc).__name__)
        raise OidcError(
            "The sign-in service's answer could not be verified. Sign in again."
        ) from None
    return dict(decoded.claims)


def email_of(claims: dict[str, Any], oidc: Oidc) -> str:
    """The verified email, inside the district's allowed domains."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcError("The sign-in service did not share your email address.")
    if claims.get("email_verified") is False:
        raise OidcError("Your email address is not verified by the sign-in service.")
    email = email.strip().lower()
    if email.rsplit("@", 1)[1] not in oidc.allowed_domains:
        logger.warning("sign-in refused: email outside the allowed domains")
        raise NotDistrictAccount("This account is not one of the district's.")
    return email


def role_from_claims(claims: dict[str, Any], oidc: Oidc) -> str | None:
    """The role the group/role claim maps to (comms before it before manager), if any."""
    if not oidc.role_claim:
        return None
    values = claims.get(oidc.role_claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    roles = {oidc.role_map[v] for v in values if isinstance(v, str) and v in oidc.role_map}
    return next((r for r in ROLE_ORDER if r in roles), None)
