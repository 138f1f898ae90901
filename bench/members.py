"""One case of ``accuracy.py``, with each ensemble member's held-out error and the training history.

For tuning: shows which members (frequency scales) the held-out locations kept, how each one
alone compares with linear interpolation on the hidden points, and whether the held-out error
had stopped falling before the budget ran out.

    python bench/members.py FIELD RATIO TASK SEED [key=value ...]
    python bench/members.py bench/data/levitus_sst.nc 0.05 1 0 jitter=0

FIELD is ``sample`` or ``PATH.nc[:VAR]``; ``key=value`` pairs are INR keywords (``max_time``
defaults to 120).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from accuracy import hide, load_field, parse_settings, snapshot_matrix  # noqa: E402

import xinr  # noqa: E402
from xinr.benchmark import mse_minmax  # noqa: E402
from xinr.classical import fill  # noqa: E402


def main(argv: list[str]) -> None:
    if len(argv) < 4:
        raise SystemExit(__doc__)
    spec, ratio, task, seed = argv[0], float(argv[1]), int(argv[2]), int(argv[3])
    kw = parse_settings(argv[4:])
    da, order, lat, lon, truth = snapshot_matrix(load_field(spec))
    S = truth.shape[0]
    mask, held, obs = hide(da, truth, ratio, task, seed)
    e_lin = mse_minmax(fill("linear", lat, lon, np.where(mask, truth, np.nan), held), truth, held)
    model = kw.pop("model", "mmgn")
    kw.setdefault("max_time", 120)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = xinr.INR(model, progress=False, seed=seed, **kw).fit(obs)
    t_fit = time.perf_counter() - t0

    def vs_linear() -> float:
        pred = f.reconstruct().transpose(*order).values.reshape(S, -1)
        return 100 * (mse_minmax(pred, truth, held) / e_lin - 1)

    print(
        f"{os.path.basename(spec)} {ratio} task {task} seed {seed} {kw}: {f.n_obs_} observations, "
        f"{f.ensemble_} network(s), {len(f.history_)} epochs in {t_fit:.0f} s; "
        f"MSE vs linear {vs_linear():+.1f}%"
    )
    net = f.model_
    if len(getattr(net, "members", ())) > 1:
        w0 = net.weights.clone()
        members = f.network_["members"] or [{}] * len(net.members)
        for i in range(len(net.members)):
            net.weights.zero_()
            net.weights[i] = 1
            scale = members[i].get("input_scale", float("nan"))
            print(
                f"  member {i}: input_scale {scale:8.2f}, weight {float(w0[i]):.2f}, "
                f"alone {vs_linear():+.1f}% vs linear"
            )
        net.weights.copy_(w0)
    checks = [h for h in f.history_ if "val" in h]
    shown = checks[:: max(1, len(checks) // 10)]
    for h in shown + [c for c in checks[-1:] if c is not shown[-1]]:
        each = " ".join(f"{v:.4g}" for v in h.get("val_members", []))
        print(f"  epoch {h['epoch']:5d}: loss {h['loss']:.4g}, held-out {h['val']:.4g} {each}")


if __name__ == "__main__":
    main(sys.argv[1:])
