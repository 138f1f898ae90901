"""Speed of the pass that evaluates a network at every observation (the misfits, validation):
the observations point by point (``training.predict_observations``) against the data's own
snapshot order, side by side in one run, on random observations of a synthetic layout.

    python bench/observation_pass.py [--obs 1000000] [--points 100000] [--snapshots 366]

With different positions per snapshot (the default layout: each observation at a random point,
about obs/points observations per point) the snapshot order makes almost every observation of a
batch a distinct point, whose Gabor features MMGN computes once per batch. Prints observations per
second for each order and the largest difference between their predictions.
"""

from __future__ import annotations

import argparse
import time

import torch

from xinr.models.mmgn import MMGN
from xinr.training import TrainData, forward_batch, predict_observations

BATCH = 16384  # xinr.estimator.OBSERVATION_BATCH


@torch.no_grad()
def snapshot_order(net, data: TrainData) -> torch.Tensor:
    out = torch.empty(len(data))
    for s in range(0, len(data), BATCH):
        idx = torch.arange(s, min(s + BATCH, len(data)))
        out[idx] = forward_batch(net, data, idx).float()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--obs", type=int, default=1_000_000)
    p.add_argument("--points", type=int, default=100_000)
    p.add_argument("--snapshots", type=int, default=366)
    a = p.parse_args()
    torch.manual_seed(0)
    # the auto preset's MMGN (hidden 128, latent 64, 3 layers) on the sphere encoding
    net = MMGN(3, a.snapshots, hidden=128, latent=64, layers=3, input_scale=1500.0).eval()
    torch.nn.init.normal_(net.latents.weight)
    x = torch.nn.functional.normalize(torch.randn(a.points, 3), dim=1)
    snap = torch.randint(0, a.snapshots, (a.obs,)).sort().values
    data = TrainData(x, torch.randint(0, a.points, (a.obs,)), snap, torch.zeros(a.obs), snap * 0.0)
    print(f"{a.obs:,} observations at {a.points:,} points in {a.snapshots} snapshots")
    rates, preds = {}, {}
    for name, run in (
        ("snapshot order (before session 25)", lambda: snapshot_order(net, data)),
        ("point by point (predict_observations)", lambda: predict_observations(net, data, BATCH)),
    ):
        t0 = time.perf_counter()
        preds[name] = run()
        rates[name] = a.obs / (time.perf_counter() - t0)
        print(f"  {name:40s} {rates[name]:>12,.0f} observations/s")
    first, second = preds.values()
    r = list(rates.values())
    print(
        f"  ratio {r[1] / r[0]:.1f}x; largest difference {float((first - second).abs().max()):.1e}"
    )


if __name__ == "__main__":
    main()
