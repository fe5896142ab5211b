"""Logs as one `key=value` line per event (journald-friendly), with secrets redacted.

`logger.info("cycle finished", extra={"accounts": 12})` gives
`ts=... level=info logger=socmon.daemon msg="cycle finished" accounts=12`.
Tracebacks are folded into one quoted `exc=` value so an event never spans lines.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from monitor.errors import escape_controls

REDACTED = "[redacted]"
# Credentials that may be learnt at run time (Facebook page tokens) and so are not
# known to the filter by value: redact them by shape.
SHAPES = (
    re.compile(r"\bEAA[A-Za-z0-9]{20,}"),
    re.compile(r"(?i)(access_token=)[^&\s\"']+"),
    re.compile(r"(?i)(input_token=)[^&\s\"']+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
)
# Values shorter than this are not redacted by value: "abc" would mangle ordinary words.
MIN_SECRET_LENGTH = 6
# Attributes every LogRecord has; anything else came from `extra=` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+,-]+$")


def quote(value: object) -> str:
    """A logfmt value: bare when safe, else double-quoted with escapes (never a newline)."""
    text = value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)
    if text and _BARE.match(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    # Any other control character (ESC, NUL, C1) as \xNN: a log line never drives a terminal.
    return '"' + escape_controls(escaped) + '"'


class KeyValueFormatter(logging.Formatter):
    """`ts level logger msg` then the record's extra fields, all on one line."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        parts = [
            f"ts={ts.replace('+00:00', 'Z')}",
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"msg={quote(record.getMessage())}",
        ]
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                parts.append(f"{key}={quote(value)}")
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(f"exc={quote(record.exc_text)}")
        return " ".join(parts)


class SecretRedactor(logging.Filter):
    """Replaces known secret values and token-shaped strings in every record it sees."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also redact these values (longest first, so one secret inside another is covered)."""
        with self._lock:
            known = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for shape in SHAPES:
            text = shape.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(level: int | str = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Replace the root handlers with one key=value handler that redacts secrets."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(SecretRedactor())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def protect(secrets: Iterable[str], logger: logging.Logger | None = None) -> int:
    """Teach every redacting handler on `logger` (default: root) these secret values."""
    values = [s for s in secrets if s]
    count = 0
    for handler in (logger or logging.getLogger()).handlers:
        for flt in handler.filters:
            if isinstance(flt, SecretRedactor):
                flt.add(values)
                count += 1
    return count
