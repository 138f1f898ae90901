"""Snapshots with no observation at all (a cloudy day, a missing month) in a field with time.

Hides all but a share of the valid points as ``accuracy.py`` does, then empties whole snapshots
(the middle one, or ``--empty`` of them in a row), fits xinr's defaults and scores RMSE at every
valid point of the emptied snapshots:

- ``xinr``: the fit as returned (MMGN's codes of the empty snapshots interpolated in time between
  their nearest observed neighbours; networks that take time as an input evaluated at theirs);
- ``zero_code``: the same fit with those codes set back to zero, what xinr returned before (the
  shared basis alone);
- ``xinr_neighbours``: the time-weighted mean of the same fit's reconstructions of the two nearest
  observed snapshots;
- ``linear_neighbours``: the same mean of linear interpolation of those two snapshots (what a
  user would do without xinr).

    python bench/empty_snapshots.py sample --ratio 0.05 --task 3 --budget 120
    python bench/empty_snapshots.py bench/data/navy_uwnd.nc --empty 2
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
from accuracy import hide, load_field, snapshot_matrix

import xinr
from xinr.benchmark import rmse
from xinr.classical import fill
from xinr.models.ensemble import Ensemble


def zero_codes(fitted, snaps) -> xinr.INR:
    """A copy of ``fitted`` whose per-snapshot codes of ``snaps`` are zero again."""
    other = copy.deepcopy(fitted)
    net = other.model_
    for m in net.members if isinstance(net, Ensemble) else [net]:
        if hasattr(m, "latents"):
            m.latents.weight.data[np.asarray(snaps)] = 0.0
    return other


def neighbours(k: int, empty: np.ndarray, n: int) -> tuple[int, int, float]:
    """The nearest observed snapshots before and after ``k`` and the weight of the later one."""
    seen = np.setdiff1d(np.arange(n), empty)
    before, after = seen[seen < k], seen[seen > k]
    a = before[-1] if before.size else after[0]
    b = after[0] if after.size else before[-1]
    return int(a), int(b), (k - a) / (b - a) if b != a else 0.0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("field", help="'sample' or PATH.nc[:VAR] with a time axis")
    p.add_argument("--ratio", type=float, default=0.05)
    p.add_argument("--task", type=int, default=3, choices=(1, 3))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget", type=float, default=120.0)
    p.add_argument("--empty", type=int, default=1, help="snapshots emptied in a row (middle)")
    a = p.parse_args(argv)
    da, order, lat, lon, truth = snapshot_matrix(load_field(a.field))
    n = truth.shape[0]
    if n < 3:
        p.error(f"{a.field} has {n} snapshot(s); this benchmark needs a time axis of 3 or more")
    mask = hide(da, truth, a.ratio, a.task, a.seed)[0]
    empty = np.arange(a.empty) + (n - a.empty) // 2
    mask[empty] = False
    obs = da.where(mask.reshape(da.shape))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = xinr.INR(progress=False, seed=a.seed, max_time=a.budget).fit(obs)
    t_fit = time.perf_counter() - t0
    rec = fitted.reconstruct().transpose(*order).values.reshape(n, -1)
    zero = zero_codes(fitted, empty).reconstruct().transpose(*order).values.reshape(n, -1)
    valid = np.isfinite(truth)
    lin = fill("linear", lat, lon, np.where(mask, truth, np.nan))  # every point
    print(
        f"{a.field}: {a.ratio:.0%} of the points, task {a.task}, seed {a.seed}, {a.empty} of {n} "
        f"snapshots emptied; fit {t_fit:.0f} s ({fitted.network_['model']}, "
        f"{fitted.ensemble_} network(s))"
    )
    print(
        f"{'snapshot':>8} {'xinr':>9} {'zero_code':>9} {'xinr_neighbours':>15} "
        f"{'linear_neighbours':>17}"
    )
    seen = [s for s in range(n) if s not in empty]
    for k in empty:
        lo, hi, w = neighbours(k, empty, n)
        m = valid[k]
        cells = [
            rmse(rec[k], truth[k], m),
            rmse(zero[k], truth[k], m),
            rmse((1 - w) * rec[lo] + w * rec[hi], truth[k], m),
            rmse((1 - w) * lin[lo] + w * lin[hi], truth[k], m),
        ]
        print(f"{k:>8} {cells[0]:>9.4g} {cells[1]:>9.4g} {cells[2]:>15.4g} {cells[3]:>17.4g}")
    held = valid & ~mask
    held[empty] = False
    print(f"observed snapshots, hidden points: xinr {rmse(rec[seen], truth[seen], held[seen]):.4g}")


if __name__ == "__main__":
    main()
