"""Run ``accuracy.py`` with the ensemble's frequency scales spread over another range than
``presets.AUTO_SPREAD`` (x0.45 .. x2.2 of the data-derived scale), for session 34's screen on
rough single maps (bench/README.md):

    python bench/spread_arm.py 0.9 3.3 bench/data/hsurf_rotated.nc --ratios 0.05 --tasks 1 --seeds 0

The first two arguments are the lowest and highest factor; the rest is passed to
``accuracy.py``. ``presets.AUTO_SPREAD`` is patched for the run and restored on exit.
"""

from __future__ import annotations

import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

from xinr import presets  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    lo, hi = float(argv[0]), float(argv[1])
    run_accuracy(argv[2:], mock.patch.dict(presets.AUTO_SPREAD, {"mmgn": ("input_scale", lo, hi)}))


if __name__ == "__main__":
    main()
