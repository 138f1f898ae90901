import numpy as np
import pytest
import torch
import xarray as xr

import xinr
from xinr.models import MMGN, build_model, list_models
from xinr.models.baselines import FourierFeatureMLP
from xinr.models.ensemble import Ensemble


def test_mmgn_shapes_and_latent_init():
    m = MMGN(3, n_snapshots=4, hidden=16, latent=8, layers=3)
    assert torch.count_nonzero(m.latents.weight) == 0
    assert len(m.linears) == 3 and m.filters.n_filters == 4
    x = torch.rand(10, 3)
    point = torch.randint(0, 10, (25,))
    snap = torch.randint(0, 4, (25,))
    y = m(x, point, snap)
    assert y.shape == (25,)
    # gathering distinct points gives the same as evaluating every observation's point
    y2 = m(x[point], None, snap)
    torch.testing.assert_close(y, y2)


def test_mmgn_latent_changes_snapshot_only():
    torch.manual_seed(0)
    m = MMGN(2, n_snapshots=2, hidden=16, latent=4, layers=2)
    with torch.no_grad():
        m.latents.weight[1] = 1.0
    x = torch.rand(5, 2)
    a = m(x, None, torch.zeros(5, dtype=torch.long))
    b = m(x, None, torch.ones(5, dtype=torch.long))
    assert not torch.allclose(a, b)


def test_mmgn_interpolate_codes_in_time_and_nearest_beyond_the_ends():
    m = MMGN(2, n_snapshots=6, hidden=4, latent=2, layers=1)
    known = torch.tensor([[0.0, 0.0], [9.0, 9.0], [3.0, -3.0], [6.0, 6.0]])
    # times out of order, unevenly spaced: snapshots 1 and 3 (t=10, t=0) are missing
    t = np.array([2.0, 10.0, 6.0, 0.0, 4.0, 7.0])
    with torch.no_grad():
        m.latents.weight[[0, 2, 4, 5]] = known[[0, 1, 2, 3]]
    m.interpolate_codes([3, 1], t)
    w = m.latents.weight.detach()
    torch.testing.assert_close(w[[0, 2, 4, 5]], known[[0, 1, 2, 3]])  # observed ones untouched
    torch.testing.assert_close(w[3], w[0])  # before the first: the nearest (t=2)
    torch.testing.assert_close(w[1], w[5])  # after the last: the nearest (t=7)
    # one between: t=5 lies a quarter of the way from t=4 to t=6
    m.interpolate_codes([2], np.array([2.0, 10.0, 5.0, 0.0, 4.0, 6.0]))
    torch.testing.assert_close(m.latents.weight.detach()[2], 0.5 * known[2] + 0.5 * known[3])
    with pytest.raises(ValueError, match="one time per snapshot"):
        m.interpolate_codes([1], np.arange(3.0))


def test_ensemble_interpolates_the_codes_of_members_that_have_them():
    mmgn = MMGN(2, n_snapshots=3, hidden=4, latent=2, layers=1)
    other = build_model("resmlp", 2, 3)
    before = [p.detach().clone() for p in other.parameters()]
    with torch.no_grad():
        mmgn.latents.weight[0] = 2.0
        mmgn.latents.weight[2] = 4.0
    Ensemble([mmgn, other]).interpolate_codes([1], np.arange(3.0))
    torch.testing.assert_close(mmgn.latents.weight.detach()[1], torch.full((2,), 3.0))
    assert all(torch.equal(a, b) for a, b in zip(before, other.parameters(), strict=True))


@pytest.mark.parametrize("name", ["mmgn", "resmlp", "siren", "ffn_p", "ffn_g"])
def test_every_model_forward_backward(name):
    m = build_model(name, 3, 4)
    x = torch.rand(7, 3)
    y = m(x, torch.arange(7), torch.randint(0, 4, (7,)), torch.rand(7))
    assert y.shape == (7,)
    y.sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_ffn_shared_hidden_shares_weights():
    indep = FourierFeatureMLP(2, 1, layers=4)
    shared = FourierFeatureMLP(2, 1, layers=4, shared_hidden=True)
    n_i = sum(p.numel() for p in indep.parameters())
    n_s = sum(p.numel() for p in shared.parameters())
    assert n_s < n_i


