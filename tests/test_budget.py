"""Sizing a plan to its time budget (xinr.budget), and fits under max_time."""

import numpy as np
import pytest
import torch

import xinr
from xinr.models import MMGN

from .test_plan import resolve


def test_auto_ensemble_on_small_data_only_sized_to_the_budget(monkeypatch):
    import xinr.budget as est
    from xinr import plan as presets

    from .conftest import analytic_field

    x = torch.rand(500, 2)
    kw = dict(n_distinct=500, n_snapshots=1, encoding=None, x=x, user_model={})
    n = presets.AUTO_ENSEMBLE_MAX_OBS
    budget = {"max_time": 120}
    assert resolve("auto", "mmgn", n_obs=n, user_train=budget, **kw).ensemble == 6
    assert resolve("auto", "mmgn", n_obs=n, user_train={"epochs": 5}, **kw).ensemble == 6
    for train in (budget, {}, {"epochs": 5}):  # above the limit one network, budget or not
        assert resolve("auto", "mmgn", n_obs=n + 1, user_train=train, **kw).ensemble == 1
    assert resolve("paper", "mmgn", n_obs=n, user_train=budget, **kw).ensemble == 1
    # in a fit (300 places: enough to select members by): steps timed as
    # fast give the preset's 6 members, too slow for 6 or 3 one network; data "above the
    # limit" (lowered here) one network however fast the steps
    _, obs = analytic_field(nt=2, nlat=10, nlon=30, holes=0.3)
    small = dict(hidden=8, latent=4, progress=False, seed=0)
    monkeypatch.setattr(est, "step_seconds", lambda *a, **k: 1e-6)
    assert xinr.INR(max_time=0.2, **small).fit(obs).ensemble_ == 6
    monkeypatch.setattr(est, "step_seconds", lambda *a, **k: 1.0)
    assert xinr.INR(max_time=0.2, **small).fit(obs).ensemble_ == 1
    monkeypatch.setattr(est, "step_seconds", lambda *a, **k: 1e-6)
    monkeypatch.setattr(presets, "AUTO_ENSEMBLE_MAX_OBS", 100)
    assert xinr.INR(max_time=0.2, **small).fit(obs).ensemble_ == 1
    assert xinr.INR(epochs=2, **small).fit(obs).ensemble_ == 1


def test_auto_default_is_a_time_budget(monkeypatch):
    # with neither epochs nor max_time, "auto" trains under its own budget (the benchmark's),
    # capped at AUTO_STEPS on small data; "paper" and a user's epochs are left alone
    from xinr import plan as presets

    from .conftest import analytic_field

    x = torch.rand(500, 2)
    kw = dict(n_distinct=500, n_snapshots=1, encoding=None, x=x, user_model={})
    small = resolve("auto", "mmgn", n_obs=500, user_train={}, **kw)
    assert small.train["max_time"] == presets.AUTO_MAX_TIME
    assert small.train["epochs"] == presets.AUTO_STEPS  # one full batch per epoch
    big = resolve("auto", "mmgn", n_obs=50_000, user_train={}, **kw)
    assert big.train["max_time"] == presets.AUTO_MAX_TIME and "epochs" not in big.train
    mine = resolve("auto", "mmgn", n_obs=500, user_train={"epochs": 7}, **kw)
    assert mine.train["epochs"] == 7 and "max_time" not in mine.train
    paper = resolve("paper", "mmgn", n_obs=500, user_train={}, **kw)
    assert "max_time" not in paper.train and paper.train["epochs"] == 200
    # in a fit: a default budget shorter than one step stops after the first one, where the
    # step cap alone would run 1500
    _, obs = analytic_field(nt=2, nlat=10, nlon=30, holes=0.3)
    monkeypatch.setattr(presets, "AUTO_MAX_TIME", 1e-3)
    fitted = xinr.INR(hidden=8, latent=4, progress=False, seed=0).fit(obs)
    assert fitted.train_config_["max_time"] == 1e-3
    assert fitted.ensemble_ == 1 and len(fitted.history_) == 1
    again = xinr.INR(epochs=3, hidden=8, latent=4, progress=False, seed=0).fit(obs)
    assert "max_time" not in again.train_config_ and len(again.history_) == 3


