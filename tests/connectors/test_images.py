"""Image fetching limits: size, type, truncation, garbage and decompression bombs give None."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import cv2
import httpx
import numpy as np
import pytest
import respx

from connectors.images import MAX_BYTES, Fetched, Problem, decode_image, fetch_image

URL = "https://cdn.example.test/img/banner"
PIXELS = np.full((40, 60, 3), (30, 120, 200), np.uint8)


def encoded(ext: str) -> bytes:
    ok, buf = cv2.imencode(ext, PIXELS)
    assert ok
    return bytes(buf)


def png_header_only(width: int, height: int) -> bytes:
    """A small, valid-looking PNG claiming a `width` x `height` canvas (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # One compressed block of zeros: tiny on the wire, enormous once inflated.
    idat = zlib.compress(b"\x00" * 1_000_000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


class Endless(httpx.AsyncByteStream):
    """A body that never ends and counts how much of it was read."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"\x89PNG\r\n\x1a\n" + b"\x00" * (64 * 1024 - 8)
        while True:
            self.sent += len(chunk)
            yield chunk


def image_reply(body: bytes, ctype: str = "image/png") -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": ctype})


async def fetch(reply: httpx.Response) -> Fetched:
    with respx.mock:
        respx.get(URL).mock(return_value=reply)
        async with httpx.AsyncClient() as client:
            return await fetch_image(client, URL)


@pytest.mark.parametrize(
    ("ext", "ctype"),
    [(".png", "image/png"), (".jpg", "image/jpeg"), (".webp", "image/webp"), (".gif", "image/gif")],
)
async def test_it_decodes_each_accepted_image_type(ext: str, ctype: str) -> None:
    got = await fetch(image_reply(encoded(ext), ctype + "; charset=binary"))
    assert got.problem is Problem.NONE
    assert got.image is not None and got.image.shape == (40, 60, 3)


async def test_it_refuses_an_oversize_image_without_reading_it_all() -> None:
    body = Endless()
    got = await fetch(httpx.Response(200, headers={"content-type": "image/png"}, stream=body))
    assert got.image is None and got.problem is Problem.TOO_LARGE
    assert MAX_BYTES < body.sent <= MAX_BYTES + 128 * 1024


async def test_it_refuses_an_image_that_declares_more_than_the_limit_before_reading() -> None:
    body = Endless()
    headers = {"content-type": "image/png", "content-length": str(MAX_BYTES + 1)}
    got = await fetch(httpx.Response(200, headers=headers, stream=body))
    assert got.problem is Problem.TOO_LARGE
    assert body.sent == 0


async def test_it_refuses_a_body_larger_than_its_content_length_says() -> None:
    body = Endless()
    headers = {"content-type": "image/png", "content-length": "1000"}
    got = await fetch(httpx.Response(200, headers=headers, stream=body))
    assert got.problem is Problem.TOO_LARGE


@pytest.mark.parametrize("ctype", ["text/html", "image/svg+xml", "application/octet-stream", ""])
async def test_it_refuses_a_content_type_that_is_not_an_accepted_image(ctype: str) -> None:
    reply = httpx.Response(200, content=encoded(".png"))
    reply.headers["content-type"] = ctype
    got = await fetch(reply)
    assert got.image is None and got.problem is Problem.NOT_AN_IMAGE


@pytest.mark.parametrize(("ext", "ctype"), [(".png", "image/png"), (".jpg", "image/jpeg")])
async def test_it_gives_none_for_a_truncated_file(ext: str, ctype: str) -> None:
    data = encoded(ext)
    got = await fetch(image_reply(data[: len(data) * 2 // 3], ctype))
    assert got.image is None and got.problem is Problem.TRUNCATED


async def test_it_gives_none_for_garbage_sent_as_an_image() -> None:
    got = await fetch(image_reply(b"<html>hello</html>" * 20, "image/jpeg"))
    assert got.image is None and got.problem is Problem.NOT_AN_IMAGE


async def test_it_gives_none_for_a_decompression_bomb_without_decoding_it() -> None:
    got = await fetch(image_reply(png_header_only(100_000, 100_000)))
    assert got.image is None and got.problem is Problem.TOO_MANY_PIXELS


async def test_it_gives_none_for_an_http_error() -> None:
    got = await fetch(httpx.Response(403))
    assert got.image is None and got.problem is Problem.HTTP_STATUS


async def test_it_gives_none_when_the_host_cannot_be_reached() -> None:
    with respx.mock:
        respx.get(URL).mock(side_effect=httpx.ConnectTimeout("slow"))
        async with httpx.AsyncClient() as client:
            got = await fetch_image(client, URL)
    assert got.image is None and got.problem is Problem.UNREACHABLE


async def test_it_follows_a_cdn_redirect_to_the_image() -> None:
    with respx.mock:
        respx.get(URL).mock(
            return_value=httpx.Response(302, headers={"location": "https://cdn2.example.test/x"})
        )
        respx.get("https://cdn2.example.test/x").mock(return_value=image_reply(encoded(".png")))
        async with httpx.AsyncClient() as client:
            got = await fetch_image(client, URL)
    assert got.image is not None


def test_it_gives_none_for_a_png_with_a_corrupt_body() -> None:
    data = bytearray(encoded(".png"))
    data[40:60] = b"\xaa" * 20  # inside the compressed pixels; the IEND trailer is intact
    assert decode_image(bytes(data)).image is None


def test_it_gives_none_for_a_jpeg_header_claiming_a_huge_canvas() -> None:
    data = bytearray(encoded(".jpg"))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    got = decode_image(bytes(data))
    assert got.image is None and got.problem is Problem.TOO_MANY_PIXELS


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00WEBP"])
def test_it_gives_none_for_a_header_cut_short(data: bytes) -> None:
    assert decode_image(data).image is None