def test_unknown_model_and_keyword():
    with pytest.raises(ValueError, match=r"Unknown model 'mmgm'. Expected one of \['ffn_g'"):
        build_model("mmgm", 2, 1)
    with pytest.raises(TypeError, match="Unknown keyword.*hiden.*hidden"):
        build_model("mmgn", 2, 1, hiden=3)
    assert {"mmgn", "resmlp", "siren", "ffn_p", "ffn_g"} <= set(list_models())
    assert xinr.list_models() == list_models()


def test_ensemble_option_validated_and_saved(tmp_path):
    from .conftest import FAST, analytic_field

    _, obs = analytic_field()
    with pytest.raises(ValueError, match="ensemble must be a positive integer"):
        obs.inr.fit(**dict(FAST, ensemble=0))
    fitted = obs.inr.fit(**dict(FAST, ensemble=2, epochs=3))
    assert "ensemble of 2" in repr(fitted)
    fitted.save(tmp_path / "e.xinr")
    again = xinr.load(tmp_path / "e.xinr")
    assert again.ensemble_ == 2
    assert (again.reconstruct().values == fitted.reconstruct().values).all()


def test_mix_model_trains_both_kinds_and_saves_and_loads(tmp_path):
    from .conftest import analytic_field

    _, obs = analytic_field()
    fitted = obs.inr.fit(model="mix", ensemble=4, epochs=3, progress=False, seed=0)
    assert fitted.train_config_["selection_loss"] == "mse"
    assert "ensemble of 4 (2 mmgn + 2 resmlp)" in repr(fitted)
    kinds = {type(m).__name__ for m in fitted.model_.members}
    assert kinds == {"MMGN", "ResMLP"}
    out = fitted.reconstruct()
    assert np.isfinite(out.values).all()
    fitted.save(tmp_path / "auto.xinr")
    again = xinr.load(tmp_path / "auto.xinr")
    assert [type(m).__name__ for m in again.model_.members] == [
        type(m).__name__ for m in fitted.model_.members
    ]
    np.testing.assert_array_equal(again.reconstruct().values, out.values)
    with pytest.raises(TypeError, match="model='mix'"):
        obs.inr.fit(model="mix", hidden=8, epochs=1, progress=False)


