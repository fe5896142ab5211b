"""Google's OAuth device flow and per-channel grants, as the sandbox imitates them.

POST /device/code hands out a device and user code; POST /token with the device
grant answers `authorization_pending` once, then grants the channel named by
`SocialWorld.youtube_device_approver` (declines when it is empty). A grant's refresh
token yields access tokens that answer for that one channel only.
(developers.google.com/youtube/v3/guides/auth/devices)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.social import YOUTUBE_CLIENT_ID, YOUTUBE_CLIENT_SECRET, SocialWorld

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"


def _client_ok(form: dict[str, str], *, secret: bool = True) -> bool:
    return form.get("client_id") == YOUTUBE_CLIENT_ID and (
        not secret or form.get("client_secret") == YOUTUBE_CLIENT_SECRET
    )


def _error(status: int, error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def grant_token(social: SocialWorld, form: dict[str, str]) -> Response:
    """An access token from a per-channel refresh token, answering for that channel only."""
    if not _client_ok(form):
        social.errors += 1
        return _error(401, "invalid_client", "The OAuth client was not found.")
    channel = social.youtube_grants[form["refresh_token"]]
    access = f"ya29.sandbox-{channel}-{len(social.youtube_access) + 1:04d}"
    social.youtube_access.add(access)
    social.youtube_access_channel[access] = channel
    body: dict[str, Any] = {"access_token": access, "expires_in": 3599, "scope": SCOPE}
    return JSONResponse(body | {"token_type": "Bearer"})


def routes(social: SocialWorld) -> list[Route]:
    """The device-code and device-grant token routes."""

    async def form_of(request: Request) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}

    async def device_code(request: Request) -> Response:
        social.calls["youtube_device_code"] += 1
        form = await form_of(request)
        if not _client_ok(form, secret=False):
            social.errors += 1
            return _error(401, "invalid_client", "The OAuth client was not found.")
        number = len(social.youtube_devices) + 1
        device, user = f"sandbox-device-{number:04d}", f"SBOX-{number:04d}"
        social.youtube_devices[device] = (user, 0)
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "device_code": device,
                "user_code": user,
                "verification_url": f"{base}/_sandbox/device",
                "expires_in": 1800,
                "interval": 5,
            }
        )

    async def token(request: Request) -> Response:
        social.calls["youtube_device_token"] += 1
        form = await form_of(request)
        if form.get("grant_type") != DEVICE_GRANT or not _client_ok(form):
            social.errors += 1
            return _error(400, "invalid_request", "Only the device grant is served here.")
        waiting = social.youtube_devices.get(form.get("device_code", ""))
        if waiting is None:
            return _error(400, "invalid_grant", "Malformed auth code.")
        user, polls = waiting
        if polls == 0:  # the person has not typed the code yet
            social.youtube_devices[form["device_code"]] = (user, 1)
            return _error(428, "authorization_pending", "Precondition Required")
        del social.youtube_devices[form["device_code"]]
        channel = social.youtube_device_approver
        if not channel:
            return _error(403, "access_denied", "Forbidden")
        refresh = f"1//sandbox-grant-{channel}"
        social.youtube_grants[refresh] = channel
        access = f"ya29.sandbox-{channel}-{len(social.youtube_access) + 1:04d}"
        social.youtube_access.add(access)
        social.youtube_access_channel[access] = channel
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": 3599,
                "scope": SCOPE,
                "token_type": "Bearer",
            }
        )

    return [
        Route("/device/code", device_code, methods=["POST"]),
        Route("/token", token, methods=["POST"]),
    ]
