"""Logs: one key=value line per event, secrets never in them."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from monitor.logfmt import REDACTED, KeyValueFormatter, SecretRedactor, protect, quote


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(SecretRedactor())
    logger = logging.getLogger("socmon.test.logfmt")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)


def test_an_event_is_one_line_of_key_value_pairs(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log
    logger.info("cycle finished", extra={"accounts": 12, "school": "Mount Elgin Secondary"})
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert "level=info logger=socmon.test.logfmt" in line
    assert 'msg="cycle finished" accounts=12 school="Mount Elgin Secondary"' in line


def test_a_traceback_stays_on_the_events_line(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        logger.exception("job failed", extra={"job": "digests"})
    assert stream.getvalue().count("\n") == 1
    assert 'exc="Traceback' in stream.getvalue()


def test_known_secret_values_are_redacted_wherever_they_appear(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log
    secret = "s3cr3t-smtp-password-value"
    assert protect([secret], logger) == 1
    logger.warning("login failed with %s", secret, extra={"detail": f"pw={secret}"})
    try:
        raise RuntimeError(f"server said {secret}")
    except RuntimeError:
        logger.exception("send failed")
    out = stream.getvalue()
    assert secret not in out
    assert out.count(REDACTED) == 3


def test_token_shaped_strings_are_redacted_even_when_not_known(
    log: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log
    page_token = "EAAD" + "x1" * 24
    logger.info("GET /v26.0/me?access_token=abc123def456 Authorization: Bearer zzzzzzzzzzzz")
    logger.info("token %s rejected", page_token)
    out = stream.getvalue()
    assert "abc123def456" not in out and "zzzzzzzzzzzz" not in out and page_token not in out


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = SecretRedactor(["abc"])
    assert redactor.redact("abc school") == "abc school"


def test_values_are_quoted_only_when_they_need_it() -> None:
    assert quote("facebook") == "facebook"
    assert quote("two words") == '"two words"'
    assert quote('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert quote("") == '""'
