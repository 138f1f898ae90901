"""Golden reconstructions: seeded CPU fits (run length in epochs) whose outputs must not move.

Each configuration fits a small synthetic field and records its reconstruction on the training
grid and its prediction at a few scattered points. ``tests/test_golden.py`` refits and compares.
A change of behaviour that moves a golden file is its own commit that says which and why;
regenerate with::

    python -m tests.golden            # writes tests/golden/*.npz
    python -m tests.golden --check    # compares bit for bit, prints the largest difference
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile

import numpy as np
import xarray as xr

HERE = pathlib.Path(__file__).parent / "golden"
SMALL = dict(hidden=16, layers=2)  # keeps each fit to about a second on a 2-core CPU


def _map(seed: int = 0, holes: float = 0.6) -> xr.DataArray:
    """One regional map (no time axis), 60% of its points missing."""
    lat, lon = np.linspace(30, 60, 13), np.linspace(-20, 20, 17)
    la, lo = np.deg2rad(lat)[:, None], np.deg2rad(lon)[None, :]
    f = 10 * np.cos(3 * la) + 4 * np.sin(5 * lo) + 2 * np.sin(7 * la) * np.cos(3 * lo)
    rng = np.random.default_rng(seed)
    f = np.where(rng.random(f.shape) < holes, np.nan, f)
    return xr.DataArray(
        f,
        dims=("lat", "lon"),
        coords={"lat": lat, "lon": lon},
        name="orog",
        attrs={"units": "m"},
    )


def _series(seed: int = 0, moving: bool = False, nt: int = 4) -> xr.DataArray:
    """A global field along time: fixed stations (the same points missing at every time) or
    positions that move from one snapshot to the next."""
    lat, lon = np.linspace(-75, 75, 11), np.arange(0, 360, 20.0)
    t = np.arange(nt)
    la, lo = np.deg2rad(lat)[None, :, None], np.deg2rad(lon)[None, None, :]
    f = 280 + 20 * np.cos(la) + 3 * np.sin(2 * lo) * np.cos(la) + t[:, None, None] * np.sin(la)
    rng = np.random.default_rng(seed)
    shape = (nt, lat.size, lon.size) if moving else (1, lat.size, lon.size)
    f = np.where(rng.random(shape) < 0.7, np.nan, f)
    return xr.DataArray(
        f,
        dims=("time", "lat", "lon"),
        coords={
            "time": np.datetime64("2001-01-01") + t * np.timedelta64(1, "D"),
            "lat": lat,
            "lon": lon,
        },
        name="tas",
        attrs={"units": "K"},
    )


# name -> (field maker, fit keywords, how the input is passed)
CONFIGS: dict[str, tuple] = {
    "map_defaults": (_map, dict(epochs=3), "numpy"),
    "stations_defaults": (_series, dict(epochs=3), "numpy"),
    "moving_defaults": (lambda: _series(moving=True), dict(epochs=3), "numpy"),
    "paper_preset": (lambda: _series(moving=True), dict(preset="paper", epochs=2, **SMALL), "numpy"),
    "model_mmgn": (_series, dict(model="mmgn", epochs=4, ensemble=1, **SMALL), "numpy"),
    "model_resmlp": (_series, dict(model="resmlp", epochs=4, ensemble=1, width=16, depth=2), "numpy"),
    "model_siren": (_series, dict(model="siren", epochs=4, ensemble=1, **SMALL), "numpy"),
    "model_ffn_p": (_series, dict(model="ffn_p", epochs=4, ensemble=1, hidden=16, layers=2, n_frequencies=16), "numpy"),
    "model_ffn_g": (_series, dict(model="ffn_g", epochs=4, ensemble=1, hidden=16, layers=2, n_features=16), "numpy"),
    "dask_input": (lambda: _series(moving=True), dict(epochs=3), "dask"),
    "misfits_on": (_map, dict(model="mmgn", epochs=4, residuals="idw", **SMALL), "numpy"),
    "misfits_off": (_map, dict(model="mmgn", epochs=4, residuals="none", **SMALL), "numpy"),
    "saved_loaded": (_series, dict(epochs=3), "saved"),
}


def probe_points() -> tuple[np.ndarray, np.ndarray]:
    """Scattered points, in and out of the training grid, where ``predict`` is recorded."""
    return np.array([35.5, 41.0, 52.3, 58.9]), np.array([-17.2, 0.5, 9.9, 19.1])


def run(name: str) -> dict[str, np.ndarray]:
    """Fit configuration ``name`` and return its recorded outputs."""
    import xinr

    make, kwargs, how = CONFIGS[name]
    da = make()
    if how == "dask":
        da = da.chunk({"time": 2})
    fitted = xinr.INR(progress=False, seed=0, device="cpu", **kwargs).fit(da)
    if how == "saved":
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "fit.xinr"
            fitted.save(path)
            fitted = xinr.load(path)
    out = {"reconstruction": np.asarray(fitted.reconstruct().values, dtype=np.float32)}
    lat, lon = probe_points()
    if "time" in da.dims:
        lat, lon = lat + 0.0, lon * 9.0 % 360  # the series are global
        time = np.repeat(da.time.values[1], lat.size)
        pred = fitted.predict(lat, lon, time=time)
    else:
        pred = fitted.predict(lat, lon)
    out["predict"] = np.asarray(pred, dtype=np.float32)
    return out


def path(name: str) -> pathlib.Path:
    return HERE / f"{name}.npz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("names", nargs="*", help="configurations (default: all)")
    args = parser.parse_args(argv)
    HERE.mkdir(exist_ok=True)
    moved = 0
    for name in args.names or CONFIGS:
        got = run(name)
        if not args.check:
            np.savez_compressed(path(name), **got)
            print(f"wrote {path(name)}")
            continue
        want = np.load(path(name))
        diff = max(float(np.nanmax(np.abs(got[k] - want[k]), initial=0)) for k in got)
        same = all(np.array_equal(got[k], want[k], equal_nan=True) for k in got)
        moved += not same
        print(f"{name:20s} {'identical' if same else 'MOVED'}  max |diff| {diff:.3g}")
    return 1 if moved else 0


if __name__ == "__main__":
    raise SystemExit(main())
