"""Run ``accuracy.py`` with the ensemble's frequency spread shifted down (x0.3..x1.5 instead of
x0.45..x2.2 of the data-derived scale), for session 16's screen (bench/README.md):

    python bench/low_spread_arm.py bench/data/coads_wspd.nc --ratios 0.01 --tasks 1 --seeds 0

Everything is passed to ``accuracy.py``; ``presets.AUTO_SPREAD`` is patched for the run and
restored on exit.
"""

from __future__ import annotations

import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

from xinr import presets  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    low = {"mmgn": ("input_scale", 0.3, 1.5)}
    run_accuracy(
        list(sys.argv[1:] if argv is None else argv), mock.patch.dict(presets.AUTO_SPREAD, low)
    )


if __name__ == "__main__":
    main()
