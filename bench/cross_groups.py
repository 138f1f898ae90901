"""Offline screen: one cross-fitted fit, its frequency-scale groups re-weighed by rules.

    python bench/cross_groups.py FIELD RATIO TASK SEED [--budget 120] [--json FILE]

Fits ``INR()`` at its defaults with cross-fitting turned on (``presets.AUTO_CROSS = (3, 4)`` for
the run): where 80 to ~195 locations are observed, 3 frequency scales x 4 folds of the locations,
member ``i`` holding out fold ``i % 4``. Then, with no refit, it re-weighs the same members:
``default`` (the training loop's weights: groups whose mean error over all locations exceeds the
best group's by more than 2 standard errors of the paired differences leave the average; ``z2``
recomputes the same from the members at their kept states, as a check), ``uniform`` (all 12),
``z2_rel20`` (a group leaves only where it is both significantly and more than 20% worse), ``z3``
(3 standard errors), and each group alone (``group0`` = x0.45 .. ``group2`` = x2.2). Each is scored
as MSE vs linear interpolation on the hidden points, with the fit's misfit correction where its
check kept it; ``insample_misfits`` is the fit at its own weights with the misfits taken, at each
observation, from the members that trained on it (the fit's own misfits come from all 12, a
quarter of which held the observation out). Prints one JSON line per fit.
"""

from __future__ import annotations

import math
import os
import sys
from unittest import mock

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import case_parser, emit, fit_case  # noqa: E402

from xinr import presets  # noqa: E402
from xinr.residuals import ResidualField  # noqa: E402
from xinr.training import location_means  # noqa: E402


def group_errors(net, data, res, k_folds: int) -> tuple[np.ndarray, torch.Tensor]:
    """Per group (a run of ``k_folds`` members), its mean absolute error (scaled values) at each
    location, each member at the fold it held out: shape (groups, locations)."""
    groups = len(net.members) // k_folds
    errs, where = [], None
    with torch.no_grad():
        for g in range(groups):
            e_g, p_g = [], []
            for fold in range(k_folds):
                rows = res.held_out[res.held_out_member == fold]
                m = net.members[g * k_folds + fold].eval()
                p = m(data.x, data.point[rows], data.snap[rows], data.t[rows]).float()
                e_g.append((p - data.y[rows]).abs().double())
                p_g.append(data.point[rows])
            errs.append(torch.cat(e_g))
            where = torch.cat(p_g)
    return location_means(torch.stack(errs), where).numpy()


def insample_misfits(case, k_folds: int) -> float:
    """The fit at its own weights with misfits taken from the members that trained on each
    observation (a member holding out its fold is left out of the prediction there), scored as
    MSE vs linear: the fit's misfits come from the whole ensemble, a quarter of whose members never
    saw the observation."""
    f, data, res = case.fitted, case.data, case.result
    base = f.residuals_ if f.residuals_ is not None else f.declined_residuals_
    fold = np.full(len(data), -1)
    fold[res.held_out.numpy()] = res.held_out_member.numpy()
    w = f.model_.weights.double().numpy()
    with torch.no_grad():
        p = np.stack(
            [
                f.scaler_.inverse(m.eval()(data.x, data.point, data.snap, data.t).double().numpy())
                for m in f.model_.members
            ]
        )
    if f.bounds_ is not None:
        p = np.clip(p, *f.bounds_)
    saw = fold[None, :] != (np.arange(len(w)) % k_folds)[:, None]
    ensemble = w @ p
    trained = (w[:, None] * saw * p).sum(0) / np.maximum((w[:, None] * saw).sum(0), 1e-12)
    kept = f.residuals_
    f.residuals_ = ResidualField(
        base.lat,
        base.lon,
        base.point,
        data.snap.numpy(),
        base.residual + (ensemble - trained),
        base.n_snapshots,
    )
    score = round(case.vs_linear(), 1)
    f.residuals_ = kept
    return score


def main(argv=None) -> None:
    a = case_parser(__doc__).parse_args(argv)
    with mock.patch.object(presets, "AUTO_CROSS", (3, 4)):
        case = fit_case(a)
    f = case.fitted
    net = f.model_
    k_folds = int(f.train_config_.get("cross_folds", 0))
    row = {
        "field": os.path.basename(a.field),
        "ratio": a.ratio,
        "task": a.task,
        "seed": a.seed,
        "locations": int(case.mask.any(0).sum()),
        "members": f.ensemble_,
        "cross_folds": k_folds,
        "fit_s": round(f.fit_seconds_, 1),
        "misfits_kept": f.residuals_ is not None,
    }
    w0 = net.weights.clone()

    def vs_linear(w) -> float:
        net.weights.copy_(torch.as_tensor(np.asarray(w, float), dtype=net.weights.dtype))
        return round(case.vs_linear(), 1)

    row["default"] = vs_linear(w0.numpy())
    if k_folds:  # (outside 80-195 locations the fit does not cross-fit: nothing to re-weigh)
        e = group_errors(net, case.data, case.result, k_folds)
        means = e.mean(1)
        best = int(means.argmin())
        d = e - e[best]
        se = d.std(1, ddof=1) / math.sqrt(e.shape[1])
        row["group_error"] = means.round(4).tolist()
        rules = {
            "z2": d.mean(1) <= 2 * se,
            "uniform": np.ones(len(means), bool),
            "z2_rel20": (d.mean(1) <= 2 * se) | (means <= 1.2 * means[best]),
            "z3": d.mean(1) <= 3 * se,
        }
        for name, keep in rules.items():
            keep = keep.copy()
            keep[best] = True
            row[name + "_kept"] = keep.astype(int).tolist()
            row[name] = vs_linear(np.repeat(keep / keep.sum(), k_folds) / k_folds)
        for g in range(len(means)):
            w = np.zeros(len(w0))
            w[g * k_folds : (g + 1) * k_folds] = 1 / k_folds
            row[f"group{g}"] = vs_linear(w)
    net.weights.copy_(w0)
    if k_folds:
        row["insample_misfits"] = insample_misfits(case, k_folds)
    emit(row, a.json)


if __name__ == "__main__":
    main()
