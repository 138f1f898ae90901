"""Training and reconstruction throughput of xinr's MMGN against a plain reference, side by side.

    python bench/train_throughput.py [--reps 3] [--steps 2] [--points 2765] [--snapshots 16]

Alternates the implementations to cancel the machine's drift and prints points per second of a full
training step (forward, L1 loss, backward, AdamW step) at the paper's configuration and batch (16
snapshots x 2765 points; task 1: the same positions in every snapshot, task 3: different ones), the
ratio, the machine's fp32 matrix-multiply rate and the share of it each reaches (FLOPs counted with
torch.utils.flop_counter on the reference), then reconstruction of the full 192 x 288 grid of 16
snapshots, the four baselines, and the peak resident memory of a training step (child processes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(__file__))
from xinr.models import build_model  # noqa: E402
from xinr.models.reference import from_xinr  # noqa: E402
from xinr.training import TrainData, forward_batch  # noqa: E402

PAPER = dict(hidden=256, latent=128, layers=5, input_scale=256.0, alpha=1.0)


DEV = torch.device("cpu")


def sync():
    if DEV.type == "cuda":
        torch.cuda.synchronize()


def matmul_rate(n=2048, reps=5) -> float:
    a, b = torch.randn(n, n, device=DEV), torch.randn(n, n, device=DEV)
    a @ b
    sync()
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync()
    return 2 * n**3 * reps / (time.perf_counter() - t)


def batch(task, S, P, grid=192 * 288, seed=0):
    g = torch.Generator().manual_seed(seed)
    coords = torch.rand(grid, 2, generator=g)
    if task == 1:
        pts = torch.randperm(grid, generator=g)[:P].repeat(S)
    else:
        pts = torch.cat([torch.randperm(grid, generator=g)[:P] for _ in range(S)])
    snap = torch.arange(S).repeat_interleave(P)
    y = torch.randn(S * P, generator=g)
    return tuple(v.to(DEV) for v in (coords, pts, snap, y))


def xinr_step(model, opt, coords, pts, snap, y, amp=False):
    data = TrainData(coords, pts, snap, torch.zeros(len(y), device=y.device), y)
    with torch.autocast(DEV.type, dtype=torch.bfloat16, enabled=amp):
        pred = forward_batch(model, data)
    loss = torch.nn.functional.l1_loss(pred.float(), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def ref_step(model, opt, coords, pts, snap, y):
    loss = torch.nn.functional.l1_loss(model(coords[pts], snap), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def timed(fn, steps):
    sync()
    t = time.perf_counter()
    for _ in range(steps):
        fn()
    sync()
    return (time.perf_counter() - t) / steps


def child_rss(impl, task, S, P, steps):
    code = (
        "import sys; sys.argv=['x']; sys.path.insert(0, %r);"
        "import train_throughput as T, torch;"
        "torch.manual_seed(0);"
        "m = T.build_model('mmgn', 2, %d, **T.PAPER); r = T.from_xinr(m);"
        "mod = m if %r == 'xinr' else r; opt = torch.optim.AdamW(mod.parameters(), lr=1e-4);"
        "b = T.batch(%d, %d, %d); f = T.xinr_step if %r == 'xinr' else T.ref_step;"
        "[f(mod, opt, *b) for _ in range(%d)];"
        "print(T.peak_rss_kib())"
    ) % (os.path.dirname(os.path.abspath(__file__)), S, impl, task, S, P, impl, steps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # MiB


def peak_rss_kib() -> int:
    """Peak resident memory of this process in KiB.

    VmHWM belongs to the process image and starts afresh at exec; ``ru_maxrss`` does not (Linux
    carries it over from the forked parent, so a child of a large benchmark process reports the
    parent's peak; that made both implementations read 2984 MiB before).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--points", type=int, default=2765)
    p.add_argument("--snapshots", type=int, default=16)
    p.add_argument("--json", default=None)
    p.add_argument("--device", default="cpu", help="cpu or cuda (GPU: larger matmul, bf16 row)")
    a = p.parse_args(argv)
    global DEV
    DEV = torch.device(a.device)
    S, P = a.snapshots, a.points
    torch.manual_seed(0)
    rate = matmul_rate(8192 if DEV.type == "cuda" else 2048)
    where = (
        torch.cuda.get_device_name(DEV)
        if DEV.type == "cuda"
        else f"{torch.get_num_threads()} threads"
    )
    print(f"torch {torch.__version__}, {where}; fp32 matmul {rate / 1e9:.1f} GFLOP/s")
    results = {"matmul_gflops": rate / 1e9}
    m = build_model("mmgn", 2, S, **PAPER).to(DEV)
    ref = from_xinr(m).to(DEV)
    coords, pts, snap, y = batch(1, S, P)
    with FlopCounterMode(display=False) as fc:
        loss = torch.nn.functional.l1_loss(ref(coords[pts], snap), y)
        loss.backward()
    flops_step = fc.get_total_flops()
    with FlopCounterMode(display=False) as fc:
        with torch.no_grad():
            ref(coords[pts], snap)
    flops_fwd = fc.get_total_flops()
    print(
        f"reference FLOPs per point: forward {flops_fwd / (S * P) / 1e6:.2f} M, step {flops_step / (S * P) / 1e6:.2f} M"
    )
    for task in (1, 3):
        b = batch(task, S, P)
        mx = build_model("mmgn", 2, S, **PAPER).to(DEV)
        mr = from_xinr(mx).to(DEV)
        ox = torch.optim.AdamW(mx.parameters(), lr=1e-4)
        orf = torch.optim.AdamW(mr.parameters(), lr=1e-4)
        xinr_step(mx, ox, *b)
        ref_step(mr, orf, *b)
        tx, tr = [], []
        for _ in range(a.reps):  # alternate to cancel drift
            tx.append(timed(lambda: xinr_step(mx, ox, *b), a.steps))
            tr.append(timed(lambda: ref_step(mr, orf, *b), a.steps))
        px, pr = S * P / min(tx), S * P / min(tr)
        print(
            f"train task {task}: xinr {px:,.0f} pts/s ({flops_step / min(tx) / rate:.0%} of matmul rate), "
            f"reference {pr:,.0f} pts/s ({flops_step / min(tr) / rate:.0%}); ratio {px / pr:.2f}x"
        )
        results[f"train_task{task}"] = {"xinr": px, "reference": pr, "ratio": px / pr}
        if DEV.type == "cuda" and torch.cuda.is_bf16_supported():
            xinr_step(mx, ox, *b, amp=True)
            tb = min(timed(lambda: xinr_step(mx, ox, *b, amp=True), a.steps) for _ in range(a.reps))
            print(
                f"  xinr with bf16 autocast (as its training loop on this GPU): {S * P / tb:,.0f} pts/s"
            )
            results[f"train_task{task}"]["xinr_bf16"] = S * P / tb
    # reconstruction: full 192 x 288 grid of 16 snapshots
    grid = torch.rand(192 * 288, 2, device=DEV)
    mx = build_model("mmgn", 2, S, **PAPER).to(DEV).eval()
    mr = from_xinr(mx).to(DEV).eval()
    G = grid.shape[0]
    # 16 snapshots x 256 points per call on CPU, as xinr.INR reconstructs (2**14 points on GPU)
    chunk = 256 if DEV.type == "cpu" else 2**14

    @torch.no_grad()
    def rec_xinr():
        for s0 in range(0, G, chunk):
            x = grid[s0 : s0 + chunk]
            n = x.shape[0]
            mx(
                x,
                torch.arange(n, device=DEV).repeat(S),
                torch.arange(S, device=DEV).repeat_interleave(n),
            )

    @torch.no_grad()
    def rec_ref():
        for s in range(S):
            for s0 in range(0, G, chunk):
                x = grid[s0 : s0 + chunk]
                mr(x, torch.full((x.shape[0],), s, device=DEV))

    rx, rr = [], []
    for _ in range(max(1, a.reps - 1)):
        rx.append(timed(rec_xinr, 1))
        rr.append(timed(rec_ref, 1))
    px, pr = S * G / min(rx), S * G / min(rr)
    print(
        f"reconstruct {S} x 192 x 288: xinr {px:,.0f} pts/s ({flops_fwd / (S * P) * S * G / min(rx) / rate:.0%} of matmul rate), "
        f"reference {pr:,.0f} pts/s; ratio {px / pr:.2f}x"
    )
    results["reconstruct"] = {"xinr": px, "reference": pr, "ratio": px / pr}
    # the four baselines at the paper's configuration
    from xinr.plan import PAPER_MODEL

    b = batch(3, S, P)
    for name in ("resmlp", "siren", "ffn_p", "ffn_g"):
        mb = build_model(name, 2, S, **PAPER_MODEL[name]).to(DEV)
        ob = torch.optim.AdamW(mb.parameters(), lr=1e-4)
        t = torch.rand(S * P, device=DEV)

        def step():
            loss = torch.nn.functional.l1_loss(mb(b[0], b[1], b[2], t), b[3])
            ob.zero_grad(set_to_none=True)
            loss.backward()
            ob.step()

        step()
        ts = min(timed(step, a.steps) for _ in range(a.reps))
        mb.eval()
        with torch.no_grad():
            ti = min(timed(lambda: mb(b[0], b[1], b[2], t), a.steps) for _ in range(a.reps))
        print(f"{name:>7}: train {S * P / ts:,.0f} pts/s, inference {S * P / ti:,.0f} pts/s")
        results[name] = {"train": S * P / ts, "infer": S * P / ti}
    if DEV.type == "cuda":
        peak = {}
        for impl in ("xinr", "reference"):
            mod = build_model("mmgn", 2, S, **PAPER).to(DEV)
            mod = mod if impl == "xinr" else from_xinr(mod).to(DEV)
            opt = torch.optim.AdamW(mod.parameters(), lr=1e-4)
            b = batch(1, S, P)
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(DEV)
            (xinr_step if impl == "xinr" else ref_step)(mod, opt, *b)
            peak[impl] = torch.cuda.max_memory_allocated(DEV) / 2**20
            del mod, opt
        print(
            f"peak GPU memory of a training step (task 1): xinr {peak['xinr']:.0f} MiB, "
            f"reference {peak['reference']:.0f} MiB; ratio {peak['xinr'] / peak['reference']:.2f}"
        )
        results["peak_gpu_mib"] = peak
    else:
        rss = {impl: child_rss(impl, 1, S, P, 2) for impl in ("xinr", "reference")}
        print(
            f"peak RSS of a training step (child process, task 1): xinr {rss['xinr']:.0f} MiB, reference {rss['reference']:.0f} MiB; ratio {rss['xinr'] / rss['reference']:.2f}"
        )
        results["peak_rss_mib"] = rss
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
