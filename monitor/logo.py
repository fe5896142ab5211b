"""Is the district logo in a banner or profile picture? And the cycle step that asks it.

Multi-scale template matching (normalised cross-correlation, grayscale), then a check
of the best places cell by cell:
- Search: for each logo width from 36 px to a bit over the image's short side (steps
  of 15 %), the image is shrunk so the logo would be 24 px wide, and correlated with
  a 24 px template. A tiny template keeps ~20 sizes inside the time budget. The image
  is edge-padded, so a logo that the platform's crop cuts at the edge still scores.
  The shrunk images come from halvings (cheap) and a bilinear step from the nearest
  larger one. Sizes are searched largest first, and a strong peak is verified as soon
  as the next size scores lower there, so a found logo ends the search early; without
  one, the 3 best peaks over all sizes are verified. (The search: monitor.logo_search.)
- Refine: around a peak, nearby sizes at 64 px then 96 px fix the place
  and size; ECC (affine) then aligns the crop to sub-pixel precision.
- Verify: one gain/offset fit per colour channel over the visible logo absorbs colour
  shifts; any of 6x6 cells that the fit cannot explain means another picture. A
  look-alike (same badge, other letters or emblem) correlates well overall but fails
  there. Both sides are blurred the same way first, so JPEG noise does not count.
Logos with transparency are flattened onto white: detection assumes an opaque logo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from connectors.images import Image, decode_image
from monitor.errors import UserError
from monitor.logo_search import (
    CANDIDATES,
    COARSE,
    COARSE_MIN,
    MIN_WIDTH,
    PAD,
    STEP,
    SURE,
    Gray,
    candidates,
    f32,
)

Colour = npt.NDArray[np.float32]  # H x W x 3, BGR
FINE, VERIFY, CELLS = 64, 96, 6
MAX_SIDE = 1200  # larger images are searched downscaled
GLOBAL_MIN = 0.75
CELL_MAX_ERROR = 0.4  # worst cell's misfit, in units of the logo's contrast
IMAGE_TIMEOUT = 15.0  # seconds per image request
RIM = 3  # pixels at the logo's edge left out of the verification
VISIBLE_MIN = 0.5  # share of the logo's cells that must be inside the image
# The method and its thresholds: when any changes, cached verdicts are analysed again.
# (Bump the name when the code changes without a threshold changing.)
_THRESHOLDS = (COARSE, FINE, VERIFY, CELLS, MIN_WIDTH, STEP, MAX_SIDE, PAD, COARSE_MIN)
METHOD = repr(
    ("ncc-cells-2", *_THRESHOLDS, CANDIDATES, SURE, GLOBAL_MIN, CELL_MAX_ERROR, RIM, VISIBLE_MIN)
)


@dataclass(frozen=True, slots=True)
class _Template:
    name: str
    coarse: Gray
    fine: Gray
    verify: Gray
    full: Colour  # the logo in colour, for the verification
    opaque: npt.NDArray[np.bool_]  # at VERIFY size
    aspect: float  # height / width


@dataclass(frozen=True, slots=True)
class Match:
    """Where a logo was found: top-left (x, y) and width in the searched image, and the scores."""

    logo: str
    x: int
    y: int
    width: int
    coarse: float
    worst_cell: float
    overall: float


class LogoDetector:
    """Finds any of the district's logos in an image; built once, thread-safe (read-only)."""

    def __init__(self, logos: Sequence[tuple[str, Image]]) -> None:
        self._templates = [_template(name, img) for name, img in logos]
        # Identifies the logos and the method: cached verdicts of another detector are void.
        digest = hashlib.sha256(METHOD.encode())
        for name, img in logos:
            digest.update(f"{name}:{img.shape}".encode())
            digest.update(np.ascontiguousarray(img).tobytes())
        self.fingerprint = digest.hexdigest()

    @classmethod
    def from_files(cls, paths: Sequence[Path]) -> LogoDetector:
        """Load the logo files; an unreadable one is a UserError naming the config key."""
        logos = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise UserError.one(
                    str(path), "district.logo_files", f"cannot read: {exc}"
                ) from None
            decoded = decode_image(data)
            if decoded.image is None:
                raise UserError.one(str(path), "district.logo_files", decoded.detail)
            # The file is the district's own (trusted): read it again to keep transparency.
            full = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
            image = decoded.image
            if (
                full is not None
                and full.ndim == 3
                and full.shape[2] == 4
                and full.dtype == np.uint8
            ):
                image = np.asarray(full, np.uint8)
            logos.append((path.name, image))
        return cls(logos)

    def find(self, image: Image) -> Match | None:
        """The first verified logo in `image` (BGR), or None."""
        # Kept in 8 bits: float copies of the whole image cost more than the search's levels.
        colour = image if image.ndim == 3 and image.shape[2] == 3 else _opaque(image)
        scale = min(1.0, MAX_SIDE / max(colour.shape[:2]))
        if scale < 1.0:
            # Averaging (INTER_AREA) by a ratio like 0.8 costs more than the whole search.
            shrink = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
            colour = np.asarray(
                cv2.resize(colour, None, fx=scale, fy=scale, interpolation=shrink), np.uint8
            )
        gray = f32(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY))
        for template in self._templates:
            for cand in candidates(gray, template.coarse, template.aspect):
                match = _verify(colour, gray, template, cand)
                if match is not None:
                    return match
        return None

    def seen(self, image: Image) -> bool:
        """True when a district logo is in the image."""
        return self.find(image) is not None


