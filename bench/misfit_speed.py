"""Cost of adding the network's misfits to a reconstruction (``xinr.residuals``), per snapshot.

Snapshots observed at the same points (fixed stations, a fixed land mask) share one neighbour
search since session 11; snapshots at different points each need their own. This times both
layouts on a synthetic global grid, against a loop that searches once per snapshot (how it was
done before), side by side in one run:

    python bench/misfit_speed.py                 # 0.5 degree grid (259,200 points), 8 snapshots
    python bench/misfit_speed.py --nlat 901 --nlon 1001 --snapshots 4   # the paper's SST size

numpy and scipy only (no network is trained): the figures are the interpolation alone.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from xinr.residuals import ResidualField


def field(nlat: int, nlon: int, snapshots: int, ratio: float, same: bool, seed: int = 0):
    """Grid points, and a ResidualField of random misfits at ``ratio`` of them per snapshot."""
    rng = np.random.default_rng(seed)
    lat, lon = np.meshgrid(
        np.linspace(-89.75, 89.75, nlat), np.linspace(0, 360, nlon, endpoint=False), indexing="ij"
    )
    lat, lon = lat.ravel(), lon.ravel()
    n = max(1, int(ratio * lat.size))
    picks = [
        np.sort(rng.choice(lat.size, n, replace=False)) for _ in range(1 if same else snapshots)
    ]
    rows = [picks[0 if same else s] for s in range(snapshots)]
    point = np.concatenate(rows)
    snap = np.repeat(np.arange(snapshots), n)
    misfit = rng.normal(size=point.size)
    return lat, lon, ResidualField(lat, lon, point, snap, misfit, snapshots)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--nlat", type=int, default=360)
    p.add_argument("--nlon", type=int, default=720)
    p.add_argument("--snapshots", type=int, default=8)
    p.add_argument("--ratio", type=float, default=0.05)
    a = p.parse_args()
    print(
        f"{a.nlat} x {a.nlon} grid ({a.nlat * a.nlon:,} points), {a.snapshots} snapshots, "
        f"{a.ratio:.0%} observed"
    )
    for same in (True, False):
        lat, lon, rf = field(a.nlat, a.nlon, a.snapshots, a.ratio, same)
        snaps = np.arange(a.snapshots)
        t0 = time.perf_counter()
        each = np.stack([rf(lat, lon, int(s)) for s in snaps])
        t_each = time.perf_counter() - t0
        rf = field(a.nlat, a.nlon, a.snapshots, a.ratio, same)[2]  # no trees built yet
        t0 = time.perf_counter()
        shared = rf.interpolate(lat, lon, snaps)
        t_shared = time.perf_counter() - t0
        if not np.array_equal(each, shared):
            raise SystemExit("the two paths disagree")
        layout = "same points in every snapshot" if same else "different points per snapshot"
        print(
            f"{layout:>32}: one search per snapshot {t_each:6.2f} s, interpolate() "
            f"{t_shared:6.2f} s ({t_each / t_shared:.1f}x)"
        )


if __name__ == "__main__":
    main()
