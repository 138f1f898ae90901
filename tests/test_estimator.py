import copy
import warnings

import numpy as np
import pytest
import torch
import xarray as xr

import xinr
from xinr.errors import CoordinateError, DataError, NotFittedError

from .conftest import FAST, analytic_field


def assert_unchanged(before, after):
    xr.testing.assert_identical(before, after)
    assert before.attrs == after.attrs
    for k in before.coords:
        assert before[k].attrs == after[k].attrs


def test_fit_reconstruct_keeps_labels(any_field):
    truth, obs = any_field
    before = copy.deepcopy(obs)
    fitted = obs.inr.fit(**FAST)
    assert isinstance(fitted, xinr.INR)
    assert_unchanged(before, obs)
    out = obs.inr.reconstruct()
    assert out.dims == truth.dims and out.shape == truth.shape
    assert out.name == "tas" and out.attrs["units"] == "K"
    assert out.attrs["xinr_model"] == "mmgn" and out.attrs["xinr_version"] == xinr.__version__
    xr.testing.assert_identical(out.time, truth.time)
    assert np.isfinite(out.values).all()


def test_dimension_order_follows_source():
    truth, obs = analytic_field()
    obs = obs.transpose("lon", "time", "lat")
    out = obs.inr.fit(**FAST).reconstruct()
    assert out.dims == ("lon", "time", "lat")


def test_reconstruct_on_other_targets(field):
    truth, obs = field
    fitted = xinr.INR(**FAST).fit(obs)
    fine = fitted.reconstruct({"lat": np.linspace(-70, 70, 5), "lon": np.arange(-180, 180, 30.0)})
    assert fine.dims == ("time", "lat", "lon") and fine.shape == (4, 5, 12)
    # a DataArray target with a subset of times and a non-index time label
    tgt = truth.isel(time=[1, 3], lat=slice(0, 4)).assign_coords(doy=("time", [2, 4]))
    out = fitted.reconstruct(tgt)
    assert out.shape == (2, 4, 36)
    assert out.doy.values.tolist() == [2, 4]
    np.testing.assert_array_equal(out.time.values, tgt.time.values)
    # a Dataset target; curvilinear 2-D lat/lon
    lat2, lon2 = np.meshgrid(np.linspace(-30, 30, 3), np.linspace(0, 90, 4), indexing="ij")
    curv = xr.Dataset(coords={"lat": (("y", "x"), lat2), "lon": (("y", "x"), lon2)})
    out = fitted.reconstruct(curv)
    assert out.dims == ("time", "y", "x")


def test_no_seam_at_dateline(field):
    """0 and 360 degrees are the same input: reconstructing there gives the same value."""
    _, obs = field
    fitted = xinr.INR(**FAST).fit(obs)
    a = fitted.reconstruct({"lat": [10.0, -20.0], "lon": [0.0]})
    b = fitted.reconstruct({"lat": [10.0, -20.0], "lon": [360.0]})
    c = fitted.reconstruct({"lat": [10.0, -20.0], "lon": [-360.0]})
    np.testing.assert_allclose(a.values, b.values, atol=1e-5)
    np.testing.assert_allclose(a.values, c.values, atol=1e-5)


def test_predict_pointwise(field):
    truth, obs = field
    fitted = obs.inr.fit(**FAST)
    grid = fitted.reconstruct()
    lat = truth.lat.values[[2, 5, 9]]
    lon = truth.lon.values[[1, 7, 30]]
    times = truth.time.values[[0, 3, 2]]
    pts = fitted.predict(lat=lat, lon=lon, time=times)
    expect = [
        grid.sel(time=t, lat=a, lon=o).item() for t, a, o in zip(times, lat, lon, strict=True)
    ]
    np.testing.assert_allclose(pts, expect, rtol=1e-5)
    # DataArray indexers keep their dims
    st = xr.DataArray(lat, dims="station")
    out = fitted.predict(st, xr.DataArray(lon, dims="station"))
    assert out.dims == ("time", "station")


