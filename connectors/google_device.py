"""Google's OAuth device flow: a person grants one channel's read access from any browser.

`start` asks for a device code; the person opens the verification URL and types the
user code while signed in as the channel; `poll` asks the token endpoint at the
interval Google sets until it answers with tokens, a refusal, or the code expires.
(developers.google.com/youtube/v3/guides/auth/devices)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from connectors.base import AuthFailed, ConnectorError, Unavailable
from connectors.http import Sleep

DEVICE_PATH = "/device/code"
TOKEN_PATH = "/token"
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5  # seconds added to the interval on `slow_down` (RFC 8628 3.5)


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """What the person needs to see, and what the poll needs to send."""

    device_code: str
    user_code: str
    verification_url: str
    expires_in: int
    interval: int


class DeviceFlowRefused(ConnectorError):
    """The person declined, or the code expired before they approved it."""

    kind = "auth"

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


async def _post(client: httpx.AsyncClient, url: str, form: dict[str, str]) -> httpx.Response:
    try:
        return await client.post(url, data=form)
    except httpx.TransportError as exc:
        raise Unavailable(f"Google OAuth did not answer: {type(exc).__name__}") from exc


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise Unavailable("Google OAuth: malformed JSON in the reply") from None
    if not isinstance(body, dict):
        raise Unavailable("Google OAuth: the reply is not a JSON object")
    return body


async def start(
    client: httpx.AsyncClient, oauth_url: str, client_id: str, scope: str = SCOPE
) -> DeviceCode:
    """Ask Google for a device code and the user code to show."""
    response = await _post(
        client, f"{oauth_url.rstrip('/')}{DEVICE_PATH}", {"client_id": client_id, "scope": scope}
    )
    body = _json(response)
    if response.status_code != 200:
        error = str(body.get("error", "")) or f"HTTP {response.status_code}"
        raise AuthFailed(f"Google refused the device-code request: {error}")
    try:
        return DeviceCode(
            device_code=str(body["device_code"]),
            user_code=str(body["user_code"]),
            # Google says verification_url; RFC 8628 says verification_uri.
            verification_url=str(body.get("verification_url") or body["verification_uri"]),
            expires_in=int(body.get("expires_in", 1800)),
            interval=int(body.get("interval", 5)),
        )
    except (KeyError, TypeError, ValueError):
        raise Unavailable("Google OAuth: the device-code reply lacks a field") from None


async def poll(
    client: httpx.AsyncClient,
    oauth_url: str,
    code: DeviceCode,
    *,
    client_id: str,
    client_secret: str,
    clock: Callable[[], datetime],
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Any]:
    """Poll the token endpoint until the person approves; the token reply (with refresh_token)."""
    deadline = clock() + timedelta(seconds=code.expires_in)
    interval = max(code.interval, 1)
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "device_code": code.device_code,
        "grant_type": DEVICE_GRANT,
    }
    while clock() < deadline:
        await sleep(interval)
        response = await _post(client, f"{oauth_url.rstrip('/')}{TOKEN_PATH}", form)
        body = _json(response)
        if response.status_code == 200:
            if not isinstance(body.get("refresh_token"), str):
                raise Unavailable("Google OAuth: the token reply has no refresh_token")
            return body
        error = str(body.get("error", ""))
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
            continue
        if error == "access_denied":
            raise DeviceFlowRefused("the person declined the grant")
        if error == "expired_token":
            break
        raise AuthFailed(f"Google refused the device grant: {error or response.status_code}")
    raise DeviceFlowRefused("the code expired before anyone approved it; run the command again")
