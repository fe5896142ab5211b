"""Write config/district-logo.png, the demo district's logo (drawn by sandbox.images).

Run from the repository root: .venv/bin/python -m bench.make_logo
"""

from __future__ import annotations

from pathlib import Path

import cv2

from sandbox.images import district_logo

TARGET = Path(__file__).resolve().parent.parent / "config" / "district-logo.png"


def main() -> None:
    """Draw the logo and write it as a compressed PNG."""
    cv2.imwrite(str(TARGET), district_logo(), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
