import math

import pytest
import torch

from xinr.models import MMGN
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


def test_max_time_stops():
    m = small()
    res = train(
        m, toy_data(), TrainConfig(max_time=0.5, progress=False, seed=0), torch.device("cpu")
    )
    assert res.seconds < 5 and len(res.history) >= 1


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
