"""Fetch a banner or profile picture with hard limits and decode it safely.

Image URLs come from platforms, but the bytes behind them are untrusted: the body is
streamed and dropped at `max_bytes` whatever Content-Length says, only image content
types are accepted, the header is parsed for the dimensions *before* decoding (a
decompression bomb is a tiny file claiming a huge canvas), and a file that does not
end where its format says it ends is refused as truncated (libjpeg would otherwise
fill the missing part with grey and hand back an image). Every failure is a
`Fetched` with `image=None` and a reason, never an exception.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

import cv2
import httpx
import numpy as np
import numpy.typing as npt

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})

Image = npt.NDArray[np.uint8]


class Problem(StrEnum):
    """Why an image gave no pixels; "" when it did."""

    NONE = ""
    HTTP_STATUS = "http_status"
    UNREACHABLE = "unreachable"
    NOT_AN_IMAGE = "not_an_image"  # content type or magic bytes are not an image we accept
    TOO_LARGE = "too_large"  # more than max_bytes
    TOO_MANY_PIXELS = "too_many_pixels"  # decompression bomb
    TRUNCATED = "truncated"
    UNDECODABLE = "undecodable"


@dataclass(frozen=True, slots=True)
class Fetched:
    """The decoded BGR image, or None with the reason it could not be had."""

    image: Image | None
    problem: Problem = Problem.NONE
    detail: str = ""


def _fail(problem: Problem, detail: str) -> Fetched:
    return Fetched(None, problem, detail)


@dataclass(frozen=True, slots=True)
class Download:
    """The raw bytes of an image (or "not modified"), with the validators to ask again."""

    body: bytes | None
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""
    problem: Problem = Problem.NONE
    detail: str = ""


async def download_image(
    client: httpx.AsyncClient,
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int = MAX_BYTES,
) -> Download:
    """GET `url` within the limits, conditionally when validators are given; never raises.

    A 304 (the image did not change since `etag` / `last_modified`) costs no body bytes.
    """
    where = _describe(url)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        # CDN picture URLs may redirect; the client's own limit bounds the hops.
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 304 and headers:
                return Download(None, not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                return _lost(Problem.HTTP_STATUS, f"{where} answered {response.status_code}")
            ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype not in IMAGE_TYPES:
                return _lost(Problem.NOT_AN_IMAGE, f"{where} is {ctype or 'untyped'}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                return _lost(Problem.TOO_LARGE, f"{where} declares {declared} bytes")
            body = bytearray()
            # Raw bytes: a Content-Encoding would make a small download a big buffer; an
            # encoded body simply fails the magic-byte check when decoded.
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > max_bytes:
                    # Leaving the block closes the stream: the rest is never read.
                    return _lost(Problem.TOO_LARGE, f"{where} is over {max_bytes} bytes")
            # Validators are short tokens; a long one is not worth keeping (nor trusting).
            got_etag = response.headers.get("etag", "")[:200]
            got_modified = response.headers.get("last-modified", "")[:64]
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _lost(Problem.UNREACHABLE, f"{where}: {type(exc).__name__}")
    return Download(bytes(body), etag=got_etag, last_modified=got_modified)


def _lost(problem: Problem, detail: str) -> Download:
    return Download(None, problem=problem, detail=detail)


async def fetch_image(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> Fetched:
    """GET `url` and decode it within the limits; never raises for a bad or hostile image."""
    got = await download_image(client, url, max_bytes=max_bytes)
    if got.body is None:
        return _fail(got.problem, got.detail)
    return decode_image(got.body, max_pixels=max_pixels)


def decode_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Fetched:
    """Decode PNG/JPEG/WebP/GIF bytes to BGR after checking format, size and completeness."""
    kind = sniff(data)
    if kind is None:
        return _fail(Problem.NOT_AN_IMAGE, "the bytes are not a PNG, JPEG, WebP or GIF")
    try:
        size = dimensions(kind, data)
    except (struct.error, IndexError, ValueError):
        size = None
    if size is None:
        return _fail(Problem.UNDECODABLE, f"the {kind} header is malformed or cut short")
    width, height = size
    if width <= 0 or height <= 0:
        return _fail(Problem.UNDECODABLE, f"the {kind} header gives {width}x{height}")
    if width * height > max_pixels:
        return _fail(Problem.TOO_MANY_PIXELS, f"{width}x{height} is over {max_pixels} pixels")
    if not complete(kind, data):
        return _fail(Problem.TRUNCATED, f"the {kind} file is truncated")
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        return _fail(Problem.UNDECODABLE, f"the {kind} data is corrupt: {str(exc)[:80]}")
    if image is None or image.size == 0:
        return _fail(Problem.UNDECODABLE, f"the {kind} data is corrupt")
    if image.shape[0] * image.shape[1] > max_pixels:  # the header lied
        return _fail(Problem.TOO_MANY_PIXELS, "decoded to more pixels than the header said")
    return Fetched(np.ascontiguousarray(image, dtype=np.uint8))


def sniff(data: bytes) -> str | None:
    """The format from the magic bytes (the content type alone is the server's word)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def dimensions(kind: str, data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header alone, without decoding any pixels."""
    if kind == "png":
        if data[12:16] != b"IHDR":
            return None
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if kind == "gif":
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if kind == "webp":
        return _webp_size(data)
    return _jpeg_size(data)


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    return None


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(w), int(h)
        if marker == 0xDA or length < 2:  # scan data before any frame header
            return None
        pos += 2 + length
    return None


def complete(kind: str, data: bytes) -> bool:
    """True when the file ends where its format says (catches truncated downloads)."""
    if kind == "png":
        return b"IEND" in data[-64:]
    if kind == "jpeg":
        return b"\xff\xd9" in data[-64:]
    if kind == "gif":
        return data.rstrip(b"\x00").endswith(b"\x3b")
    riff_size = int.from_bytes(data[4:8], "little")
    return len(data) >= riff_size + 8


def _describe(url: str) -> str:
    """host/path for messages: never the query string, where CDNs put signatures."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "the image URL"
    return f"{parsed.host}{parsed.path}"
