"""What does holding out a share of the observed locations cost? Linear interpolation as the gauge.

A fit that keeps its best state by the error at held-out locations does not learn from them. This
script measures what that costs on the cases of ``bench/accuracy.py`` (same masks:
``xinr.benchmark.sample_mask``): it withholds a random ``--share`` of the observed locations (with
all their observations, as ``INR(validation=...)`` does), fills the field by
``griddata(linear)`` from the rest, and prints the held-out MSE relative to linear interpolation
from every observation, averaged over ``--draws`` random choices of the withheld locations. It is
why the ``auto`` preset's ensemble gives each member its own held-out locations
(``training.split_member_folds``) instead of one set withheld from all.

    python bench/station_share.py bench/data/navy_uwnd.nc --tasks 1 --seeds 0 1
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accuracy import case_parser, load_field, snapshot_matrix  # noqa: E402

from xinr.benchmark import mse_minmax, sample_mask  # noqa: E402
from xinr.classical import fill  # noqa: E402


def main(argv=None):
    p = case_parser(__doc__, seeds=[0, 1])
    p.add_argument("--share", type=float, default=0.1, help="share of the locations withheld")
    p.add_argument("--draws", type=int, default=5, help="random choices of withheld locations")
    a = p.parse_args(argv)
    _, _, lat, lon, truth = snapshot_matrix(load_field(a.field))
    valid = np.isfinite(truth)
    label = os.path.splitext(os.path.basename(a.field.partition(":")[0]))[0]
    print(f"{'field':>14} {'ratio':>6} {'task':>4} {'seed':>4} {'locations':>9}  linear MSE, "
          f"{a.share:.0%} of the locations withheld, vs all")  # fmt: skip
    for ratio in a.ratios:
        for task in a.tasks:
            for seed in a.seeds:
                mask = sample_mask(valid, ratio, task, seed)
                held = valid & ~mask
                full = mse_minmax(
                    fill("linear", lat, lon, np.where(mask, truth, np.nan), held), truth, held
                )
                locs = np.flatnonzero(mask.any(0))
                rel = []
                for draw in range(a.draws):
                    rng = np.random.default_rng(1000 * seed + draw)
                    out = rng.choice(locs, int(round(a.share * len(locs))), replace=False)
                    kept = mask.copy()
                    kept[:, out] = False
                    pred = fill("linear", lat, lon, np.where(kept, truth, np.nan), held)
                    rel.append(mse_minmax(pred, truth, held) / full - 1)
                print(
                    f"{label[:14]:>14} {ratio:>6.3f} {task:>4} {seed:>4} {len(locs):>9}  "
                    f"{np.mean(rel):+.1%} (draws {min(rel):+.0%}..{max(rel):+.0%})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