def _bgr(img: Image) -> Colour:
    """Three float channels; transparency flattened onto white, grayscale repeated."""
    if img.ndim == 2:
        img = np.asarray(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR), np.uint8)
    elif img.shape[2] == 4:
        alpha = img[..., 3:4].astype(np.float32) / 255
        return np.asarray(img[..., :3] * alpha + 255 * (1 - alpha), np.float32)
    return np.asarray(img, np.float32)


def _opaque(img: Image) -> Image:
    """An image to search, in 8-bit BGR: transparency flattened onto white."""
    return np.asarray(np.clip(np.round(_bgr(img)), 0, 255), np.uint8)


def _gray(colour: Colour) -> Gray:
    return np.asarray(cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY), np.float32)


def _template(name: str, img: Image) -> _Template:
    colour = _bgr(img)
    gray = _gray(colour)
    h, w = gray.shape
    aspect = h / w

    def at(width: int) -> Gray:
        size = (width, max(round(width * aspect), 8))
        return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.float32)

    def blurred(width: int) -> Gray:
        return np.asarray(cv2.GaussianBlur(at(width), (3, 3), 0), np.float32)

    full = cv2.resize(
        colour, (min(w, 400), round(min(w, 400) * aspect)), interpolation=cv2.INTER_AREA
    )
    alpha = img[..., 3] if img.ndim == 3 and img.shape[2] == 4 else np.full((h, w), 255, np.uint8)
    verify = blurred(VERIFY)
    # Transparent parts of the logo show whatever is behind it: never compared.
    opaque = cv2.resize(alpha, verify.shape[::-1], interpolation=cv2.INTER_AREA) > 250
    coarse = at(COARSE)
    coarse -= coarse.mean()  # as the search's correlation wants it
    return _Template(name, coarse, blurred(FINE), verify, f32(full), opaque, aspect)


def _verify(
    colour: Image, gray: Gray, t: _Template, cand: tuple[float, float, float, float]
) -> Match | None:
    """Refine the candidate's position and size, then compare it with the logo cell by cell."""
    coarse, x, y, width = cand
    overall, x, y, width = _refine(gray, t.fine, t.aspect, x, y, width, (1 / 1.06, 1.0, 1.06), 0.15)
    if overall < GLOBAL_MIN:
        return None
    steps = (0.97, 0.985, 1.0, 1.015, 1.03)
    overall, x, y, width = _refine(gray, t.verify, t.aspect, x, y, width, steps, 0.05)
    fx, fy, fw, fh = round(x), round(y), width, width * t.aspect
    vh, vw = t.verify.shape
    shrink = cv2.INTER_AREA if fw > vw else cv2.INTER_LINEAR
    crop = cv2.resize(
        _cut(colour, fx, fy, round(fx + fw), round(fy + fh)), (vw, vh), interpolation=shrink
    )
    # The logo goes through the same loss of detail as the crop, so that sharp-vs-blurred
    # differences are not mistaken for a different logo.
    ref = cv2.resize(t.full, (max(round(fw), 1), max(round(fh), 1)), interpolation=cv2.INTER_AREA)
    ref = cv2.resize(ref, (vw, vh), interpolation=shrink)
    crop, ref = f32(cv2.GaussianBlur(crop, (5, 5), 0)), f32(cv2.GaussianBlur(ref, (5, 5), 0))
    crop = _align(ref, crop)
    visible = _visibility(gray.shape, fx, fy, fw, fh, (vh, vw)) & t.opaque
    # The blur mixes the logo's outermost pixels with whatever surrounds it: not evidence.
    visible[:RIM], visible[-RIM:], visible[:, :RIM], visible[:, -RIM:] = False, False, False, False
    worst = _cell_error(ref, crop, visible)
    if worst is None or worst > CELL_MAX_ERROR:
        return None
    return Match(t.name, fx, fy, round(fw), coarse, worst, overall)


