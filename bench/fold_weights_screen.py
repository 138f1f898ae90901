"""Offline screen: weigh ensemble members by their own held-out error where each holds out its own.

Where fewer than 200 locations are observed, each of the default ensemble's members holds out its
own 10% of them (member folds) and the members are averaged with equal weights: their held-out
errors are taken at different places, so the paired test that drops clearly worse members
elsewhere does not apply. This script fits one case at the defaults, then re-weighs the same
members by rules on each member's best error on its own held-out locations, and scores each rule
on the hidden points (network alone, and with the fit's misfit correction where it kept one):

    python bench/fold_weights_screen.py FIELD RATIO TASK SEED [--json FILE]

Rules: ``uniform`` (the default), ``drop2x`` (members with more than twice the best member's
error get no weight), ``best3`` (the three members with the lowest errors), ``inv2`` (weights
proportional to 1 / error squared), ``unpaired`` (a member leaves the average where its mean
error over its own held-out locations exceeds the best member's by more than 2 standard errors of
the difference of two independent means: the unpaired form of the test ``training.member_weights``
makes where the members share their held-out locations). Errors are the training loss's (L1 on
the scaled values) at each member's kept state, averaged per location. No refit: one fit per
case, so the rules are compared on the same members.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import case_parser, emit, fit_case  # noqa: E402

from xinr.training import location_means, member_folds_apply  # noqa: E402


def own_location_errors(net, data, res) -> list[np.ndarray]:
    """Each member's mean absolute error (scaled values) per location at its own held-out rows."""
    out = []
    with torch.no_grad():
        for i, m in enumerate(net.members):
            rows = res.held_out[res.held_out_member == i]
            p = m.eval()(data.x, data.point[rows], data.snap[rows], data.t[rows]).float()
            e = (p - data.y[rows]).abs().double()
            out.append(location_means(e[None], data.point[rows])[0].numpy())
    return out


def unpaired(loc_err: list[np.ndarray], z: float = 2.0) -> np.ndarray:
    means = np.array([e.mean() for e in loc_err])
    se2 = np.array([e.var(ddof=1) / len(e) if len(e) > 1 else np.inf for e in loc_err])
    b = int(means.argmin())
    keep = means - means[b] <= z * np.sqrt(se2 + se2[b])
    keep[b] = True
    return keep / keep.sum()


def rules(err: np.ndarray) -> dict[str, np.ndarray]:
    k = len(err)
    out = {"uniform": np.full(k, 1.0 / k)}
    keep = err <= 2 * err.min()
    out["drop2x"] = keep / keep.sum()
    best = np.zeros(k)
    best[np.argsort(err)[:3]] = 1
    out["best3"] = best / best.sum()
    inv = 1 / np.maximum(err, 1e-12) ** 2
    out["inv2"] = inv / inv.sum()
    return out


def main(argv=None) -> None:
    a = case_parser(__doc__).parse_args(argv)
    t0 = time.perf_counter()
    case = fit_case(a)
    t_fit = time.perf_counter() - t0
    f, mask = case.fitted, case.mask
    net = f.model_
    checks = [h for h in f.history_ if "val_members" in h]
    if len(getattr(net, "members", ())) < 2 or not checks:
        print(f"{a.field} {a.ratio} {a.task} {a.seed}: no ensemble with member errors")
        return
    err = np.array([h["val_members"] for h in checks], dtype=float).min(0)
    n_loc = int(mask.any(0).sum())
    folds = member_folds_apply(True, f.train_config_["validation"], n_loc, f.ensemble_)
    misfits = f.residuals_

    def vs_linear(w, with_misfits) -> float:
        net.weights.copy_(torch.as_tensor(w, dtype=net.weights.dtype))
        f.residuals_ = misfits if with_misfits else None
        return case.vs_linear()

    w0 = net.weights.clone()
    row = {
        "field": os.path.basename(a.field),
        "ratio": a.ratio,
        "task": a.task,
        "seed": a.seed,
        "observations": f.n_obs_,
        "members": f.ensemble_,
        "fit_s": round(t_fit, 1),
        "default_weights": [round(float(v), 3) for v in w0],
        "member_val": err.round(5).tolist(),
        "locations": n_loc,
        "member_folds": folds,
        "misfits_kept": misfits is not None,
    }
    alone = {i: vs_linear(np.eye(len(err))[i], False) for i in range(len(err))}
    row["member_alone"] = [round(alone[i], 1) for i in range(len(err))]
    ways = rules(err)
    res = case.result
    if folds and res is not None and res.held_out_member is not None:
        loc_err = own_location_errors(net, case.data, res)
        row["own_locations"] = [len(e) for e in loc_err]
        ways["unpaired"] = unpaired(loc_err)
        row["unpaired_weights"] = ways["unpaired"].round(3).tolist()
    for name, w in ways.items():
        row[name] = round(vs_linear(w, False), 1)
        if misfits is not None:
            row[name + "+misfits"] = round(vs_linear(w, True), 1)
    net.weights.copy_(w0)
    f.residuals_ = misfits
    emit(row, a.json)


if __name__ == "__main__":
    main()