def test_budget_ensemble_gives_each_member_enough_steps():
    from xinr.budget import budget_ensemble
    from xinr.plan import AUTO_MEMBER_STEPS

    need = AUTO_MEMBER_STEPS
    # steps cost k times one network's (1 ms): 6 members where each gets `need` steps, else 3,
    # else one network
    for budget_ms, k in [(6.05, 6), (5.95, 3), (3.05, 3), (2.95, 1), (0.5, 1)]:
        assert budget_ensemble(6, 1e-3, 6e-3, need * budget_ms * 1e-3) == k, budget_ms
    # members in parallel (a GPU): the full ensemble as soon as one network fits
    assert budget_ensemble(6, 1e-3, 1e-3, need * 1.01e-3) == 6
    # a schedule that stops earlier anyway needs only its own steps
    assert budget_ensemble(6, 1e-3, 6e-3, 100 * 6e-3, steps_cap=100) == 6
    assert budget_ensemble(6, 1e-3, 6e-3, 100 * 6e-3, steps_cap=need) < 6
    assert budget_ensemble(4, 1e-3, 4e-3, need * 2.05e-3) == 2


def test_auto_ensemble_is_sized_to_the_time_budget(tmp_path):
    from .conftest import analytic_field

    _, obs = analytic_field(nt=6, nlat=37, nlon=72, holes=0.3)  # ~11,000 observations
    kw = dict(model="mmgn", progress=False, seed=0)
    # a fraction of a second is far below AUTO_MEMBER_STEPS steps for 6 members, or 3: one network
    short = xinr.INR(max_time=0.5, **kw).fit(obs)
    assert short.ensemble_ == 1
    # an ensemble the user asks for, or a step budget, is trained as given
    assert xinr.INR(max_time=0.5, ensemble=3, **kw).fit(obs).ensemble_ == 3
    assert xinr.INR(epochs=2, hidden=16, latent=4, **kw).fit(obs).ensemble_ == 6
    # resuming trains as many members as the checkpoint holds
    ck = tmp_path / "e.ckpt"
    xinr.INR(epochs=2, hidden=16, latent=4, checkpoint=str(ck), **kw).fit(obs)
    again = xinr.INR(max_time=0.5, epochs=3, hidden=16, latent=4, resume=str(ck), **kw).fit(obs)
    assert again.ensemble_ == 6


def test_max_time_counts_preparation_but_not_reading(monkeypatch):
    # a clock that only moves when the data are read (not budgeted) or the places' spacing is
    # measured (budgeted): the training gets the budget less the preparation, nothing else
    import types
    from dataclasses import replace

    import xinr.budget
    import xinr.estimator
    import xinr.fieldstats
    import xinr.pipeline

    from .conftest import analytic_field

    _, obs = analytic_field(nt=2, nlat=10, nlon=20, holes=0.3)
    now = [0.0]
    clock = types.SimpleNamespace(perf_counter=lambda: now[0])
    monkeypatch.setattr(xinr.estimator, "time", clock)
    monkeypatch.setattr(xinr.budget, "time", clock)
    budgets, real_train = [], xinr.pipeline.train
    real_read, real_spacing = xinr.estimator.observed_points, xinr.fieldstats.neighbour_spacing

    def slow_read(*args, **kwargs):
        now[0] += 0.4
        return real_read(*args, **kwargs)

    def slow_spacing(*args, **kwargs):
        now[0] += 0.4
        return real_spacing(*args, **kwargs)

    def record(net, data, cfg, device):  # note the budget left for training, take one step
        budgets.append(cfg.max_time)
        return real_train(net, data, replace(cfg, max_time=1e-9), device)

    monkeypatch.setattr(xinr.pipeline, "train", record)
    monkeypatch.setattr(xinr.estimator, "observed_points", slow_read)
    xinr.INR(max_time=1.0, ensemble=1, progress=False, seed=0).fit(obs)
    monkeypatch.setattr(xinr.fieldstats, "neighbour_spacing", slow_spacing)
    xinr.INR(max_time=1.0, ensemble=1, progress=False, seed=0).fit(obs)
    assert budgets[0] == pytest.approx(1.0)
    assert budgets[1] == pytest.approx(0.6)


