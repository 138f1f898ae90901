"""Offline screen: the default fit blended with inverse-distance weighting of the observed values.

    python bench/idw_blend_screen.py FIELD RATIO TASK SEED [--budget 120] [--json FILE]

Fits ``INR()`` at its defaults on one case of ``accuracy.py`` (same masks), then, with no refit,
scores on the hidden points (MSE vs linear interpolation, %):

- ``default``: what the fit gives; ``network``: the network alone; ``full``: with all its
  misfits;
- ``values``: the observed values of each snapshot interpolated as the misfits are
  (:class:`xinr.residuals.ResidualField`, with no fade: no network), and ``idw``,
  the benchmark's inverse-distance weighting;
- ``blend_S``: ``S * default + (1 - S) * values`` for S in 0.25, 0.5, 0.75 (the default with
  its misfits is ``values`` plus the network's own detail between the observations, so this
  shrinks that detail);
- ``blend_check``: the weight the held-out check found best by least squares
  (``misfit_check_["blend_corrected"]`` or ``["blend_network"]``, as the fit chose), and
  ``blend_check_half``: that weight but not below one half;
- ``oracle``: the least-squares weight on the hidden points themselves (not attainable).

Prints one JSON line per fit.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import case_parser, emit, fit_case, vs_linear  # noqa: E402

from xinr.classical import fill  # noqa: E402
from xinr.residuals import ResidualField  # noqa: E402


def values_field(lat, lon, truth, mask) -> np.ndarray:
    """Each snapshot's observed values interpolated as the misfits are, with no fade."""
    snap, point = np.nonzero(mask)
    value = truth[snap, point]
    n = truth.shape[0]
    mean = np.bincount(snap, value, minlength=n) / np.maximum(np.bincount(snap, minlength=n), 1)
    field = ResidualField(lat, lon, point, snap, value - mean[snap], n, fade=np.inf)
    return mean[:, None] + field.interpolate(lat, lon, list(range(n)))


def main() -> None:
    a = case_parser(__doc__).parse_args()
    case = fit_case(a)
    f = case.fitted
    lat, lon = case.lat, case.lon
    field = f.residuals_ if f.residuals_ is not None else f.declined_residuals_
    check = f.misfit_check_ or {}
    bounds = f.bounds_ if f.bounds_ is not None else (None, None)
    held, truth = case.held, case.truth

    def score(pred) -> float:
        return round(vs_linear(np.clip(pred, *bounds), truth, held, case.e_lin), 2)

    network, full = case.grid(None), case.grid(field)
    default = full if f.residuals_ is not None else network
    values = values_field(lat, lon, truth, case.mask)
    key = "blend_corrected" if f.residuals_ is not None else "blend_network"
    w = check.get(key, float("nan"))
    w = 1.0 if not np.isfinite(w) else w
    d, v = (default - values)[held], (truth - values)[held]
    oracle = float(np.clip((d * v).sum() / (d * d).sum(), 0, 1))
    idw = fill("idw", lat, lon, np.where(case.mask, truth, np.nan), held)
    row = {
        "field": os.path.basename(a.field).removesuffix(".nc"),
        "ratio": a.ratio,
        "task": a.task,
        "seed": a.seed,
        "added": check.get("added"),
        "check_idw": None
        if not check
        else round(100 * (check["idw"] / min(check["network"], check["corrected"]) - 1), 1),
        "weight": round(w, 3),
        "oracle_weight": round(oracle, 3),
        "default": score(default),
        "network": score(network),
        "full": score(full),
        "values": score(values),
        "idw": score(idw),
        **{f"blend_{s}": score(s * default + (1 - s) * values) for s in (0.25, 0.5, 0.75)},
        "blend_check": score(w * default + (1 - w) * values),
        "blend_check_half": score(max(w, 0.5) * default + (1 - max(w, 0.5)) * values),
        "oracle": score(oracle * default + (1 - oracle) * values),
    }
    emit(row, a.json)


if __name__ == "__main__":
    main()
