"""The standard deviation of a reconstruction (xinr.uncertainty): its shape, its calibration at
the held-out observations, and its way through reconstruct, predict, save/load, dask, update
and the command line."""

import numpy as np
import pytest
import xarray as xr

import xinr
from xinr.cli import main
from xinr.geometry import unit_vectors
from xinr.uncertainty import MIN_CALIBRATION, Calibration, Covariance, calibrate, kriging_variance

from .conftest import FAST, analytic_field

NOMINAL = {1.0: 0.683, 1.96: 0.95}


def gp_map(n=36, seed=0, observed=0.55, length=0.06, noise=0.05):
    """A regional map drawn from a Matérn-3/2 Gaussian process of unit variance (chord length
    ``length``), plus white noise, and its observed share."""
    lat, lon = np.linspace(20, 40, n), np.linspace(0, 20, n)
    la, lo = np.meshgrid(lat, lon, indexing="ij")
    x = unit_vectors(la.ravel(), lo.ravel())
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    cov = Covariance(1.0, length, 1.5, 0.0)
    k = cov.variance * cov.correlation(d) + 1e-8 * np.eye(len(x))
    rng = np.random.default_rng(seed)
    f = np.linalg.cholesky(k) @ rng.normal(size=len(x)) + noise * rng.normal(size=len(x))
    truth = xr.DataArray(
        f.reshape(n, n),
        dims=("lat", "lon"),
        coords={"lat": lat, "lon": lon},
        name="z",
        attrs={"units": "m", "standard_name": "height"},
    )
    return truth, truth.where(rng.random((n, n)) < observed)


@pytest.fixture(scope="module")
def gp_fit():
    truth, obs = gp_map()
    fitted = xinr.INR(**{**FAST, "epochs": 60, "hidden": 64}).fit(obs)
    return truth, obs, fitted


def test_kriging_variance_is_ordinary_kriging():
    """With every observation among the neighbours, the variance equals the ordinary-kriging
    variance written out in full (the bordered system)."""
    rng = np.random.default_rng(1)
    x = unit_vectors(rng.uniform(-5, 5, 12), rng.uniform(0, 10, 12))
    xq = unit_vectors(rng.uniform(-5, 5, 7), rng.uniform(0, 10, 7))
    cov = Covariance(1.3, 0.05, 2.5, 0.02)
    big = cov.variance * cov.correlation(np.linalg.norm(x[:, None] - x[None], axis=-1))
    big += cov.nugget * np.eye(12)
    border = np.block([[big, np.ones((12, 1))], [np.ones((1, 12)), np.zeros((1, 1))]])
    ks = cov.variance * cov.correlation(np.linalg.norm(xq[:, None] - x[None], axis=-1))
    rhs = np.vstack([ks.T, np.ones((1, 7))])
    sol = np.linalg.solve(border, rhs)
    expected = cov.variance - np.einsum("iq,iq->q", rhs, sol)
    np.testing.assert_allclose(kriging_variance(cov, x, xq, k=12), expected, rtol=1e-6)


def test_calibration_recovers_a_known_error_variance():
    rng = np.random.default_rng(2)
    v = rng.uniform(0.05, 1.5, 6000)
    e = rng.normal(size=v.size) * np.sqrt(0.5 * v + 0.2)
    c = calibrate(e, v, np.arange(v.size))
    assert c.calibrated and c.locations == v.size
    assert abs(c.scale - 0.5) < 0.08 and abs(c.floor - 0.2) < 0.05
    # observations at few places count as few locations, however many there are
    few = calibrate(e, v, np.arange(v.size) % (MIN_CALIBRATION - 1))
    assert not few.calibrated and few.floor == 0.0


