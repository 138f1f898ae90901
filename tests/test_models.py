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


def test_auto_ensemble_members_start_at_spread_frequencies():
    from xinr import presets

    x = torch.rand(200, 2)
    kw = dict(n_obs=200, n_distinct=200, n_snapshots=1, encoding=None, x=x, user_train={})
    setup = presets.resolve("auto", "mmgn", user_model={}, ensemble=4, **kw)
    base = setup.model["input_scale"]
    scales = [m["input_scale"] / base for m in setup.members]
    _, lo, hi = presets.AUTO_SPREAD["mmgn"]
    assert lo < 1 < hi
    assert scales == pytest.approx([lo * (hi / lo) ** (i / 3) for i in range(4)])
    net = xinr.models.build_network("mmgn", 2, 1, 4, setup.model, setup.members)
    w = [m.filters.linear.weight.abs().mean().item() for m in net.members]
    assert w == sorted(w)  # initial frequencies grow with the member's scale
    # a frequency given by the user is used as is, by every member
    own = presets.resolve("auto", "mmgn", user_model={"input_scale": 5.0}, ensemble=4, **kw)
    assert own.members is None and own.model["input_scale"] == 5.0
    # and no spread for the paper preset or a single network
    assert presets.resolve("paper", "mmgn", user_model={}, ensemble=4, **kw).members is None
    assert presets.resolve("auto", "mmgn", user_model={}, ensemble=1, **kw).members is None


def test_auto_member_folds_at_any_size_on_single_maps_only():
    from xinr import presets
    from xinr.training import member_folds_apply, training_rows

    x = torch.rand(2000, 2)
    kw = dict(n_obs=2000, n_distinct=2000, encoding=None, x=x, user_model={}, ensemble=6)
    single = presets.resolve("auto", "mmgn", n_snapshots=1, user_train={}, **kw)
    assert single.train["member_folds"] == presets.AUTO_SINGLE_FOLDS == "always"
    # 200 held out: shared with the default for fields with time, each member's own here
    assert member_folds_apply(single.train["member_folds"], 0.1, 2000, 6)
    # and an epoch trains on every observation
    assert training_rows(2000, 0.1, single.train["member_folds"], 2000, 6) == 2000
    timed = presets.resolve("auto", "mmgn", n_snapshots=2, user_train={}, **kw)
    assert timed.train["member_folds"] is True
    assert not member_folds_apply(timed.train["member_folds"], 0.1, 2000, 6)
    assert training_rows(2000, 0.1, timed.train["member_folds"], 2000, 6) == 1800
    # the user's choice wins, and the paper preset has none
    own = presets.resolve("auto", "mmgn", n_snapshots=1, user_train={"member_folds": True}, **kw)
    assert own.train["member_folds"] is True
    paper = presets.resolve("paper", "mmgn", n_snapshots=1, user_train={}, **kw)
    assert not paper.train.get("member_folds", False)


def test_auto_caps_steps_on_small_data_under_a_budget():
    # a time budget on a few hundred points must not turn into tens of thousands of steps
    from xinr import presets

    x = torch.rand(500, 2)
    kw = dict(n_distinct=500, n_snapshots=1, encoding=None, x=x, user_model={})
    small = presets.resolve("auto", "mmgn", n_obs=500, user_train={"max_time": 120}, **kw)
    assert small.train["epochs"] == presets.AUTO_STEPS  # one full batch per epoch
    assert small.train["max_time"] == 120
    big = presets.resolve("auto", "mmgn", n_obs=50_000, user_train={"max_time": 120}, **kw)
    assert "epochs" not in big.train
    mine = presets.resolve("auto", "mmgn", n_obs=500, user_train={"max_time": 9, "epochs": 7}, **kw)
    assert mine.train["epochs"] == 7


