"""Run ``accuracy.py`` with other network sizes in the ``auto`` preset (``presets.AUTO_MODEL``),
for screens of the members' architecture (bench/README.md, session 37):

    python bench/auto_model_arm.py mmgn.hidden=64 bench/data/rhum_500.nc \\
        --ratios 0.01 --tasks 1 --seeds 0 --methods xinr linear

The first argument lists ``model.keyword=value`` pairs (integers or floats) that replace the
preset's entries for the run; the rest is passed to ``accuracy.py``. ``model="mix"`` and
``model="auto"`` refuse user model keywords, so a screen of the default's members needs the
preset patched; it is restored on exit.
"""

from __future__ import annotations

import copy
import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

from xinr import presets  # noqa: E402


def parse_sizes(text: str, base: dict[str, dict]) -> dict[str, dict]:
    """``"mmgn.hidden=64,siren.hidden=64"`` applied to a copy of ``base``."""
    sizes = copy.deepcopy(base)
    for pair in text.split(","):
        key, _, value = pair.partition("=")
        model, _, name = key.strip().partition(".")
        if not value or not name or model not in sizes:
            raise SystemExit(
                f"expected model.keyword=value pairs with model one of {sorted(sizes)}, got {pair!r}"
            )
        number = float(value)
        sizes[model][name] = int(number) if number.is_integer() and "." not in value else number
    return sizes


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        raise SystemExit(
            "usage: auto_model_arm.py MODEL.KEY=VALUE[,...] FIELD [accuracy.py options]"
        )
    sizes = parse_sizes(argv[0], presets.AUTO_MODEL)
    run_accuracy(argv[1:], mock.patch.object(presets, "AUTO_MODEL", sizes))


if __name__ == "__main__":
    main()
