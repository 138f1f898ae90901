"""Run ``accuracy.py`` with each ensemble member holding out its own locations at any number of
observed places (member folds), not only where one shared held-out set would have fewer than
20 locations, for the screens of sessions 30-31 (bench/README.md). Since session 32 this is the
default on fields with one snapshot (``presets.AUTO_SINGLE_FOLDS``), so the arm differs from the
defaults only on fields with time:

    python bench/member_folds_arm.py bench/data/hsurf_rotated.nc --ratios 0.05 --tasks 1 --seeds 0

Everything is passed to ``accuracy.py``; ``training.MIN_SELECTION_LOCATIONS`` is patched for the
run and restored on exit. With member folds the members are averaged (none is selected), the
whole ensemble trains on every observation, and ``held_out_score_`` is None.
"""

from __future__ import annotations

import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

from xinr import training  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    run_accuracy(
        list(sys.argv[1:] if argv is None else argv),
        mock.patch.object(training, "MIN_SELECTION_LOCATIONS", 10**9),
    )


if __name__ == "__main__":
    main()
