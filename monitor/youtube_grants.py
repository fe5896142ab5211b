"""Per-channel YouTube grants: one refresh token per channel, each in its own 0600 file.

A channel's grant answers only for that channel (held-for-review comments and the
channel's own likes), so `socmon connect youtube ACCOUNT` stores one per channel under
the state directory (or `$CREDENTIALS_DIRECTORY/youtube-grants` when systemd provides
it). Never in the config file, never in a log line.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

logger = logging.getLogger(__name__)

FOLDER = "youtube-grants"
_CHANNEL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def grants_folder(state_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """Where grants live: systemd's credentials directory when set, else the state directory."""
    env = os.environ if env is None else env
    credentials = env.get("CREDENTIALS_DIRECTORY", "")
    if credentials and (Path(credentials) / FOLDER).is_dir():
        return Path(credentials) / FOLDER
    return state_dir / FOLDER


def save_grant(folder: Path, channel_id: str, refresh_token: str, at: datetime) -> Path:
    """Write one channel's grant readable by its owner only; returns the file written."""
    if not _CHANNEL.match(channel_id):
        raise ValueError(f"{channel_id!r} is not a channel id")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{channel_id}.json"
    spare = folder / f".{channel_id}.json.tmp"
    body = json.dumps(
        {"channel_id": channel_id, "refresh_token": refresh_token, "at": at.isoformat()}
    )
    # Created 0600 from the start: never a moment where another user could read it.
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(body)
    os.replace(spare, path)
    return path


def load_grants(folder: Path) -> dict[str, str]:
    """Channel id -> refresh token; an unreadable file is skipped with a warning naming it."""
    grants: dict[str, str] = {}
    if not folder.is_dir():
        return grants
    for path in sorted(folder.glob("*.json")):
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            logger.warning(
                "ignoring an unreadable YouTube grant file=%s error=%s", path, type(exc).__name__
            )
            continue
        channel = body.get("channel_id") if isinstance(body, dict) else None
        token = body.get("refresh_token") if isinstance(body, dict) else None
        if not isinstance(channel, str) or not isinstance(token, str) or path.stem != channel:
            logger.warning("ignoring a YouTube grant file without a matching channel file=%s", path)
            continue
        grants[channel] = token
    return grants