def test_auto_ensemble_on_small_data_only_sized_to_the_budget(monkeypatch):
    import xinr.estimator as est
    from xinr import presets

    from .conftest import analytic_field

    x = torch.rand(500, 2)
    kw = dict(n_distinct=500, n_snapshots=1, encoding=None, x=x, user_model={})
    n = presets.AUTO_ENSEMBLE_MAX_OBS
    budget = {"max_time": 120}
    assert presets.resolve("auto", "mmgn", n_obs=n, user_train=budget, **kw).ensemble == 6
    assert presets.resolve("auto", "mmgn", n_obs=n, user_train={"epochs": 5}, **kw).ensemble == 6
    for train in (budget, {}, {"epochs": 5}):  # above the limit one network, budget or not
        assert presets.resolve("auto", "mmgn", n_obs=n + 1, user_train=train, **kw).ensemble == 1
    assert presets.resolve("paper", "mmgn", n_obs=n, user_train=budget, **kw).ensemble == 1
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
    from xinr import presets

    from .conftest import analytic_field

    x = torch.rand(500, 2)
    kw = dict(n_distinct=500, n_snapshots=1, encoding=None, x=x, user_model={})
    small = presets.resolve("auto", "mmgn", n_obs=500, user_train={}, **kw)
    assert small.train["max_time"] == presets.AUTO_MAX_TIME == 120
    assert small.train["epochs"] == presets.AUTO_STEPS  # one full batch per epoch
    big = presets.resolve("auto", "mmgn", n_obs=50_000, user_train={}, **kw)
    assert big.train["max_time"] == presets.AUTO_MAX_TIME and "epochs" not in big.train
    mine = presets.resolve("auto", "mmgn", n_obs=500, user_train={"epochs": 7}, **kw)
    assert mine.train["epochs"] == 7 and "max_time" not in mine.train
    paper = presets.resolve("paper", "mmgn", n_obs=500, user_train={}, **kw)
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
    from xinr.presets import AUTO_MEMBER_STEPS, budget_ensemble

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
    import time
    from dataclasses import replace

    import xinr.estimator as est
    from xinr import presets
    from xinr.sampling import observed_points

    from .conftest import analytic_field

    _, obs = analytic_field(nt=2, nlat=10, nlon=20, holes=0.3)
    budgets, real_train, real_spacing = [], est.train, presets.neighbour_spacing

    def slow_read(*args, **kwargs):  # reading the data (I/O, dask) is not budgeted
        time.sleep(0.4)
        return observed_points(*args, **kwargs)

    def slow_spacing(*args, **kwargs):  # preparing them is
        time.sleep(0.4)
        return real_spacing(*args, **kwargs)

    def record(net, data, cfg, device):  # note the budget left for training, take one step
        budgets.append(cfg.max_time)
        return real_train(net, data, replace(cfg, max_time=1e-9), device)

    monkeypatch.setattr(est, "train", record)
    monkeypatch.setattr(est, "observed_points", slow_read)
    xinr.INR(max_time=1.0, ensemble=1, progress=False, seed=0).fit(obs)
    monkeypatch.setattr(presets, "neighbour_spacing", slow_spacing)
    xinr.INR(max_time=1.0, ensemble=1, progress=False, seed=0).fit(obs)
    assert budgets[0] > 0.8
    assert 0 < budgets[1] <= 0.6


def _budget_recorder(monkeypatch):
    """A small field, and the training budget of each fit on it (training cut to one step), with
    the misfit pass estimated at 0.5 s."""
    from dataclasses import replace

    import xinr.estimator as est

    from .conftest import analytic_field

    _, obs = analytic_field(nt=2, nlat=10, nlon=20, holes=0.3)
    budgets, real_train = [], est.train

    def record(net, data, cfg, device):
        budgets.append(cfg.max_time)
        return real_train(net, data, replace(cfg, max_time=1e-9), device)

    monkeypatch.setattr(est, "train", record)
    monkeypatch.setattr(est, "_observation_pass_seconds", lambda *a: 0.5)
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
    monkeypatch.setattr(est, "_observation_pass_seconds", lambda *a: 6.0)
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
    monkeypatch.setattr(est, "_check_seconds", lambda *a: 0.3)
    kw = dict(max_time=4.0, ensemble=1, progress=False, seed=0)
    xinr.INR(**kw).fit(obs)
    # the pass (0.5 s), the last held-out error after the last step (10% of it) and the
    # preset's held-out check of the misfits (0.3 s) are all taken off the training budget
    assert 2.8 < budgets[0] <= 4.0 - 0.5 - 0.05 - 0.3
    xinr.INR(**kw, residuals="idw").fit(obs)  # the user's choice: no check to make
    assert 4.0 - 0.5 - 0.05 - 0.3 < budgets[1] <= 4.0 - 0.5 - 0.05
    xinr.INR(**kw, validation=0.0).fit(obs)  # nothing held out: neither
    assert 4.0 - 0.5 - 0.05 < budgets[2] <= 3.5


