"""Synthetic district logo, look-alike decoys, photo-like banners, and the route serving them.

The demo district's logo is drawn here (config/district-logo.png is this drawing,
written by bench/make_logo.py), so the sandbox, the tests and the benchmark all use
the same emblem. Which image of which page carries the logo is decided by
`sandbox.demo.DEMO_IMAGES`, then by the world (`World.image_variant`: half the synthetic
covers); every other image is a photo-like banner without it.
Everything is seeded by the image name, so a URL always serves the same bytes.
"""

from __future__ import annotations

import functools
import zlib
from collections import Counter
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Image = npt.NDArray[np.uint8]
LOGO_SIZE = 200
BANNER = (820, 312)  # Facebook cover size (width, height)
PICTURE = (170, 170)
NAVY, GOLD, WHITE, SKY = (110, 58, 31), (40, 175, 230), (250, 250, 250), (200, 150, 60)  # BGR
# Look-alikes: same badge, one element changed. The detector must not take them for the logo.
DECOYS = ("letters", "emblem", "swapped")
FONT = cv2.FONT_HERSHEY_DUPLEX


def district_logo(size: int = LOGO_SIZE, variant: str = "district") -> Image:
    """The demo district's emblem (navy badge, gold ring, mountains, "CM82"), or a decoy."""
    s = 200
    img = np.empty((s, s, 3), np.uint8)
    img[:] = NAVY
    cv2.circle(img, (100, 100), 88, GOLD, 9, cv2.LINE_AA)
    text, text_y, shape_dy = "CM82", 160, 0
    if variant == "letters":
        text = "NW28"
    elif variant == "swapped":
        text_y, shape_dy = 78, 62  # letters on top, emblem below
    if variant == "emblem":
        # A sun over a lake instead of the two peaks.
        cv2.circle(img, (100, 82), 30, WHITE, -1, cv2.LINE_AA)
        cv2.rectangle(img, (45, 105), (155, 118), SKY, -1)
    else:
        peaks = np.array([[40, 118], [78, 48], [98, 82], [118, 58], [160, 118]], np.int32)
        cv2.fillPoly(img, [peaks + np.array([0, shape_dy], np.int32)], WHITE, cv2.LINE_AA)
        snow = np.array([[67, 68], [78, 48], [89, 68], [78, 62]], np.int32)
        cv2.fillPoly(img, [snow + np.array([0, shape_dy], np.int32)], SKY, cv2.LINE_AA)
    cv2.putText(img, text, (48, text_y), FONT, 1.25, WHITE, 2, cv2.LINE_AA)
    cv2.rectangle(img, (0, 0), (s - 1, s - 1), GOLD, 4)
    if size != s:
        img = np.asarray(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA), np.uint8)
    return img


