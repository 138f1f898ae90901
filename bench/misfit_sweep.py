"""Offline sweep of the misfit interpolator's settings on saved fits.

    python bench/misfit_sweep.py GRIDS.npz [GRIDS.npz ...] [--json FILE]

Each ``GRIDS.npz`` is a fit saved by ``local_range_screen.py --save`` (the network alone on the
whole grid, the default fit, the truth and the masks). The misfits at the observations (observed
value minus the network there) are interpolated again with :class:`xinr.residuals.ResidualField`
under other settings, added to the network, clipped to the observed range (the default's
``bounds``), and scored on the hidden points (MSE vs linear interpolation, %): ``base`` (16
neighbours, fade at 3 spacings: today's settings; it reproduces the saved default where the fit
kept its misfits), ``k8`` and ``k32`` (neighbours), ``fade1.5``, ``fade6`` and ``nofade``, and
``share1.2`` (1.2 times the correction). ``added`` says whether the saved fit kept its misfits
(its default differs from its network). Prints one JSON line per fit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from offline_fit import vs_linear  # noqa: E402

from xinr.residuals import ResidualField  # noqa: E402

ARMS = {
    "base": (16, 3.0, 1.0),
    "k8": (8, 3.0, 1.0),
    "k32": (32, 3.0, 1.0),
    "fade1.5": (16, 1.5, 1.0),
    "fade6": (16, 6.0, 1.0),
    "nofade": (16, np.inf, 1.0),
    "share1.2": (16, 3.0, 1.2),
}


def sweep(d) -> dict:
    truth, mask, held = d["truth"], d["mask"], d["held"]
    net, lat, lon = d["network"].astype(np.float64), d["lat"], d["lon"]
    e_lin, n = float(d["e_lin"]), truth.shape[0]
    snap, point = np.nonzero(mask)
    misfit = truth[snap, point] - net[snap, point]
    lo, hi = truth[mask].min(), truth[mask].max()
    row = {
        "added": bool(np.any(np.abs(d["default"] - d["network"]) > 0)),
        "default": round(vs_linear(d["default"], truth, held, e_lin), 2),
        "network": round(vs_linear(net, truth, held, e_lin), 2),
    }
    for name, (k, fade, share) in ARMS.items():
        field = ResidualField(lat, lon, point, snap, misfit, n, fade)
        corr = field.interpolate(lat, lon, list(range(n)), k=k)
        pred = np.clip(net + share * corr, lo, hi)
        row[name] = round(vs_linear(pred, truth, held, e_lin), 2)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("grids", nargs="+")
    p.add_argument("--json", default=None)
    a = p.parse_args()
    for path in a.grids:
        row = {"case": os.path.basename(path).removesuffix(".npz"), **sweep(np.load(path))}
        print(json.dumps(row), flush=True)
        if a.json:
            with open(a.json, "a") as fh:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
