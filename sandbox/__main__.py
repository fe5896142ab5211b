"""`python -m sandbox`: serve the demo district (or N synthetic pages) until SIGTERM/SIGINT.

Prints `SANDBOX_URL=http://127.0.0.1:PORT` on one line once the port is bound,
so a benchmark or test can start it as a subprocess and read where it listens.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sandbox.busy import make_busy
from sandbox.demo import demo_world
from sandbox.server import SandboxServer
from sandbox.world import Fault, World


def parse_fault(text: str) -> Fault:
    """'500' or '400:190' -> (status, code)."""
    status, _, code = text.partition(":")
    if not status.isdigit() or (code and not code.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not STATUS or STATUS:CODE (e.g. 500, 400:4)")
    return int(status), int(code) if code else None


def parse_now(text: str) -> datetime:
    """An ISO time for the demo's clock; naive means UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Local imitation of the Facebook Graph API."
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--pages", type=int, default=0, help="serve N synthetic pages instead of the demo"
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="delay of every Graph call")
    parser.add_argument("--usage-percent", type=int, default=5, help="reported in usage headers")
    parser.add_argument(
        "--fail-next",
        type=parse_fault,
        action="append",
        default=[],
        metavar="STATUS[:CODE]",
        help="fail the next request this way (repeat for more)",
    )
    parser.add_argument(
        "--roles-forbidden",
        action="append",
        default=[],
        metavar="PAGE_ID",
        help="answer this page's roles with the permission error (repeatable)",
    )
    parser.add_argument(
        "--throttled-page",
        action="append",
        default=[],
        metavar="PAGE_ID",
        help="report this page's business usage spent, 5 minutes to regain (repeatable)",
    )
    parser.add_argument(
        "--busy-page",
        action="append",
        default=[],
        metavar="PAGE_ID",
        help="make this synthetic page busy: 120 posts, 600 comments on one (repeatable)",
    )
    parser.add_argument("--now", type=parse_now, help="the demo's clock (default: now)")
    return parser


def world_from(args: argparse.Namespace) -> World:
    """The world the flags describe."""
    # This process's entry point: the one place the stand-alone sandbox reads the wall clock.
    live = args.now is None
    now = datetime.now(UTC) if live else args.now
    clock = (lambda: datetime.now(UTC)) if live else None
    world = World.synthetic(args.pages, now) if args.pages else demo_world(now, clock)
    world.latency_ms = args.latency_ms
    world.usage_percent = args.usage_percent
    world.fail_next.extend(args.fail_next)
    world.roles_forbidden.update(args.roles_forbidden)
    world.throttled_pages.update({page_id: 5 for page_id in args.throttled_page})
    if args.busy_page:
        make_busy(world, args.busy_page, now)
    return world


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox until SIGTERM or SIGINT, then stop it cleanly and return 0."""
    args = build_parser().parse_args(argv)
    if args.pages < 0 or args.latency_ms < 0 or not 0 <= args.usage_percent <= 100:
        print(
            "error: --pages and --latency-ms must be >= 0, --usage-percent 0..100", file=sys.stderr
        )
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: --port {args.port} is not a port number", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = SandboxServer(world_from(args), port=args.port).start()
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"SANDBOX_URL={server.base_url}", flush=True)
    # The server runs in a thread so this one owns the signals and exits 0 after a clean stop.
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
