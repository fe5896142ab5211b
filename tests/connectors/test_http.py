"""request_json retry/backoff semantics, build_client and Throttle."""

from __future__ import annotations

import httpx
import pytest
import respx

from connectors.base import (
    AuthFailed,
    ConnectorError,
    NotFound,
    RateLimited,
    Unavailable,
)
from connectors.http import RetryPolicy, Throttle, build_client, request_json

URL = "https://api.example.test/v1/thing"


def classify_status(response: httpx.Response) -> ConnectorError | None:
    """A tiny classifier in the shape connectors provide."""
    if response.is_success:
        return None
    if response.status_code == 429:
        after = response.headers.get("Retry-After")
        return RateLimited("slow down", retry_after=float(after) if after else None)
    if response.status_code == 401:
        return AuthFailed("bad token")
    if response.status_code == 404:
        return NotFound("no such thing")
    if response.status_code >= 500:
        return Unavailable("server error")
    return ConnectorError("refused", permanent=True)


class Recorder:
    """An injected sleep that records delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


POLICY = RetryPolicy(max_retries=3, backoff_base=0.5, backoff_cap=30.0, jitter=lambda: 0.0)


async def call(client: httpx.AsyncClient, sleep: Recorder, policy: RetryPolicy = POLICY) -> object:
    return await request_json(
        client, "GET", URL, classify=classify_status, retry=policy, sleep=sleep
    )


@respx.mock
async def test_it_returns_the_json_body_of_a_good_reply() -> None:
    respx.get(URL).respond(200, json={"ok": True})
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        assert await call(client, sleep) == {"ok": True}
    assert sleep.delays == []


@respx.mock
async def test_it_retries_a_500_then_returns_the_200() -> None:
    route = respx.get(URL)
    route.side_effect = [httpx.Response(500), httpx.Response(200, json=[1])]
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        assert await call(client, sleep) == [1]
    assert route.call_count == 2
    assert sleep.delays == [0.25]


@respx.mock
async def test_it_backs_off_exponentially_and_raises_unavailable_when_retries_run_out() -> None:
    route = respx.get(URL)
    route.side_effect = httpx.ConnectTimeout("slow")
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        with pytest.raises(Unavailable, match="timed out"):
            await call(client, sleep)
    assert route.call_count == 4  # first try + 3 retries
    assert sleep.delays == [0.25, 0.5, 1.0]


@respx.mock
async def test_it_spreads_delays_with_the_injected_jitter() -> None:
    respx.get(URL).side_effect = [httpx.Response(503), httpx.Response(200, json={})]
    sleep = Recorder()
    policy = RetryPolicy(backoff_base=2.0, jitter=lambda: 0.5)
    async with httpx.AsyncClient() as client:
        await call(client, sleep, policy)
    assert sleep.delays == [1.5]  # half of 2s, plus half of the other half


def test_it_caps_the_backoff_step() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=4.0, jitter=lambda: 0.999999)
    assert policy.delay_for(10, Unavailable("x")) == pytest.approx(4.0)


@respx.mock
async def test_it_recovers_after_a_timeout() -> None:
    route = respx.get(URL)
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json={"n": 1})]
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        assert await call(client, sleep) == {"n": 1}
    assert route.call_count == 2


@respx.mock
async def test_it_turns_a_dropped_connection_into_unavailable() -> None:
    respx.get(URL).side_effect = httpx.ConnectError("refused")
    async with httpx.AsyncClient() as client:
        with pytest.raises(Unavailable, match="ConnectError"):
            await call(client, Recorder(), RetryPolicy(max_retries=0))


@respx.mock
async def test_it_waits_the_retry_after_of_a_rate_limit() -> None:
    route = respx.get(URL)
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(200, json={}),
    ]
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        await call(client, sleep)
    assert sleep.delays == [7.0]


@respx.mock
async def test_it_gives_up_at_once_when_retry_after_exceeds_the_cap() -> None:
    route = respx.get(URL).respond(429, headers={"Retry-After": "3600"})
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        with pytest.raises(RateLimited) as caught:
            await call(client, sleep, RetryPolicy(retry_after_cap=120))
    assert caught.value.retry_after == 3600
    assert route.call_count == 1
    assert sleep.delays == []


@respx.mock
@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthFailed), (404, NotFound), (400, ConnectorError)]
)
async def test_it_raises_permanent_errors_without_retrying(
    status: int, error: type[ConnectorError]
) -> None:
    route = respx.get(URL).respond(status)
    sleep = Recorder()
    async with httpx.AsyncClient() as client:
        with pytest.raises(error) as caught:
            await call(client, sleep)
    assert caught.value.permanent
    assert route.call_count == 1
    assert sleep.delays == []


@respx.mock
async def test_it_retries_malformed_json_and_then_raises_unavailable() -> None:
    route = respx.get(URL).respond(200, text="{not json")
    async with httpx.AsyncClient() as client:
        with pytest.raises(Unavailable, match="malformed JSON"):
            await call(client, Recorder(), RetryPolicy(max_retries=1, jitter=lambda: 0.0))
    assert route.call_count == 2


@respx.mock
async def test_it_shows_every_response_to_the_hook_and_runs_before_request_each_attempt() -> None:
    respx.get(URL).side_effect = [httpx.Response(500), httpx.Response(200, json={})]
    seen: list[int] = []
    attempts: list[int] = []

    async def before() -> None:
        attempts.append(1)

    async with httpx.AsyncClient() as client:
        await request_json(
            client,
            "GET",
            URL,
            classify=classify_status,
            retry=POLICY,
            sleep=Recorder(),
            on_response=lambda r: seen.append(r.status_code),
            before_request=before,
        )
    assert seen == [500, 200]
    assert len(attempts) == 2


@respx.mock
async def test_error_messages_never_carry_the_query_string() -> None:
    respx.get(URL).side_effect = httpx.ConnectTimeout("slow")
    async with httpx.AsyncClient() as client:
        with pytest.raises(Unavailable) as caught:
            await request_json(
                client,
                "GET",
                URL + "?secret=abc123",
                classify=classify_status,
                retry=RetryPolicy(max_retries=0),
                sleep=Recorder(),
            )
    assert "abc123" not in str(caught.value)
    assert "api.example.test/v1/thing" in str(caught.value)


async def test_build_client_sets_timeouts_limits_and_user_agent() -> None:
    client = build_client(timeout_seconds=12.5, max_connections=4)
    try:
        assert client.timeout.read == 12.5
        assert client.timeout.connect == 10.0
        assert client.headers["User-Agent"] == "socmon/0.1"
    finally:
        await client.aclose()


def test_build_client_refuses_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="positive"):
        build_client(timeout_seconds=0, max_connections=4)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_throttle_makes_the_next_request_wait_the_held_time() -> None:
    sleep, clock = Recorder(), FakeClock()
    throttle = Throttle("facebook", sleep=sleep, clock=clock)
    await throttle.wait()
    throttle.hold(5.0, "usage 95%")
    clock.now += 2.0
    await throttle.wait()
    assert sleep.delays == [3.0]
    assert throttle.active


async def test_throttle_stops_waiting_once_released() -> None:
    sleep = Recorder()
    throttle = Throttle("facebook", sleep=sleep, clock=FakeClock())
    throttle.hold(5.0, "usage 95%")
    throttle.release()
    await throttle.wait()
    assert sleep.delays == []
    assert not throttle.active


async def test_throttle_raises_rate_limited_when_the_hold_is_longer_than_allowed() -> None:
    sleep = Recorder()
    throttle = Throttle("facebook", sleep=sleep, clock=FakeClock())
    throttle.hold(600.0, "usage 100%")
    with pytest.raises(RateLimited) as caught:
        await throttle.wait(max_wait=120.0)
    assert caught.value.retry_after == 600.0
    assert sleep.delays == []


def test_throttle_logs_only_when_its_state_changes(caplog: pytest.LogCaptureFixture) -> None:
    throttle = Throttle("facebook", clock=FakeClock())
    with caplog.at_level("INFO", logger="connectors.http"):
        throttle.hold(1.0, "usage 91%")
        throttle.hold(2.0, "usage 92%")
        throttle.release()
        throttle.release()
    assert [r.getMessage() for r in caplog.records] == [
        "facebook: throttling requests (usage 91%)",
        "facebook: usage back to normal, no longer throttling",
    ]
