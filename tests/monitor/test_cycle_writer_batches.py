"""The writer stores results in full batches at speed, and a partial batch does not wait long."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from monitor import cycle_writer
from monitor.cycle_writer import BATCH, Outcome


def outcomes(n: int) -> list[Outcome]:
    return [cast(Outcome, object()) for _ in range(n)]


async def queued(items: list[Any]) -> asyncio.Queue[Outcome | None]:
    queue: asyncio.Queue[Outcome | None] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    return queue


async def test_a_full_batch_is_taken_at_once() -> None:
    queue = await queued([*outcomes(BATCH + 5), None])
    batch, done = await cycle_writer._next_batch(queue)
    assert (len(batch), done) == (BATCH, False)
    batch, done = await cycle_writer._next_batch(queue)
    assert (len(batch), done) == (5, True)


async def test_results_arriving_while_a_batch_fills_join_it() -> None:
    queue = await queued(outcomes(1))

    async def more() -> None:
        for item in [*outcomes(3), None]:
            await asyncio.sleep(0)  # a yield, no wall-clock wait
            queue.put_nowait(item)

    feeder = asyncio.create_task(more())
    batch, done = await cycle_writer._next_batch(queue)
    await feeder
    assert (len(batch), done) == (4, True)


async def test_a_partial_batch_goes_when_its_wait_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cycle_writer, "BATCH_WAIT", 0.0)
    queue = await queued(outcomes(3))
    batch, done = await cycle_writer._next_batch(queue)
    assert (len(batch), done) == (3, False)
