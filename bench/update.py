"""New snapshots on a learned basis (``INR.update``) against a full refit and the classical peers.

For each case (a field with a time axis, a kept share, task 3 or clouds, a seed) the observations
are drawn as in ``accuracy.py``; MMGN is fitted on the first 80% of the snapshots under the
budget, then updated with the last 20% (their codes only); a full refit on all snapshots gets the
same budget; the classical peers fill the last 20% from their own observations (the series
methods from the whole series). All are scored at the hidden points of the last 20%, and the
wall time per new snapshot of the update is set against the refit's per snapshot.

    python bench/update.py sample --ratios 0.05 --tasks 3 clouds --budget 120 --json OUT.jsonl
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

import xinr
from xinr.benchmark import mse_minmax
from xinr.classical import CLASSICAL, fill

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from accuracy import case_parser, hide, load_field, series_times, snapshot_matrix  # noqa: E402


def run_case(da, ratio, task, seed, budget, label):
    times = series_times(da)
    da, order, lat, lon, truth = snapshot_matrix(da)
    S = truth.shape[0]
    mask, held, obs = hide(da, truth, ratio, task, seed, lat, lon)
    cut = int(round(0.8 * S))
    late = slice(cut, S)
    kw = dict(model="mmgn", progress=False, seed=seed, max_time=budget)
    dim = order[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        base = xinr.INR(**kw).fit(obs.isel({dim: slice(0, cut)}))
        t_base = time.perf_counter() - t0
        t0 = time.perf_counter()
        later = base.update(obs.isel({dim: late}))
        t_update = time.perf_counter() - t0
        t0 = time.perf_counter()
        full = xinr.INR(**kw).fit(obs)
        t_full = time.perf_counter() - t0

    def score(pred):
        return mse_minmax(pred, truth[late], held[late])

    rows = {
        "update": score(later.reconstruct().transpose(*order).values.reshape(S, -1)[late]),
        "refit": score(full.reconstruct().transpose(*order).values.reshape(S, -1)[late]),
    }
    seen = np.where(mask, truth, np.nan)
    for m in CLASSICAL:
        if m in ("kriging_st", "dineof") and times is None:
            continue
        rows[m] = score(fill(m, lat, lon, seen, held, times=times, seed=seed)[late])
    best = min(v for k, v in rows.items() if k in CLASSICAL)
    return {
        "field": label, "ratio": ratio, "task": task, "seed": seed, "budget": budget,
        "mse": rows, "update_vs_refit": rows["update"] / rows["refit"] - 1,
        "update_vs_best_peer": rows["update"] / best - 1,
        "seconds_per_new_snapshot": t_update / (S - cut),
        "refit_seconds_per_snapshot": t_full / S, "base_seconds": t_base,
        "speedup_per_snapshot": (t_full / S) / (t_update / (S - cut)),
    }  # fmt: skip


def main(argv=None):
    p = case_parser(__doc__, seeds=[0])
    p.add_argument("--budget", type=float, default=120.0, help="seconds per fit")
    p.add_argument("--json", default=None, help="append result rows to this JSON-lines file")
    a = p.parse_args(argv)
    da = load_field(a.field)
    label = "coads_sst" if a.field == "sample" else a.field.rsplit("/", 1)[-1].split(".")[0]
    for ratio in a.ratios:
        for task in a.tasks:
            for seed in a.seeds:
                r = run_case(da, ratio, task, seed, a.budget, label)
                print(
                    f"{label} {ratio} {task} {seed}: update {r['update_vs_refit']:+.0%} vs refit, "
                    f"{r['update_vs_best_peer']:+.0%} vs the best peer; "
                    f"{r['seconds_per_new_snapshot']:.2f} s per new snapshot, "
                    f"{r['speedup_per_snapshot']:.0f}x the refit's per snapshot"
                )
                sys.stdout.flush()
                if a.json:
                    with open(a.json, "a") as f:
                        f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
