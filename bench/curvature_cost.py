"""Cost of the curvature penalty per training step, side by side: off, and at N points per batch.

    python bench/curvature_cost.py [--obs 100 2000 8192] [--points 256 1024] [--reps 3]

Times optimiser steps (``xinr.training.step_seconds``: forward, L1 loss, penalty, backward, AdamW)
of the ``auto`` preset's ensemble of 6 MMGN members on one snapshot of random points on the sphere,
for full batches of each size in ``--obs`` (the preset's batch is all observations up to 8192),
with the penalty off and taken at each number of points in ``--points``. The configurations
alternate within each repetition to cancel the machine's drift; the table gives the median step
time and its ratio to the step without the penalty.
"""

from __future__ import annotations

import argparse
import statistics

import torch

from xinr.encoding import Encoding
from xinr.models import build_network
from xinr.presets import AUTO_FREQ, AUTO_MODEL, neighbour_spacing
from xinr.training import TrainConfig, TrainData, step_seconds


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--obs", type=int, nargs="+", default=[100, 2000, 8192])
    p.add_argument("--points", type=int, nargs="+", default=[256, 1024])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--steps", type=int, default=5)
    a = p.parse_args(argv)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, 6 MMGN members")
    print(f"{'obs':>6} {'penalty':>12} {'s/step':>8} {'x off':>6}")
    for n in a.obs:
        lat = torch.rand(n) * 180 - 90
        lon = torch.rand(n) * 360 - 180
        x = Encoding("sphere")(lat.numpy(), lon.numpy()).float()
        data = TrainData(
            x, torch.arange(n), torch.zeros(n, dtype=torch.long), torch.zeros(n), torch.rand(n)
        )
        h = neighbour_spacing(x)  # as the preset: frequency, jitter and step from the spacing
        kw = dict(AUTO_MODEL["mmgn"], input_scale=AUTO_FREQ["mmgn"] / h)
        net = build_network("mmgn", x.shape[1], 1, 6, kw)
        configs = [("off", 0.0, 0)] + [(f"{k} points", 0.3, k) for k in a.points]
        times = {c[0]: [] for c in configs}
        for _ in range(a.reps):
            for label, w, k in configs:
                cfg = TrainConfig(batch_size=n, curvature=w, curvature_step=h, input_noise=0.3 * h)
                if k:
                    cfg.curvature_points = k
                times[label].append(step_seconds(net, data, cfg, "cpu", steps=a.steps))
        off = statistics.median(times["off"])
        for label, _, _ in configs:
            t = statistics.median(times[label])
            print(f"{n:>6} {label:>12} {t:>8.4f} {t / off:>6.2f}")


if __name__ == "__main__":
    main()