def _refine(
    gray: Gray,
    template: Gray,
    aspect: float,
    x: float,
    y: float,
    width: float,
    steps: Sequence[float],
    margin: float,
) -> tuple[float, float, float, float]:
    """Best (score, x, y, width) of `template` near (x, y) at `width` times each step."""
    th, tw = template.shape
    best = (-1.0, x, y, width)
    for k in steps:
        wk = width * k
        f = tw / wk
        # The neighbourhood of the candidate, padded so a logo cut by the edge can be cut out.
        m = int(wk * margin) + 2
        x0, y0 = int(x) - m, int(y) - m
        x1, y1 = int(x + wk) + m, int(y + wk * aspect) + m
        size = (max(round((x1 - x0) * f), tw), max(round((y1 - y0) * f), th))
        region = _cut(gray, x0, y0, x1, y1)
        small = cv2.resize(
            region, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
        )
        scores = cv2.matchTemplate(
            cv2.GaussianBlur(small, (3, 3), 0), template, cv2.TM_CCOEFF_NORMED
        )
        _, score, _, (bx, by) = cv2.minMaxLoc(scores)
        if score > best[0]:
            fx, fy = size[0] / (x1 - x0), size[1] / (y1 - y0)
            best = (float(score), x0 + bx / fx, y0 + by / fy, wk)
    return best


def _align(ref: Colour, crop: Colour) -> Colour:
    """`crop` warped onto `ref` to sub-pixel precision (ECC, affine); unchanged if it fails."""
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 1e-4)
    try:
        _, warp = cv2.findTransformECC(
            _gray(ref),
            _gray(crop),
            warp,
            cv2.MOTION_AFFINE,
            criteria,
            None,
            1,  # type: ignore[call-overload]
        )
    except cv2.error:  # no convergence: keep the template-matching alignment
        return crop
    if np.abs(warp[:, :2] - np.eye(2)).max() > 0.1:  # ran off to a different shape
        return crop
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    h, w = ref.shape[:2]
    warped = cv2.warpAffine(crop, warp, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped, np.float32)


def _cut(img: Image | Gray, x0: int, y0: int, x1: int, y1: int) -> Gray:
    """img[y0:y1, x0:x1], with the edge replicated where the box leaves the image."""
    h, w = img.shape[:2]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y1 - h), max(0, x1 - w)
    inner = img[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    if inner.size == 0:
        return np.zeros((max(y1 - y0, 1), max(x1 - x0, 1), *img.shape[2:]), np.float32)
    return f32(cv2.copyMakeBorder(inner, top, bottom, left, right, cv2.BORDER_REPLICATE))


def _visibility(
    shape: tuple[int, ...], x: int, y: int, w: float, h: float, out: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    """Which pixels of the FINE-sized logo lie inside the image."""
    oh, ow = out
    xs = x + (np.arange(ow) + 0.5) * w / ow
    ys = y + (np.arange(oh) + 0.5) * h / oh
    inside_x = (xs >= 0) & (xs < shape[1])
    inside_y = (ys >= 0) & (ys < shape[0])
    return np.asarray(inside_y[:, None] & inside_x[None, :], np.bool_)


def _cell_error(ref: Colour, crop: Colour, visible: npt.NDArray[np.bool_]) -> float | None:
    """The worst visible cell's misfit after a gain/offset fit per colour channel.

    One fit per channel over the whole visible logo absorbs colour shifts (they are
    global); a look-alike differs in a few places, which shows up as cells that no
    global fit explains. The misfit is in units of the logo's own contrast.
    """
    mask = visible.astype(np.uint8)
    count = int(mask.sum())
    mean_a, std_a = (v.ravel()[:3] for v in cv2.meanStdDev(ref, mask=mask))
    spread = float(np.sqrt((std_a**2).mean()))
    if count < 16 or spread < 1:
        return None
    # Least-squares line per channel, from the masked means (np.polyfit is far slower).
    mean_b = np.array(cv2.mean(crop, mask)[:3])
    cov = np.array(cv2.mean(np.multiply(ref, crop), mask)[:3]) - mean_a * mean_b
    flat = std_a <= 1  # a channel without contrast in the logo: nothing to fit
    gain = np.where(flat, 1.0, cov / np.maximum(std_a**2, 1e-6))
    if (gain <= 0.2).any():  # inverted or washed out: not the logo
        return float("inf")
    offset = np.where(flat, 0.0, mean_b - gain * mean_a)
    diff = (crop - offset.astype(np.float32)) / gain.astype(np.float32) - ref
    misfit = (diff * diff).sum(axis=2) * visible
    # Sums over the CELLS x CELLS grid: rows and columns cut at the same places as before.
    h, w = visible.shape
    rows = [i * h // CELLS for i in range(CELLS)]
    cols = [j * w // CELLS for j in range(CELLS)]
    sums = np.add.reduceat(np.add.reduceat(misfit, rows, axis=0), cols, axis=1)
    counts = np.add.reduceat(np.add.reduceat(visible.astype(np.float32), rows, 0), cols, 1)
    heights, widths = np.diff([*rows, h]), np.diff([*cols, w])
    kept = counts >= 0.5 * np.outer(heights, widths)  # cells mostly inside the image
    if kept.sum() < VISIBLE_MIN * CELLS * CELLS:
        return None
    return float(np.sqrt(sums[kept] / (3 * counts[kept])).max()) / spread
