import math

import pytest
import torch

from xinr.models import MMGN
from xinr.models.ensemble import Ensemble
from xinr.training import TrainConfig, TrainData, lr_factor, split_validation, train


def toy_data(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(100, 2, generator=g)
    point = torch.randint(0, 100, (n,), generator=g)
    snap = torch.randint(0, 3, (n,), generator=g)
    y = torch.sin(3 * x[point, 0]) + 0.3 * snap
    return TrainData(x, point, snap, torch.zeros(n), y)


def small():
    torch.manual_seed(0)
    return MMGN(2, 3, hidden=32, latent=8, layers=2, input_scale=8.0)


def test_loss_falls():
    m = small()
    res = train(
        m, toy_data(), TrainConfig(epochs=60, progress=False, seed=0, lr=5e-3), torch.device("cpu")
    )
    assert res.history[-1]["loss"] < 0.3 * res.history[0]["loss"]


def test_validation_keeps_best_state():
    m = small()
    cfg = TrainConfig(epochs=40, progress=False, seed=0, validation=0.2, eval_steps=1)
    res = train(m, toy_data(), cfg, torch.device("cpu"))
    vals = [h["val"] for h in res.history if "val" in h]
    assert res.best_epoch == 1 + min(range(len(vals)), key=vals.__getitem__)


def test_seeded_runs_repeat():
    a, b = small(), small()
    cfg = TrainConfig(epochs=5, progress=False, seed=3)
    train(a, toy_data(), cfg, torch.device("cpu"))
    train(b, toy_data(), cfg, torch.device("cpu"))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_needs_a_budget():
    with pytest.raises(ValueError, match="epochs= or max_time="):
        train(small(), toy_data(), TrainConfig(progress=False), torch.device("cpu"))


def test_cosine_schedule_ends_low_and_exponential_decays():
    cfg = TrainConfig()
    assert lr_factor(cfg, 0, 0.5) == pytest.approx(
        0.5 * (1 + math.cos(math.pi * 0.48 / 0.98)) * 0.98 + 0.02
    )
    assert lr_factor(cfg, 0, 1.0) == pytest.approx(cfg.final_lr_fraction)
    assert lr_factor(TrainConfig(schedule="exponential"), 10, 0) == pytest.approx(0.99**10)
    with pytest.raises(ValueError, match="Unknown schedule"):
        lr_factor(TrainConfig(schedule="step"), 0, 0)


def ticking(monkeypatch, tick: float) -> None:
    """Make the training loop's clock advance by ``tick`` seconds at every reading."""
    import itertools
    import types

    import xinr.training

    ticks = itertools.count()
    clock = types.SimpleNamespace(perf_counter=lambda: tick * next(ticks))
    monkeypatch.setattr(xinr.training, "time", clock)


def test_max_time_stops(monkeypatch):
    ticking(monkeypatch, 0.01)
    m = small()
    res = train(
        m, toy_data(), TrainConfig(max_time=0.5, progress=False, seed=0), torch.device("cpu")
    )
    assert 1 <= len(res.history) < 50 and res.seconds >= 0.5


class _Table(torch.nn.Module):
    """A member that learns one value per location (x = location / 1000), nothing in between; it
    counts its training-mode forward passes (optimiser steps)."""

    def __init__(self, n):
        super().__init__()
        self.b = torch.nn.Parameter(torch.zeros(n))
        self.steps = 0

    def forward(self, x, point, snap, t=None):
        self.steps += int(self.training)
        return self.b[torch.round(x[point, 0] * 1000).long()]


def table_data(n=5000, n_points=100):
    point = torch.arange(n) % n_points
    x = (torch.arange(n_points, dtype=torch.float32) / 1000)[:, None]
    return TrainData(x, point, torch.zeros(n, dtype=torch.long), torch.zeros(n), torch.rand(n))


def test_max_time_stops_within_an_epoch(monkeypatch):
    # batches of one observation: an epoch is 5,000 steps, far more than 0.05 s allows
    ticking(monkeypatch, 0.001)
    net = _Table(100)
    cfg = TrainConfig(max_time=0.05, batch_size=1, progress=False, seed=0)
    res = train(net, table_data(), cfg, torch.device("cpu"))
    assert 1 <= net.steps < 5000
    assert len(res.history) == 1


def test_spent_budget_still_takes_one_step():
    net = _Table(100)
    cfg = TrainConfig(max_time=1e-9, batch_size=1, progress=False, seed=0)
    train(net, table_data(), cfg, torch.device("cpu"))
    assert net.steps == 1
    assert net.b.detach().abs().sum() > 0  # and the step changed the network


def test_validation_held_out_is_capped_on_large_data(monkeypatch):
    import xinr.training as tr_mod

    monkeypatch.setattr(tr_mod, "MAX_VALIDATION_OBS", 1000)
    groups = torch.arange(2000).repeat(10)  # 20,000 observations at 2,000 fixed locations
    tr, va = split_validation(len(groups), 0.1, torch.Generator().manual_seed(0), groups)
    assert 900 <= len(va) <= 1000 and len(tr) + len(va) == 20000
    assert not set(groups[va].tolist()) & set(groups[tr].tolist())  # still whole locations
    # without locations: a share of the observations, capped the same way
    tr, va = split_validation(20000, 0.1, torch.Generator().manual_seed(0))
    assert len(va) == 1000 and len(tr) == 19000


def test_validation_holds_out_whole_locations():
    # 30 locations observed in each of 4 snapshots (fixed stations): validation takes every
    # observation of 3 locations, so no validation location is seen in training
    groups = torch.arange(30).repeat(4)
    tr, va = split_validation(len(groups), 0.1, torch.Generator().manual_seed(0), groups)
    assert len(va) == 12 and len(tr) + len(va) == 120
    assert len(set(tr.tolist()) | set(va.tolist())) == 120
    assert not set(groups[va].tolist()) & set(groups[tr].tolist())
    # too few locations for a share of them: a share of the observations instead
    tr, va = split_validation(8, 0.1, torch.Generator().manual_seed(0), torch.tensor([0, 1] * 4))
    assert len(va) == 1 and len(tr) == 7


def test_member_weights_drop_only_clearly_worse_members():
    from xinr.training import member_weights

    g = torch.Generator().manual_seed(0)
    base = torch.rand(300, generator=g)
    e = torch.stack([base, base + 0.01 * torch.randn(300, generator=g), base + 0.5])
    w = member_weights(e)
    assert w[2] == 0 and w[0] > 0 and w[1] > 0
    assert float(w.sum()) == pytest.approx(1.0)
    # three validation points decide nothing: the members are averaged
    few = torch.tensor([[0.1, 0.5, 0.2], [0.3, 0.2, 0.4]])
    assert torch.allclose(member_weights(few), torch.tensor([0.5, 0.5]))
    assert torch.allclose(member_weights(e[:, :1]), torch.full((3,), 1 / 3))
    # 200 observations at 4 places are 4 samples, not 200
    loc = torch.arange(4).repeat_interleave(50)
    d = torch.tensor([0.3, -0.2, 0.25, -0.1]).repeat_interleave(50)
    pair = torch.stack([torch.full((200,), 0.5), 0.5 + d])
    assert member_weights(pair)[1] == 0
    assert torch.allclose(member_weights(pair, loc), torch.tensor([0.5, 0.5]))


def test_member_folds_hold_out_disjoint_whole_locations():
    from xinr.training import split_member_folds

    g = torch.Generator().manual_seed(0)
    loc = torch.randint(0, 50, (400,), generator=g)
    n_loc = len(torch.unique(loc))
    folds = split_member_folds(400, 0.1, 3, g, loc)
    held = [torch.unique(loc[folds == i]) for i in range(3)]
    for i in range(3):
        assert len(held[i]) == round(0.1 * n_loc)
        # whole locations: no observation of a held-out location is left to member i
        assert not torch.isin(loc[folds != i], held[i]).any()
    assert not torch.isin(held[0], torch.cat(held[1:])).any()
    assert (folds == -1).any()  # the rest trains every member
    # too few locations for 4 disjoint sets of 3
    assert split_member_folds(10, 0.3, 4, g, torch.arange(10)) is None


def test_member_folds_only_where_too_few_locations_to_select_by():
    from xinr.plan import MIN_SELECTION_LOCATIONS, member_folds_apply

    assert MIN_SELECTION_LOCATIONS == 20
    assert not member_folds_apply(True, 0.1, 195, 6)  # 19.5 -> 20 held out: shared
    assert member_folds_apply(True, 0.1, 190, 6)  # 19: each member its own
    assert not member_folds_apply(False, 0.1, 190, 6)  # not asked for
    assert not member_folds_apply(True, 0.1, 190, 1)  # one network
    assert not member_folds_apply(True, 0.1, 4, 6)  # no location to hold out
    assert not member_folds_apply(True, 0.2, 10, 6)  # 6 disjoint sets of 2 > 10 locations
    # "always": at any number of locations, where k disjoint sets fit
    assert member_folds_apply("always", 0.1, 195, 6)
    assert member_folds_apply("always", 0.1, 50_000, 6)
    assert not member_folds_apply("always", 0.1, 50_000, 1)
    assert not member_folds_apply("always", 0.2, 10, 6)
    assert not member_folds_apply("always", 0.0, 50_000, 6)  # nothing held out


def test_member_folds_setting_is_checked():
    from xinr.plan import check_member_folds

    for ok in (False, True, "always"):
        check_member_folds(ok)
    for bad in ("sometimes", "True", None, 2):
        with pytest.raises(ValueError, match="member_folds must be one of.*'always'"):
            check_member_folds(bad)
    cfg = TrainConfig(epochs=1, progress=False, member_folds="often")
    with pytest.raises(ValueError, match="got 'often'"):
        train(_Table(100), table_data(), cfg, torch.device("cpu"))


def _two_snapshots_at_stations(n_loc):
    """Two snapshots observed at the same n_loc stations (x = station / 1000, as _Table reads)."""
    x = (torch.arange(n_loc, dtype=torch.float32) / 1000)[:, None]
    point = torch.arange(n_loc).repeat(2)
    y = 1.0 + torch.rand(n_loc, generator=torch.Generator().manual_seed(1))[point]
    return TrainData(x, point, torch.arange(2).repeat_interleave(n_loc), torch.zeros(2 * n_loc), y)


def test_member_folds_keep_each_member_off_its_own_locations():

    n_loc, k = 60, 3
    data = _two_snapshots_at_stations(n_loc)
    ens = Ensemble([_Table(n_loc) for _ in range(k)])
    cfg = TrainConfig(
        epochs=30, lr=0.1, weight_decay=0.0, clip=None, progress=False, seed=0, validation=0.1,
        member_weights="validation", member_folds=True, eval_steps=10**6,
    )  # fmt: skip
    train(ens, data, cfg, torch.device("cpu"))
    untouched = [m.b.detach() == 0 for m in ens.members]  # never had a gradient
    for i in range(k):
        assert int(untouched[i].sum()) == round(0.1 * n_loc)
    assert not (untouched[0] & untouched[1]).any() and not (untouched[1] & untouched[2]).any()
    assert not (untouched[0] & untouched[2]).any()
    assert torch.equal(ens.weights, torch.full((k,), 1 / k))  # 6 locations each: averaged
    # the ensemble learns from every station; with one shared held-out set it would not
    shared = Ensemble([_Table(n_loc) for _ in range(k)])
    cfg.member_folds = False
    train(shared, data, cfg, torch.device("cpu"))
    assert (torch.stack([m.b.detach() == 0 for m in shared.members]).all(0)).sum() == 6


def test_members_selected_only_on_one_shared_held_out_set():
    from xinr.plan import members_selected

    assert members_selected("validation", True, 0.1, 2108, 6)  # 211 held out, shared
    assert not members_selected("validation", True, 0.1, 105, 6)  # member folds: averaged
    assert members_selected("validation", False, 0.1, 105, 6)  # no folds asked: shared
    assert not members_selected("uniform", False, 0.1, 2108, 6)
    assert not members_selected("validation", False, 0.1, 2108, 1)  # one network
    assert not members_selected("validation", False, 0.0, 2108, 6)  # nothing held out
    assert not members_selected("validation", "always", 0.1, 2108, 6)  # own sets: averaged


def test_enough_held_out_locations_are_shared_by_the_members():

    n_loc = 300  # 30 held out: enough to compare members at the same places
    x = (torch.arange(n_loc, dtype=torch.float32) / 1000)[:, None]
    y = 1.0 + torch.rand(n_loc, generator=torch.Generator().manual_seed(1))
    data = TrainData(
        x, torch.arange(n_loc), torch.zeros(n_loc, dtype=torch.long), torch.zeros(n_loc), y
    )
    ens = Ensemble([_Table(n_loc) for _ in range(3)])
    cfg = TrainConfig(
        epochs=30, lr=0.1, weight_decay=0.0, clip=None, progress=False, seed=0, validation=0.1,
        member_weights="validation", member_folds=True, eval_steps=10**6,
    )  # fmt: skip
    train(ens, data, cfg, torch.device("cpu"))
    untouched = [m.b.detach() == 0 for m in ens.members]
    assert int(untouched[0].sum()) == 30
    assert all(torch.equal(u, untouched[0]) for u in untouched[1:])


def test_member_folds_always_hold_out_each_members_own_locations_when_many():

    n_loc, k = 400, 3  # 40 held out: shared under member_folds=True, not under "always"
    x = (torch.arange(n_loc, dtype=torch.float32) / 1000)[:, None]
    y = 1.0 + torch.rand(n_loc, generator=torch.Generator().manual_seed(1))
    data = TrainData(
        x, torch.arange(n_loc), torch.zeros(n_loc, dtype=torch.long), torch.zeros(n_loc), y
    )

    def untouched(member_folds):
        ens = Ensemble([_Table(n_loc) for _ in range(k)])
        cfg = TrainConfig(
            epochs=30, lr=0.1, weight_decay=0.0, clip=None, progress=False, seed=0,
            validation=0.1, member_weights="validation", member_folds=member_folds,
            eval_steps=10**6,
        )  # fmt: skip
        res = train(ens, data, cfg, torch.device("cpu"))
        return [m.b.detach() == 0 for m in ens.members], res, ens

    own, res, ens = untouched("always")
    assert all(int(u.sum()) == 40 for u in own)
    assert not (own[0] & own[1]).any() and not (own[1] & own[2]).any()
    assert not (own[0] & own[2]).any()
    assert not torch.stack(own).all(0).any()  # every location trains some member
    assert res.held_out_member is not None and len(res.held_out) == k * 40
    assert torch.equal(ens.weights, torch.full((k,), 1 / k))  # averaged, none selected
    shared, res, _ = untouched(True)
    assert all(torch.equal(u, shared[0]) for u in shared[1:]) and int(shared[0].sum()) == 40
    assert res.held_out_member is None


def test_validation_weights_ensemble_members():
    from xinr.training import evaluate

    def ensemble():
        torch.manual_seed(0)
        # one member at a sensible frequency, one far too high to interpolate between points
        return Ensemble(
            [
                MMGN(2, 3, hidden=32, latent=8, layers=2, input_scale=8.0),
                MMGN(2, 3, hidden=32, latent=8, layers=2, input_scale=400.0),
            ]
        )

    data = toy_data(n=600)
    base = dict(epochs=60, progress=False, seed=0, validation=0.3, eval_steps=5, lr=5e-3)
    sel, uni = ensemble(), ensemble()
    res = train(sel, data, TrainConfig(member_weights="validation", **base), torch.device("cpu"))
    train(uni, data, TrainConfig(member_weights="uniform", **base), torch.device("cpu"))
    assert res.member_val is not None and res.member_val[0] < res.member_val[1]
    assert sel.weights[0] > 0.9 and float(sel.weights.sum()) == pytest.approx(1.0)
    assert torch.allclose(uni.weights, torch.tensor([0.5, 0.5]))
    # held-out points (fresh locations): the weighted ensemble beats the plain average
    g = torch.Generator().manual_seed(5)
    xt = torch.rand(200, 2, generator=g)
    snap = torch.randint(0, 3, (200,), generator=g)
    test = TrainData(
        xt, torch.arange(200), snap, torch.zeros(200), torch.sin(3 * xt[:, 0]) + 0.3 * snap
    )
    l1 = torch.nn.functional.l1_loss
    assert evaluate(sel, test, 4096, l1) < evaluate(uni, test, 4096, l1)
    with pytest.raises(ValueError, match="member_weights must be one of"):
        train(ensemble(), data, TrainConfig(member_weights="best", **base), torch.device("cpu"))


class _Fixed(torch.nn.Module):
    """A member whose predictions do not train: the truth plus a fixed error per location."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.dummy = torch.nn.Parameter(torch.zeros(()))  # something for the optimiser

    def forward(self, x, point, snap, t=None):
        xi = x[:, 0] if point is None else x[point, 0]
        if self.kind == "spiky":  # exact, but 3.0 off at every tenth location
            err = 3.0 * (torch.round(xi * 1000).long() % 10 == 0).float()
        else:  # 0.5 off everywhere
            err = torch.full_like(xi, 0.5)
        return torch.sin(6 * xi) + err + 0 * self.dummy


def _sine_line(n=1000):
    """One snapshot of sin(6 x) at n locations x = location / 1000 (what _Fixed expects)."""
    x = (torch.arange(n, dtype=torch.float32) / 1000)[:, None]
    return TrainData(
        x, torch.arange(n), torch.zeros(n, dtype=torch.long), torch.zeros(n), torch.sin(6 * x[:, 0])
    )


@pytest.mark.parametrize("selection, kept", [(None, "spiky"), ("mse", "steady")])
def test_members_selected_by_the_selection_loss(selection, kept):

    # the spiky member has the lower absolute error (0.3 vs 0.5) and the higher squared error
    # (0.9 vs 0.25): the training loss (L1) keeps it, selection_loss="mse" the steady one
    data = _sine_line()
    ens = Ensemble([_Fixed("spiky"), _Fixed("steady")])
    cfg = TrainConfig(
        epochs=1,
        lr=0.0,
        weight_decay=0.0,
        progress=False,
        seed=0,
        validation=0.5,
        member_weights="validation",
        selection_loss=selection,
    )
    train(ens, data, cfg, torch.device("cpu"))
    expect = torch.tensor([1.0, 0.0]) if kept == "spiky" else torch.tensor([0.0, 1.0])
    assert torch.equal(ens.weights, expect)
    with pytest.raises(ValueError, match="Unknown loss"):
        train(
            ens,
            data,
            TrainConfig(epochs=1, progress=False, selection_loss="max"),
            torch.device("cpu"),
        )


def test_ensemble_files_without_weights_load_uniform():

    ens = Ensemble([MMGN(2, 1, hidden=8, latent=2, layers=1) for _ in range(3)])
    state = ens.state_dict()
    del state["weights"]
    ens.weights.fill_(0.0)
    ens.load_state_dict(state)
    assert torch.allclose(ens.weights, torch.full((3,), 1 / 3))


class _Recorder(torch.nn.Module):
    """A linear model of the coordinates that records the inputs of each forward pass."""

    def __init__(self, d):
        super().__init__()
        self.lin = torch.nn.Linear(d, 1)
        self.seen = {True: [], False: []}

    def forward(self, x, point, snap, t=None):
        self.seen[self.training].append(x.detach().clone())
        return self.lin(x).squeeze(-1)[point]


@pytest.mark.parametrize("noise", [0.0, 0.005])
def test_input_noise_moves_training_points_only(noise):
    n = 2000
    x = torch.rand(n, 3)
    data = TrainData(x, torch.arange(n), torch.zeros(n, dtype=torch.long), torch.zeros(n), x[:, 0])
    net = _Recorder(3)
    cfg = TrainConfig(
        epochs=4, batch_size=n, validation=0.2, input_noise=noise, progress=False, seed=0
    )
    train(net, data, cfg, torch.device("cpu"))
    assert net.seen[False]  # the held-out check ran (in eval mode)
    for xs in net.seen[False]:  # validation sees the observed places themselves
        assert torch.isin(xs[:, 0], x[:, 0]).all()
    moved = torch.cat(net.seen[True])
    if noise == 0:
        assert torch.isin(moved[:, 0], x[:, 0]).all()
    else:
        # every training point moved, by noise ** 2 in mean squared length (4 x 1600 draws; the
        # points are ~0.08 apart, so the nearest observed place is the one that moved)
        assert not torch.isin(moved[:, 0], x[:, 0]).any()
        near = torch.cdist(moved, x).min(1).values
        assert (near**2).mean().item() == pytest.approx(noise**2, rel=0.15)


class _Quadratic(torch.nn.Module):
    """f(x) = a |x|^2 + b . x, whose second difference over a step h along any direction is
    exactly 2 a h^2."""

    def __init__(self, a):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(float(a)))
        self.b = torch.nn.Parameter(torch.tensor([0.5, -2.0]))

    def forward(self, x, point, snap, t=None):
        y = self.a * (x * x).sum(-1) + x @ self.b
        return y if point is None else y[point]


@pytest.mark.parametrize("a", [0.0, 1.5])
def test_curvature_penalty_is_the_second_difference(a):
    from xinr.training import curvature_penalty

    data = toy_data()
    h = 0.05
    pen = curvature_penalty(_Quadratic(a), data, torch.arange(300), h, torch.Generator())
    assert pen.item() == pytest.approx(2 * abs(a) * h * h, rel=1e-3, abs=1e-5)
    # an ensemble's penalty is the sum of its members'
    ens = Ensemble([_Quadratic(a), _Quadratic(2 * a)]).train()
    pen2 = curvature_penalty(ens, data, torch.arange(300), h, torch.Generator())
    assert pen2.item() == pytest.approx(6 * abs(a) * h * h, rel=1e-3, abs=1e-5)


class _CountsRows(_Quadratic):
    """Records how many points each penalty pass (``point=None``) evaluates."""

    def __init__(self):
        super().__init__(1.0)
        self.rows = []

    def forward(self, x, point, snap, t=None):
        if point is None:
            self.rows.append(x.shape[0])
        return super().forward(x, point, snap, t)


@pytest.mark.parametrize("points", [None, 10])
def test_curvature_penalty_is_taken_at_a_capped_share_of_the_batch(points):
    # the loss takes the penalty at cfg.curvature_points of the batch's observations (3 points
    # each: the centre and one step either side), however large the batch
    from xinr.training import _loss_fn, batch_loss

    data = toy_data()
    n = len(data)
    cfg = TrainConfig(curvature=0.3, curvature_step=0.05)
    if points is not None:
        cfg.curvature_points = points
    assert cfg.curvature_points < n
    m = _CountsRows()
    batch_loss(m, data, torch.arange(n), cfg, _loss_fn("l1"), torch.Generator())
    assert m.rows == [3 * cfg.curvature_points]
    m.rows.clear()
    batch_loss(m, data, torch.arange(5), cfg, _loss_fn("l1"), torch.Generator())
    assert m.rows == [15]  # a batch smaller than the cap: all of it


def test_curvature_penalty_straightens_the_fit_between_observations():
    # 40 noisy observations of a plane: without the penalty the network bends between them
    from xinr.training import curvature_penalty

    g = torch.Generator().manual_seed(1)
    x = torch.rand(40, 2, generator=g)
    y = x @ torch.tensor([1.0, -1.0]) + 0.3 * torch.randn(40, generator=g)
    data = TrainData(x, torch.arange(40), torch.zeros(40, dtype=torch.long), torch.zeros(40), y)
    bent = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        m = MMGN(2, 1, hidden=32, latent=4, layers=2, input_scale=20.0)
        cfg = TrainConfig(
            epochs=300, progress=False, seed=0, lr=5e-3, curvature=weight, curvature_step=0.1
        )
        train(m, data, cfg, torch.device("cpu"))
        with torch.no_grad():
            bent[weight] = float(
                curvature_penalty(m, data, torch.arange(40), 0.1, torch.Generator(), 40)
            )
    assert bent[1.0] < 0.5 * bent[0.0]


def test_epoch_order_takes_whole_points():
    from xinr.training import epoch_order

    g = torch.Generator().manual_seed(0)
    point = torch.randint(0, 50, (1000,), generator=g)
    runs = {}
    for grouped in (False, True):
        order = epoch_order(point, g, grouped)
        assert torch.equal(torch.sort(order).values, torch.arange(1000))  # every row once
        p = point[order]
        runs[grouped] = int((p[1:] != p[:-1]).sum()) + 1  # runs of one point
    assert runs[True] == len(torch.unique(point))  # each point's rows together
    assert runs[False] > 10 * runs[True]


def test_training_groups_points_on_large_data_seen_repeatedly(monkeypatch):
    import xinr.training as tr

    calls, real = [], tr.epoch_order
    monkeypatch.setattr(
        tr, "epoch_order", lambda p, g, grouped: calls.append(grouped) or real(p, g, grouped)
    )
    monkeypatch.setattr(tr, "GROUPED_MIN_OBS", 300)
    cfg = dict(epochs=2, progress=False, seed=0, validation=0.0)
    train(small(), toy_data(400), TrainConfig(**cfg), torch.device("cpu"))  # 4 rows per point
    train(small(), toy_data(200), TrainConfig(**cfg), torch.device("cpu"))  # below the limit
    d = toy_data(400)
    one = TrainData(torch.rand(400, 2), torch.randperm(400), d.snap, d.t, d.y)
    train(small(), one, TrainConfig(**cfg), torch.device("cpu"))  # every point seen once
    assert calls == [True, True, False, False, False, False]