def test_predict_pointwise_over_two_snapshot_dimensions(field):
    """A (time, level) field: time= gives the time labels, the level's go by name."""
    _, obs = field
    two = xr.concat([obs, obs + 1], dim="level").transpose("time", "level", ...)
    two = two.assign_coords(level=[850, 500])
    fitted = two.inr.fit(**FAST)
    grid = fitted.reconstruct()
    lat, lon = two.lat.values[[2, 5, 9]], two.lon.values[[1, 7, 30]]
    times, levels = two.time.values[[0, 3, 2]], [500, 850, 500]
    pts = fitted.predict(lat, lon, time=times, level=levels)
    expect = [
        grid.sel(time=t, level=v, lat=a, lon=o).item()
        for t, v, a, o in zip(times, levels, lat, lon, strict=True)
    ]
    np.testing.assert_allclose(pts, expect, rtol=1e-5)
    with pytest.raises(ValueError, match=r"missing for snapshot dimension\(s\) \['level'\]"):
        fitted.predict(lat, lon, time=times)
    # without a dimension called time, time= cannot say which one it labels
    other = two.rename(time="month")
    f2 = other.inr.fit(**FAST)
    with pytest.raises(ValueError, match=r"predict\(lat, lon, month=..., level=...\)"):
        f2.predict(lat, lon, time=times)


def test_fit_and_reconstruct_a_wrf_style_field(tmp_path):
    """XLAT/XLONG(Time, south_north, west_east), as WRF writes them: the grid repeated per time
    is one grid; the result keeps those coordinates, eager or lazy, and after save/load."""
    rng = np.random.default_rng(0)
    ny, nx, nt = 12, 16, 3
    lat2 = np.linspace(40, 48, ny)[:, None] + np.linspace(0, 1, nx)[None, :]
    lon2 = np.linspace(0, 12, nx)[None, :] + np.linspace(0, 0.5, ny)[:, None]
    truth = np.sin(np.deg2rad(8 * lat2)) + np.cos(np.deg2rad(10 * lon2))
    truth = truth[None] + 0.2 * np.arange(nt)[:, None, None]
    dims = ("Time", "south_north", "west_east")
    da = xr.DataArray(
        np.where(rng.random((nt, ny, nx)) < 0.3, truth, np.nan),
        dims=dims,
        coords={
            "XLAT": (dims, np.broadcast_to(lat2, truth.shape), {"units": "degree_north"}),
            "XLONG": (dims, np.broadcast_to(lon2, truth.shape), {"units": "degree_east"}),
        },
        name="T2",
    )
    fitted = da.inr.fit(**FAST)
    out = fitted.reconstruct()
    assert out.dims == dims and out.name == "T2"
    xr.testing.assert_equal(out["XLAT"], da["XLAT"])
    assert np.isfinite(out.values).all()
    lazy = fitted.reconstruct(da, chunks={"south_north": 5})
    np.testing.assert_allclose(lazy.compute().values, out.values, rtol=1e-5, atol=1e-6)
    pts = fitted.predict(lat=lat2[[1, 7], [2, 9]], lon=lon2[[1, 7], [2, 9]], Time=[0, 2])
    np.testing.assert_allclose(pts, out.values[[0, 2], [1, 7], [2, 9]], rtol=1e-5, atol=1e-6)
    fitted.save(tmp_path / "wrf.xinr")
    again = xinr.load(tmp_path / "wrf.xinr").reconstruct()
    np.testing.assert_array_equal(again.values, out.values)