def photo_background(rng: np.random.Generator, width: int, height: int) -> Image:
    """Smooth colour gradients, blurred noise, shapes and stray text: photo-like clutter."""
    gy, gx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    for c in range(3):
        a, b, base = rng.uniform(-0.25, 0.25, 2), rng.uniform(-0.25, 0.25), rng.uniform(40, 200)
        img[..., c] = base + a[0] * gx + a[1] * gy * 2 + b * 40
    low = rng.normal(0, 40, (max(height // 24, 2), max(width // 24, 2), 3)).astype(np.float32)
    img += cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    out = np.clip(img, 0, 255).astype(np.uint8)
    _clutter(out, rng)
    noise = rng.normal(0, 6, out.shape)
    return np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _clutter(out: Image, rng: np.random.Generator) -> None:
    """Shapes and stray words drawn onto `out`: what makes one photo unlike another."""
    height, width = out.shape[:2]
    for _ in range(int(rng.integers(4, 12))):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(8, max(height // 3, 9)))
        if rng.random() < 0.5:
            cv2.circle(out, (x, y), r, colour, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(out, (x, y), (x + 2 * r, y + r), colour, -1)
    for _ in range(int(rng.integers(0, 3))):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        word = "".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(3, 8))))
        org = (int(rng.integers(0, width)), int(rng.integers(20, height)))
        cv2.putText(out, word, org, FONT, float(rng.uniform(0.6, 2.0)), colour, 2, cv2.LINE_AA)


def paste(canvas: Image, logo: Image, x: int, y: int) -> Image:
    """`logo` placed with its top-left at (x, y), clipped to the canvas (a cropped logo)."""
    out = canvas.copy()
    h, w = logo.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, out.shape[1]), min(y + h, out.shape[0])
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = logo[y0 - y : y1 - y, x0 - x : x1 - x]
    return out


def shift_colours(img: Image, rng: np.random.Generator, amount: float = 12.0) -> Image:
    """A small per-channel gain and offset, as re-encoding or a filter would cause."""
    gain = rng.uniform(1 - amount / 255, 1 + amount / 255, 3)
    offset = rng.uniform(-amount, amount, 3)
    return np.clip(img.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)


def jpeg(img: Image, quality: int) -> bytes:
    """JPEG bytes at `quality`."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf)


# Photos to start each served image from. Painting a photo costs ~20 ms of CPU, which the
# sandbox (one process on the benchmark's two cores) cannot spend per image: a CDN serves
# stored files. Each image is a pooled photo moved, recoloured and drawn on by its own
# seed, so no two URLs serve the same content and the detector sees every image as new.
BACKDROPS = 16


@functools.cache
def _backdrops(width: int, height: int) -> tuple[Image, ...]:
    rng = np.random.default_rng(width * 100_003 + height)
    return tuple(photo_background(rng, width, height) for _ in range(BACKDROPS))


def served_photo(rng: np.random.Generator, width: int, height: int) -> Image:
    """A photo-like image of its own for `rng`, cheap to make (see BACKDROPS)."""
    pool = _backdrops(width, height)
    start = pool[int(rng.integers(len(pool)))]
    shift = (int(rng.integers(height)), int(rng.integers(width)))
    img = np.roll(start[:, ::-1] if rng.random() < 0.5 else start, shift, axis=(0, 1))
    _clutter(img, rng)
    gain, offset = rng.uniform(0.85, 1.15, 3), rng.uniform(-30, 30, 3)
    # Per-channel gain and offset, saturated in uint8: a tenth of shift_colours's cost.
    matrix = np.hstack([np.diag(gain), offset[:, None]])
    return np.asarray(cv2.transform(img, matrix), np.uint8)


def render(name: str, variant: str) -> bytes:
    """The JPEG behind one sandbox image URL; `variant` is "plain", "district" or a decoy."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    picture = "picture" in name
    width, height = PICTURE if picture else BANNER
    img = served_photo(rng, width, height)
    if variant != "plain":
        size = 150 if picture else int(rng.integers(110, 240))
        logo = district_logo(size, variant)
        x = (width - size) // 2 if picture else int(rng.integers(10, width - size - 10))
        y = (height - size) // 2 if picture else int(rng.integers(10, height - size - 10))
        img = paste(img, logo, x, y)
    # JPEG at quality 80, as Facebook's CDN serves covers and profile pictures.
    return jpeg(img, 80)


def image_route(
    variants: Callable[[str], str | None] | None = None, counts: Counter[str] | None = None
) -> Route:
    """GET /_sandbox/img/{name}: the demo's `DEMO_IMAGES`, then `variants(name)`, decide
    what it shows ("plain" when neither names it).

    `counts` (when given) adds up requests, 304s and body bytes, for the benchmark.
    """
    from sandbox.demo import DEMO_IMAGES  # the demo imports nothing from here: no cycle

    def chosen(name: str) -> str:
        return DEMO_IMAGES.get(name) or (variants(name) if variants else None) or "plain"

    async def image(request: Request) -> Response:
        name = request.path_params["name"]
        variant = chosen(name)
        # Like a CDN: a strong validator, and 304 with no body when the client has it.
        etag = f'"{zlib.crc32(f"{name}:{variant}".encode()):08x}"'
        tally = counts if counts is not None else Counter[str]()
        tally["requests"] += 1
        if request.headers.get("if-none-match") == etag:
            tally["not_modified"] += 1
            return Response(status_code=304, headers={"ETag": etag})
        body = render(name, variant)
        tally["bytes"] += len(body)
        return Response(body, media_type="image/jpeg", headers={"ETag": etag})

    return Route("/_sandbox/img/{name}", image)
