"""Wall time and accuracy of unbudgeted default fits of one map, curvature penalty off and on.

    python bench/curvature_fit_time.py bench/data/coads_slp.nc [--ratio 0.01] [--seed 0]

Fits ``INR()`` at its defaults (no ``max_time``: 1500 steps on small data) to the first snapshot
of a field sampled as in ``accuracy.py`` (task 1), four times in one process: with the penalty
off (``curvature=0``), at the default 256 points per batch, at 1024 (the number before session
15; ``TrainConfig.curvature_points`` is not an ``INR`` keyword, so this script adds it to the
``auto`` preset's training keywords), and at 256 again (the repeat shows the machine's noise). Prints one JSON line per fit:
fit seconds, members, held-out MSE relative to linear interpolation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from unittest import mock

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import accuracy as acc  # noqa: E402

import xinr  # noqa: E402
from xinr import presets  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("field")
    p.add_argument("--ratio", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    da, order, lat, lon, truth = acc.snapshot_matrix(acc.load_field(a.field, snapshots=1))
    mask, held, obs = acc.hide(da, truth, a.ratio, 1, a.seed)
    lin = acc.fill("linear", lat, lon, np.where(mask, truth, np.nan), held)
    base = acc.mse_minmax(lin, truth, held)
    runs = [("off", 256, {"curvature": 0}), ("256", 256, {}), ("1024", 1024, {}), ("256", 256, {})]
    for label, points, kw in runs:
        t0 = time.perf_counter()
        with (
            warnings.catch_warnings(),
            mock.patch.dict(presets.AUTO_TRAIN, curvature_points=points),
        ):
            warnings.simplefilter("ignore")
            fitted = xinr.INR(progress=False, seed=a.seed, **kw).fit(obs)
        t = time.perf_counter() - t0
        pred = fitted.reconstruct().transpose(*order).values.reshape(truth.shape[0], -1)
        rel = 100 * (acc.mse_minmax(pred, truth, held) / base - 1)
        row = {
            "field": a.field,
            "ratio": a.ratio,
            "observations": int(mask.sum()),
            "penalty": label,
            "fit_s": round(t, 1),
            "members": fitted.ensemble_,
            "mse_vs_linear_pct": round(rel, 1),
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
