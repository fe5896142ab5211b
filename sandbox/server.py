"""Run the sandbox app with uvicorn: in a background thread for tests, or as a process.

The listening socket is bound before uvicorn starts, so `base_url` is known at
once and early requests wait in the socket's backlog instead of failing.
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

import uvicorn

from sandbox.app import create_app
from sandbox.world import World

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"


def bind(port: int = 0) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(1024)
    return sock


def make_server(world: World) -> uvicorn.Server:
    """A quiet uvicorn server for the world's app."""
    config = uvicorn.Config(
        create_app(world), log_level="warning", access_log=False, lifespan="off"
    )
    return _Server(config)


class _Server(uvicorn.Server):
    """uvicorn.Server that tells a waiting thread when it is up (or has given up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class SandboxServer:
    """The sandbox on a free 127.0.0.1 port in a background thread; use as a context manager."""

    def __init__(self, world: World, port: int = 0) -> None:
        self.world = world
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self) -> SandboxServer:
        """Start serving; `base_url` is set when this returns."""
        sock = bind(self._port)
        self.base_url = f"http://{HOST}:{sock.getsockname()[1]}"
        server = make_server(self.world)
        assert isinstance(server, _Server)
        # uvicorn leaves signal handling alone outside the main thread: the caller owns it.
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True
        )
        self._thread.start()
        if not server.ready.wait(timeout=10) or not server.started:
            self.stop()
            raise RuntimeError("the sandbox server did not start")
        logger.info("sandbox serving at %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
