
import numpy as np
import pytest

import xinr
from xinr.benchmark import mse_minmax, mse_paper, rmse, sample_mask

from .conftest import analytic_field


@pytest.mark.parametrize("task", [1, 2, 3, 4])
def test_sample_mask_tasks(task):
    valid = np.ones((6, 1000), bool)
    valid[:, :100] = False  # "land"
    m = sample_mask(valid, 0.05, task, seed=1)
    assert not (m & ~valid).any()
    counts = m.sum(1)
    same_positions = all((m[0] & m[s]).sum() == min(counts[0], counts[s]) for s in range(6))
    if task in (1, 3):
        assert (counts == 45).all()
    else:
        assert counts.min() >= 22 and counts.max() <= 68 and len(set(counts)) > 1
    assert same_positions == (task in (1, 2))


def test_sample_mask_errors():
    with pytest.raises(ValueError, match="task must be one of"):
        sample_mask(np.ones((1, 10), bool), 0.1, 5)
    with pytest.raises(ValueError, match="ratio must be in"):
        sample_mask(np.ones((1, 10), bool), 0.0, 1)


def test_metrics():
    truth = np.array([[0.0, 1.0], [2.0, 4.0]])
    pred = truth + np.array([[0.0, 1.0], [0.0, 0.0]])
    assert rmse(pred, truth) == pytest.approx(0.5)
    assert mse_minmax(pred, truth) == pytest.approx(0.25 / 16)
    # per-point ranges over time: point 0 spans 2, point 1 spans 3
    assert mse_paper(pred, truth) == pytest.approx((1 / 3) ** 2 / 4)
    mask = np.array([[False, True], [False, False]])
    assert mse_paper(pred, truth, mask) == pytest.approx((1 / 3) ** 2)


def test_default_fit_beats_linear_on_smooth_field_with_time():
    pytest.importorskip("scipy")
    from xinr.classical import fill

    truth, _ = analytic_field(nt=6, nlat=25, nlon=48)
    S = truth.shape[0]
    values = truth.values.reshape(S, -1)
    mask = sample_mask(np.isfinite(values), 0.05, 3, seed=0)
    obs = truth.where(mask.reshape(truth.shape))
    fitted = xinr.INR(seed=0, progress=False).fit(obs)  # the defaults
    pred = fitted.reconstruct().values.reshape(S, -1)
    held = ~mask
    lat, lon = np.meshgrid(truth.lat, truth.lon, indexing="ij")
    lin = fill("linear", lat.ravel(), lon.ravel(), np.where(mask, values, np.nan), held)
    assert mse_minmax(pred, values, held) < 0.8 * mse_minmax(lin, values, held)
