"""The pipeline's stages on tiny inputs: canonical order, the residual stage, the gate, and a
residual stage plugged in by a user."""

import types

import numpy as np
import pytest
import torch

import xinr
from xinr import pipeline
from xinr.residuals import RESIDUAL_STAGES
from xinr.sampling import Observations

from .conftest import FAST, analytic_field


def test_canonical_order_does_not_depend_on_the_point_order():
    lat = np.array([10.0, -5.0, 10.0, 0.0])
    lon = np.array([20.0, 30.0, -340.0 + 360.0 + 0.5, 359.0])
    obs = Observations(
        snap=np.array([0, 0, 0, 1, 1]),
        point=np.array([0, 1, 2, 3, 1]),
        value=np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        n_snapshots=2,
        n_points=4,
    )
    a = pipeline.canonical(obs, lat, lon)
    order = np.array([3, 1, 0, 2])  # the same places, stored in another order
    where = np.argsort(order)  # grid point p of the first is point where[p] of the second
    moved = Observations(obs.snap, where[obs.point], obs.value, 2, 4)
    b = pipeline.canonical(moved, lat[order], lon[order])
    for field in ("lat", "lon", "point", "snap", "value"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.lat.tolist() == sorted(a.lat.tolist())  # by place: latitude first


class _Offset(torch.nn.Module):
    """A 'network' that predicts a constant (in scaled units)."""

    uses_time = False

    def __init__(self, c):
        super().__init__()
        self.c = torch.nn.Parameter(torch.tensor(float(c)))

    def forward(self, x, point, snap, t=None):
        return self.c.expand(point.shape[0])


def _tiny():
    rng = np.random.default_rng(0)
    n = 60
    obs = pipeline.Observed(
        lat=rng.uniform(-30, 30, n), lon=rng.uniform(0, 60, n), point=np.arange(n),
        snap=np.zeros(n, dtype=np.int64), value=rng.normal(size=n) + 5.0, n_snapshots=1,
    )  # fmt: skip
    data = xinr.training.TrainData(
        torch.zeros(n, 2), torch.arange(n), torch.zeros(n, dtype=torch.long), torch.zeros(n),
        torch.zeros(n),
    )  # fmt: skip
    scaler = types.SimpleNamespace(inverse=lambda v: v)
    predict = pipeline.ObservationPredictor(data, scaler, None, torch.device("cpu"))
    held = torch.arange(0, n, 5)  # 12 held out
    result = xinr.training.TrainResult(held_out=held)
    return obs, predict, result


def test_residual_stage_builds_the_misfits_and_the_gate_can_decline_them(monkeypatch):
    obs, predict, result = _tiny()
    net = _Offset(5.0)
    kept = pipeline.residual_stage("idw", None, net, result, obs, predict, None)
    assert kept.check is None and kept.declined is None
    np.testing.assert_allclose(kept.field.residual, obs.value - 5.0, rtol=1e-6)
    assert pipeline.residual_stage("none", None, net, result, obs, predict, None).field is None
    gone = xinr.training.TrainResult(held_out=result.held_out, diverged=True)
    assert pipeline.residual_stage("idw", None, net, gone, obs, predict, None).field is None
    # the gate reads the held-out check; one that always declines leaves the field out
    gated = pipeline.residual_stage("idw", "held-out", net, result, obs, predict, None)
    assert gated.check["locations"] == 12 and "added" in gated.check
    monkeypatch.setitem(pipeline.GATES, "never", lambda check: False)
    declined = pipeline.residual_stage("idw", "never", net, result, obs, predict, None)
    assert declined.field is None and declined.check["added"] is False
    np.testing.assert_allclose(declined.declined.residual, kept.field.residual)
    # the misfits of a subset of the observations only
    rows = np.arange(0, 60, 2)
    part = pipeline.residual_stage("idw", None, net, result, obs, predict, rows)
    assert len(part.field.residual) == 30


class _MeanMisfit:
    """A residual stage that adds each snapshot's mean misfit everywhere."""

    def __init__(self, lat, lon, point, snap, misfit, n_snapshots):
        counts = np.bincount(snap, minlength=n_snapshots)
        self.mean = np.bincount(snap, misfit, minlength=n_snapshots) / np.maximum(counts, 1)
        self.residual = np.asarray(misfit)

    def interpolate(self, lat, lon, snaps, out=None):
        add = np.repeat(self.mean[np.asarray(snaps)][:, None], np.size(lat), 1)
        if out is None:
            return add.astype(np.float32)
        out += add.astype(out.dtype)
        return out

    def to_dict(self):
        return {"mean": self.mean, "residual": self.residual}

    @classmethod
    def from_dict(cls, d):
        self = cls.__new__(cls)
        self.mean, self.residual = d["mean"], d["residual"]
        return self


def test_a_residual_stage_plugged_in_fits_predicts_saves_and_loads(tmp_path, monkeypatch):
    monkeypatch.setitem(RESIDUAL_STAGES, "mean", _MeanMisfit)
    _, obs = analytic_field(nt=2)
    fitted = obs.inr.fit(**{**FAST, "residuals": "mean", "bounds": False})
    assert isinstance(fitted.residuals_, _MeanMisfit)
    assert fitted.plan_.rule("residual stage").value == "mean"
    with_stage = fitted.reconstruct().values
    mean = fitted.residuals_.mean
    fitted.residuals_ = None
    alone = fitted.reconstruct().values
    shift = np.broadcast_to(mean[:, None, None], alone.shape)
    np.testing.assert_allclose(with_stage - alone, shift, atol=1e-4)
    fitted.residuals_ = _MeanMisfit.from_dict({"mean": mean, "residual": np.zeros(1)})
    fitted.save(tmp_path / "m.xinr")
    again = xinr.load(tmp_path / "m.xinr")
    assert isinstance(again.residuals_, _MeanMisfit)
    np.testing.assert_array_equal(again.reconstruct().values, with_stage)
    with pytest.raises(ValueError, match="Unknown residuals 'krig'.*'mean'"):
        obs.inr.fit(**{**FAST, "residuals": "krig"})


def test_the_kriging_residual_stage_passes_near_the_observations_and_saves(tmp_path):
    _, obs = analytic_field(nt=2)
    fitted = obs.inr.fit(**{**FAST, "residuals": "kriging", "bounds": False})
    assert type(fitted.residuals_).__name__ == "KrigedMisfits"
    seen = obs.isel(time=0).stack(p=("lat", "lon")).dropna("p")
    at = fitted.predict(seen.lat.values, seen.lon.values, time=np.repeat(obs.time.values[0], seen.size))
    alone = fitted.residuals_
    fitted.residuals_ = None
    net = fitted.predict(seen.lat.values, seen.lon.values, time=np.repeat(obs.time.values[0], seen.size))
    fitted.residuals_ = alone
    # the kriged misfits bring the field far closer to the observations than the network alone
    assert np.abs(at - seen.values).mean() < 0.3 * np.abs(net - seen.values).mean()
    fitted.save(tmp_path / "k.xinr")
    again = xinr.load(tmp_path / "k.xinr")
    np.testing.assert_array_equal(again.reconstruct().values, fitted.reconstruct().values)
