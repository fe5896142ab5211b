"""What the connector tests share: recorded-shape fixtures, and an injected sleep and clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

NOW = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # 23:00 the day before, Pacific time
FIXTURES = Path(__file__).parent.parent / "fixtures"


class Recorder:
    """Injected sleep and clock: records each delay and moves the clock on by it."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.now = NOW

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += timedelta(seconds=seconds)

    def clock(self) -> datetime:
        return self.now


def recorded(platform: str) -> tuple[Callable[[str], Any], Callable[..., httpx.Response]]:
    """`fixture(name)` (the parsed JSON) and `reply(name, status, headers)` for one platform."""
    folder = FIXTURES / platform

    def fixture(name: str) -> Any:
        return json.loads((folder / name).read_text())

    def reply(
        name: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return httpx.Response(status, json=fixture(name), headers=headers)

    return fixture, reply
