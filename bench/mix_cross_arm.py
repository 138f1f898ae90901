"""Run ``accuracy.py`` with the mixture's two halves cross-fitted where every member is averaged,
for session 21's screen (bench/README.md; not adopted):

    python bench/mix_cross_arm.py sample --ratios 0.01 --tasks 1 --set model=mix --json out.jsonl

Everything is passed to ``accuracy.py``. Where ``model="mix"`` trains 6 members (3 MMGN, 3
ResMLP) on too few locations to select members on one shared held-out set (member folds, fewer
than ~200), the run sets the training's ``cross_folds`` to 3: the locations are split into 3
folds, member i of each half holds out fold i, and each half (its 3 members) is judged at every
location against the other, paired by location (``training.member_weights``), so that a half
clearly worse than the other leaves the average. Without it each member holds out its own 10%
and all six are averaged. Each fit prints the members' weights. The patches are undone on exit.
"""

from __future__ import annotations

import os
import sys
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import run_accuracy  # noqa: E402

import xinr  # noqa: E402
from xinr import presets, training  # noqa: E402

FOLDS = 3
_resolve = presets.resolve
_fit = xinr.INR.fit


def resolve(*args, **kw):
    """presets.resolve, with the mixture's halves cross-fitted over FOLDS folds of the places
    where its 2 * FOLDS members would each hold out their own."""
    setup = _resolve(*args, **kw)
    share = setup.train.get("validation", presets.AUTO_TRAIN["validation"])
    if (
        setup.name == presets.MIX_MODEL_NAME
        and setup.ensemble == 2 * FOLDS
        and training.member_folds_apply(True, share, kw["n_distinct"], setup.ensemble)
    ):
        setup.train["cross_folds"] = FOLDS
    return setup


def fit(self, *args, **kw):
    """INR.fit, then print the members' weights (which half, if either, left the average)."""
    out = _fit(self, *args, **kw)
    w = getattr(out.model_, "weights", None)
    weights = [round(float(v), 3) for v in w] if w is not None else None
    print(
        f"cross_folds {out.train_config_.get('cross_folds', 0)}, "
        f"members {out.network_.get('names')}, weights {weights}",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    run_accuracy(
        args,
        mock.patch.object(presets, "resolve", resolve),
        mock.patch.object(xinr.INR, "fit", fit),
    )


if __name__ == "__main__":
    main()
