import copy

import numpy as np
import pytest
import torch
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xinr
import xinr.training as training
from xinr.errors import CoordinateError

from .conftest import FAST, analytic_field


def interrupt_at(monkeypatch, stop_epoch):
    """Make training raise KeyboardInterrupt when epoch ``stop_epoch`` starts (like Ctrl-C)."""
    real = training.lr_factor

    def stop(cfg, epoch, progress):
        if epoch == stop_epoch:
            raise KeyboardInterrupt
        return real(cfg, epoch, progress)

    monkeypatch.setattr(training, "lr_factor", stop)
    return real


def test_checkpoint_resume_matches_uninterrupted(tmp_path, monkeypatch):
    _, obs = analytic_field()
    # bit-identical on CPU; CUDA atomics (index_add) reorder float sums between runs
    kw = dict(FAST, epochs=10, batch_size=256, validation=0.1, device="cpu")
    full = xinr.INR(**kw).fit(obs)
    ck = tmp_path / "run.ckpt"
    real = interrupt_at(monkeypatch, 6)
    with pytest.warns(UserWarning, match="interrupted after 6 epoch"):
        part = xinr.INR(checkpoint=str(ck), checkpoint_every=0, **kw).fit(obs)
    assert part.interrupted_ and ck.exists()
    monkeypatch.setattr(training, "lr_factor", real)
    resumed = xinr.INR(resume=str(ck), **kw).fit(obs)
    assert len(resumed.history_) == 10 and not resumed.interrupted_
    for a, b in zip(
        full.model_.state_dict().values(), resumed.model_.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_checkpoint_is_atomic_and_checked(tmp_path):
    _, obs = analytic_field()
    ck = tmp_path / "run.ckpt"
    xinr.INR(checkpoint=str(ck), checkpoint_every=0, **FAST).fit(obs)
    assert ck.exists() and not list(tmp_path.glob("*.tmp-*"))
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"garbage")
    with pytest.raises(xinr.ModelFileError, match="Cannot read checkpoint"):
        xinr.INR(resume=str(bad), **FAST).fit(obs)


def test_interrupt_returns_best_state(monkeypatch):
    _, obs = analytic_field()
    interrupt_at(monkeypatch, 3)
    with pytest.warns(UserWarning, match="interrupted"):
        fitted = obs.inr.fit(**FAST)
    assert fitted.interrupted_ and len(fitted.history_) == 3
    assert "[interrupted]" in repr(fitted)
    assert np.isfinite(fitted.reconstruct().values).all()


def test_divergence_is_contained():
    _, obs = analytic_field()
    with pytest.warns(UserWarning, match="diverged"):
        fitted = obs.inr.fit(lr=1e12, clip=None, max_restarts=2, **{**FAST, "epochs": 50})
    assert fitted.diverged_
    assert np.isfinite(fitted.reconstruct().values).all()


# ---------------------------------------------------------------- conventions


def _field():
    truth, obs = analytic_field(nt=2, nlat=10, nlon=24, holes=0.6, seed=3)
    return obs


RECON_KW = dict(model="mmgn", progress=False, seed=0, epochs=15, hidden=16, latent=4, layers=2)


@pytest.fixture(scope="module")
def reference():
    obs = _field()
    fitted = xinr.INR(**RECON_KW).fit(obs)
    return obs, fitted.reconstruct()


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    convention=st.sampled_from(["0..360", "-180..180", "+360"]),
    shuffle=st.booleans(),
    descending=st.booleans(),
    transpose=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_conventions_do_not_change_answers(
    reference, convention, shuffle, descending, transpose, seed
):
    obs, ref = reference
    da = obs
    if convention == "-180..180":
        da = da.assign_coords(lon=((da.lon + 180) % 360) - 180)
    elif convention == "+360":
        da = da.assign_coords(lon=da.lon + 360)
    if shuffle:
        da = da.isel(lon=np.random.default_rng(seed).permutation(da.sizes["lon"]))
    if descending:
        da = da.isel(lat=slice(None, None, -1))
    if transpose:
        da = da.transpose("lon", "lat", "time")
    out = xinr.INR(**RECON_KW).fit(da).reconstruct()
    out = out.assign_coords(lon=np.mod(out.lon, 360)).sortby(["lat", "lon"]).transpose(*ref.dims)
    ref = ref.assign_coords(lon=np.mod(ref.lon, 360)).sortby(["lat", "lon"])
    span = float(ref.max() - ref.min())
    np.testing.assert_allclose(out.values, ref.values, atol=1e-3 * span, rtol=0)


