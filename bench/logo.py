"""Logo detection benchmark: precision, recall and time per banner on generated images.

Half the images carry the district logo (0.3x-1.5x, anywhere, a fifth of them cut by
an edge, colour-shifted, JPEG quality 60-85); the other half carry nothing or one of
the look-alike logos. Seeded, so the figures are reproducible.

    .venv/bin/python -m bench.logo [--banners 240] [--seed 2026]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from connectors.images import Image, decode_image
from monitor.logo import LogoDetector
from sandbox.images import DECOYS, district_logo, jpeg, paste, photo_background, shift_colours

SIZES = ((820, 312), (1500, 500), (640, 360), (170, 170))  # Facebook, X, generic, picture


@dataclass(frozen=True)
class Case:
    """One generated image and what it holds."""

    data: bytes
    has_logo: bool
    kind: str


def make_case(rng: np.random.Generator, has_logo: bool) -> Case:
    """One JPEG banner (or picture) with the logo, a look-alike, or neither."""
    width, height = SIZES[int(rng.integers(len(SIZES)))]
    img = photo_background(rng, width, height)
    kind = "logo" if has_logo else str(rng.choice(["none", *DECOYS]))
    if kind != "none":
        size = int(200 * rng.uniform(0.3, 1.5))
        size = max(min(size, int(min(width, height) * 0.95)), 40)
        x, y = int(rng.integers(0, width - size + 1)), int(rng.integers(0, height - size + 1))
        if rng.random() < 0.2:  # cut by an edge, as platforms crop banners
            cut = int(size * rng.uniform(0.05, 0.25))
            x, y = [(x, -cut), (x, height - size + cut), (-cut, y), (width - size + cut, y)][
                int(rng.integers(4))
            ]
            kind += "-cropped"
        variant = "district" if has_logo else kind.removesuffix("-cropped")
        img = paste(img, district_logo(size, variant), x, y)
    img = shift_colours(img, rng)
    return Case(jpeg(img, int(rng.integers(60, 86))), has_logo, kind)


def decode(data: bytes) -> Image:
    """The test image's pixels (generated here, so always decodable)."""
    image = decode_image(data).image
    assert image is not None
    return image


def main() -> None:
    """Generate the images, run the detector on each, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banners", type=int, default=240)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    cases = [make_case(rng, n % 2 == 0) for n in range(args.banners)]
    detector = LogoDetector([("district", district_logo())])
    outcome: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    times: list[float] = []
    for case in cases:
        started = time.perf_counter()
        seen = detector.seen(decode(case.data))
        times.append(time.perf_counter() - started)
        key = ("t" if seen == case.has_logo else "f") + ("p" if seen else "n")
        outcome[key] += 1
        if seen != case.has_logo:
            wrong[case.kind] += 1
    tp, fp, fn = outcome["tp"], outcome["fp"], outcome["fn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    ms = np.array(times) * 1000
    print(
        f"banners: {len(cases)} ({sum(c.has_logo for c in cases)} with the logo), seed {args.seed}"
    )
    print(f"kinds: {dict(sorted(Counter(c.kind for c in cases).items()))}")
    print(f"precision {precision:.3f}  recall {recall:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    print(
        f"time per banner (decode + detect): mean {ms.mean():.1f} ms, p95 {np.percentile(ms, 95):.1f} ms"
    )
    if wrong:
        print(f"wrong by kind: {dict(wrong)}")


if __name__ == "__main__":
    main()
