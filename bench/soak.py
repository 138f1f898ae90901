"""Leak check: fit and reconstruct a small field many times in one process.

    python bench/soak.py [--n 200]

Prints resident memory (RSS) at the start, along the way and at the end; growth should stay under
50 MB.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
import warnings

import numpy as np
import xarray as xr

import xinr  # noqa: F401  (registers the .inr accessor)


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def field(seed):
    lat, lon = np.linspace(-80, 80, 17), np.arange(0, 360, 10.0)
    f = (
        np.cos(np.deg2rad(lat))[None, :, None] * np.sin(np.deg2rad(lon))[None, None, :]
        + np.arange(3)[:, None, None]
    )
    mask = np.random.default_rng(seed).random(f.shape) < 0.3
    return xr.DataArray(
        np.where(mask, f, np.nan),
        dims=("time", "lat", "lon"),
        coords={"time": np.arange(3), "lat": lat, "lon": lon},
        name="f",
    )


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=200)
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")
    # one warm-up round so that lazy imports and allocator pools are counted in the baseline
    field(0).inr.fit(epochs=5, progress=False, seed=0, hidden=32, latent=8, layers=2).reconstruct()
    gc.collect()
    start = rss_mib()
    t0 = time.perf_counter()
    print(f"start: {start:.1f} MiB")
    for i in range(a.n):
        fitted = field(i).inr.fit(epochs=5, progress=False, seed=i, hidden=32, latent=8, layers=2)
        fitted.reconstruct({"lat": np.linspace(-60, 60, 40), "lon": np.arange(0, 360, 3.0)})
        if (i + 1) % 50 == 0:
            gc.collect()
            print(f"after {i + 1:4d}: {rss_mib():.1f} MiB ({time.perf_counter() - t0:.0f} s)")
    gc.collect()
    end = rss_mib()
    print(
        f"end: {end:.1f} MiB; growth {end - start:+.1f} MiB over {a.n} fit+reconstruct cycles "
        f"({'OK' if end - start < 50 else 'OVER'} the 50 MB limit)"
    )


if __name__ == "__main__":
    main()
