"""Run ``accuracy.py`` with other member shares in ``model="mix"`` than the preset's, for session 35's screen of ensembles of several architectures on single sharp
maps (bench/README.md):

    python bench/mix_shares_arm.py resmlp=0.17,siren=0.17 bench/data/rhum_500.nc \\
        --ratios 0.01 --tasks 1 --seeds 0 --methods xinr linear --set model=mix

The first argument lists ``model=share`` pairs (each model gets ``round(share * ensemble)``
members, at least one, and MMGN the rest); the rest is passed to ``accuracy.py``. The shares
replace both ``presets.MIX_SHARES`` (fields with time, where ``--set model=mix`` is needed) and
``presets.SINGLE_MIX_SHARES`` (maps with one snapshot, whose default has been the mixture since
session 35) for the run, and both are restored on exit.
"""

from __future__ import annotations

import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

from xinr import presets  # noqa: E402


def parse_shares(text: str) -> dict[str, float]:
    """``"resmlp=0.17,siren=0.17"`` -> ``{"resmlp": 0.17, "siren": 0.17}``."""
    shares = {}
    for pair in text.split(","):
        name, _, share = pair.partition("=")
        if not share or float(share) <= 0:
            raise SystemExit(f"expected model=share pairs with shares above 0, got {pair!r}")
        shares[name.strip()] = float(share)
    return shares


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        raise SystemExit("usage: mix_shares_arm.py MODEL=SHARE[,...] FIELD [accuracy.py options]")
    shares = parse_shares(argv[0])
    run_accuracy(
        argv[1:],
        mock.patch.object(presets, "MIX_SHARES", shares),
        mock.patch.object(presets, "SINGLE_MIX_SHARES", shares),
    )


if __name__ == "__main__":
    main()
