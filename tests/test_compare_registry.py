import sys
import textwrap

import numpy as np
import pytest
import torch
import xarray as xr

import xinr
import xinr.models as registry
from xinr.comparison import format_table

from .conftest import analytic_field

pytest.importorskip("scipy")


def test_compare_returns_every_method_with_finite_errors():
    _, obs = analytic_field()
    res = xinr.compare(
        obs, models=["mix", "mmgn", "siren"], epochs=5, progress=False, max_time=None
    )
    peers = ["nearest", "linear", "idw", "kriging", "spline", "kriging_st", "dineof"]
    assert list(res.method.values) == ["mix", "mmgn", "siren", *peers]
    for v in ("rmse", "mse_minmax", "mse_paper", "fit_time", "predict_time"):
        assert np.isfinite(res[v].values).all(), v
    assert res.attrs["n_scored"] > 0
    text = format_table(res)
    assert "linear" in text and "RMSE [K]" in text
    acc = obs.inr.compare(models=[], classical=["nearest"])
    assert list(acc.method.values) == ["nearest"]


def test_compare_fits_with_the_default_budget_unless_told(monkeypatch):
    # without max_time the "auto" row is what da.inr.fit() returns: INR's own budget
    import xinr.comparison

    seen = []

    class Recording(xinr.INR):
        def __init__(self, model="auto", **kw):
            seen.append(kw.get("max_time"))
            super().__init__(model, **{**kw, "max_time": None, "epochs": 2})

    monkeypatch.setattr(xinr.comparison, "INR", Recording)
    _, obs = analytic_field()
    xinr.compare(obs, models=["mmgn"], classical=[], progress=False)
    xinr.compare(obs, models=["mmgn"], classical=[], progress=False, max_time=7)
    assert seen == [None, 7]


def test_compare_errors():
    _, obs = analytic_field()
    with pytest.raises(ValueError, match="Unknown model 'mmgm'"):
        xinr.compare(obs, models=["mmgm"])
    with pytest.raises(ValueError, match="Unknown classical method 'krige'"):
        xinr.compare(obs, classical=["krige"])
    with pytest.raises(ValueError, match=r"\['dineof'\] need snapshots along one dimension"):
        xinr.compare(obs.isel(time=0), models=[], classical=["dineof"])
    with pytest.raises(ValueError, match="holdout must be"):
        xinr.compare(obs, holdout=1.5)


class Toy(torch.nn.Module):
    uses_time = False

    def __init__(self, in_features, n_snapshots, width=4):
        super().__init__()
        self.lin = torch.nn.Linear(in_features, 1)

    def forward(self, x, point, snap, t=None):
        x = x if point is None else x[point]
        return self.lin(x).squeeze(-1)


def test_register_model_and_fit():
    xinr.register_model("toy_linear", Toy, overwrite=True)
    assert "toy_linear" in xinr.list_models()
    with pytest.raises(ValueError, match="already registered"):
        xinr.register_model("toy_linear", Toy)
    _, obs = analytic_field()
    fitted = obs.inr.fit(model="toy_linear", epochs=3, progress=False, width=2)
    assert fitted.reconstruct().shape == obs.shape
    with pytest.raises(TypeError, match="Unknown keyword"):
        obs.inr.fit(model="toy_linear", epochs=1, progress=False, depth=3)


def test_entry_point_plugin(tmp_path, monkeypatch):
    pkg = tmp_path / "toy_xinr_plugin.py"
    pkg.write_text(
        textwrap.dedent(
            """
            import torch
            class Plug(torch.nn.Module):
                uses_time = True
                def __init__(self, in_features, n_snapshots, k=1):
                    super().__init__()
                    self.lin = torch.nn.Linear(in_features + 1, 1)
                def forward(self, x, point, snap, t):
                    x = x if point is None else x[point]
                    return self.lin(torch.cat([x, t[:, None]], -1)).squeeze(-1)
            """
        )
    )
    dist = tmp_path / "toy_xinr_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-xinr-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[xinr.models]\nplugged = toy_xinr_plugin:Plug\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_ENTRY_POINTS_LOADED", False)
    assert "plugged" in xinr.list_models()
    _, obs = analytic_field()
    fitted = xinr.INR("plugged", epochs=2, progress=False).fit(obs)
    assert np.isfinite(fitted.reconstruct().values).all()
    registry._REGISTRY.pop("plugged", None)
    sys.modules.pop("toy_xinr_plugin", None)


@pytest.mark.parametrize("model", ["mmgn", "resmlp", "siren", "ffn_p", "ffn_g"])
def test_each_model_beats_the_mean(model):
    truth, obs = analytic_field(nt=3, nlat=25, nlon=48, holes=0.7, seed=2)
    fitted = obs.inr.fit(model=model, seed=0, progress=False, epochs=150)
    pred = fitted.reconstruct()
    hidden = np.isnan(obs.values)
    err = np.sqrt(np.mean((pred.values - truth.values)[hidden] ** 2))
    err_mean = np.sqrt(np.mean((float(obs.mean()) - truth.values)[hidden] ** 2))
    assert err < 0.5 * err_mean, (model, err, err_mean)


def test_baselines_evaluate_between_training_times():
    truth, obs = analytic_field(nt=4)
    fitted = obs.inr.fit(model="ffn_g", epochs=5, progress=False, seed=0)
    mid = truth.time.values[0] + np.timedelta64(12, "h")
    out = fitted.reconstruct({"lat": [0.0], "lon": [0.0], "time": [mid]})
    assert out.shape == (1, 1, 1) and np.isfinite(out.values).all()
    with pytest.raises(xinr.CoordinateError, match="must lie inside the training span"):
        fitted.reconstruct({"lat": [0.0], "lon": [0.0], "time": [np.datetime64("1990-01-01")]})


def test_baselines_take_the_time_asked_for_whatever_the_label_order():
    truth, obs = analytic_field(nt=3)
    shuffled = obs.isel(time=[0, 2, 1])  # stored out of order: t[0] and t[1] not side by side
    fitted = shuffled.inr.fit(model="resmlp", epochs=2, progress=False, seed=0, ensemble=1)
    t = obs.time.values
    quarter = t[0] + (t[1] - t[0]) / 4
    snap, times = fitted.snapshot_index({"time": np.array([quarter, t[2]])})
    days = (quarter - t[0]) / np.timedelta64(1, "D")
    np.testing.assert_allclose(times, [days, (t[2] - t[0]) / np.timedelta64(1, "D")])
    assert snap.tolist() == [0, 1]  # the nearest snapshots: t[0] first, t[2] second


def test_unknown_encoding_option():
    _, obs = analytic_field()
    with pytest.raises(ValueError, match="degree must be an integer"):
        obs.inr.fit(encoding="sh", degree=0, epochs=1, progress=False)
    fitted = obs.inr.fit(encoding="sh", degree=4, epochs=2, progress=False)
    assert fitted.encoding_.dim == 25
    xr.testing.assert_equal(fitted.reconstruct().lat, obs.lat)
