"""The classical peers on cases whose answer is known, and the cloud-gap sampler."""

import numpy as np
import pytest

from xinr.benchmark import cloud_mask
from xinr.classical import Dineof, Kriging, SpaceTimeKriging, Spline, fill
from xinr.geometry import unit_vectors


def _gp_sample(n, length, nu=1.5, seed=0):
    """Values of a Gaussian process with a Matérn covariance of the chord distance."""
    from sklearn.gaussian_process.kernels import Matern

    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-20, 20, n), rng.uniform(0, 40, n)
    k = Matern(length, nu=nu)(unit_vectors(lat, lon)) + 1e-6 * np.eye(n)
    return lat, lon, np.linalg.cholesky(k) @ rng.normal(size=n)


def test_kriging_recovers_the_covariance_of_a_gp_sample_and_beats_idw():
    lat, lon, v = _gp_sample(500, length=0.15)
    train, test = slice(0, 400), slice(400, None)
    est = Kriging()
    pred = est.snapshot(lat[train], lon[train], v[train], lat[test], lon[test])
    fitted = est.fitted_[0]
    length = fitted.kernel.k1.k2.length_scale
    assert 0.5 < length / 0.15 < 2.0 and fitted.nu in (1.5, 2.5)
    assert fitted.kernel.k2.noise_level < 0.05  # no nugget in the sample
    idw = fill("idw", lat, lon, np.where(np.arange(500) < 400, v, np.nan)[None])[0, test]
    rmse = np.sqrt(np.mean((pred - v[test]) ** 2))
    assert rmse < 0.7 * np.sqrt(np.mean((idw - v[test]) ** 2))
    # its standard deviation is small at an observation and grows away from them
    at, far = Kriging().snapshot(lat[train], lon[train], v[train], lat[:1], lon[:1], std=True)
    assert far[0] < 0.1
    _, sd = Kriging().snapshot(lat[train], lon[train], v[train], np.array([60.0]), np.array([150.0]), std=True)  # fmt: skip
    assert sd[0] > 0.8


def test_kriging_in_moving_neighbourhoods_agrees_with_one_solve(monkeypatch):
    import xinr.classical.kriging as kr

    lat, lon, v = _gp_sample(300, length=0.2, seed=1)
    q_lat, q_lon = np.linspace(-15, 15, 40), np.linspace(5, 35, 40)
    one = Kriging().snapshot(lat, lon, v, q_lat, q_lon)
    monkeypatch.setattr(kr, "GLOBAL_MAX", 100)  # the same data through neighbourhoods
    monkeypatch.setattr(kr, "NEIGHBOURS", 60)
    local = Kriging().snapshot(lat, lon, v, q_lat, q_lon)
    assert np.sqrt(np.mean((one - local) ** 2)) < 0.05 * np.std(one)


def test_space_time_kriging_borrows_from_neighbouring_snapshots():
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-20, 20, 300), rng.uniform(0, 40, 300)
    t = np.arange(8.0)
    base = np.sin(np.deg2rad(6 * lon)) * np.cos(np.deg2rad(5 * lat))
    f = base[None] * (1 + 0.05 * t[:, None])  # slow in time, sharp in space
    obs = np.where(rng.random(f.shape) < 0.15, f, np.nan)  # few points in each snapshot
    gaps = np.isnan(obs)
    st = SpaceTimeKriging().fill(lat, lon, obs, gaps, t)
    per = fill("kriging", lat, lon, obs)
    err_st = np.sqrt(np.mean((st - f)[gaps] ** 2))
    err_per = np.sqrt(np.mean((per - f)[gaps] ** 2))
    assert err_st < 0.6 * err_per


def test_spline_is_exact_at_its_nodes_also_in_neighbourhoods(monkeypatch):
    import xinr.classical.spline as sp

    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(30, 60, 400), rng.uniform(-10, 20, 400)
    v = np.cos(np.deg2rad(8 * lat)) + 0.1 * rng.normal(size=400)
    np.testing.assert_allclose(Spline().snapshot(lat, lon, v, lat, lon), v, atol=1e-6)
    monkeypatch.setattr(sp, "GLOBAL_MAX", 100)
    np.testing.assert_allclose(Spline().snapshot(lat, lon, v, lat[:50], lon[:50]), v[:50], atol=1e-6)


def test_dineof_recovers_a_low_rank_series_and_leaves_land_alone():
    rng = np.random.default_rng(1)
    t, p = np.arange(40.0), np.arange(300)
    modes = [np.outer(np.sin(t / (3 + i)), np.cos(p / (7 + 3 * i))) for i in range(3)]
    f = sum(modes) + 5.0
    f[:, :20] = np.nan  # land: never observed
    obs = np.where(rng.random(f.shape) < 0.5, f, np.nan)
    d = Dineof()
    out = d.fill(None, None, obs, np.isnan(obs))
    gaps = np.isnan(obs) & np.isfinite(f)
    assert np.sqrt(np.mean((out - f)[gaps] ** 2)) < 1e-2
    assert 3 <= d.modes_ <= 5 and np.isnan(out[:, :20]).all()
    # noise: fewer modes than the iterations could fit, chosen where the held-out error is least
    noisy = np.where(np.isfinite(obs), obs + 0.3 * rng.normal(size=f.shape), np.nan)
    d2 = Dineof()
    d2.fill(None, None, noisy, np.isnan(noisy))
    assert 2 <= d2.modes_ <= 6 and d2.modes_ < len(d2.cv_errors_)


def test_fill_dispatches_and_says_what_it_knows():
    lat, lon = np.zeros(3), np.arange(3.0)
    with pytest.raises(ValueError, match="Unknown classical method 'krige'.*'dineof'"):
        fill("krige", lat, lon, np.ones((1, 3)))
    series = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, np.nan], [np.nan, 2.0, 3.0]])
    out = fill("dineof", lat, lon, series)
    assert np.isfinite(out).all()


def test_cloud_mask_keeps_the_clear_share_leaves_land_alone_and_moves():
    lat, lon = np.meshgrid(np.linspace(-60, 60, 40), np.linspace(0, 120, 60), indexing="ij")
    valid = np.ones((4, lat.size), bool)
    land = (lat.ravel() > 30) & (lon.ravel() < 40)
    valid[:, land] = False
    for clear in (0.3, 0.1):
        m = cloud_mask(valid, lat.ravel(), lon.ravel(), clear, seed=2)
        assert m.sum(1).tolist() == [round(clear * valid[0].sum())] * 4
        assert not m[:, land].any()
        assert not (m[0] == m[1]).all()
    # contiguous holes: a clear point's grid neighbour is far more often clear than at random
    m = cloud_mask(valid, lat.ravel(), lon.ravel(), 0.3, seed=2)[0].reshape(lat.shape)
    both = (m[:, 1:] & m[:, :-1]).sum() / max(m[:, :-1].sum(), 1)
    assert both > 0.7
    with pytest.raises(ValueError, match="clear must be a share"):
        cloud_mask(valid, lat.ravel(), lon.ravel(), 0.0)