# ---------------------------------------------------------------- odd data


def _check_untouched(da, fn):
    before = copy.deepcopy(da)
    enc_before = (
        {k: copy.deepcopy(v.encoding) for k, v in da.variables.items()}
        if hasattr(da, "variables")
        else None
    )
    fn(da)
    xr.testing.assert_identical(before, da)
    assert before.encoding == da.encoding
    for k in da.coords:
        assert before[k].encoding == da[k].encoding
    return enc_before


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_float_dtypes(dtype):
    _, obs = analytic_field()
    da = (obs - 280).astype(dtype)
    _check_untouched(da, lambda d: d.inr.fit(**FAST).reconstruct())


def test_scaled_integers_from_netcdf(tmp_path):
    _, obs = analytic_field()
    path = tmp_path / "packed.nc"
    enc = {
        "tas": {"dtype": "int16", "scale_factor": 0.01, "add_offset": 280.0, "_FillValue": -32767}
    }
    obs.to_dataset().to_netcdf(path, encoding=enc)
    with xr.open_dataset(path) as ds:
        da = ds["tas"].load()
    assert da.dtype.kind == "f" and np.isnan(da.values).any()
    _check_untouched(da, lambda d: d.inr.fit(**FAST).reconstruct())
    raw = xr.open_dataset(path, mask_and_scale=False)["tas"].load()
    # undecoded integers: the fill value is an ordinary number to xinr; it fits without error
    assert raw.dtype == np.int16
    raw.inr.fit(**dict(FAST, epochs=1))


@pytest.mark.parametrize("calendar", ["noleap", "360_day"])
def test_cftime_calendars_and_save(calendar, tmp_path):
    cftime = pytest.importorskip("cftime")
    _, obs = analytic_field()
    times = xr.date_range("2001-02-27", periods=4, freq="D", calendar=calendar, use_cftime=True)
    da = obs.assign_coords(time=times)
    for model in ("mmgn", "ffn_g"):
        fitted = da.inr.fit(
            model=model,
            **{k: v for k, v in FAST.items() if k not in ("model", "hidden", "latent", "layers")},
        )
        out = fitted.reconstruct()
        assert isinstance(out.time.values[0], cftime.datetime)
        fitted.save(tmp_path / "m.xinr")
        again = xinr.load(tmp_path / "m.xinr")
        np.testing.assert_array_equal(again.reconstruct().values, out.values)
        sub = fitted.reconstruct({"lat": [0.0], "lon": [10.0], "time": [times[2]]})
        assert sub.shape == (1, 1, 1)


def test_missing_time_value():
    _, obs = analytic_field()
    t = obs.time.values.copy()
    t[2] = np.datetime64("NaT")
    da = obs.assign_coords(time=t)
    fitted = da.inr.fit(**FAST)  # MMGN's time is a latent code per snapshot: labels are only names
    assert np.isfinite(fitted.reconstruct().values).all()
    # the mixed ensemble then leaves out the members that take time as an input
    auto = da.inr.fit(model="mix", ensemble=2, epochs=2, progress=False, seed=0)
    assert {type(m).__name__ for m in auto.model_.members} == {"MMGN"}
    assert np.isfinite(auto.reconstruct().values).all()
    with pytest.raises(CoordinateError, match="missing value"):
        da.inr.fit(model="siren", epochs=1, progress=False)


@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_extreme_magnitudes(scale):
    truth, obs = analytic_field()
    da = (obs - 280) * scale
    fitted = da.inr.fit(**dict(FAST, epochs=80))
    out = fitted.reconstruct()
    err = float(np.sqrt(np.nanmean((out - (truth - 280) * scale).values ** 2)))
    assert np.isfinite(out.values).all()
    assert err < 0.5 * float((truth - 280).std()) * scale
