import numpy as np
import pytest

import xinr
from xinr.residuals import FADE_SPACINGS, ResidualField

from .conftest import FAST, analytic_field


def _field(n=400, snapshots=2, seed=0):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-60, 60, n), rng.uniform(0, 360, n)
    point = np.concatenate([rng.permutation(n)[: n // 2] for _ in range(snapshots)])
    snap = np.repeat(np.arange(snapshots), n // 2)
    residual = rng.normal(size=point.size)
    return ResidualField(lat, lon, point, snap, residual, snapshots), lat, lon, point, residual


def test_exact_at_observations_and_per_snapshot():
    rf, lat, lon, point, residual = _field()
    half = point.size // 2
    for s in (0, 1):
        rows = point[s * half : (s + 1) * half]
        np.testing.assert_allclose(
            rf(lat[rows], lon[rows], s), residual[s * half : (s + 1) * half], rtol=1e-6
        )
    # snapshot 1's misfits are not snapshot 0's: the same place gets different corrections
    rows = point[:half]
    assert not np.allclose(rf(lat[rows], lon[rows], 1), residual[:half])


def test_between_observations_it_is_a_weighted_mean_and_fades_far_away():
    lat, lon = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 2.0, 0.0, 2.0])
    rf = ResidualField(lat, lon, np.arange(4), np.zeros(4, int), np.full(4, 2.0), 1)
    mid = rf(np.array([1.0]), np.array([1.0]), 0)[0]
    # 4 equidistant observations of misfit 2 (fewer than k: each weighs ((2d - d) / (2d d))^2),
    # and the fading pseudo-observation of misfit 0
    spacing = np.deg2rad(2.0)  # neighbour spacing (chord ~ arc here)
    d = np.deg2rad(np.sqrt(2.0))
    w = 4 / (2 * d) ** 2
    assert mid == pytest.approx(2 * w / (w + 1 / (FADE_SPACINGS * spacing) ** 2), rel=1e-3)
    far = rf(np.array([60.0]), np.array([120.0]), 0)[0]
    assert 0 <= far < 0.2 * mid


def test_empty_snapshot_and_round_trip():
    rf, lat, lon, point, residual = _field()
    empty = ResidualField(lat, lon, point[:10], np.zeros(10, int), residual[:10], 3)
    assert (empty(lat[:5], lon[:5], 2) == 0).all()
    again = ResidualField.from_dict(rf.to_dict())
    np.testing.assert_array_equal(again(lat, lon, 1), rf(lat, lon, 1))


def test_snapshots_at_the_same_points_share_one_search(monkeypatch):
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-60, 60, 300), rng.uniform(0, 360, 300)
    fixed, other = np.sort(rng.permutation(300)[:120]), np.sort(rng.permutation(300)[:90])
    rows = [fixed, fixed, other, fixed]  # snapshots 0, 1 and 3 at the same stations
    point, snap = np.concatenate(rows), np.repeat(np.arange(4), [len(r) for r in rows])
    residual = rng.normal(size=point.size)
    rf = ResidualField(lat, lon, point, snap, residual, 4)
    q_lat, q_lon = rng.uniform(-90, 90, 500), rng.uniform(-180, 180, 500)
    searches = []
    search = ResidualField._weights
    monkeypatch.setattr(
        ResidualField, "_weights", lambda self, *a: searches.append(a[1]) or search(self, *a)
    )
    got = rf.interpolate(q_lat, q_lon, [0, 1, 2, 3])
    assert searches == [0, 2, 3]  # 1 reuses 0's neighbours; 3 follows 2, so it searches again
    for s, r in enumerate(rows):  # each equals a field holding that snapshot alone
        lo = sum(len(x) for x in rows[:s])
        alone = ResidualField(lat, lon, r, np.zeros(len(r), int), residual[lo : lo + len(r)], 1)
        np.testing.assert_allclose(got[s], alone(q_lat, q_lon, 0), rtol=1e-12)
    # out= adds in place
    base = np.full((2, 500), 3.0, dtype=np.float32)
    assert rf.interpolate(q_lat, q_lon, [2, 0], out=base) is base
    np.testing.assert_allclose(base, 3.0 + got[[2, 0]], rtol=1e-5)


def test_default_fit_passes_through_observations_and_none_does_not():
    truth, obs = analytic_field(nt=3)
    fitted = xinr.INR(**FAST).fit(obs)
    assert fitted.residuals_ is not None
    rec = fitted.reconstruct()
    seen = obs.notnull()
    err_obs = float(abs(rec - truth).where(seen).max())
    assert err_obs < 1e-3 * float(truth.std())
    # the same fit without the misfits: the network alone misses the observations
    misfits = fitted.residuals_
    fitted.residuals_ = None
    alone = fitted.reconstruct()
    assert float(abs(alone - truth).where(seen).max()) > 100 * err_obs
    fitted.residuals_ = misfits
    # the network alone is what residuals="none" fits (same seed, same epochs)
    plain = xinr.INR(**FAST, residuals="none").fit(obs)
    assert plain.residuals_ is None
    assert "misfits at the observations: added (rms" in repr(fitted)
    assert "misfits at the observations: not added" in repr(plain)
    np.testing.assert_allclose(plain.reconstruct().values, alone.values, rtol=1e-5, atol=1e-4)


def test_paper_preset_returns_the_network_alone():
    _, obs = analytic_field(nt=2)
    kw = {**FAST, "preset": "paper", "batch_size": 256, "epochs": 2}
    assert xinr.INR(**kw).fit(obs).residuals_ is None
    assert xinr.INR(**{**kw, "residuals": "idw"}).fit(obs).residuals_ is not None


@pytest.mark.parametrize("bad", ["kriging", 1, True])
def test_residuals_option_validated(bad):
    _, obs = analytic_field(nt=2)
    with pytest.raises(ValueError, match="Unknown residuals"):
        xinr.INR(**FAST, residuals=bad).fit(obs)


def test_saved_model_keeps_its_misfits(tmp_path):
    truth, obs = analytic_field(nt=2)
    fitted = xinr.INR(**FAST).fit(obs)
    fitted.save(tmp_path / "m.xinr")
    loaded = xinr.load(tmp_path / "m.xinr")
    assert loaded.residuals_ is not None
    np.testing.assert_array_equal(loaded.reconstruct().values, fitted.reconstruct().values)


def test_times_between_snapshots_get_the_network_alone():
    truth, obs = analytic_field(nt=3)
    kw = dict(progress=False, seed=0, epochs=20, ensemble=1, width=16, depth=2)
    fitted = xinr.INR("resmlp", **kw).fit(obs)
    lat, lon = np.array([10.0, -20.0]), np.array([30.0, 200.0])
    t0, t1 = obs.time.values[0], obs.time.values[1]
    mid = t0 + (t1 - t0) / 2
    with_res = fitted.predict(lat, lon, time=[mid, mid])
    at_snap = fitted.predict(lat, lon, time=[t0, t0])
    misfits = fitted.residuals_
    fitted.residuals_ = None
    np.testing.assert_allclose(with_res, fitted.predict(lat, lon, time=[mid, mid]))
    assert not np.allclose(at_snap, fitted.predict(lat, lon, time=[t0, t0]))
    fitted.residuals_ = misfits