def test_missing_coordinates_where_nothing_is_observed(tmp_path):
    """lat/lon with a fill value (NaN once decoded) over land, as some CMIP ocean grids store
    them: those points hold no observation and are NaN in every reconstruction; an observation
    at such a point is an error that says how to leave it out."""
    rng = np.random.default_rng(0)
    ny, nx, nt = 12, 16, 3
    lat2 = np.linspace(-30, 30, ny)[:, None] + np.linspace(0, 2, nx)[None, :]
    lon2 = np.linspace(100, 160, nx)[None, :] + np.linspace(0, 1, ny)[:, None]
    land = np.zeros((ny, nx), bool)
    land[:4, :5] = True
    lat_m, lon_m = np.where(land, np.nan, lat2), np.where(land, np.nan, lon2)
    truth = (
        np.sin(np.deg2rad(6 * lat2)) + np.cos(np.deg2rad(4 * lon2)) + np.arange(nt)[:, None, None]
    )
    seen = (rng.random((nt, ny, nx)) < 0.4) & ~land
    dims = ("time", "j", "i")
    coords = {
        "latitude": (("j", "i"), lat_m, {"units": "degrees_north"}),
        "longitude": (("j", "i"), lon_m, {"units": "degrees_east"}),
    }
    da = xr.DataArray(np.where(seen, truth, np.nan), dims=dims, coords=coords, name="tos")
    before = copy.deepcopy(da)
    fitted = da.inr.fit(**FAST)
    assert_unchanged(before, da)
    out = fitted.reconstruct()
    assert np.isnan(out.values[:, land]).all() and np.isfinite(out.values[:, ~land]).all()
    lazy = fitted.reconstruct(da, chunks={"j": 5}).compute()
    np.testing.assert_allclose(lazy.values, out.values, rtol=1e-5, atol=1e-6)
    pts = fitted.predict(lat=[np.nan, lat2[8, 9]], lon=[np.nan, lon2[8, 9]], time=[0, 2])
    assert np.isnan(pts[0])
    np.testing.assert_allclose(pts[1], out.values[2, 8, 9], rtol=1e-5, atol=1e-6)
    fitted.save(tmp_path / "tos.xinr")
    again = xinr.load(tmp_path / "tos.xinr").reconstruct()
    np.testing.assert_array_equal(again.values, out.values)
    # the same with the land ocean-coloured: observations at points with no position
    wet = da.copy(data=np.where(rng.random((nt, ny, nx)) < 0.4, truth, np.nan))
    with pytest.raises(
        CoordinateError, match=r"observation\(s\) lie at points whose .*np.isfinite"
    ):
        wet.inr.fit(**FAST)
    # a latitude out of range among the finite ones is still an error
    bad = da.assign_coords(latitude=(("j", "i"), np.where(land, np.nan, lat2 + 70)))
    with pytest.raises(CoordinateError, match="outside"):
        bad.inr.fit(**FAST)


def test_unknown_time_is_clear(field):
    _, obs = field
    fitted = obs.inr.fit(**FAST)
    with pytest.raises(CoordinateError, match="not training snapshots"):
        fitted.reconstruct({"lat": [0.0], "lon": [0.0], "time": [np.datetime64("1990-01-01")]})


def test_dataset_accessor_and_var():
    _, obs = analytic_field()
    ds = xr.Dataset({"a": obs, "b": obs * 2})
    with pytest.raises(DataError, match=r"2 data variables \['a', 'b'\]; choose one with var="):
        ds.inr.fit(**FAST)
    with pytest.raises(DataError, match="no data variables"):
        xr.Dataset(coords={"lat": obs.lat}).inr.fit(**FAST)
    fitted = ds.inr.fit(var="b", **FAST)
    assert fitted.reconstruct().name == "b"
    one = xr.Dataset({"a": obs})
    assert one.inr.fit(**FAST).reconstruct().name == "a"


def test_quality_beats_nearest_on_smooth_field():
    pytest.importorskip("scipy")
    from xinr.classical import fill

    truth, obs = analytic_field(nt=3, nlat=37, nlon=72, holes=0.8, seed=1)
    fitted = obs.inr.fit(seed=0, progress=False, epochs=300)
    pred = fitted.reconstruct()
    hidden = np.isnan(obs.values)
    err = float(np.sqrt(np.mean((pred.values - truth.values)[hidden] ** 2)))
    lat, lon = np.meshgrid(truth.lat, truth.lon, indexing="ij")
    nn = fill("nearest", lat.ravel(), lon.ravel(), obs.values.reshape(3, -1)).reshape(obs.shape)
    err_nn = float(np.sqrt(np.mean((nn - truth.values)[hidden] ** 2)))
    assert err < 0.5 * err_nn, (err, err_nn)


# ---------------------------------------------------------------- errors


def test_error_all_nan():
    _, obs = analytic_field()
    with pytest.raises(DataError, match="no finite values"):
        (obs * np.nan).inr.fit(**FAST)


