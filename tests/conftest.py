import numpy as np
import pytest
import xarray as xr

FAST = dict(
    model="mmgn", progress=False, seed=0, epochs=30, hidden=32, latent=8, layers=2, ensemble=1
)


def analytic_field(nt=4, nlat=19, nlon=36, lon0=0.0, seed=0, holes=0.5, name="tas"):
    """Smooth global field (time, lat, lon) with a random share of NaN holes."""
    lat = np.linspace(-80, 80, nlat)
    lon = lon0 + np.arange(nlon) * (360.0 / nlon)
    t = np.arange(nt)
    la, lo = np.deg2rad(lat)[None, :, None], np.deg2rad(lon)[None, None, :]
    f = 280 + 20 * np.cos(la) + 3 * np.sin(lo) * np.cos(la) + 0.5 * t[:, None, None] * np.sin(la)
    f = np.broadcast_to(f, (nt, nlat, nlon)).copy()
    rng = np.random.default_rng(seed)
    truth = xr.DataArray(
        f,
        dims=("time", "lat", "lon"),
        coords={
            "time": np.datetime64("2000-01-01") + t * np.timedelta64(1, "D"),
            "lat": ("lat", lat, {"units": "degrees_north"}),
            "lon": ("lon", lon, {"units": "degrees_east"}),
        },
        name=name,
        attrs={"units": "K", "long_name": "temperature"},
    )
    mask = rng.random(f.shape) >= holes
    return truth, truth.where(mask)


@pytest.fixture
def field():
    return analytic_field()


@pytest.fixture(params=["numpy", "dask"])
def any_field(request):
    truth, obs = analytic_field()
    if request.param == "dask":
        obs = obs.chunk({"time": 3, "lat": 7, "lon": 11})
    return truth, obs
