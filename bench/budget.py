"""Does a fit keep to its ``max_time``? Wall time of ``da.inr.fit(max_time=B)`` on a synthetic
field with millions of observations, where one epoch takes longer than the budget.

    python bench/budget.py                       # 100 x 300 x 400, 40% observed (4.8M), 20 s
    python bench/budget.py --shape 50 300 400 --budget 10

Prints the budget, the wall time of ``fit`` and the training seconds and epochs it reports.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import xarray as xr

import xinr  # noqa: F401  (registers the .inr accessor)


def field(shape, share, seed=0):
    nt, ny, nx = shape
    lat, lon = np.linspace(-60, 60, ny), np.linspace(0, 120, nx)
    f = (
        15 * np.cos(np.deg2rad(lat))[None, :, None]
        + 3 * np.sin(np.deg2rad(4 * lon))[None, None, :]
        + np.sin(np.arange(nt) / 5)[:, None, None]
    ).astype("float32")
    f = np.where(np.random.default_rng(seed).random(f.shape) < share, f, np.float32(np.nan))
    coords = {"time": np.arange(nt), "lat": lat, "lon": lon}
    return xr.DataArray(f, dims=("time", "lat", "lon"), coords=coords, name="t")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", type=int, nargs=3, default=[100, 300, 400])
    ap.add_argument("--share", type=float, default=0.4)
    ap.add_argument("--budget", type=float, default=20.0)
    a = ap.parse_args()
    da = field(a.shape, a.share)
    n = int(da.notnull().sum())
    t0 = time.perf_counter()
    fitted = da.inr.fit(max_time=a.budget, progress=False, seed=0)
    wall = time.perf_counter() - t0
    print(
        f"{n:,} observations, max_time {a.budget:g} s: fit took {wall:.1f} s "
        f"({fitted.fit_seconds_:.1f} s training, {len(fitted.history_)} epoch(s), "
        f"{fitted.ensemble_} network(s))"
    )


if __name__ == "__main__":
    main()