def test_times_between_snapshots_blend_the_neighbours_for_models_without_time():
    # MMGN has one code per snapshot and no time input: between two snapshots the field is the
    # linear interpolation in time of theirs (misfits included), exact at the snapshots
    _, obs = analytic_field(nt=3)
    fitted = obs.inr.fit(residuals="idw", **FAST)
    assert fitted.residuals_ is not None and not fitted.model_.uses_time
    lat, lon = np.array([10.0, -20.0, 35.0]), np.array([30.0, 200.0, 300.0])
    t = obs.time.values
    at = [fitted.predict(lat, lon, time=[v] * 3) for v in t]
    quarter = t[1] + (t[2] - t[1]) / 4
    np.testing.assert_allclose(
        fitted.predict(lat, lon, time=[quarter] * 3), 0.75 * at[1] + 0.25 * at[2], rtol=1e-6
    )
    # one call mixing snapshot and in-between times, on a grid
    out = fitted.reconstruct({"lat": lat, "lon": lon, "time": [t[0], quarter, t[2]]})
    np.testing.assert_allclose(np.diagonal(out.values[0], 0, 0, 1), at[0], rtol=1e-6)
    np.testing.assert_allclose(
        np.diagonal(out.values[1], 0, 0, 1), 0.75 * at[1] + 0.25 * at[2], rtol=1e-6
    )
    # the same with the time axis stored in reverse order
    rev = obs.isel(time=slice(None, None, -1)).inr.fit(residuals="idw", **FAST)
    back = [rev.predict(lat, lon, time=[v] * 3) for v in t]
    np.testing.assert_allclose(
        rev.predict(lat, lon, time=[quarter] * 3), 0.75 * back[1] + 0.25 * back[2], rtol=1e-6
    )
    # outside the span it is still an error
    with pytest.raises(CoordinateError, match="must lie inside the training span"):
        fitted.predict(lat, lon, time=[t[-1] + np.timedelta64(3, "D")] * 3)


def test_times_between_snapshots_over_two_snapshot_dimensions_are_an_error():
    _, obs = analytic_field(nt=2)
    two = xr.concat([obs, obs + 1], dim="member")
    fitted = two.inr.fit(**FAST)
    mid = obs.time.values[0] + (obs.time.values[1] - obs.time.values[0]) / 2
    with pytest.raises(CoordinateError, match="several snapshot dimensions"):
        fitted.predict([0.0], [0.0], time=[mid], member=[0])


def test_empty_snapshot_warns_and_takes_its_neighbours_codes():
    # the analytic field changes linearly in time: day 1 is the mean of days 0 and 2
    truth, obs = analytic_field(holes=0.7)
    obs = obs.copy()
    obs[1] = np.nan
    with pytest.warns(
        UserWarning, match="1 of 4 snapshot.*nearest observed snapshots along 'time'"
    ):
        fitted = obs.inr.fit(**{**FAST, "epochs": 300})
    codes = fitted.model_.latents.weight.detach()
    assert torch.allclose(codes[1], (codes[0] + codes[2]) / 2, atol=1e-6)
    assert codes[1].abs().max() > 0  # no longer the zero starting code
    # against the code it kept before (zero: the shared basis alone)
    zero = copy.deepcopy(fitted)
    zero.model_.latents.weight.data[1] = 0.0
    err = float(np.abs(fitted.reconstruct().isel(time=1) - truth.isel(time=1)).mean())
    err_zero = float(np.abs(zero.reconstruct().isel(time=1) - truth.isel(time=1)).mean())
    assert err < 0.7 * err_zero  # 0.083 against 0.165 when written


def test_empty_snapshot_over_two_snapshot_dimensions_keeps_the_shared_part():
    _, obs = analytic_field()
    obs = obs.expand_dims(member=[0, 1]).copy()
    obs[0, 1] = np.nan
    with pytest.warns(UserWarning, match="1 of 8 snapshot.*no one axis to interpolate along"):
        fitted = obs.inr.fit(**FAST)
    assert float(fitted.model_.latents.weight.detach()[1].abs().max()) == 0.0


def test_error_nonfinite_coords_and_inf_values():
    _, obs = analytic_field()
    bad = obs.assign_coords(lat=obs.lat.where(obs.lat != obs.lat[3]))
    # observed values at a NaN latitude: their positions are unknown
    with pytest.raises(CoordinateError, match="lie at points whose 'lat'/'lon' are missing"):
        bad.inr.fit(**FAST)
    with pytest.raises(CoordinateError, match="infinite value"):
        obs.assign_coords(lat=obs.lat.where(obs.lat != obs.lat[3], np.inf)).inr.fit(**FAST)
    inf = obs.copy()
    inf[0, 0, 0] = np.inf
    with pytest.raises(DataError, match="infinite value"):
        inf.inr.fit(**FAST)


def test_error_non_numeric_and_bad_latitude():
    _, obs = analytic_field()
    with pytest.raises(DataError, match="dtype is <U"):
        obs.astype(str).inr.fit(**FAST)
    with pytest.raises(CoordinateError, match="outside \\[-90, 90\\]"):
        obs.assign_coords(lat=obs.lat * 2).inr.fit(**FAST)