def test_default_model_is_the_mixture_on_maps_and_at_fixed_stations_and_mmgn_elsewhere(tmp_path):
    from .conftest import analytic_field

    truth, obs = analytic_field()
    kw = dict(progress=False, seed=0, epochs=2, ensemble=2)
    stations = truth.where(np.random.default_rng(1).random(truth.shape[1:]) < 0.3)
    fitted = stations.inr.fit(**kw)
    assert fitted.model == "auto" and fitted.network_["model"] == "mix"
    assert sorted(type(m).__name__ for m in fitted.model_.members) == ["MMGN", "ResMLP"]
    assert "(1 mmgn + 1 resmlp)" in repr(fitted)
    assert repr(fitted).startswith("INR(model='auto', encoding='sphere') trained 'mix'\n")
    out = fitted.reconstruct()
    fitted.save(tmp_path / "auto.xinr")
    again = xinr.load(tmp_path / "auto.xinr")
    assert again.model == "auto" and again.network_["model"] == "mix"
    np.testing.assert_array_equal(again.reconstruct().values, out.values)
    # the same ~200 stations with values unrelated from one to the next: the mixture too, since
    # 10% of them are enough to select the members by; at ~70 (member folds), MMGN
    assert int(stations.isel(time=0).count()) >= 200  # (so that 10% are at least 20)
    noise = np.random.default_rng(2).normal(size=stations.shape)
    assert (
        stations.copy(data=noise).where(stations.notnull()).inr.fit(**kw).network_["model"] == "mix"
    )
    few = np.random.default_rng(3).random(truth.shape[1:]) < 0.1
    assert truth.where(few).inr.fit(**kw).network_["model"] == "mix"  # smooth
    # a snapshot dimension of length 1 besides time (a level kept by sel(plev=[850])) does not
    # make two snapshot dimensions of one time axis
    single_level = stations.expand_dims(level=[850.0], axis=1)
    fitted = single_level.inr.fit(**kw)
    assert fitted.network_["model"] == "mix"
    # and predict(time=) needs no label for it
    t = single_level["time"].values[[0, 2]]
    at = fitted.predict([10.0, -20.0], [30.0, 200.0], time=t)
    named = fitted.predict([10.0, -20.0], [30.0, 200.0], time=t, level=[850.0, 850.0])
    np.testing.assert_array_equal(at, named)
    assert at.shape == (2,) and np.isfinite(at).all()
    # the same with the penalty set by the user: the model still follows the field's reading,
    # and the penalty the user's value
    fitted = truth.where(few).inr.fit(curvature=0, **kw)
    assert fitted.network_["model"] == "mix" and "curvature" not in fitted.train_config_
    rough_few = truth.copy(data=noise).where(few)
    # holes at different places in each snapshot; the stations over two snapshot dimensions
    # (time x level): MMGN
    levels = xr.concat([stations, stations + 1], dim="level").transpose("time", "level", ...)
    # a map with one snapshot: MMGN, ResMLP and SIREN members
    fitted = truth.isel(time=0).where(few).inr.fit(**{**kw, "ensemble": 3})
    assert fitted.network_["model"] == "mix"
    assert sorted(type(m).__name__ for m in fitted.model_.members) == ["MMGN", "ResMLP", "SIREN"]
    fitted.save(tmp_path / "map.xinr")
    np.testing.assert_array_equal(
        xinr.load(tmp_path / "map.xinr").reconstruct().values, fitted.reconstruct().values
    )
    for da in (rough_few, obs, levels):
        fitted = da.inr.fit(**kw)
        assert fitted.network_["model"] == "mmgn"
        assert "trained 'mmgn'" in repr(fitted)
        assert {type(m).__name__ for m in fitted.model_.members} == {"MMGN"}


def test_default_fit_penalises_curvature_on_a_field_seen_once_or_smooth_at_stations():
    from xinr import plan as presets

    from .conftest import analytic_field

    _, obs = analytic_field()
    kw = dict(progress=False, seed=0, epochs=2, hidden=16, latent=4, layers=2, ensemble=1)
    for once in (obs.isel(time=0), obs.isel(time=[1])):  # a map, and a series of one time
        fitted = once.inr.fit(**kw)
        assert fitted.train_config_["curvature"] == presets.AUTO_SINGLE_CURVATURE
        assert fitted.train_config_["curvature_step"] > 0
        assert f"curvature penalty {presets.AUTO_SINGLE_CURVATURE:g}" in repr(fitted)
    series = obs.inr.fit(**kw)  # holes at different places in each snapshot
    assert "curvature" not in series.train_config_
    assert "curvature penalty" not in repr(series)
    assert "curvature" not in obs.isel(time=0).inr.fit(curvature=0, **kw).train_config_
    # a smooth series at the same places in every snapshot (fixed stations): on; the same
    # stations with values unrelated from one to the next: off
    truth, _ = analytic_field()
    stations = truth.where(np.random.default_rng(1).random(truth.shape[1:]) < 0.3)
    fitted = stations.inr.fit(**kw)
    assert fitted.train_config_["curvature"] == presets.AUTO_SINGLE_CURVATURE
    noisy = stations.copy(data=np.random.default_rng(2).normal(size=stations.shape))
    assert "curvature" not in noisy.where(stations.notnull()).inr.fit(**kw).train_config_


@pytest.mark.parametrize("option", ["jitter", "curvature"])
@pytest.mark.parametrize("bad", [-0.1, float("inf"), float("nan"), "0.3", True])
def test_smoothing_options_validated(option, bad):
    from .conftest import FAST, analytic_field

    _, obs = analytic_field()
    with pytest.raises(ValueError, match=f"{option} must be a number >= 0"):
        obs.inr.fit(**dict(FAST, **{option: bad}))
