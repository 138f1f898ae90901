import numpy as np
import pytest

import xinr
from xinr.residuals import FADE_SPACINGS, ResidualField, held_out_check, held_out_score

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


def test_without_fade_it_keeps_the_weighted_mean_far_away():
    lat, lon = np.array([0.0, 0.0, 2.0, 2.0]), np.array([0.0, 2.0, 0.0, 2.0])
    rf = ResidualField(lat, lon, np.arange(4), np.zeros(4, int), np.full(4, 2.0), 1, np.inf)
    # every observation's misfit is 2, and nothing pulls towards 0: 2 everywhere
    out = rf(np.array([1.0, 60.0]), np.array([1.0, 120.0]), 0)
    np.testing.assert_allclose(out, [2.0, 2.0], rtol=1e-6)


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


@pytest.mark.parametrize("bad", ["krig", 1, True])
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


def test_times_between_snapshots_blend_the_neighbours_misfits_for_models_with_time():
    # a model that takes time as an input is evaluated at the time asked for; the misfits there
    # are the linear interpolation in time of the two neighbouring snapshots' misfits, so the
    # field is continuous in time and exact at the snapshots (not the network alone, which
    # jumps by the misfits at each snapshot)
    truth, obs = analytic_field(nt=3)
    kw = dict(progress=False, seed=0, epochs=20, ensemble=1, width=16, depth=2)
    fitted = xinr.INR("resmlp", residuals="idw", **kw).fit(obs)
    lat, lon = np.array([10.0, -20.0]), np.array([30.0, 200.0])
    t = obs.time.values
    quarter = t[0] + (t[1] - t[0]) / 4
    with_res = fitted.predict(lat, lon, time=[quarter, quarter])
    near_t0 = fitted.predict(lat, lon, time=[t[0] + np.timedelta64(1, "s")] * 2)
    at_t0 = fitted.predict(lat, lon, time=[t[0], t[0]])
    m = fitted.residuals_.interpolate(lat, lon, [0, 1])
    misfits = fitted.residuals_
    fitted.residuals_ = None
    net = fitted.predict(lat, lon, time=[quarter, quarter])
    net_t0 = fitted.predict(lat, lon, time=[t[0], t[0]])
    fitted.residuals_ = misfits
    assert np.abs(m).max() > 1e-3  # the misfits are not nothing, so the test can tell
    np.testing.assert_allclose(with_res - net, 0.75 * m[0] + 0.25 * m[1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(at_t0 - net_t0, m[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(near_t0, at_t0, atol=1e-3)  # no jump at the snapshot


def _check_case(offset, seed=0, n=600, snapshots=3):
    """Observations of a field at n places per snapshot, and a 'network' off by ``offset``."""
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-60, 60, n), rng.uniform(0, 360, n)
    point = np.tile(np.arange(n), snapshots)
    snap = np.repeat(np.arange(snapshots), n)
    value = rng.normal(size=point.size)
    held = np.isin(point, rng.permutation(n)[:60])
    return lat, lon, point, snap, value, value - offset(lat[point], lon[point], rng), held


def test_held_out_check_scores_the_correction_where_nothing_was_observed():
    # a network off by a smooth pattern: the misfits nearby tell it, the correction helps
    smooth = lambda la, lo, rng: 2 * np.sin(np.deg2rad(lo)) * np.cos(np.deg2rad(la))  # noqa: E731
    lat, lon, point, snap, value, pred, held = _check_case(smooth)
    c = held_out_check(lat, lon, point, snap, value, pred, held, 3)
    assert c["locations"] == 60 and c["observations"] == 180
    assert c["network"] == pytest.approx(np.mean((value - pred)[held] ** 2))
    assert c["corrected"] < 0.1 * c["network"]
    assert c["scale"] > 0.9  # (almost) all of the correction
    # a network off by noise, independent from place to place: the neighbours' misfits say
    # nothing about a held-out place, and adding them raises the error there
    noise = lambda la, lo, rng: rng.normal(size=la.size)  # noqa: E731
    c = held_out_check(*_check_case(noise), 3)
    assert c["corrected"] > c["network"]
    assert c["scale"] < 0.5


def _by_snapshot(held, snap):
    """(snapshot, its held-out observations) pairs."""
    return [(int(s), held & (snap == s)) for s in np.unique(snap)]


def test_held_out_check_scores_linear_interpolation_beside_the_network():
    # a field that is planar in (lon, lat) is linear interpolation's own: exact at every held-out
    # place inside the hull of the others; a zero network is far off there
    rng = np.random.default_rng(1)
    n = 300
    lat, lon = rng.uniform(-50, 50, n), rng.uniform(20, 200, n)
    point, snap = np.tile(np.arange(n), 2), np.repeat([0, 1], n)
    value = np.where(snap == 0, 1.0, -2.0) * (0.2 * lat[point] + 0.1 * lon[point]) + 3.0
    inner = (np.abs(lat) < 35) & (lon > 50) & (lon < 170)
    held = np.isin(point, rng.permutation(np.flatnonzero(inner))[:40])
    c = held_out_check(lat, lon, point, snap, value, np.zeros_like(value), held, 2)
    assert c["linear"] < 1e-12 * c["network"]
    # and on a rough field (noise from place to place) linear interpolation scores its error
    noisy = value + rng.normal(size=value.size)
    c = held_out_check(lat, lon, point, snap, noisy, value, held, 2)
    assert c["network"] == pytest.approx(np.mean((noisy - value)[held] ** 2))
    assert c["linear"] > c["network"]


def test_ratio_se_takes_locations_as_the_units():
    from xinr.residuals import _ratio_se

    # sums per location A = [1, 3], B = [1, 1]: ratio 2, residuals A - 2B = [-1, 1]
    assert _ratio_se(np.array([1.0, 3.0]), np.array([1.0, 1.0]), np.array([0, 1])) == 1.0
    # observations at one location add up before they count: the same as one observation each
    two = _ratio_se(np.array([0.5, 0.5, 3.0]), np.array([0.5, 0.5, 1.0]), np.array([0, 0, 1]))
    assert two == pytest.approx(1.0)
    assert _ratio_se(2 * np.arange(1.0, 5), np.arange(1.0, 5), np.arange(4)) == 0.0
    assert _ratio_se(np.ones(3), np.ones(3), np.zeros(3, int)) == np.inf  # one location


def test_held_out_score_of_a_default_fit(tmp_path):
    # the default fit reports its error at the held-out locations next to linear interpolation's,
    # keeps it through save/load and prints it; a fit without the preset's check has none
    truth, obs = analytic_field(nt=3, holes=0.6)
    fitted = xinr.INR(**FAST).fit(obs)
    score, check = fitted.held_out_score_, fitted.misfit_check_
    assert score["locations"] == check["locations"] > 0
    mse = check["corrected"] if check["added"] else check["network"]
    assert score["rmse"] == pytest.approx(np.sqrt(mse))
    assert score["mse_vs_linear"] == pytest.approx(mse / check["linear"] - 1)
    assert 0 < score["se"] < np.inf
    assert f"at {score['locations']} locations, linear interpolation" in repr(fitted)
    fitted.save(tmp_path / "s.xinr")
    assert xinr.load(tmp_path / "s.xinr").held_out_score_ == score
    assert xinr.INR(**FAST, residuals="none").fit(obs).held_out_score_ is None
    assert not check["member_folds"]
    # few places (here 150 at 10% each): each member holds out its own and chose its best state
    # there, which flatters it; no score
    few = xinr.INR(**{**FAST, "ensemble": 3}).fit(analytic_field(nt=2, nlat=10, nlon=15)[1])
    assert few.misfit_check_["member_folds"] and few.held_out_score_ is None
    assert "too few for an honest error figure" in repr(few)
    # a shared held-out set of fewer than 50 locations: they chose the best states too, and the
    # reading flatters the fit; no score
    small = xinr.INR(**FAST).fit(analytic_field(nt=1, nlat=19, nlon=36, holes=0.4)[1])
    check = small.misfit_check_
    assert not check["member_folds"] and 20 <= check["locations"] < 50
    assert small.held_out_score_ is None and "too few" in repr(small)
    assert held_out_score({**check, "locations": 50}) is not None  # the same check, more places
    with pytest.raises(xinr.NotFittedError):
        _ = xinr.INR().held_out_score_


def test_single_map_members_hold_out_their_own_locations_at_any_size():
    # one snapshot of 40 x 60 with half of it observed: 120 locations would be held out, enough
    # to share, but on a single map each member holds out its own (presets.AUTO_SINGLE_FOLDS);
    # their errors there are each member's, not the ensemble's, so there is no score
    _, obs = analytic_field(nt=1, nlat=40, nlon=60, holes=0.5)
    n_loc = int(obs.notnull().sum())
    kw = {**FAST, "ensemble": 3, "epochs": 5}
    fitted = xinr.INR(**kw).fit(obs)
    assert fitted.train_config_["member_folds"] == "always"
    check = fitted.misfit_check_
    assert check["member_folds"] and check["locations"] == 3 * round(0.1 * n_loc)
    assert fitted.held_out_score_ is None
    assert "one member's error" in repr(fitted) and "member_folds=True" in repr(fitted)
    # asked for a shared set, the fit has one and reports its reading
    shared = xinr.INR(**kw, member_folds=True).fit(obs)
    assert not shared.misfit_check_["member_folds"]
    assert shared.misfit_check_["locations"] == round(0.1 * n_loc)
    assert shared.held_out_score_ is not None
    assert obs.inr.fit(**kw, member_folds=False).misfit_check_["member_folds"] is False
    with pytest.raises(ValueError, match="member_folds must be one of"):
        xinr.INR(**kw, member_folds="sometimes").fit(obs)


def test_held_out_check_scale_is_the_least_squares_share():
    # a network off by a constant 1 everywhere: the correction at the held-out places is about 1
    # too (a little less where it fades); with the values there only 0.25 above the network, about
    # a quarter of it is best
    lat, lon, point, snap, value, pred, held = _check_case(lambda la, lo, rng: 1.0 + 0 * la)
    c = held_out_check(lat, lon, point, snap, value, pred, held, 3)
    assert c["scale"] == 1.0 and c["corrected"] < 0.01 * c["network"]
    part = np.where(held, value - 0.75, value)  # held-out values only 0.25 above the network
    c = held_out_check(lat, lon, point, snap, part, pred, held, 3)
    field = ResidualField(lat, lon, point[~held], snap[~held], np.ones((~held).sum()), 3)
    fix = np.concatenate(
        [field(lat[point[h]], lon[point[h]], s) for s, h in _by_snapshot(held, snap)]
    )
    assert 0.5 < fix.min() and fix.max() <= 1.0  # less than all of it where it fades
    assert c["scale"] == pytest.approx(0.25 * fix.mean() / np.mean(fix**2), rel=1e-6)


def test_held_out_check_weighs_the_network_against_the_interpolated_values():
    # a smooth field observed at 600 places: the values interpolated from the neighbours
    # (no fade, about the snapshot's mean) miss a little at the held-out places
    rng = np.random.default_rng(1)
    lat, lon, point, snap, _, _, held = _check_case(lambda la, lo, rng: 0 * la)
    value = np.sin(np.deg2rad(3 * lon[point])) * np.cos(np.deg2rad(2 * lat[point])) + snap
    keep = ~held
    field = ResidualField(lat, lon, point[keep], snap[keep], value[keep], 3, np.inf)
    idw = np.concatenate(
        [field(lat[point[h]], lon[point[h]], s) for s, h in _by_snapshot(held, snap)]
    )
    truth = np.concatenate([value[h] for _, h in _by_snapshot(held, snap)])
    # a network that is exact: all weight on it, and the values' own error is reported
    c = held_out_check(lat, lon, point, snap, value, value, held, 3)
    assert c["idw"] == pytest.approx(np.mean((truth - idw) ** 2), rel=1e-4)
    assert c["idw"] > 0
    assert c["blend_network"] == pytest.approx(1.0) and c["blend_corrected"] == pytest.approx(1.0)
    # a network off by independent noise much larger than the values' error: little weight
    noisy = value + rng.normal(scale=2.0, size=value.size)
    c = held_out_check(lat, lon, point, snap, value, noisy, held, 3)
    assert c["blend_network"] < 0.1 and c["idw"] < c["network"]


def test_held_out_check_per_network_and_bounded():
    smooth = lambda la, lo, rng: 0.5 + 0 * la  # noqa: E731
    lat, lon, point, snap, value, pred, held = _check_case(smooth, snapshots=5)
    # two networks, each holding out its own half of the held-out places
    other = held & (point % 2 == 1)
    one = held & ~other
    c = held_out_check(lat, lon, point, snap, value, np.stack([pred, pred - 1]), [one, other], 5)
    assert c["locations"] == 60 and c["observations"] == 300
    expected = (np.sum(0.25 * one) + np.sum(2.25 * other)) / 300
    assert c["network"] == pytest.approx(expected)
    # corrected predictions are clipped to the bounds as the reconstruction's are
    hi = float(np.max(value)) - 1.0
    clipped = held_out_check(lat, lon, point, snap, value, pred, held, 5, bounds=(None, hi))
    free = held_out_check(lat, lon, point, snap, value, pred, held, 5)
    assert clipped["corrected"] > free["corrected"]
    # at most max_snapshots snapshots are visited
    c = held_out_check(lat, lon, point, snap, value, pred, held, 5, max_snapshots=2)
    assert c["observations"] == 120


def test_default_fit_declines_misfits_that_raise_the_held_out_error():
    # a field of independent noise around a constant: the network finds the constant, and the
    # neighbours' misfits only add noise at the held-out locations
    truth, obs = analytic_field(nt=2, holes=0.3)
    rng = np.random.default_rng(3)
    noisy = obs.copy(data=280.0 + 5 * rng.normal(size=obs.shape)).where(obs.notnull())
    fitted = xinr.INR(**FAST).fit(noisy)
    check = fitted.misfit_check_
    assert check["locations"] >= 20 and check["added"] is False
    assert check["corrected"] > check["network"]
    assert fitted.residuals_ is None and fitted.declined_residuals_ is not None
    assert "raised the squared error at" in repr(fitted)
    # forced: added without a check (with the combination stage's check, added whatever it read)
    forced = xinr.INR(**FAST, residuals="idw", combine="none").fit(noisy)
    assert forced.misfit_check_ is None and forced.residuals_ is not None
    combined = xinr.INR(**FAST, residuals="idw").fit(noisy)
    assert combined.misfit_check_["added"] is True and combined.residuals_ is not None


def test_member_folds_check_each_member_where_it_held_out(tmp_path):
    # 150 observed places: 15 held out, fewer than 20, so each of 3 members holds out its own
    truth, obs = analytic_field(nt=2, holes=0.0, nlat=10, nlon=15)
    kw = {**FAST, "ensemble": 3}
    fitted = xinr.INR(**kw).fit(obs)
    check = fitted.misfit_check_
    assert check["locations"] == 45 and check["observations"] == 90
    assert check["added"] is True and fitted.residuals_ is not None
    fitted.save(tmp_path / "m.xinr")
    assert xinr.load(tmp_path / "m.xinr").misfit_check_ == check


def test_check_visits_at_most_the_chosen_snapshots(monkeypatch):
    # a longer series: the members predict, and the check scores, only the snapshots it visits;
    # on dense data as many as hold about max_observations (here 300 of 150 a snapshot)
    import functools

    import xinr.pipeline
    import xinr.residuals

    count = functools.partial(xinr.residuals.check_snapshot_count, max_observations=300)
    monkeypatch.setattr(xinr.pipeline, "check_snapshot_count", count)
    truth, obs = analytic_field(nt=5, holes=0.0, nlat=10, nlon=15)
    check = xinr.INR(**{**FAST, "ensemble": 3}).fit(obs).misfit_check_
    assert check["locations"] == 45 and check["observations"] == 90  # 2 of 5 snapshots


def test_check_snapshot_count_follows_the_observations_per_snapshot():
    from xinr.residuals import check_snapshot_count

    sparse = np.repeat(np.arange(400), 30)  # 400 snapshots of 30 observations
    assert check_snapshot_count(sparse, 48, 10_000) == 48  # the cap on snapshots
    dense = np.repeat(np.arange(400), 3000)
    assert check_snapshot_count(dense, 48, 10_000) == 3  # 3 x 3000 <= 10,000
    assert check_snapshot_count(dense, 48, 100) == 1  # at least one
    # the median snapshot, not a few full ones, sets the count
    mixed = np.concatenate([dense[:6000], np.repeat(np.arange(2, 40), 50)])
    assert check_snapshot_count(mixed, 48, 10_000) == 48
