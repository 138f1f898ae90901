"""Screen: the network's misfits kriged instead of inverse-distance weighted.

For each case of ``bench/accuracy.py`` (same masks) this fits ``INR()`` at its defaults under the
budget, then scores on the hidden points of the first ``--snapshots`` snapshots, relative to
``griddata(linear)``: the network alone, the network plus its misfits interpolated by IDW (the
``residuals="idw"`` correction), the network plus its misfits kriged per snapshot (Matern kernel,
length scale and nugget chosen by exact leave-one-out error, as ``kriging_headroom.py`` does for
the field itself), and kriging of the field itself (the reference). A screen, not an xinr method:
kriging costs O(n^3) per snapshot and per hyperparameter.

    python bench/misfit_kriging_screen.py bench/data/fice.nc --ratios 0.05 --tasks 1
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accuracy import case_parser, hide, load_field, snapshot_matrix  # noqa: E402
from kriging_headroom import kriging  # noqa: E402

import xinr  # noqa: E402
from xinr.benchmark import mse_minmax  # noqa: E402
from xinr.classical import fill, unit_vectors  # noqa: E402


def main(argv=None):
    p = case_parser(__doc__, seeds=[0])
    p.add_argument("--snapshots", type=int, default=2, help="score the first N snapshots")
    p.add_argument("--budget", type=float, default=120.0)
    a = p.parse_args(argv)
    label = os.path.splitext(os.path.basename(a.field.partition(":")[0]))[0]
    da, order, lat, lon, truth = snapshot_matrix(load_field(a.field))
    n_s = min(truth.shape[0], a.snapshots)
    print(
        f"{'field':>14} {'ratio':>6} {'task':>4} {'seed':>4}  MSE vs linear: network, +IDW, "
        "+kriged misfits, kriging alone (first snapshots)"
    )
    for ratio in a.ratios:
        for task in a.tasks:
            for seed in a.seeds:
                mask, held, obs = hide(da, truth, ratio, task, seed)
                held[n_s:] = False
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fitted = xinr.INR(progress=False, seed=seed, max_time=a.budget).fit(obs)
                rf = fitted.residuals_ or fitted.declined_residuals_
                fitted.residuals_ = None
                net = fitted.reconstruct().transpose(*order).values.reshape(truth.shape)
                fitted.residuals_ = rf
                with_idw = fitted.reconstruct().transpose(*order).values.reshape(truth.shape)
                lin = fill("linear", lat, lon, np.where(mask, truth, np.nan), held)
                kr_misfit, kr_field = net.copy(), lin.copy()
                t0 = time.perf_counter()
                lo, hi = fitted.bounds_
                for s in range(n_s):
                    o, q = mask[s], held[s]
                    X, Q = unit_vectors(lat[o], lon[o]), unit_vectors(lat[q], lon[q])
                    misfit = truth[s, o] - np.clip(net[s, o], lo, hi)
                    kr_misfit[s, q] = np.clip(net[s, q] + kriging(X, misfit, Q), lo, hi)
                    kr_field[s, q] = kriging(X, truth[s, o], Q)
                ref = mse_minmax(lin, truth, held)
                rel = [
                    mse_minmax(x, truth, held) / ref - 1
                    for x in (net, with_idw, kr_misfit, kr_field)
                ]
                print(
                    f"{label[:14]:>14} {ratio:>6.3f} {task:>4} {seed:>4}  "
                    + "  ".join(f"{r:+.1%}" for r in rel)
                    + f"  (kriging {time.perf_counter() - t0:.0f} s, {int(mask[0].sum())} obs)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
