"""Run ``accuracy.py`` with the auto preset's cross-fitting on (the default) or off.

    python bench/cross_fit_arms.py on  bench/data/ncl_hgt.nc --ratios 0.01 --tasks 1 --json on.jsonl
    python bench/cross_fit_arms.py off bench/data/ncl_hgt.nc --ratios 0.01 --tasks 1 --json off.jsonl

Everything after the arm is passed to ``accuracy.py``. ``on`` sets ``presets.AUTO_CROSS`` to
(3, 4) for the run (restored on exit): a field with 80 to ~195 observed locations trains 3
frequency scales x 4 folds of the locations, each member holding out one fold, each scale judged
at every location. ``off`` is the default (None): there the ensemble's 6 members each hold out
their own 10% and are averaged. Neither arm changes anything outside that range. Session 16's
screen (bench/README.md) ran both arms this way.
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
    if not argv or argv[0] not in ("on", "off"):
        raise SystemExit("usage: cross_fit_arms.py {on,off} [accuracy.py arguments ...]")
    cross = (3, 4) if argv[0] == "on" else None
    run_accuracy(argv[1:], mock.patch.object(presets, "AUTO_CROSS", cross))


if __name__ == "__main__":
    main()
