"""Figures (xinr.plot): what the panels hold, the history's curves, and errors that help."""

import numpy as np
import pytest

import xinr

from .conftest import FAST, analytic_field

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def fitted_series():
    truth, obs = analytic_field(nt=3)
    return truth, obs, xinr.INR(**FAST).fit(obs)


def test_snapshot_panels_hold_the_fields(fitted_series):
    truth, obs, fitted = fitted_series
    fig = xinr.plot_snapshot(fitted, obs, truth=truth, snapshot=2, uncertainty=True)
    panels = [ax for ax in fig.axes if ax.get_title()]  # (the colour bars have none)
    titles = [ax.get_title() for ax in panels]
    assert titles == ["observed tas", "reconstruction", "truth", "error", "standard deviation"]
    recon = fitted.reconstruct().isel(time=2)
    error = panels[titles.index("error")].collections[0].get_array()
    np.testing.assert_allclose(  # (within float32 rounding of values near 280 K)
        np.asarray(error).ravel(), (recon - truth.isel(time=2)).values.ravel(), atol=1e-4
    )
    assert "time=" in fig._suptitle.get_text() and "(K)" in fig._suptitle.get_text()
    observed = panels[0].collections[0].get_offsets()
    assert len(observed) == int(obs.isel(time=2).count())  # a dot per observed point


def test_snapshot_out_of_range_says_so(fitted_series):
    _, obs, fitted = fitted_series
    with pytest.raises(IndexError, match="3 snapshots"):
        xinr.plot_snapshot(fitted, obs, snapshot=5)


def test_history_draws_the_losses(fitted_series):
    _, _, fitted = fitted_series
    ax = xinr.plot_history(fitted)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[0] == "training loss" and len(ax.get_lines()[0].get_xdata()) == len(fitted.history_)