def _budget_recorder(monkeypatch):
    """A small field, and the training budget of each fit on it (training cut to one step), with
    the misfit pass estimated at 0.5 s and a clock that stands still (so that the budgets are
    exact)."""
    import types
    from dataclasses import replace

    import xinr.budget as est
    import xinr.estimator
    import xinr.pipeline

    from .conftest import analytic_field

    _, obs = analytic_field(nt=2, nlat=10, nlon=20, holes=0.3)
    budgets, real_train = [], xinr.pipeline.train

    def record(net, data, cfg, device):
        budgets.append(cfg.max_time)
        return real_train(net, data, replace(cfg, max_time=1e-9), device)

    still = types.SimpleNamespace(perf_counter=lambda: 0.0)
    monkeypatch.setattr(xinr.estimator, "time", still)
    monkeypatch.setattr(est, "time", still)
    monkeypatch.setattr(xinr.pipeline, "train", record)
    monkeypatch.setattr(est, "observation_pass_seconds", lambda *a: 0.5)
    return est, obs, budgets


def test_max_time_keeps_room_for_the_misfits_pass(monkeypatch):
    est, obs, budgets = _budget_recorder(monkeypatch)
    kw = dict(max_time=4.0, ensemble=1, progress=False, seed=0)
    every = xinr.INR(**kw).fit(obs).residuals_
    assert len(every.residual) == int(obs.notnull().sum())
    assert xinr.INR(**kw, residuals="none").fit(obs).residuals_ is None
    # the pass over the observations after training is taken off the training budget
    assert budgets[0] <= 3.5 < budgets[1]
    # where the pass would take more than its share (half the budget left), the preset computes
    # the misfits at a random subset of the locations whose pass fits (and says so): on data
    # that dense a network trained for the rest of the budget is far worse than linear
    # interpolation, and the misfits carry the reconstruction
    monkeypatch.setattr(est, "observation_pass_seconds", lambda *a: 6.0)
    msg = (
        r"misfits are computed at [\d,]+ of the [\d,]+ observations \(a random [23]\d% of the "
        r"locations\): .* about 6\.0 s of the \d\.\d s left"
    )
    with pytest.warns(UserWarning, match=msg):
        sub = xinr.INR(**kw).fit(obs)
    part = sub.residuals_ if sub.residuals_ is not None else sub.declined_residuals_
    assert 0.15 * len(every.residual) < len(part.residual) < 0.5 * len(every.residual)
    # the training keeps the other half, less the last held-out pass (10% of the 6 s)
    assert 0.9 < budgets[2] <= 1.4
    # whole locations: each kept one with all its snapshots
    counts = np.bincount(every.point, minlength=len(every.lat))
    kept = np.unique(part.point)
    assert np.array_equal(np.bincount(part.point, minlength=len(every.lat))[kept], counts[kept])
    # asked for explicitly, every observation, and the training gets what is left
    assert len(xinr.INR(**kw, residuals="idw").fit(obs).residuals_.residual) == len(every.residual)
    assert budgets[3] <= 1.0


def test_max_time_keeps_room_for_the_last_held_out_pass_and_the_misfit_check(monkeypatch):
    est, obs, budgets = _budget_recorder(monkeypatch)
    monkeypatch.setattr(est, "check_seconds", lambda *a: 0.3)
    kw = dict(max_time=4.0, ensemble=1, progress=False, seed=0)
    xinr.INR(**kw).fit(obs)
    # the pass (0.5 s), the last held-out error after the last step (10% of it) and the
    # gate's held-out check of the misfits (0.3 s) are all taken off the training budget
    assert budgets[0] == pytest.approx(4.0 - 0.5 - 0.05 - 0.3)
    xinr.INR(**kw, residuals="idw").fit(obs)  # the user's choice: no check to make
    assert budgets[1] == pytest.approx(4.0 - 0.5 - 0.05)
    xinr.INR(**kw, validation=0.0).fit(obs)  # nothing held out: neither
    assert budgets[2] == pytest.approx(4.0 - 0.5)


