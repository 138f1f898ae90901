import numpy as np
import pytest
import torch
import xarray as xr

from xinr.coords import (
    decode_labels,
    encode_labels,
    find_layout,
    spatial_points,
    wraps_around,
)
from xinr.encoding import Encoding
from xinr.errors import CoordinateError
from xinr.geometry import unwrap_longitudes


def grid(lat_name="lat", lon_name="lon", attrs=None):
    da = xr.DataArray(
        np.zeros((2, 3, 4)),
        dims=("time", "y", "x"),
        coords={lat_name: ("y", [0.0, 1, 2], attrs or {}), lon_name: ("x", [0.0, 1, 2, 3])},
    )
    return da


def test_find_by_common_name_and_explicit():
    lay = find_layout(grid("latitude", "longitude"))
    assert (lay.lat, lon := lay.lon) == ("latitude", "longitude") and lon
    assert lay.dims == ("y", "x") and lay.snapshot_dims == ("time",)
    lay = find_layout(grid("a", "b"), lat="a", lon="b")
    assert lay.lat == "a"


def test_find_by_cf_attributes():
    da = grid("yy", "lon", {"units": "degrees_north"})
    assert find_layout(da).lat == "yy"
    da = grid("yy", "lon", {"standard_name": "latitude"})
    assert find_layout(da).lat == "yy"


def test_missing_latlon_error():
    with pytest.raises(CoordinateError, match="Could not find a latitude coordinate.*lat="):
        find_layout(grid("foo", "lon"))
    with pytest.raises(CoordinateError, match="'nope' is not a coordinate"):
        find_layout(grid(), lat="nope")


def test_curvilinear_and_station_layouts():
    lat2 = np.array([[0.0, 1], [2, 3]])
    da = xr.DataArray(
        np.zeros((2, 2)),
        dims=("j", "i"),
        coords={"lat": (("j", "i"), lat2), "lon": (("j", "i"), lat2 + 10)},
    )
    lay = find_layout(da)
    assert lay.dims == ("j", "i")
    lat, lon = spatial_points(da, lay)
    np.testing.assert_array_equal(lat, lat2.ravel())
    st = xr.DataArray(
        np.zeros((3, 5)),
        dims=("time", "station"),
        coords={"lat": ("station", np.arange(5.0)), "lon": ("station", np.arange(5.0))},
    )
    lay = find_layout(st)
    assert lay.dims == ("station",) and lay.snapshot_dims == ("time",)


def wrf_like(nt=3, moving=False):
    """A WRF-style field: XLAT/XLONG carry the Time dimension, the grid repeated per time."""
    lat2 = np.array([[40.0, 40.5, 41.0], [42.0, 42.5, 43.0]])
    lon2 = np.array([[5.0, 7.0, 9.0], [5.5, 7.5, 9.5]])
    shift = np.arange(nt)[:, None, None] * (0.1 if moving else 0.0)
    dims = ("Time", "south_north", "west_east")
    return xr.DataArray(
        np.zeros((nt, 2, 3)),
        dims=dims,
        coords={
            "XLAT": (dims, lat2 + shift, {"units": "degree_north"}),
            "XLONG": (dims, np.broadcast_to(lon2, (nt, 2, 3)), {"units": "degree_east"}),
        },
    )


