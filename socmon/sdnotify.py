"""systemd's sd_notify protocol in a few lines: one datagram to $NOTIFY_SOCKET, no dependency.

Outside systemd (no $NOTIFY_SOCKET) every call is a no-op, so `socmon run` behaves
the same in a terminal, a container or a test.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

logger = logging.getLogger(__name__)


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `message` (e.g. "READY=1") to systemd; False when not run under systemd."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        # An abstract socket: '@' stands for the leading NUL byte of its name.
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        # systemd going away must not stop the daemon; the watchdog will tell.
        logger.warning("sd_notify failed message=%s error=%s", message.split("=")[0], exc)
        return False
    return True


def watchdog_seconds(environ: Mapping[str, str] | None = None) -> float | None:
    """How often to send WATCHDOG=1 (half of $WATCHDOG_USEC), or None when no watchdog is set."""
    env = os.environ if environ is None else environ
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # the watchdog is meant for another process (e.g. our parent)
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2 / 1_000_000 if usec > 0 else None
