"""Time for xinr's defaults to reach the held-out error that the plain reference reaches in 5 minutes.

    python bench/time_to_accuracy.py [--ratio 0.05] [--task 1] [--reference-time 300]

On the shipped sample (COADS SST), all but ``ratio`` of the valid points are hidden (task 1: the same
positions in every snapshot; task 3: different ones). The reference is the plain MMGN of
``xinr.models.reference`` trained the way the paper's code trains it (hidden 256, latent 128, 5 layers,
input scale 256 on coordinates scaled to [0, 1], values min-max normalised, L1 loss, AdamW lr 5e-3,
weight decay 1e-5, gradient clipping, exponential decay 0.99 per epoch, batches of 16 snapshots with
all their points) for ``--reference-time`` seconds of training; its held-out MSE is measured every
few seconds (not counted as training time) and the best value reached is the target. xinr is then
fitted at its defaults with budgets of 5, 10, 20, 40, ... seconds (``INR().fit(obs,
max_time=B)``; the defaults size their schedule to the budget) until one reaches the target. The
ratio is the reference's time over that budget (an upper bound on xinr's time, so the ratio is a
lower bound).
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
import torch

import xinr  # noqa: E402
from xinr.benchmark import rmse, sample_mask  # noqa: E402
from xinr.coords import find_layout, spatial_points  # noqa: E402
from xinr.models.reference import ReferenceMMGN  # noqa: E402
from xinr.plan import PAPER_MODEL, PAPER_TRAIN  # noqa: E402


def train_reference(lat, lon, truth, mask, held, seconds, eval_every=10.0, seed=0):
    """Train the plain reference; return [(training seconds, held-out MSE)]."""
    torch.manual_seed(seed)
    S, P = truth.shape
    lo, hi = np.nanmin(truth[mask]), np.nanmax(truth[mask])
    x01 = np.stack([(lat + 90) / 180, (lon % 360) / 360], axis=1).astype(np.float32)
    x = torch.as_tensor(x01)
    snap_i, pt_i = np.nonzero(mask)
    y = torch.as_tensor((truth[mask] - lo) / (hi - lo), dtype=torch.float32)
    snap_t, pt_t = torch.as_tensor(snap_i), torch.as_tensor(pt_i)
    model = ReferenceMMGN(2, S, **PAPER_MODEL["mmgn"])
    opt = torch.optim.AdamW(model.parameters(), lr=PAPER_TRAIN["lr"], weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, PAPER_TRAIN["lr_decay"])

    @torch.no_grad()
    def score():
        model.eval()
        pred = np.empty((S, P))
        for s in range(S):
            pred[s] = model(x, torch.full((P,), s)).numpy() * (hi - lo) + lo
        model.train()
        return rmse(pred, truth, held) ** 2

    curve, trained, next_eval = [], 0.0, eval_every
    while trained < seconds:
        order = torch.randperm(S)
        for b0 in range(0, S, 16):
            sel = torch.isin(snap_t, order[b0 : b0 + 16])
            t0 = time.perf_counter()
            pred = model(x[pt_t[sel]], snap_t[sel])
            loss = torch.nn.functional.l1_loss(pred, y[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), PAPER_TRAIN["clip"])
            opt.step()
            trained += time.perf_counter() - t0
        sched.step()
        if trained >= next_eval or trained >= seconds:
            curve.append((trained, score()))
            print(f"  reference {trained:6.1f} s: held-out MSE {curve[-1][1]:.4g}", flush=True)
            next_eval += eval_every
    return curve


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--ratio", type=float, default=0.05)
    p.add_argument("--task", type=int, default=1, choices=(1, 2, 3, 4))
    p.add_argument("--reference-time", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--target", type=float, default=None, help="skip the reference: use this held-out MSE"
    )
    a = p.parse_args(argv)
    da = xinr.datasets.load_sample()["sst"].astype("float64")
    lay = find_layout(da)
    da = da.transpose(*(lay.snapshot_dims + lay.dims))
    lat, lon = spatial_points(da, lay)
    S = da.sizes[lay.snapshot_dims[0]]
    truth = da.values.reshape(S, -1)
    valid = np.isfinite(truth)
    mask = sample_mask(valid, a.ratio, a.task, a.seed)
    held = valid & ~mask
    obs = da.where(mask.reshape(da.shape))
    print(
        f"sample {da.shape}, {int(mask.sum())} observed, {int(held.sum())} held out; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    if a.target is None:
        curve = train_reference(lat, lon, truth, mask, held, a.reference_time, seed=a.seed)
        target = min(m for _, m in curve)
        print(
            f"reference: best held-out MSE {target:.4g} within {a.reference_time:.0f} s of training"
        )
    else:
        target = a.target
        print(f"target held-out MSE {target:.4g} (given)")
    budget, found = 5.0, None
    while budget <= a.reference_time:
        t0 = time.perf_counter()
        fit = xinr.INR(seed=a.seed, progress=False, max_time=budget).fit(obs)
        took = time.perf_counter() - t0
        pred = fit.reconstruct().transpose(*da.dims).values.reshape(S, -1)
        mse = rmse(pred, truth, held) ** 2
        print(
            f"  xinr budget {budget:5.0f} s (fit {took:5.1f} s): held-out MSE {mse:.4g}", flush=True
        )
        if mse <= target:
            found = took
            break
        budget *= 2
    if found is None:
        print(f"xinr did not reach {target:.4g} within {a.reference_time:.0f} s")
    else:
        print(
            f"time to the reference's 5-minute error: xinr {found:.1f} s vs reference "
            f"{a.reference_time:.0f} s; ratio {a.reference_time / found:.1f}x "
            f"(xinr budget {budget:.0f} s)"
        )
    return 0 if found is not None and not math.isnan(found) else 1


if __name__ == "__main__":
    sys.exit(main())