def test_error_missing_latlon_and_unknown_options():
    _, obs = analytic_field()
    with pytest.raises(CoordinateError, match="Could not find a latitude"):
        obs.rename(lat="foo").assign_coords(foo=obs.lat.values).inr.fit(**FAST)
    with pytest.raises(ValueError, match="Unknown model 'mmgm'"):
        obs.inr.fit(model="mmgm")
    with pytest.raises(TypeError, match="Unknown keyword.*hiden"):
        obs.inr.fit(hiden=3, progress=False, epochs=1)
    with pytest.raises(ValueError, match="Unknown encoding"):
        obs.inr.fit(encoding="cube")
    with pytest.raises(ValueError, match="Unknown preset"):
        obs.inr.fit(preset="fast")


def test_error_reconstruct_before_fit():
    _, obs = analytic_field()
    with pytest.raises(NotFittedError, match="fresh accessor|builds a fresh accessor"):
        obs.inr.reconstruct()
    with pytest.raises(NotFittedError, match="not fitted"):
        xinr.INR().reconstruct()
    fitted = obs.inr.fit(**FAST)
    # a new object has a new accessor, but the returned object still works
    with pytest.raises(NotFittedError):
        obs.isel(time=[0, 1]).inr.reconstruct()
    assert fitted.reconstruct().shape == obs.shape


def test_error_target_without_latlon(field):
    _, obs = field
    fitted = obs.inr.fit(**FAST)
    with pytest.raises(CoordinateError, match="target grid has no usable lat/lon"):
        fitted.reconstruct(xr.Dataset(coords={"x": [1.0, 2.0]}))
    with pytest.raises(CoordinateError, match="needs 'lat' and 'lon'"):
        fitted.reconstruct({"lat": [1.0]})


def test_repr_and_history(field):
    _, obs = field
    fitted = obs.inr.fit(validation=0.2, **FAST)
    text = repr(fitted)
    assert "mmgn" in text and "observed points" in text
    assert len(fitted.history_) == FAST["epochs"]
    assert all("val" in h for h in fitted.history_[-1:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "not fitted" in repr(xinr.INR())


def test_html_repr_for_notebooks(field):
    import xml.etree.ElementTree as ET

    _, obs = field
    obs = obs.copy()
    obs.name = "t<a>s"  # escaped, not markup
    fitted = obs.inr.fit(validation=0.2, **FAST)
    page = fitted._repr_html_()
    ET.fromstring(page)  # well-formed: every tag closed, the name escaped
    assert "t&lt;a&gt;s" in page and "<polyline" in page
    assert page.count("<li>") == len(fitted.plan_.rules)
    assert ">uncertainty</th>" in page and "calibrated" in page
    assert "not fitted" in xinr.INR()._repr_html_()


def test_bounds_clip_predictions(field, tmp_path):
    truth, obs = field
    # a sharp 0/1 field (like sea-ice fraction): the network overshoots at the edge
    step = (truth.lat > 0).astype(float).broadcast_like(truth).where(obs.notnull())
    opts = {**FAST, "epochs": 60, "residuals": "none"}  # the network's own overshoot
    raw = step.inr.fit(**opts, bounds=False).reconstruct()
    assert float(raw.min()) < 0 or float(raw.max()) > 1
    auto = step.inr.fit(**opts).reconstruct()  # auto preset: the observed range
    assert float(auto.min()) >= 0 and float(auto.max()) <= 1
    np.testing.assert_allclose(auto.values, np.clip(raw.values, 0, 1), rtol=1e-5, atol=1e-6)
    one_sided = step.inr.fit(**opts, bounds=(None, 0.5))
    assert float(one_sided.reconstruct().max()) <= 0.5
    assert float(one_sided.reconstruct().min()) == pytest.approx(float(raw.min()), abs=1e-5)
    one_sided.save(tmp_path / "m.xinr")
    assert xinr.load(tmp_path / "m.xinr").bounds_ == (None, 0.5)
    assert xinr.INR(preset="paper", **FAST).fit(step).bounds_ is None


@pytest.mark.parametrize("bad", ["range", (3.0, 1.0), (1.0,), 5])
def test_bounds_bad_option_is_clear(field, bad):
    _, obs = field
    with pytest.raises(ValueError, match="bounds"):
        obs.inr.fit(bounds=bad, **FAST)