def test_coverage_near_nominal_on_a_gaussian_process(gp_fit):
    truth, obs, fitted = gp_fit
    ds = fitted.reconstruct(uncertainty=True)
    cal = fitted.field_.uncertainty.calibration
    assert cal.calibrated, cal
    gap = obs.isnull().values
    z = (ds["z"].values - truth.values)[gap] / ds["z_std"].values[gap]
    for k, nominal in NOMINAL.items():
        assert abs(np.mean(np.abs(z) < k) - nominal) < 0.12, (k, np.mean(np.abs(z) < k))


def test_std_grows_away_from_the_observations():
    truth, _ = gp_map(n=24, seed=3)
    obs = truth.where(truth["lon"] < 10)  # the eastern half unobserved
    fitted = xinr.INR(**FAST).fit(obs)
    sd = fitted.reconstruct(uncertainty=True)["z_std"]
    by_lon = sd.mean("lat").values
    inside, outside = by_lon[truth["lon"].values < 9], by_lon[truth["lon"].values > 11]
    assert outside.min() > inside.max()
    assert np.all(np.diff(by_lon[truth["lon"].values > 10]) > 0)  # the farther, the larger


def test_cf_attributes_and_plan(gp_fit):
    _, _, fitted = gp_fit
    ds = fitted.reconstruct(uncertainty=True)
    std = ds["z_std"]
    assert ds["z"].attrs["ancillary_variables"] == "z_std"
    assert std.attrs["standard_name"] == "height standard_error"
    assert std.attrs["units"] == "m"
    assert std.attrs["xinr_calibrated"] == 1
    assert std.dims == ds["z"].dims and bool((std > 0).all())
    assert fitted.plan_.rule("uncertainty").value == "calibrated"
    assert "uncertainty: kriging variance" in repr(fitted)


def test_save_load_keeps_the_std_bit_for_bit(gp_fit, tmp_path):
    _, _, fitted = gp_fit
    fitted.save(tmp_path / "m.xinr")
    again = xinr.load(tmp_path / "m.xinr")
    a = fitted.reconstruct(uncertainty=True)["z_std"].values
    b = again.reconstruct(uncertainty=True)["z_std"].values
    np.testing.assert_array_equal(a, b)
    assert again.field_.uncertainty.calibration == fitted.field_.uncertainty.calibration


def test_lazy_std_equals_eager(gp_fit):
    _, _, fitted = gp_fit
    eager = fitted.reconstruct(uncertainty=True)
    lazy = fitted.reconstruct(uncertainty=True, chunks=10)
    assert lazy["z_std"].chunks is not None
    np.testing.assert_array_equal(lazy["z_std"].values, eager["z_std"].values)


def test_predict_with_uncertainty_at_points(gp_fit):
    _, _, fitted = gp_fit
    lat, lon = np.array([25.0, 31.0]), np.array([3.0, 17.0])
    values, std = fitted.predict(lat, lon, uncertainty=True)
    grid = fitted.reconstruct({"lat": lat, "lon": lon}, uncertainty=True)
    np.testing.assert_allclose(std, np.diag(grid["z_std"].values), rtol=1e-6)
    np.testing.assert_allclose(values, fitted.predict(lat, lon), rtol=1e-6)
    ds = fitted.predict(xr.DataArray(lat, dims="p"), xr.DataArray(lon, dims="p"), uncertainty=True)
    assert set(ds.data_vars) == {"z", "z_std"} and ds["z_std"].dims == ("p",)


def test_too_few_held_out_says_so():
    _, obs = analytic_field(nt=1, nlat=9, nlon=12)
    fitted = xinr.INR(**FAST).fit(obs.isel(time=0))
    cal = fitted.field_.uncertainty.calibration
    assert not cal.calibrated and cal.locations < MIN_CALIBRATION
    std = fitted.reconstruct(uncertainty=True)["tas_std"]
    assert std.attrs["xinr_calibrated"] == 0
    assert "NOT calibrated" in std.attrs["xinr_calibration"]
    assert "NOT calibrated" in repr(fitted)


