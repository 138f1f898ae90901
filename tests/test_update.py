"""New snapshots fitted as codes on the frozen basis (xinr.update, INR.update)."""

import copy

import numpy as np
import pytest
import torch

import xinr
from xinr.errors import CoordinateError, DataError
from xinr.models import MMGN
from xinr.training import TrainConfig, TrainData
from xinr.update import basis_unchanged, fit_codes, with_codes

from .conftest import FAST, analytic_field


def test_codes_fitted_on_a_known_basis_recover_its_snapshots():
    torch.manual_seed(0)
    truth = MMGN(2, n_snapshots=6, hidden=16, latent=4, layers=2, input_scale=4.0).eval()
    with torch.no_grad():
        truth.latents.weight.normal_()
    x = torch.rand(200, 2)
    point = torch.arange(200).repeat(2)
    snap = torch.arange(4, 6).repeat_interleave(200)
    with torch.no_grad():
        y = truth(x, point, snap)
    fitted = copy.deepcopy(truth)  # the basis, and codes of the first four snapshots only
    fitted.latents = torch.nn.Embedding(4, 4)
    fitted.latents.weight.data = truth.latents.weight.data[:4].clone()
    data = TrainData(x, point, snap - 4, torch.zeros(400), y)
    cfg = TrainConfig(epochs=400, lr=0.02, validation=0.0, progress=False, seed=0, clip=None)
    codes, _ = fit_codes(fitted, data, 2, cfg, torch.device("cpu"))
    merged = with_codes(fitted, codes)
    with torch.no_grad():
        got = merged(x, point, snap)
        zero = with_codes(fitted, [torch.zeros(2, 4)])(x, point, snap)
    err, base = float((got - y).pow(2).mean()), float((zero - y).pow(2).mean())
    assert err < 0.01 * base
    assert basis_unchanged(truth, merged) and basis_unchanged(fitted, merged)
    assert torch.equal(merged.latents.weight[:4], truth.latents.weight[:4])


@pytest.fixture(scope="module")
def series():
    truth, obs = analytic_field(nt=6)
    fitted = obs.isel(time=slice(0, 4)).inr.fit(**FAST)
    return truth, obs, fitted


def test_update_keeps_the_basis_and_the_training_snapshots_bit_for_bit(series, tmp_path):
    truth, obs, fitted = series
    before = copy.deepcopy(fitted.model_)
    old = fitted.reconstruct()
    later = fitted.update(obs.isel(time=slice(4, 6)), epochs=100)
    assert basis_unchanged(before, later.model_) and basis_unchanged(before, fitted.model_)
    out = later.reconstruct()
    assert out.sizes["time"] == 6 and fitted.reconstruct().sizes["time"] == 4
    np.testing.assert_array_equal(out.isel(time=slice(0, 4)).values, old.values)
    np.testing.assert_array_equal(out.time.values, obs.time.values)
    assert later.plan_.rule("update").value == 2 and later.n_snapshots_ == 6
    # the new snapshots are reconstructed from their codes: far better than the basis alone
    zero = copy.deepcopy(later)
    with torch.no_grad():
        zero.model_.latents.weight[4:] = 0
    zero.residuals_ = None
    new = truth.isel(time=slice(4, 6))
    err = float(((out.isel(time=slice(4, 6)) - new) ** 2).mean())
    err_zero = float(((zero.reconstruct().isel(time=slice(4, 6)) - new) ** 2).mean())
    assert err < 0.5 * err_zero
    # and predict, save and load like training snapshots
    t = obs.time.values[5]
    p = later.predict([10.0, -30.0], [40.0, 200.0], time=[t, t])
    later.save(tmp_path / "u.xinr")
    again = xinr.load(tmp_path / "u.xinr")
    np.testing.assert_array_equal(again.predict([10.0, -30.0], [40.0, 200.0], time=[t, t]), p)
    np.testing.assert_array_equal(again.reconstruct().values, out.values)


def test_update_says_what_it_cannot_do(series):
    truth, obs, fitted = series
    with pytest.raises(CoordinateError, match="training snapshots already"):
        fitted.update(obs.isel(time=slice(3, 5)))
    with pytest.raises(DataError, match="fitted on 'tas'; got 'pr'"):
        fitted.update(obs.isel(time=slice(4, 6)).rename("pr"))
    with pytest.raises(CoordinateError, match="one dimension"):
        fitted.update(obs.isel(time=slice(4, 6)).expand_dims(member=[0, 1]))
    resmlp = obs.isel(time=slice(0, 4)).inr.fit(model="resmlp", epochs=2, ensemble=1, progress=False)
    with pytest.raises(ValueError, match="no codes"):
        resmlp.update(obs.isel(time=slice(4, 6)))
    mix = obs.isel(time=slice(0, 4)).inr.fit(model="mix", ensemble=2, epochs=2, progress=False)
    with pytest.raises(ValueError, match=r"\['ResMLP'\]"):
        mix.update(obs.isel(time=slice(4, 6)))


def test_update_refuses_places_outside_a_regional_fit():
    truth, obs = analytic_field(nt=3)
    region = obs.sel(lat=slice(-20, 20), lon=slice(0, 90))
    fitted = region.isel(time=slice(0, 2)).inr.fit(**FAST)
    assert fitted.encoding_.kind == "box"
    far = obs.sel(lat=slice(30, 60), lon=slice(180, 270)).isel(time=[2])
    with pytest.raises(CoordinateError, match="outside the region"):
        fitted.update(far)
    fitted.update(region.isel(time=[2]), epochs=2)  # the region itself is fine
