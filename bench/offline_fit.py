"""Shared by the screens: one case of ``accuracy.py``'s protocol, fitted once at the defaults with
the training loop's result kept, so that an offline screen (``fold_weights_screen.py``,
``cross_groups.py``) can re-weigh the same members without refitting; and ``accuracy.py`` run
with a preset patched (``cross_fit_arms.py``, ``low_spread_arm.py``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
import warnings
from dataclasses import dataclass
from unittest import mock

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accuracy import hide, load_field, snapshot_matrix  # noqa: E402

import xinr  # noqa: E402
import xinr.estimator as est  # noqa: E402
from xinr.benchmark import mse_minmax  # noqa: E402
from xinr.classical import fill  # noqa: E402


def case_parser(doc: str) -> argparse.ArgumentParser:
    """``FIELD RATIO TASK SEED [--budget S] [--json FILE]``, described by the script's doc."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("field")
    p.add_argument("ratio", type=float)
    p.add_argument("task", type=int)
    p.add_argument("seed", type=int)
    p.add_argument("--budget", type=float, default=120.0)
    p.add_argument("--json", default=None)
    return p


def vs_linear(pred, truth, held, e_lin: float) -> float:
    """MSE (min-max normalised) of ``pred`` on the hidden points ``held``, in % relative to
    linear interpolation's ``e_lin``."""
    return 100 * (mse_minmax(pred, truth, held) / e_lin - 1)


_OWN = object()  # Case.grid: the fit's own misfits


@dataclass
class Case:
    """A fitted case: the hidden points' truth, linear interpolation's MSE there, the fit, the
    training loop's data and result, and the points' lat/lon."""

    order: tuple
    truth: np.ndarray
    mask: np.ndarray
    held: np.ndarray
    e_lin: float
    fitted: xinr.INR
    data: object
    result: object
    lat: np.ndarray
    lon: np.ndarray

    def grid(self, residuals=_OWN) -> np.ndarray:
        """The fit's reconstruction, one snapshot per row; with ``residuals``, those misfits in
        place of its own for this call (None: the network alone)."""
        f = self.fitted
        kept = f.residuals_
        if residuals is not _OWN:
            f.residuals_ = residuals
        try:
            pred = f.reconstruct().transpose(*self.order).values
        finally:
            f.residuals_ = kept
        return pred.reshape(self.truth.shape[0], -1)

    def vs_linear(self) -> float:
        """The fit's MSE (min-max normalised) on the hidden points, in % relative to linear."""
        return vs_linear(self.grid(), self.truth, self.held, self.e_lin)


def fit_case(a: argparse.Namespace) -> Case:
    """Hide the case's points, score linear interpolation, fit ``INR()`` at its defaults under
    ``a.budget`` seconds, and keep what the training loop returned."""
    da, order, lat, lon, truth = snapshot_matrix(load_field(a.field))
    mask, held, obs = hide(da, truth, a.ratio, a.task, a.seed)
    e_lin = mse_minmax(fill("linear", lat, lon, np.where(mask, truth, np.nan), held), truth, held)
    captured = {}
    train = est.train

    def keep_result(net, data, cfg, device):
        res = train(net, data, cfg, device)
        captured.update(data=data, res=res)
        return res

    with warnings.catch_warnings(), mock.patch.object(est, "train", keep_result):
        warnings.simplefilter("ignore")
        f = xinr.INR(progress=False, seed=a.seed, max_time=a.budget).fit(obs)
    return Case(
        order, truth, mask, held, e_lin, f, captured.get("data"), captured.get("res"), lat, lon
    )


def emit(row: dict, path: str | None) -> None:
    """Print a screen's row as a JSON line, and append it to ``path`` where given."""
    print(json.dumps(row), flush=True)
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def run_accuracy(args: list[str], *patches) -> None:
    """Run ``accuracy.py`` with ``args`` as its command line, inside the context managers
    ``patches`` (e.g. ``mock.patch.object(presets, ...)``), all undone on exit."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "accuracy.py")
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        stack.enter_context(mock.patch.object(sys, "argv", [script, *args]))
        runpy.run_path(script, run_name="__main__")
