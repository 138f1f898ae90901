"""How far below linear interpolation can any method get? A tuned-kriging reference.

For each case of ``bench/accuracy.py`` (same masks: ``xinr.benchmark.sample_mask``), fits ordinary
Gaussian-process regression (kriging) per snapshot with a Matern kernel (nu 0.5, 1.5 or 2.5), a
length scale from 0.5 to 64 neighbour spacings and a nugget, all chosen by exact leave-one-out
error on that snapshot's observations (the closed form ``r_i = [K^-1 y]_i / [K^-1]_ii``), and
prints its held-out MSE relative to ``griddata(linear)``, per seed and on average.

This is a reference for reading the accuracy table, not a method xinr offers: it costs O(n^3) per
snapshot and per hyperparameter, so it is run on the first ``--snapshots`` snapshots only, and it
sees no other snapshot (no sharing across time). Distances are chords on the unit sphere.

    python bench/kriging_headroom.py bench/data/etopo_alps.nc --seeds 0 1 2
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accuracy import case_parser, load_field, snapshot_matrix  # noqa: E402

from xinr.benchmark import mse_minmax, sample_mask  # noqa: E402
from xinr.classical import fill, unit_vectors  # noqa: E402


def matern(d: np.ndarray, length: float, nu: float) -> np.ndarray:
    r = d / length
    if nu == 0.5:
        return np.exp(-r)
    if nu == 1.5:
        s = np.sqrt(3.0) * r
        return (1 + s) * np.exp(-s)
    s = np.sqrt(5.0) * r
    return (1 + s + s * s / 3) * np.exp(-s)


def kriging(X: np.ndarray, y: np.ndarray, Q: np.ndarray, tune_max: int = 2000, seed: int = 0):
    """Predict at Q from (X, y) with hyperparameters chosen by leave-one-out error.

    Above ``tune_max`` observations the hyperparameters are chosen on a random subset of that
    many (leave-one-out there), then the system is solved once on all of them; below it, on all.
    """
    mean = y.mean()
    yc = y - mean
    sub = np.arange(len(y))
    if len(y) > tune_max:
        sub = np.sort(np.random.default_rng(seed).choice(len(y), tune_max, replace=False))
    to_all = _distances(X[sub], X)  # the subset's distances to every observation, once
    D = to_all[:, sub]
    spacing = np.median(np.sort(to_all, 1)[:, 1]) if len(y) > 1 else 1.0
    best = None
    for nu in (0.5, 1.5, 2.5):
        for length in spacing * np.geomspace(0.5, 64, 14):
            for nugget in (1e-6, 1e-3, 1e-2, 1e-1):
                K = matern(D, length, nu) + nugget * np.eye(len(sub))
                try:
                    Ki = np.linalg.inv(K)
                except np.linalg.LinAlgError:
                    continue
                a = Ki @ yc[sub]
                err = np.mean((a / np.diag(Ki)) ** 2)
                if best is None or err < best[0]:
                    best = (err, length, nu, nugget, a)
    _, length, nu, nugget, a = best
    if len(sub) < len(y):
        K = matern(_distances(X, X), length, nu) + nugget * np.eye(len(y))
        a = np.linalg.solve(K, yc)
    out = np.empty(len(Q))
    for i in range(0, len(Q), 8192):  # bounded memory: 8192 x n distances at a time
        out[i : i + 8192] = matern(_distances(Q[i : i + 8192], X), length, nu) @ a
    return mean + out


def _distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Chords between unit vectors, ``|a - b| = sqrt(2 - 2 a.b)``, in O(len(A) len(B)) memory."""
    return np.sqrt(np.clip(2.0 - 2.0 * (A @ B.T), 0.0, None))


def main(argv=None):
    p = case_parser(__doc__, seeds=[0, 1, 2])
    p.add_argument("--snapshots", type=int, default=3, help="krige the first N snapshots")
    p.add_argument(
        "--tune-max",
        type=int,
        default=2000,
        help="choose the hyperparameters on a random subset of this many observations above it",
    )
    a = p.parse_args(argv)
    _, _, lat, lon, truth = snapshot_matrix(load_field(a.field))
    valid = np.isfinite(truth)
    n_s = min(truth.shape[0], a.snapshots)
    label = os.path.splitext(os.path.basename(a.field.partition(":")[0]))[0]
    print(f"{'field':>14} {'ratio':>6} {'task':>4}  kriging MSE vs linear (mean; per seed)")
    for ratio in a.ratios:
        for task in a.tasks:
            rel = []
            for seed in a.seeds:
                mask = sample_mask(valid, ratio, task, seed)
                held = valid & ~mask
                held[n_s:] = False
                lin = fill("linear", lat, lon, np.where(mask, truth, np.nan), held)
                pred = lin.copy()
                for s in range(n_s):
                    o, q = mask[s], held[s]
                    pred[s, q] = kriging(
                        unit_vectors(lat[o], lon[o]),
                        truth[s, o],
                        unit_vectors(lat[q], lon[q]),
                        a.tune_max,
                        seed,
                    )
                rel.append(mse_minmax(pred, truth, held) / mse_minmax(lin, truth, held) - 1)
            per = " ".join(f"{r:+.0%}" for r in rel)
            print(
                f"{label[:14]:>14} {ratio:>6.3f} {task:>4}  {np.mean(rel):+.0%}; {per}", flush=True
            )


if __name__ == "__main__":
    main()
