"""Offline screen: how much of the misfit correction to add, from one default fit.

    python bench/misfit_scale_screen.py FIELD RATIO TASK SEED [--budget 120] [--json FILE]

Fits ``INR()`` at its defaults on one case of ``accuracy.py`` (same masks), then, with no refit,
scores on the hidden points (MSE vs linear interpolation, %) the network with its misfits at the
observations added at several shares: ``network`` (none), ``full`` (all of them), ``default``
(what the fit chose: all, or none where the held-out check declined them), ``scaled`` (the
share the held-out check found best by least squares, ``misfit_check_["scale"]``), and
``half`` (a fixed half), ``location_mean`` (each location's mean misfit over the snapshots
in place of its misfit in each) and ``mean_half_anomaly`` (that mean plus half of each misfit's
departure from it). Prints one JSON line per fit with the check's reading, and ``cv`` and
``cv_scale``: the same reading and share from a 10-fold cross-validation of the interpolator on
the misfits themselves (each fold of locations' misfits interpolated from the others').
"""

from __future__ import annotations

import copy
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import case_parser, emit, fit_case, vs_linear  # noqa: E402

from xinr.residuals import held_out_check  # noqa: E402


def with_share(case, field, share: float, anomaly: float | None = None) -> float:
    """MSE vs linear (%) of the fit with ``share`` of its misfits ``field`` added; with
    ``anomaly``, ``share`` of each location's mean misfit over the snapshots plus ``anomaly`` of
    each misfit's departure from it."""
    scaled = None
    if field is not None and (share != 0 or anomaly):
        scaled = copy.copy(field)
        r = field.residual.astype(np.float64)
        if anomaly is None:
            r = r * share
        else:
            n = np.bincount(field.point, minlength=len(field.lat))
            mean = (np.bincount(field.point, r, minlength=len(field.lat)) / np.maximum(n, 1))[
                field.point
            ]
            r = share * mean + anomaly * (r - mean)
        scaled.residual = r.astype(np.float32)
    return round(vs_linear(case.grid(scaled), case.truth, case.held, case.e_lin), 2)


def misfit_cv(field, folds: int = 10) -> dict:
    """Cross-validation of the misfit interpolator on the misfits themselves: the observed
    locations in ``folds`` random folds, each fold's misfits interpolated from the others' (the
    check of :func:`held_out_check` with a zero network and the misfits as values)."""
    snap = np.repeat(np.arange(field.n_snapshots), np.diff(field.offsets))
    fold = np.random.default_rng(0).permutation(len(field.lat)) % folds
    held = fold[None, :][:, field.point] == np.arange(folds)[:, None]
    zero = np.zeros((folds, field.point.size))
    return held_out_check(
        field.lat, field.lon, field.point, snap, field.residual, zero, held, field.n_snapshots
    )


def main() -> None:
    a = case_parser(__doc__).parse_args()
    case = fit_case(a)
    f = case.fitted
    field = f.residuals_ if f.residuals_ is not None else f.declined_residuals_
    check = f.misfit_check_ or {}
    scale = check.get("scale", float("nan"))
    cv = misfit_cv(field) if field is not None else None
    network, full = with_share(case, field, 0.0), with_share(case, field, 1.0)
    row = {
        "field": os.path.basename(a.field).removesuffix(".nc"),
        "ratio": a.ratio,
        "task": a.task,
        "seed": a.seed,
        "members": len(case.result.member_val or [None]),
        "locations": check.get("locations"),
        "check": None if not check else round(100 * (check["corrected"] / check["network"] - 1), 1),
        "added": check.get("added"),
        "scale": None if not check else round(scale, 3),
        "cv": None if cv is None else round(100 * (cv["corrected"] / cv["network"] - 1), 1),
        "cv_scale": None if cv is None else round(cv["scale"], 3),
        "default": full if f.residuals_ is not None else network,  # what the fit chose
        "network": network,
        "full": full,
        "half": with_share(case, field, 0.5),
        "scaled": with_share(case, field, scale if np.isfinite(scale) else 1.0),
        "location_mean": with_share(case, field, 1.0, anomaly=0.0),
        "mean_half_anomaly": with_share(case, field, 1.0, anomaly=0.5),
    }
    emit(row, a.json)


if __name__ == "__main__":
    main()