def test_check_seconds_scales_one_timed_snapshot_to_those_visited(monkeypatch):
    # one snapshot's check is timed (after a small warm-up call) and scaled by the observations
    # of the snapshots the check visits; a clock that ticks 1 s per reading makes it exact
    import types

    import xinr.estimator as est
    from xinr.training import TrainConfig

    ticks = iter(range(1000))
    monkeypatch.setattr(est, "time", types.SimpleNamespace(perf_counter=lambda: next(ticks)))
    sizes, real_check = [], est.held_out_check
    monkeypatch.setattr(est, "held_out_check", lambda *a: sizes.append(len(a[2])) or real_check(*a))
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-60, 60, 4000), rng.uniform(0, 360, 4000)
    cfg = TrainConfig(max_time=10.0, validation=0.1, seed=0)
    one = est._check_seconds(lat, lon, np.arange(4000), np.zeros(4000, dtype=int), cfg)
    assert one == pytest.approx(est.PASS_MARGIN) and sizes == [256, 4000]
    # 60 snapshots, 40 of 2,000 observations and 20 of 4,000: 48 visited, the median one timed
    snap = np.concatenate([np.repeat(np.arange(40), 2000), np.repeat(np.arange(40, 60), 4000)])
    point = rng.integers(0, 4000, snap.size)
    many = est._check_seconds(lat, lon, point, snap, cfg)
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
    import xinr.estimator as est
    from xinr.training import TrainData

    def data(n):
        x = torch.rand(50, 3)
        point = torch.randint(0, 50, (n,))
        return TrainData(x, point, torch.zeros(n, dtype=torch.long), torch.zeros(n), x[point, 0])

    net = MMGN(3, 1, hidden=8, latent=2, layers=1)
    assert est._observation_pass_seconds(net, data(1000), torch.device("cpu")) == 0
    assert est._observation_pass_seconds(net, data(100_000), torch.device("cpu")) > 0


def test_mix_model_mixes_mmgn_and_resmlp_members():
    from xinr import presets

    x = torch.rand(300, 2)
    kw = dict(n_obs=300, n_distinct=300, n_snapshots=4, encoding=None, x=x, user_train={})
    setup = presets.resolve("auto", "mix", user_model={}, ensemble=6, **kw)
    n_other = round(presets.MIX_SHARES["resmlp"] * 6)
    assert 0 < n_other < 6
    assert setup.names == ["mmgn"] * (6 - n_other) + ["resmlp"] * n_other
    assert setup.base == "mmgn"
    assert setup.train["selection_loss"] == "mse"  # the plain MMGN default keeps the L1 choice
    assert "selection_loss" not in presets.resolve("auto", "mmgn", user_model={}, **kw).train
    # the MMGN members still span the frequency range; the ResMLP ones take ResMLP's keywords
    scales = [m["input_scale"] for m in setup.members[: 6 - n_other]]
    _, lo, hi = presets.AUTO_SPREAD["mmgn"]
    assert scales[-1] / scales[0] == pytest.approx(hi / lo)
    assert all(m == presets.AUTO_MODEL["resmlp"] for m in setup.members[6 - n_other :])
    net = xinr.models.build_network(setup.base, 2, 4, 6, setup.model, setup.members, setup.names)
    kinds = [type(m).__name__ for m in net.members]
    assert kinds == ["MMGN"] * (6 - n_other) + ["ResMLP"] * n_other
    assert not net.uses_time  # MMGN members cannot be asked for times between snapshots
    # one network (paper preset, a single member, or unknown times): MMGN alone
    for preset, ens, known in (("paper", 6, True), ("auto", 1, True), ("auto", 6, False)):
        s = presets.resolve(preset, "mix", user_model={}, ensemble=ens, times_known=known, **kw)
        assert s.base == "mmgn" and s.names is None and s.name == "mmgn"
    with pytest.raises(TypeError, match="model='mix'.*hidden"):
        presets.resolve("auto", "mix", user_model={"hidden": 8}, ensemble=6, **kw)


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