def test_grid_repeated_along_time_is_one_grid():
    da = wrf_like()
    lay = find_layout(da)
    assert lay.dims == ("south_north", "west_east") and lay.snapshot_dims == ("Time",)
    lat, lon = spatial_points(da, lay)
    np.testing.assert_array_equal(lat, da.XLAT.isel(Time=0).values.ravel())
    np.testing.assert_array_equal(lon, da.XLONG.isel(Time=0).values.ravel())
    # a regular grid stored with lat and lon on (time, lat, lon): lat is unchanged along lon and
    # lon along lat, but neither dimension is dropped (only dims along which both are unchanged)
    g = grid().isel(time=0, drop=True)
    lat3, lon3 = xr.broadcast(g["lat"], g["lon"])
    lat3 = lat3.expand_dims(time=2).transpose("time", "y", "x")
    lon3 = lon3.expand_dims(time=2).transpose("time", "y", "x")
    da3 = xr.DataArray(np.zeros((2, 3, 4)), dims=("time", "y", "x"))
    da3 = da3.assign_coords(la=lat3, lo=lon3)
    lay3 = find_layout(da3, lat="la", lon="lo")
    assert lay3.dims == ("y", "x") and lay3.snapshot_dims == ("time",)
    assert spatial_points(da3, lay3)[1][:4].tolist() == [0, 1, 2, 3]
    # a grid that moves between snapshots is not one grid
    with pytest.raises(CoordinateError, match="If the grid moves between snapshots"):
        find_layout(wrf_like(moving=True))


def test_transposed_grid_points_follow_dims():
    da = grid().transpose("time", "x", "y")
    lay = find_layout(da)
    assert lay.dims == ("x", "y")
    lat, lon = spatial_points(da, lay)
    assert lat[:3].tolist() == [0, 1, 2] and lon[:3].tolist() == [0, 0, 0]


def test_bad_coordinates():
    da = grid()
    with pytest.raises(CoordinateError, match="outside \\[-90, 90\\]"):
        spatial_points(da.assign_coords(lat=("y", [0.0, 1, 100])), find_layout(da))
    with pytest.raises(CoordinateError, match="NaN or infinite"):
        spatial_points(da.assign_coords(lon=("x", [0.0, np.nan, 2, 3])), find_layout(da))


def test_wraps_around():
    assert wraps_around(np.arange(0, 360, 2.0))
    assert wraps_around(np.arange(-180, 180, 2.0))
    assert wraps_around(np.arange(0, 360, 30.0))  # coarse, but the whole circle
    assert not wraps_around(np.arange(0, 90, 2.0))
    assert not wraps_around(np.arange(0, 330, 2.0))  # a 30 degree gap


def scattered(n, seed=0):
    """Latitudes and longitudes of ``n`` points scattered uniformly over the sphere."""
    rng = np.random.default_rng(seed)
    return np.rad2deg(np.arcsin(rng.uniform(-1, 1, n))), rng.uniform(0, 360, n)


def test_wraps_around_global_unstructured_and_curvilinear_grids():
    # many distinct longitudes a small fraction of a degree apart with gaps of a few degrees
    # between them: the old test (3 typical spacings) called these regional
    for lon in (
        scattered(7000)[1],  # an unstructured grid
        scattered(300)[1],  # a global list of stations
        # a curvilinear ocean grid whose rows bend towards a displaced pole
        np.mod(np.linspace(0, 360, 120) + 40 * np.sin(np.linspace(0, 3, 80))[:, None], 360),
    ):
        u = np.unique(lon)
        gaps = np.diff(np.r_[u, u[0] + 360])
        assert gaps.max() > 3 * np.median(gaps)
        assert wraps_around(lon)
    # a region 140 E - 80 W on an unstructured grid stays regional
    lon = scattered(7000)[1]
    assert not wraps_around(lon[lon < 140] + 140)


def test_fit_encodes_a_global_unstructured_field_on_the_sphere():
    import xinr  # noqa: F401  (the accessor)

    lat, lon = scattered(600)
    da = xr.DataArray(
        np.cos(np.deg2rad(lat)) * np.sin(np.deg2rad(lon)),
        dims="ncol",
        coords={"lat": ("ncol", lat), "lon": ("ncol", lon)},
    )
    assert da.inr.fit(epochs=1, progress=False).encoding_.kind == "sphere"
    region = da.where(da.lon < 100, drop=True)
    assert region.inr.fit(epochs=1, progress=False).encoding_.kind == "box"