def test_series_without_residual_stage_and_between_snapshots():
    _, obs = analytic_field(nt=3)
    fitted = xinr.INR(**FAST, residuals="none").fit(obs)
    assert fitted.field_.uncertainty is not None
    ds = fitted.reconstruct(uncertainty=True)
    assert ds["tas_std"].shape == ds["tas"].shape and np.isfinite(ds["tas_std"]).all()
    mid = obs["time"].values[0] + (obs["time"].values[1] - obs["time"].values[0]) / 2
    _, at_mid = fitted.predict(np.array([10.0]), np.array([20.0]), time=[mid], uncertainty=True)
    _, ends = fitted.predict(np.array([10.0, 10.0]), np.array([20.0, 20.0]),
                             time=obs["time"].values[:2], uncertainty=True)  # fmt: skip
    assert min(ends) - 1e-6 <= at_mid[0] <= max(ends) + 1e-6


def test_moving_positions_cap_the_shape():
    """Where snapshots see different places the std stops growing at the cap (the network
    borrows from the other snapshots), which the calibration and the plan record."""
    _, obs = analytic_field(nt=4, holes=0.4)
    fitted = xinr.INR(**FAST).fit(obs)
    cal = fitted.field_.uncertainty.calibration
    assert fitted.plan_.rule("uncertainty cap").value == 0.9 and np.isfinite(cal.cap)
    std = fitted.reconstruct(uncertainty=True)["tas_std"].values
    u = fitted.field_.uncertainty
    assert std.max() <= u.sigma * np.sqrt(cal.scale * cal.cap + cal.floor) * (1 + 1e-5)
    assert Calibration(2.0, 0.5, cap=1.0).variance(np.array([0.5, 3.0])) == pytest.approx([1.5, 2.5])


def test_update_gives_new_snapshots_a_std():
    _, obs = analytic_field(nt=4)
    fitted = xinr.INR(**FAST).fit(obs.isel(time=slice(0, 3)))
    later = fitted.update(obs.isel(time=[3]), epochs=5)
    ds = later.reconstruct(uncertainty=True)
    assert ds.sizes["time"] == 4 and np.isfinite(ds["tas_std"]).all()
    assert later.field_.uncertainty.calibration == fitted.field_.uncertainty.calibration


def test_cli_writes_the_std(tmp_path):
    _, obs = analytic_field(nt=2)
    src = tmp_path / "in.nc"
    obs.to_dataset().to_netcdf(src)
    model = tmp_path / "m.xinr"
    assert main(["fit", str(src), "-o", str(model), "--epochs", "3", "--quiet"]) == 0
    out = tmp_path / "rec.nc"
    assert main(["reconstruct", str(model), "-o", str(out), "--uncertainty"]) == 0
    with xr.open_dataset(out) as ds:
        assert ds["tas"].attrs["ancillary_variables"] == "tas_std"
        assert ds["tas_std"].attrs["units"] == "K"
    filled = tmp_path / "filled.nc"
    args = ["fill", str(src), "-o", str(filled), "--epochs", "3", "--quiet", "--uncertainty"]
    assert main(args) == 0
    with xr.open_dataset(filled) as ds:
        seen = obs.notnull().values
        assert (ds["tas_std"].values[seen] == 0).all() and (ds["tas_std"].values[~seen] > 0).all()
        assert ds["tas"].attrs["ancillary_variables"] == "tas_std"


def test_calibration_default_is_the_kriging_variance():
    assert Calibration().variance(np.array([0.5])) == pytest.approx([0.5])


def test_a_model_saved_without_uncertainty_says_so():
    import os

    here = os.path.join(os.path.dirname(__file__), "data")
    old = xinr.load(os.path.join(here, "format1_resmlp.xinr"))
    assert old.reconstruct().shape  # the field itself still reconstructs
    with pytest.raises(ValueError, match="no standard deviations.*Refit"):
        old.reconstruct(uncertainty=True)
    assert "uncertainty: none" in repr(old)
