"""Offline screen: the default fit held to the range of its nearest observations.

    python bench/local_range_screen.py FIELD RATIO TASK SEED [--budget 120] [--json FILE]
        [--save DIR]
    python bench/local_range_screen.py --load DIR/CASE.npz [--json FILE]

A network fitted to a few hundred observations of a sharp field can overshoot between them (a
smooth basis rings next to a cliff), where linear interpolation and inverse-distance weighting
never leave the range of the observations around a point. This screen fits ``INR()`` at its
defaults on one case of ``accuracy.py`` (same masks), then, with no refit, clips each hidden
point's prediction to ``[lo - A * (hi - lo), hi + A * (hi - lo)]``, ``lo`` and ``hi`` the least and
greatest of the ``K`` nearest observations of its snapshot (on the sphere), and scores the
hidden points (MSE vs linear interpolation, %): ``default`` (the fit), ``network`` (alone),
``kK_aA`` for K in 4, 8, 16 and A in 0, 0.25, 0.5. ``--save`` keeps the fit's grids (default and
network alone, float32) with the masks in ``DIR`` so that ``--load`` can score them again.
Prints one JSON line per fit.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import case_parser, emit, fit_case, vs_linear  # noqa: E402

from xinr.classical import unit_vectors  # noqa: E402

NEIGHBOURS = (4, 8, 16)
ALLOWANCES = (0.0, 0.25, 0.5)


def neighbour_range(lat, lon, truth, mask, held, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Least and greatest of the ``k`` nearest observations of each hidden point's snapshot,
    shape (S, P) (NaN away from the hidden points)."""
    from scipy.spatial import cKDTree

    lo, hi = np.full(truth.shape, np.nan), np.full(truth.shape, np.nan)
    xyz, last, idx = unit_vectors(lat, lon), None, None
    for s in range(truth.shape[0]):
        obs, q = np.flatnonzero(mask[s]), held[s]
        if obs.size == 0 or not q.any():
            continue
        if last is None or not np.array_equal(obs, last):  # fixed stations: one search
            kk = min(k, obs.size)
            _, i = cKDTree(xyz[obs]).query(xyz, k=kk)
            idx, last = obs[i.reshape(len(xyz), kk)], obs
        near = truth[s][idx[q]]
        lo[s, q], hi[s, q] = near.min(1), near.max(1)
    return lo, hi


def score(case: dict) -> dict:
    """The screen's row for one saved or fitted case."""
    truth, mask, held, e_lin = case["truth"], case["mask"], case["held"], float(case["e_lin"])

    def score_of(pred) -> float:
        return round(vs_linear(pred, truth, held, e_lin), 2)

    row = {"default": score_of(case["default"]), "network": score_of(case["network"])}
    for k in NEIGHBOURS:
        lo, hi = neighbour_range(case["lat"], case["lon"], truth, mask, held, k)
        for a in ALLOWANCES:
            pad = a * (hi - lo)
            row[f"k{k}_a{a:g}"] = score_of(np.clip(case["default"], lo - pad, hi + pad))
    return row


def fitted_case(a: argparse.Namespace) -> dict:
    c = fit_case(a)
    return {
        "truth": c.truth,
        "mask": c.mask,
        "held": c.held,
        "e_lin": c.e_lin,
        "lat": c.lat,
        "lon": c.lon,
        "default": c.grid().astype(np.float32),
        "network": c.grid(None).astype(np.float32),
    }


def main() -> None:
    if "--load" in sys.argv:
        p = argparse.ArgumentParser()
        p.add_argument("--load", required=True)
        p.add_argument("--json", default=None)
        a = p.parse_args()
        saved = np.load(a.load)
        case = {k: saved[k] for k in saved.files}
        head = {"case": os.path.basename(a.load).removesuffix(".npz")}
    else:
        p = case_parser(__doc__)
        p.add_argument("--save", default=None)
        a = p.parse_args()
        case = fitted_case(a)
        name = os.path.basename(a.field).removesuffix(".nc")
        head = {"field": name, "ratio": a.ratio, "task": a.task, "seed": a.seed}
        if a.save:
            os.makedirs(a.save, exist_ok=True)
            path = os.path.join(a.save, f"{name}_{a.ratio:g}_{a.task}_{a.seed}.npz")
            np.savez_compressed(path, **case)
    emit({**head, **score(case)}, a.json)


if __name__ == "__main__":
    main()