def test_unwrap_longitudes_joins_a_region_across_the_seam():
    # a region 140 E - 80 W written in -180..180 (a jump at 180) and in 0..360: the same span
    east = np.arange(140.0, 280.0, 2.0)
    written = np.where(east > 180, east - 360, east)
    assert np.allclose(np.diff(unwrap_longitudes(written)), 2.0)
    assert np.allclose(unwrap_longitudes(written), unwrap_longitudes(east))
    # a region across the prime meridian in 0..360 (350 E - 30 E)
    europe = np.mod(np.arange(-10.0, 30.0, 2.0), 360.0)
    assert np.allclose(np.diff(unwrap_longitudes(europe)), 2.0)
    # a global grid keeps its own seam, and a region with no jump is left as it is
    assert np.array_equal(
        unwrap_longitudes(np.arange(-180.0, 180.0, 2.0)), np.arange(-180, 180, 2.0)
    )
    assert np.array_equal(unwrap_longitudes(np.arange(0.0, 24.0)), np.arange(0.0, 24.0))


def test_linear_interpolation_is_the_same_in_any_longitude_convention():
    # the classical bar on a regional field across the date line: written in -180..180 its
    # longitudes jump, and griddata in raw degrees would interpolate across the whole globe
    from xinr.classical import interpolate_snapshot

    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-30, 30, 400), rng.uniform(140, 280, 400)
    value = np.sin(np.deg2rad(3 * lon)) + 0.05 * lat
    obs, q = np.arange(300), np.arange(300, 400)
    east = interpolate_snapshot("linear", lat[obs], lon[obs], value[obs], lat[q], lon[q])
    w = np.where(lon > 180, lon - 360, lon)
    written = interpolate_snapshot("linear", lat[obs], w[obs], value[obs], lat[q], w[q])
    np.testing.assert_allclose(written, east, atol=1e-9)
    assert np.mean((east - value[q]) ** 2) < 0.05 * np.var(value)


@pytest.mark.parametrize(
    "values",
    [
        np.arange(3),
        np.array(["2000-01-01", "2000-02-01"], dtype="datetime64[ns]"),
        np.array([1.5, 2.5]),
    ],
)
def test_label_round_trip(values):
    np.testing.assert_array_equal(decode_labels(encode_labels(values)), values)


def test_cftime_label_round_trip():
    cftime = pytest.importorskip("cftime")
    v = np.array([cftime.DatetimeNoLeap(2000, 2, 28), cftime.DatetimeNoLeap(2000, 3, 1)])
    out = decode_labels(encode_labels(v))
    assert list(out) == list(v)


@pytest.mark.parametrize("kind", ["sphere", "sh"])
def test_sphere_encodings_ignore_longitude_convention(kind):
    rng = np.random.default_rng(0)
    lat = rng.uniform(-90, 90, 50)
    lon = rng.uniform(-180, 180, 50)
    enc = Encoding(kind, degree=6)
    a = enc(lat, lon)
    for shifted in (lon + 360, np.mod(lon, 360), lon - 720):
        torch.testing.assert_close(enc(lat, shifted), a, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", ["sphere", "sh"])
def test_no_jump_at_dateline_or_poles(kind):
    enc = Encoding(kind, degree=6)
    eps = 1e-4
    a, b = enc([10.0], [180 - eps]), enc([10.0], [-180 + eps])
    assert float((a - b).abs().max()) < 1e-2
    # every longitude at the pole is the same place
    p = enc([90.0] * 4, [0.0, 90, 180, 270])
    assert float((p - p[0]).abs().max()) < 1e-5


def test_box_encoding_same_place_same_input_and_dateline_region():
    enc = Encoding("box", [0.0, 10.0], [170.0, -170.0])
    x = enc([5.0, 5.0], [180.0, -180.0])
    torch.testing.assert_close(x[0], x[1])
    assert 0.4 < float(x[0, 1]) < 0.6  # 180 lies in the middle of the 170..190 region


def test_unknown_encoding():
    with pytest.raises(ValueError, match="Unknown encoding 'cube'"):
        Encoding("cube")
