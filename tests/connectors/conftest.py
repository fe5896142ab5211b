"""Fixtures shared by the connector tests: an injected sleep and clock, and a plain client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from recorded import Recorder


@pytest.fixture
def sleep() -> Recorder:
    return Recorder()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http
