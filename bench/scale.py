"""Scale benchmarks (dask): fit on a lazily built field much larger than memory, and stream a
0.05-degree global reconstruction to NetCDF, with peak resident memory; reconstruction throughput
with 1 and 2 worker processes.

    python bench/scale.py fit            # (a) 365 x 1800 x 3600 float32 (~9.5 GB), 0.1% observed
    python bench/scale.py stream         # (b) one 3600 x 7200 snapshot to NetCDF
    python bench/scale.py workers        # (c) throughput with 1 and 2 worker processes
    python bench/scale.py fit --shape 36 1800 3600   # smaller variant

Each part runs in its own process; peak RSS is the process's ru_maxrss.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import warnings

import dask.array as dsa
import numpy as np
import xarray as xr

import xinr  # noqa: F401  (registers the .inr accessor)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def lazy_field(shape, share, chunks_t=1):
    nt, ny, nx = shape
    lat = np.linspace(-89.95, 89.95, ny)
    lon = np.linspace(0, 360, nx, endpoint=False)
    rs = dsa.random.RandomState(0)
    noise = rs.random_sample(shape, chunks=(chunks_t, ny, nx)).astype(np.float32)
    la = dsa.from_array(np.deg2rad(lat).astype(np.float32), chunks=ny)[None, :, None]
    lo = dsa.from_array(np.deg2rad(lon).astype(np.float32), chunks=nx)[None, None, :]
    signal = 15 * dsa.cos(la) + 3 * dsa.sin(2 * lo) * dsa.cos(la)
    data = dsa.where(noise < share, signal + 0 * noise, np.float32(np.nan))
    return xr.DataArray(
        data,
        dims=("time", "lat", "lon"),
        coords={"time": np.arange(nt), "lat": lat, "lon": lon},
        name="t",
        attrs={"units": "degC"},
    )


def small_model():
    lat, lon = np.linspace(-80, 80, 33), np.arange(0, 360, 5.0)
    f = 15 * np.cos(np.deg2rad(lat))[:, None] + 3 * np.sin(2 * np.deg2rad(lon))[None, :]
    da = xr.DataArray(f, dims=("lat", "lon"), coords={"lat": lat, "lon": lon}, name="t")
    return da.inr.fit(epochs=20, progress=False, seed=0, ensemble=1)


def part_fit(a):
    da = lazy_field(tuple(a.shape), a.share)
    gb = np.prod(a.shape) * 4 / 1e9
    t = time.perf_counter()
    fitted = da.inr.fit(
        max_time=a.max_time, progress=False, seed=0, max_points=a.max_points, ensemble=1
    )
    print(
        f"(a) fit on a lazy {tuple(a.shape)} float32 field ({gb:.1f} GB), {a.share:.1%} observed: "
        f"{fitted.n_obs_:,} points used, {time.perf_counter() - t:.0f} s, peak RSS {peak_mib():.0f} MiB"
    )


def part_stream(a):
    fitted = small_model()
    grid = {
        "lat": np.linspace(-89.975, 89.975, 3600),
        "lon": np.linspace(0, 360, 7200, endpoint=False),
    }
    t = time.perf_counter()
    lazy = fitted.reconstruct(grid, chunks={"lat": 400, "lon": 7200})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.nc")
        lazy.to_dataset().to_netcdf(path)
        size = os.path.getsize(path) / 1e9
    print(
        f"(b) 3600 x 7200 reconstruction streamed to NetCDF ({size:.2f} GB): "
        f"{time.perf_counter() - t:.0f} s, peak RSS {peak_mib():.0f} MiB"
    )


def part_workers(a):
    from distributed import Client, LocalCluster

    fitted = small_model()
    grid = {"lat": np.linspace(-89.9, 89.9, 900), "lon": np.linspace(0, 360, 1800, endpoint=False)}
    lazy = fitted.reconstruct(grid, chunks={"lat": 100, "lon": 1800})
    n = 900 * 1800
    for workers in (1, 2):
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster),
        ):
            lazy.compute()  # warm-up: ship the model and import torch on the workers
            t = time.perf_counter()
            lazy.compute()
            dt = time.perf_counter() - t
        print(f"(c) {workers} worker process(es): {n / dt:,.0f} points/s")


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("part", choices=["fit", "stream", "workers"])
    p.add_argument("--shape", type=int, nargs=3, default=[365, 1800, 3600])
    p.add_argument("--share", type=float, default=0.001)
    p.add_argument("--max-points", type=int, default=500_000)
    p.add_argument("--max-time", type=float, default=30.0)
    a = p.parse_args(argv)
    warnings.simplefilter("ignore")
    {"fit": part_fit, "stream": part_stream, "workers": part_workers}[a.part](a)


if __name__ == "__main__":
    main()