def test_auto_jitter_is_in_neighbour_spacings():
    from xinr import presets

    x = torch.rand(300, 3)
    kw = dict(n_obs=300, n_distinct=300, n_snapshots=1, encoding=None, x=x, user_model={})
    spacing = presets.neighbour_spacing(x)
    auto = presets.resolve("auto", "mmgn", user_train={}, **kw)
    assert presets.AUTO_TRAIN["jitter"] > 0
    assert auto.train["input_noise"] == pytest.approx(presets.AUTO_TRAIN["jitter"] * spacing)
    assert "jitter" not in auto.train  # the training loop takes the displacement itself
    assert (
        "input_noise" not in presets.resolve("auto", "mmgn", user_train={"jitter": 0}, **kw).train
    )
    assert "input_noise" not in presets.resolve("paper", "mmgn", user_train={}, **kw).train
    paper = presets.resolve("paper", "mmgn", user_train={"jitter": 2.0}, **kw)
    assert paper.train["input_noise"] == pytest.approx(2.0 * spacing)


def test_curvature_is_taken_over_one_neighbour_spacing():
    from xinr import presets

    x = torch.rand(300, 3)
    kw = dict(n_obs=300, n_distinct=300, encoding=None, x=x, user_model={})
    spacing = presets.neighbour_spacing(x)
    auto = presets.resolve("auto", "mmgn", n_snapshots=5, user_train={"curvature": 0.7}, **kw)
    assert auto.train["curvature"] == 0.7
    assert auto.train["curvature_step"] == pytest.approx(spacing)
    # the auto preset turns it on for a field seen once, and only there
    single = presets.resolve("auto", "mmgn", n_snapshots=1, user_train={}, **kw).train
    assert presets.AUTO_SINGLE_CURVATURE > 0
    assert single["curvature"] == presets.AUTO_SINGLE_CURVATURE
    assert single["curvature_step"] == pytest.approx(spacing)
    for n, off in ((5, {}), (1, {"curvature": 0}), (5, {"curvature": 0})):
        train = presets.resolve("auto", "mmgn", n_snapshots=n, user_train=off, **kw).train
        assert "curvature" not in train and "curvature_step" not in train
    for n in (1, 5):
        train = presets.resolve("paper", "mmgn", n_snapshots=n, user_train={}, **kw).train
        assert "curvature" not in train
    paper = presets.resolve("paper", "mmgn", n_snapshots=1, user_train={"curvature": 2.0}, **kw)
    assert paper.train["curvature"] == 2.0
    assert paper.train["curvature_step"] == pytest.approx(spacing)


def test_curvature_with_time_where_positions_are_shared_and_neighbours_agree():
    from xinr import presets

    x = torch.rand(300, 3)
    smooth, rough = presets.AUTO_SMOOTH_ROUGHNESS / 2, presets.AUTO_SMOOTH_ROUGHNESS * 2
    # 5 snapshots at the same 300 places, or at 1200 places (different ones per snapshot)
    fixed = dict(n_obs=1500, n_distinct=300, n_snapshots=5, encoding=None, x=x, user_model={})
    moving = {**fixed, "n_distinct": 1200}
    on = presets.resolve("auto", "mmgn", user_train={}, roughness=smooth, **fixed).train
    assert on["curvature"] == presets.AUTO_SINGLE_CURVATURE and on["curvature_step"] > 0
    for kw, r, user in (
        (fixed, rough, {}),  # neighbours disagree
        (fixed, None, {}),  # not measured
        (moving, smooth, {}),  # positions not shared
        (fixed, smooth, {"curvature": 0}),  # the user's choice wins
    ):
        train = presets.resolve("auto", "mmgn", user_train=user, roughness=r, **kw).train
        assert "curvature" not in train
    paper = presets.resolve("paper", "mmgn", user_train={}, roughness=smooth, **fixed).train
    assert "curvature" not in paper


