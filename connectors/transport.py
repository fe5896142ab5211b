"""An httpx transport of single-connection lanes: O(1) pool bookkeeping per request.

httpcore's pool re-examines every connection against every queued request each time a
request starts or ends, which made it the largest CPU cost of a cycle with 16 requests
in flight (profiled: about 40 % of the event loop's time). Here each lane is its own
one-connection pool; a request borrows a free lane and gives it back when its body is
closed, so connections are reused exactly as before and no lane is ever shared.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx


class _ReturningStream(httpx.AsyncByteStream):
    """The response body; closing it gives the lane back (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, give_back: Callable[[], None]) -> None:
        self._stream = stream
        self._give_back: Callable[[], None] | None = give_back

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._give_back is not None:
                self._give_back()
                self._give_back = None


class LaneTransport(httpx.AsyncBaseTransport):
    """`lanes` keep-alive connections; a request waits up to `pool_timeout` for a free one."""

    def __init__(self, lanes: int, *, pool_timeout: float | None = None) -> None:
        if lanes <= 0:
            raise ValueError("lanes must be positive")
        # One TLS context for all lanes: building one reads the CA bundle (~30 ms each).
        tls = httpx.create_ssl_context()
        self._lanes = [
            httpx.AsyncHTTPTransport(
                verify=tls, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)
            )
            for _ in range(lanes)
        ]
        self._free: asyncio.Queue[httpx.AsyncHTTPTransport] | None = None
        self._pool_timeout = pool_timeout

    def _queue(self) -> asyncio.Queue[httpx.AsyncHTTPTransport]:
        # Made on first use, inside the event loop that will use it.
        if self._free is None:
            self._free = asyncio.Queue()
            for lane in self._lanes:
                self._free.put_nowait(lane)
        return self._free

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        free = self._queue()
        try:
            lane = await asyncio.wait_for(free.get(), self._pool_timeout)
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection in time", request=request) from None
        try:
            response = await lane.handle_async_request(request)
        except BaseException:
            free.put_nowait(lane)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReturningStream(response.stream, lambda: free.put_nowait(lane)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()
