import numpy as np
import pytest

import xinr
from xinr.combine import ValuePeer, snapshot_means, stack_weight
from xinr.residuals import KrigedMisfits

from .conftest import FAST, analytic_field

COMBINED = {**FAST, "combine": "kriging", "validation": 0.2}


def _hidden_rmse(fitted, truth, obs):
    hidden = np.isnan(obs.values)
    return float(np.sqrt(np.mean((fitted.reconstruct().values - truth.values)[hidden] ** 2)))


def test_stack_weight_is_the_least_squares_weight():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    a, b = y + rng.normal(0, 1.0, 500), y + rng.normal(0, 0.5, 500)
    w = stack_weight(y, a, b)
    grid = np.linspace(0, 1, 101)
    errors = [np.mean((y - ((1 - g) * a + g * b)) ** 2) for g in grid]
    assert np.mean((y - ((1 - w) * a + w * b)) ** 2) <= min(errors) + 1e-12
    # independent errors of variances 1 and 0.25: the best weight is 1 / (1 + 0.25) = 0.8
    assert 0.7 < w < 0.9


def test_stacking_on_fresh_points_beats_each_component():
    # weights fitted on one sample of locations hold on another (what the stage relies on)
    rng = np.random.default_rng(1)
    y = rng.normal(size=(2, 2000))
    a, b = y + rng.normal(0, 1.0, y.shape), y + rng.normal(0, 0.8, y.shape)
    w = stack_weight(y[0], a[0], b[0])
    mix = (1 - w) * a[1] + w * b[1]
    assert np.mean((y[1] - mix) ** 2) < min(np.mean((y[1] - a[1]) ** 2), np.mean((y[1] - b[1]) ** 2))


def test_combination_no_worse_than_its_best_component():
    # a smooth field that kriging recovers far better than a small, briefly trained network
    truth, obs = analytic_field(nt=2, holes=0.8)
    fitted = obs.inr.fit(**COMBINED)
    comb = fitted.field_.combination
    assert comb is not None and comb.weight > 0.5
    combined = _hidden_rmse(fitted, truth, obs)
    fitted.field_.combination = None
    alone = _hidden_rmse(fitted, truth, obs)
    fitted.field_.combination = type(comb)(1.0, comb.mean, comb.anomalies)
    kriged = _hidden_rmse(fitted, truth, obs)
    assert combined <= 1.02 * min(alone, kriged)
    check = fitted.misfit_check_
    assert check["stacked_corrected"] <= min(check["corrected"], check["peer"]) + 1e-9
    rule = fitted.plan_.rule("combination")
    assert rule.value == round(comb.weight, 3) and "held-out" in rule.why


def test_combination_saved_and_loaded(tmp_path):
    _, obs = analytic_field(nt=2, holes=0.8)
    fitted = obs.inr.fit(**COMBINED)
    fitted.save(tmp_path / "m.xinr")
    again = xinr.load(tmp_path / "m.xinr")
    assert again.field_.combination.weight == fitted.field_.combination.weight
    assert again.plan_.combine == "kriging"
    np.testing.assert_array_equal(again.reconstruct().values, fitted.reconstruct().values)


def test_combination_lazy_equals_eager():
    _, obs = analytic_field(nt=2, holes=0.8)
    fitted = obs.inr.fit(**COMBINED)
    grid = obs.isel(time=slice(0, 2)).chunk({"time": 1})
    lazy = fitted.reconstruct(grid)
    np.testing.assert_allclose(lazy.compute().values, fitted.reconstruct(grid.load()).values)


def test_without_held_out_observations_nothing_is_combined():
    _, obs = analytic_field(nt=2, holes=0.8)
    fitted = obs.inr.fit(**{**COMBINED, "validation": 0.0})
    assert fitted.field_.combination is None
    assert fitted.plan_.rule("combination").value == "none"


def test_moving_positions_are_not_combined_by_default():
    _, obs = analytic_field(nt=3, holes=0.8)  # each snapshot its own places
    fitted = obs.inr.fit(**FAST)
    assert fitted.field_.combination is None and fitted.plan_.combine == "none"
    assert "different places" in fitted.plan_.rule("combination").why


def test_a_map_is_combined_by_default():
    truth, obs = analytic_field(nt=1, holes=0.8)
    fitted = obs.isel(time=0).inr.fit(**{**FAST, "validation": 0.2})
    assert fitted.plan_.combine == "kriging" and fitted.field_.combination is not None


@pytest.mark.parametrize("bad", ["spline", 1])
def test_combine_option_validated(bad):
    _, obs = analytic_field(nt=2)
    with pytest.raises(ValueError, match="Unknown combine"):
        xinr.INR(**FAST, combine=bad).fit(obs)


def test_update_krigs_the_new_snapshots_with_the_fits_weight():
    truth, obs = analytic_field(nt=4, holes=0.8)
    fitted = obs.isel(time=slice(0, 3)).inr.fit(**COMBINED)
    before = fitted.reconstruct().values
    new = fitted.update(obs.isel(time=[3]), epochs=5)
    assert new.field_.combination.weight == fitted.field_.combination.weight
    np.testing.assert_array_equal(new.reconstruct().values[:3], before)
    last = new.reconstruct().values[3]
    seen = np.isfinite(obs.values[3])
    assert np.isfinite(last).all()
    assert np.sqrt(np.mean((last - truth.values[3])[~seen] ** 2)) < 2.0


def test_snapshots_at_the_same_places_share_one_solve():
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-40, 40, 60), rng.uniform(0, 90, 60)
    values = np.sin(np.deg2rad(4 * lat))[None] * np.arange(1, 4)[:, None]  # 3 snapshots
    snap, point = np.repeat(np.arange(3), 60), np.tile(np.arange(60), 3)
    together = KrigedMisfits(lat, lon, point, snap, values.ravel(), 3)
    q_lat, q_lon = rng.uniform(-40, 40, 7), rng.uniform(0, 90, 7)
    got = together.interpolate(q_lat, q_lon, [2, 0, 1])
    for row, s in zip(got, [2, 0, 1], strict=True):
        alone = KrigedMisfits(lat, lon, np.arange(60), np.zeros(60, int), values[s], 1,
                              fitted=together.fitted, sigma=together.sigma)  # fmt: skip
        np.testing.assert_allclose(row, alone.interpolate(q_lat, q_lon, [0])[0], rtol=1e-5)


def test_value_peer_krigs_about_the_snapshot_mean():
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-30, 30, 120), rng.uniform(0, 60, 120)
    value = 10 + np.sin(np.deg2rad(3 * lon))
    snap = np.zeros(120, int)
    peer = ValuePeer.fit(lat, lon, np.arange(120), snap, value, 1)
    est = peer(lat[:100], lon[:100], value[:100], lat[100:], lon[100:])
    assert np.sqrt(np.mean((est - value[100:]) ** 2)) < 0.05
    np.testing.assert_allclose(snapshot_means(snap, value, 1), [value.mean()])
