"""How long ``fit()`` takes at its defaults with no time budget on a field the size of the
paper's CESM benchmark (daily 192 x 288, one year), 5% observed at random places per day.

    python bench/default_fit_time.py [--snapshots 365] [--nlat 192] [--nlon 288] [--ratio 0.05]

Without ``max_time``/``epochs`` the ``auto`` preset trains a fixed number of optimiser steps
(:data:`xinr.presets.AUTO_STEPS`; one network above :data:`xinr.presets.AUTO_ENSEMBLE_MAX_OBS`
observations), so this prints what a user who calls ``da.inr.fit()`` waits for, then the time
of ``reconstruct()`` on every grid point. The field is synthetic (smooth, with a seasonal
cycle); the figures are times, not errors.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import xarray as xr

import xinr  # noqa: F401  (registers .inr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshots", type=int, default=365)
    p.add_argument("--nlat", type=int, default=192)
    p.add_argument("--nlon", type=int, default=288)
    p.add_argument("--ratio", type=float, default=0.05)
    a = p.parse_args()
    rng = np.random.default_rng(0)
    lat = np.linspace(-90, 90, a.nlat)
    lon = np.linspace(0, 360, a.nlon, endpoint=False)
    day = np.arange(a.snapshots)
    base = 15 * np.cos(np.deg2rad(lat))[:, None] + 3 * np.sin(np.deg2rad(2 * lon))[None, :]
    season = np.sin(2 * np.pi * day / 365)[:, None, None] * np.sin(np.deg2rad(lat))[None, :, None]
    v = (base[None] + 5 * season).astype("float32")
    v[rng.random(v.shape) >= a.ratio] = np.nan
    times = pd.date_range("2000-01-01", periods=a.snapshots)
    da = xr.DataArray(
        v, dims=("time", "lat", "lon"), coords={"time": times, "lat": lat, "lon": lon}
    )
    print(f"field {dict(da.sizes)}, {int(np.isfinite(v).sum()):,} observations", flush=True)
    t0 = time.perf_counter()
    fitted = da.inr.fit(seed=0, progress=False)
    t1 = time.perf_counter()
    print(f"fit() at its defaults, no budget: {t1 - t0:.0f} s", flush=True)
    print(repr(fitted), flush=True)
    fitted.reconstruct()
    print(f"reconstruct() on all {v.size:,} points: {time.perf_counter() - t1:.0f} s")


if __name__ == "__main__":
    main()