def test_auto_model_mixes_at_shared_positions_along_one_time_axis():
    from xinr import presets

    x = torch.rand(300, 3)
    smooth, rough = presets.AUTO_SMOOTH_ROUGHNESS / 2, presets.AUTO_SMOOTH_ROUGHNESS * 2
    # 300 stations: 30 held out, shared by the members to select them; 150: 15, member folds
    fixed = dict(n_obs=1500, n_distinct=300, n_snapshots=5, encoding=None, x=x, user_train={})
    few = {**fixed, "n_obs": 750, "n_distinct": 150}
    moving = {**fixed, "n_distinct": 1200}
    for kw, r in ((fixed, smooth), (fixed, rough), (fixed, None), (few, smooth)):
        mix = presets.resolve("auto", "auto", user_model={}, roughness=r, ensemble=6, **kw)
        assert mix.name == "mix" and mix.base == "mmgn", (kw["n_distinct"], r)
        assert mix.names.count("resmlp") == round(6 * presets.MIX_SHARES["resmlp"])
        # the curvature penalty follows its own reading
        assert ("curvature" in mix.train) == (r == smooth)
    for preset, kw, r, user, axis, known in (
        ("auto", few, rough, {}, True, True),  # rough, and members not selected
        ("auto", few, None, {}, True, True),
        ("auto", fixed, rough, {"member_weights": "equal"}, True, True),
        ("auto", moving, smooth, {}, True, True),  # positions not shared
        ("auto", fixed, smooth, {}, False, True),  # snapshots along several dimensions
        ("auto", fixed, smooth, {}, True, False),  # times unknown
        ("auto", fixed, smooth, {"hidden": 8}, True, True),  # MMGN's keywords: MMGN
        ("paper", fixed, smooth, {}, True, True),
    ):
        train_kw = {k: v for k, v in user.items() if k == "member_weights"}
        model_kw = {k: v for k, v in user.items() if k != "member_weights"}
        kw = {**kw, "user_train": train_kw}
        s = presets.resolve(
            preset,
            "auto",
            user_model=model_kw,
            roughness=r,
            ensemble=6,
            one_time_axis=axis,
            times_known=known,
            **kw,
        )
        assert s.name == "mmgn" and s.names is None, (preset, kw["n_distinct"], r, user, axis)
        assert (
            s.model
            == presets.resolve(
                preset, "mmgn", user_model=model_kw, roughness=r, ensemble=6, **kw
            ).model
        )
    # a map with one snapshot: the mixture of three kinds, MMGN first; with 2 members, one MMGN
    single = dict(n_obs=300, n_distinct=300, n_snapshots=1, encoding=None, x=x, user_train={})
    for ens, names in (
        (6, ["mmgn"] * 4 + ["resmlp", "siren"]),
        (3, ["mmgn", "resmlp", "siren"]),
        (2, ["mmgn", "resmlp"]),
    ):
        s = presets.resolve("auto", "auto", user_model={}, ensemble=ens, **single)
        assert s.name == "mix" and s.names == names, ens
    for preset, user in (("paper", {}), ("auto", {"hidden": 8})):
        s = presets.resolve(preset, "auto", user_model=user, ensemble=6, **single)
        assert s.name == "mmgn" and s.names is None, preset
    # a named model is trained as named
    for name in ("mmgn", "mix", "siren"):
        assert presets.resolve("auto", name, user_model={}, roughness=smooth, **fixed).name == name


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


def test_neighbour_roughness_reads_agreement_between_neighbours():
    from xinr import presets

    rng = np.random.default_rng(0)
    n, snaps = 400, 3
    lat, lon = rng.uniform(-60, 60, n), rng.uniform(0, 360, n)
    point, snap = np.tile(np.arange(n), snaps), np.repeat(np.arange(snaps), n)
    smooth = np.cos(np.deg2rad(lat[point])) * (1 + snap) + np.sin(np.deg2rad(2 * lon[point]))
    noise = rng.normal(size=point.size)
    r_smooth = presets.neighbour_roughness(lat, lon, point, snap, smooth)
    r_noise = presets.neighbour_roughness(lat, lon, point, snap, noise)
    assert r_smooth < 0.05 and 0.8 < r_noise < 1.2
    # the same reading in other units (it is relative to each snapshot's variance)
    assert presets.neighbour_roughness(lat, lon, point, snap, 1000 * smooth + 5) == pytest.approx(
        r_smooth
    )
    # half smooth, half noise: in between
    mixed = presets.neighbour_roughness(lat, lon, point, snap, smooth + 0.5 * noise)
    assert r_smooth < mixed < r_noise
    # nothing to read: one observation per snapshot, or constant values
    assert np.isnan(presets.neighbour_roughness(lat, lon, np.arange(3), np.arange(3), noise[:3]))
    assert np.isnan(presets.neighbour_roughness(lat, lon, point, snap, np.ones(point.size)))


def test_default_fit_penalises_curvature_on_a_field_seen_once_or_smooth_at_stations():
    from xinr import presets

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


def test_single_map_mixture_too_dear_for_the_budget_falls_back_to_an_mmgn_ensemble(monkeypatch):
    # steps timed so that neither the whole mixture nor half of it gets its steps, but three
    # MMGN members do: the map trains three MMGN networks, not one (halving the mixture)
    import xinr.estimator as est
    from xinr import presets

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
