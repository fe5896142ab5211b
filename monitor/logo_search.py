"""The logo detector's first step: where might a logo be, and how large (monitor.logo).

Normalised cross-correlation of a tiny template with the image shrunk to each searched
size; monitor.logo verifies what this hands out.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.float32]
Peak = tuple[float, float, float, float]  # score, x, y, width (in the searched image)
COARSE = 24  # template width, in pixels
MIN_WIDTH = 36  # smallest logo looked for, in pixels
STEP = 1.15  # ratio between searched logo sizes
PAD = 0.3  # how much of the logo may lie outside the image
COARSE_MIN = 0.6  # correlation a candidate needs to be verified
CANDIDATES = 3  # best peaks verified per logo
SURE = 0.7  # a peak this strong is verified before the smaller sizes are searched


def f32(array: object) -> Gray:
    """OpenCV results as float32 arrays (its stubs type them loosely)."""
    return np.asarray(array, np.float32)


def candidates(gray: Gray, template: Gray, aspect: float) -> Iterator[Peak]:
    """(score, x, y, width) of correlation peaks worth verifying, the most promising first.

    Sizes are searched from the largest (cheapest) down. A strong peak is handed out as
    soon as the next smaller size scores lower, so a found logo ends the search before
    the costly small sizes. Then the CANDIDATES best peaks over all sizes not yet handed out.
    """
    h, w = gray.shape
    largest = min(w, h / aspect) * (1 + PAD)
    # Halving by averaging is ten times cheaper than shrinking by any other ratio; each
    # size is interpolated from the halving above it (at most 2x larger) when searched.
    # The bilinear step alone aliases: the logo's scores fell by 0.02-0.03 (measured on
    # bench.logo), so each halving is softened first and keeps the old scores' margin.
    levels: list[tuple[float, Gray]] = []
    width, octave, scale = float(MIN_WIDTH), gray, 1.0
    soft = _soften(octave)
    while width <= largest:
        while COARSE / width <= scale / 2 and min(octave.shape) > 1:
            octave = f32(cv2.resize(octave, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
            soft = _soften(octave)
            scale /= 2
        levels.append((width, soft))
        width *= STEP
    found: list[Peak] = []
    handed: list[Peak] = []
    pending: Peak | None = None
    for width, octave in reversed(levels):
        f = COARSE / width
        size = (max(round(w * f), 1), max(round(h * f), 1))
        small = f32(cv2.resize(octave, size, interpolation=cv2.INTER_LINEAR))
        peaks = _peaks(small, template, f, width)
        if pending is not None and (not peaks or peaks[0][0] < pending[0]):
            handed.append(pending)
            yield pending
        pending = None
        if peaks and peaks[0][0] >= SURE and all(peaks[0][0] > p[0] for p in found):
            pending = peaks[0]
        found.extend(peaks)
    found.sort(reverse=True)
    for cand in found[:CANDIDATES]:
        if cand not in handed:
            yield cand


def _soften(octave: Gray) -> Gray:
    return f32(cv2.GaussianBlur(octave, (3, 3), 0.6))


def _peaks(small: Gray, template: Gray, f: float, width: float) -> list[Peak]:
    """(score, x, y, width) of the two best places in `small`, the image shrunk by `f`."""
    th, tw = template.shape
    py, px = int(th * PAD), int(tw * PAD)
    padded = f32(cv2.copyMakeBorder(small, py, py, px, px, cv2.BORDER_REPLICATE))
    if padded.shape[0] < th or padded.shape[1] < tw:
        return []
    scores = ncc(padded, template)
    peaks = []
    for _ in range(2):  # two peaks per size, so a look-alike cannot hide the logo
        _, best, _, (bx, by) = cv2.minMaxLoc(scores)
        if best < COARSE_MIN:
            break
        peaks.append((float(best), (bx - px) / f, (by - py) / f, width))
        corner, end = (bx - tw // 2, by - th // 2), (bx + tw // 2, by + th // 2)
        cv2.rectangle(scores, corner, end, -1, -1)
    return peaks


def ncc(img: Gray, template: Gray) -> Gray:
    """cv2.TM_CCOEFF_NORMED for a zero-mean `template`, a fifth cheaper than OpenCV's.

    The correlation is OpenCV's; the windows' deviations come from two box filters
    instead of its per-pixel loop over integral images.
    """
    th, tw = template.shape
    n = th * tw
    num = cv2.matchTemplate(img, template, cv2.TM_CCORR)
    rh, rw = num.shape
    size, corner, zero = (tw, th), (0, 0), cv2.BORDER_CONSTANT
    mean = cv2.boxFilter(img, cv2.CV_32F, size, anchor=corner, borderType=zero)[:rh, :rw]
    square = cv2.sqrBoxFilter(img, cv2.CV_32F, size, anchor=corner, borderType=zero)[:rh, :rw]
    # A window flatter than one grey level says nothing; float32 rounding of the
    # variance (below 0.01 for 8-bit values) stays far below that floor.
    var = np.maximum(cv2.subtract(square, cv2.multiply(mean, mean)), 1.0)
    norm = float(np.sqrt(n * (template.astype(np.float64) ** 2).sum()))
    return f32(cv2.divide(num, cv2.sqrt(var), scale=1.0 / norm))
