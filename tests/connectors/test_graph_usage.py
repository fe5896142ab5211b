"""GraphThrottle reports the app's usage for the cycle's adaptive concurrency."""

from __future__ import annotations

import json

import httpx

from connectors.graph_throttle import GraphThrottle


def reply(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, headers=headers, json={})


def test_usage_is_unknown_before_any_reply_says_it() -> None:
    assert GraphThrottle(clock=lambda: 0.0).usage_percent() is None


def test_usage_is_the_latest_app_usage_header() -> None:
    throttle = GraphThrottle(clock=lambda: 0.0)
    app = {"call_count": 12, "total_cputime": 85, "total_time": 3}
    throttle.observe(reply({"X-App-Usage": json.dumps(app)}))
    assert throttle.usage_percent() == 85.0
    throttle.observe(reply({"X-App-Usage": json.dumps({"call_count": 4})}))
    assert throttle.usage_percent() == 4.0


def test_one_pages_business_usage_is_not_the_apps() -> None:
    # One Page's spent quota holds that Page only; the others' concurrency is not cut.
    throttle = GraphThrottle(clock=lambda: 0.0)
    page = {"42": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 5}]}
    throttle.observe(
        reply(
            {
                "X-App-Usage": json.dumps({"call_count": 5}),
                "X-Business-Use-Case-Usage": json.dumps(page),
            }
        )
    )
    assert throttle.usage_percent() == 5.0
    assert throttle.of("42").active
