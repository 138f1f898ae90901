"""The roughness that the curvature rule reads, for cases of ``accuracy.py``'s protocol.

    python bench/roughness.py FIELD [FIELD ...] [--ratios 0.05 0.01] [--tasks 1] [--seeds 0 1]

For each field, sampling ratio, task and seed: the same masks as ``accuracy.py``, then
:func:`xinr.presets.neighbour_roughness` of the observations and whether the snapshots share
their positions (:func:`xinr.presets.shares_positions`). The auto preset turns the curvature
penalty on at shared positions where the roughness is below
:data:`xinr.presets.AUTO_SMOOTH_ROUGHNESS`, and on every field with one snapshot.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accuracy import hide, load_field, snapshot_matrix  # noqa: E402

from xinr import presets  # noqa: E402


def reading(lat, lon, truth, mask) -> tuple[float, bool]:
    """(roughness, shared positions) of the observations ``truth[mask]``."""
    snap, point = np.nonzero(mask)
    n_snap = truth.shape[0]
    shared = presets.shares_positions(snap.size, int(np.unique(point).size), n_snap)
    return presets.neighbour_roughness(lat, lon, point, snap, truth[snap, point]), shared


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("fields", nargs="+")
    p.add_argument("--ratios", type=float, nargs="+", default=[0.05, 0.01])
    p.add_argument("--tasks", type=int, nargs="+", default=[1])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    a = p.parse_args()
    for field in a.fields:
        da, _, lat, lon, truth = snapshot_matrix(load_field(field))
        name = os.path.basename(field).removesuffix(".nc")
        for ratio in a.ratios:
            for task in a.tasks:
                for seed in a.seeds:
                    mask = hide(da, truth, ratio, task, seed)[0]
                    r, shared = reading(lat, lon, truth, mask)
                    once = truth.shape[0] == 1
                    on = once or (shared and r < presets.AUTO_SMOOTH_ROUGHNESS)
                    print(
                        f"{name:24s} {ratio:5g} task {task} seed {seed}: roughness {r:.3f}, "
                        f"{'one snapshot' if once else 'shared' if shared else 'moving'} "
                        f"positions, penalty {'on' if on else 'off'}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