def test_check_seconds_scales_one_timed_snapshot_to_those_visited(monkeypatch):
    # one snapshot's check is timed (after a small warm-up call) and scaled by the observations
    # of the snapshots the check visits; a clock that ticks 1 s per reading makes it exact
    import types

    import xinr.budget as est
    from xinr.training import TrainConfig

    ticks = iter(range(1000))
    monkeypatch.setattr(est, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    sizes, real_check = [], est.held_out_check
    monkeypatch.setattr(est, "held_out_check", lambda *a: sizes.append(len(a[2])) or real_check(*a))
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-60, 60, 4000), rng.uniform(0, 360, 4000)
    cfg = TrainConfig(max_time=10.0, validation=0.1, seed=0)
    one = est.check_seconds(lat, lon, np.arange(4000), np.zeros(4000, dtype=int), cfg)
    assert one == pytest.approx(est.PASS_MARGIN) and sizes == [256, 4000]
    # 60 snapshots, 40 of 2,000 observations and 20 of 4,000: 48 visited, the median one timed
    snap = np.concatenate([np.repeat(np.arange(40), 2000), np.repeat(np.arange(40, 60), 4000)])
    point = rng.integers(0, 4000, snap.size)
    many = est.check_seconds(lat, lon, point, snap, cfg)
    visited = est.checked_snapshots(np.arange(60), 48)
    per_snapshot = np.where(visited < 40, 2000, 4000)
    assert sizes[-1] == 2000
    assert many == pytest.approx(est.PASS_MARGIN * per_snapshot.sum() / 2000)


def test_observation_pass_matches_the_network_in_any_batch_order():
    from xinr.training import TrainData, predict_observations

    torch.manual_seed(0)
    net = MMGN(3, 4, hidden=8, latent=2, layers=2).eval()
    torch.nn.init.normal_(net.latents.weight)  # snapshots differ (codes start at zero)
    x = torch.rand(30, 3)
    point, snap = torch.randint(0, 30, (200,)), torch.randint(0, 4, (200,))
    data = TrainData(x, point, snap, torch.zeros(200), torch.zeros(200))
    with torch.no_grad():
        direct = net(x[point], None, snap)
    for batch in (7, 64, 1000):  # the pass takes the points in order, batch by batch
        torch.testing.assert_close(predict_observations(net, data, batch), direct)


def test_observation_pass_is_timed_only_on_large_data():
    import xinr.budget as est
    from xinr.training import TrainData

    def data(n):
        x = torch.rand(50, 3)
        point = torch.randint(0, 50, (n,))
        return TrainData(x, point, torch.zeros(n, dtype=torch.long), torch.zeros(n), x[point, 0])

    net = MMGN(3, 1, hidden=8, latent=2, layers=1)
    assert est.observation_pass_seconds(net, data(1000), torch.device("cpu")) == 0
    assert est.observation_pass_seconds(net, data(100_000), torch.device("cpu")) > 0


def test_single_map_mixture_too_dear_for_the_budget_falls_back_to_an_mmgn_ensemble(monkeypatch):
    # steps timed so that neither the whole mixture nor half of it gets its steps, but three
    # MMGN members do: the map trains three MMGN networks, not one (halving the mixture)
    import xinr.budget as est
    from xinr import plan as presets

    from .conftest import analytic_field

    truth, _ = analytic_field(nt=1, nlat=12, nlon=24)
    few = truth.isel(time=0).where(np.random.default_rng(0).random((12, 24)) < 0.5)
    budget = 1.0
    per_step = 0.8 * budget / presets.AUTO_MEMBER_STEPS  # what a step may cost, about

    def cost(net, *a, **k):
        kinds = [type(m).__name__ for m in getattr(net, "members", [net])]
        return sum(per_step / 2.5 if kind == "MMGN" else 10 * per_step for kind in kinds)

    monkeypatch.setattr(est, "step_seconds", cost)
    fitted = few.inr.fit(max_time=budget, progress=False, seed=0)
    assert fitted.ensemble_ == 3 and fitted.network_["model"] == "mmgn"
    assert {type(m).__name__ for m in fitted.model_.members} == {"MMGN"}
    assert "trained 'mmgn'" in repr(fitted)
    # steps cheap enough for the whole mixture: the mixture
    monkeypatch.setattr(est, "step_seconds", lambda *a, **k: 1e-7)
    fitted = few.inr.fit(max_time=budget, progress=False, seed=0)
    assert fitted.ensemble_ == 6 and fitted.network_["model"] == "mix"
