"""Run ``accuracy.py`` with another step cap for small data (``presets.AUTO_STEPS``), for
session 19's screen (bench/README.md):

    python bench/steps_cap_arm.py 3000 bench/data/fice.nc --ratios 0.01 --tasks 1 --seeds 0

The first argument is the cap; everything after it is passed to ``accuracy.py``. Up to
20,000 observations the auto preset stops at the cap even when a ``max_time`` budget is left;
the patch is undone on exit.
"""

from __future__ import annotations

import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

from xinr import presets  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        raise SystemExit("usage: steps_cap_arm.py CAP FIELD [accuracy.py options]")
    run_accuracy(args[1:], mock.patch.object(presets, "AUTO_STEPS", int(args[0])))


if __name__ == "__main__":
    main()
