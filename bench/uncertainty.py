"""Calibration of xinr's standard deviations, side by side with the kriging peer's own.

For each case (a field, a kept share, a task: 1 and 3 as the paper's, or ``clouds``; a seed) the
observations are drawn as in ``accuracy.py``; xinr's defaults are fitted under the budget and
reconstructed with ``uncertainty=True``; ordinary kriging per snapshot
(:class:`xinr.classical.Kriging`, hyperparameters by maximum likelihood) gives its mean and its
predictive standard deviation (the field's and the nugget's). Both are scored at the hidden
points: coverage of the central 68% and 95% Gaussian intervals, and the continuous ranked
probability score (CRPS, Gaussian closed form; lower is better, in the field's units). The row
``xinr_const`` is xinr's field with one standard deviation everywhere, the spread of its errors
at the held-out observations: what the kriging variance's shape adds.

    python bench/uncertainty.py bench/data/levitus_sst.nc --ratios 0.05 0.01 --tasks 1 --budget 60
    python bench/uncertainty.py sample --ratios 0.05 --tasks 1 3 --json OUT.jsonl
    python bench/uncertainty.py report bench/results/uncertainty.jsonl   # by kind of field
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import numpy as np
from scipy.special import erf

import xinr
from xinr.classical.kriging import Kriging

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from accuracy import KINDS, case_parser, hide, load_field, snapshot_matrix  # noqa: E402


def scores(y, mu, sd) -> dict:
    """Coverage of the 68% and 95% intervals and the mean Gaussian CRPS of ``mu`` +/- ``sd``
    against ``y`` (points where all three are finite and ``sd`` > 0)."""
    ok = np.isfinite(y) & np.isfinite(mu) & np.isfinite(sd) & (sd > 0)
    y, mu, sd = y[ok], mu[ok], sd[ok]
    z = (y - mu) / sd
    pdf = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    cdf = 0.5 * (1 + erf(z / np.sqrt(2)))
    crps = sd * (z * (2 * cdf - 1) + 2 * pdf - 1 / np.sqrt(np.pi))
    return {
        "points": int(ok.sum()),
        "cover68": float(np.mean(np.abs(z) <= 1.0)),
        "cover95": float(np.mean(np.abs(z) <= 1.959964)),
        "crps": float(np.mean(crps)),
        "rmse": float(np.sqrt(np.mean((y - mu) ** 2))),
    }


def kriging_peer(obs: np.ndarray, held: np.ndarray, lat, lon):
    """Ordinary kriging of each snapshot (rows of ``obs``) at its hidden points ``held``: mean
    and predictive standard deviation (field and nugget), NaN elsewhere."""
    mu, sd = np.full(obs.shape, np.nan), np.full(obs.shape, np.nan)
    for s in range(obs.shape[0]):
        seen, q = np.isfinite(obs[s]), np.flatnonzero(held[s])
        if q.size == 0 or seen.sum() < 3:
            continue
        kr = Kriging()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m, field_sd = kr.snapshot(lat[seen], lon[seen], obs[s, seen], lat[q], lon[q], std=True)
        sigma = float(np.std(obs[s, seen])) or 1.0
        nugget = float(kr.fitted_[-1].kernel.k2.noise_level) * sigma**2
        mu[s, q], sd[s, q] = m, np.sqrt(field_sd**2 + nugget)
    return mu, sd


def run_case(da, ratio, task, seed, budget, label) -> list[dict]:
    da, order, lat, lon, truth = snapshot_matrix(da)
    mask, held, obs = hide(da, truth, ratio, task, seed, lat, lon)
    S = truth.shape[0]
    base = {"field": label, "ratio": ratio, "task": task, "seed": seed, "budget": budget}
    kind = "map" if S == 1 else task
    t0 = time.perf_counter()
    fitted = xinr.INR(max_time=budget, seed=seed, progress=False).fit(obs)
    ds = fitted.reconstruct(uncertainty=True)
    t_fit = time.perf_counter() - t0
    name = str(fitted.name_)
    mu = ds[name].transpose(*order).values.reshape(S, -1)
    sd = ds[f"{name}_std"].transpose(*order).values.reshape(S, -1)
    unc = fitted.field_.uncertainty
    cal = unc.calibration
    const = np.full(sd.shape, unc.sigma * np.sqrt(cal.error_variance))
    y = truth[held]
    rows = []
    info = {"calibrated": cal.calibrated, "locations": cal.locations, "scale": cal.scale,
            "floor": cal.floor, "seconds": t_fit}  # fmt: skip
    rows.append({**base, "kind": kind, "method": "xinr", **scores(y, mu[held], sd[held]), **info})
    rows.append({**base, "kind": kind, "method": "xinr_const", **scores(y, mu[held], const[held])})
    t0 = time.perf_counter()
    obs_m = np.where(mask, truth, np.nan)
    k_mu, k_sd = kriging_peer(obs_m, held, lat, lon)
    k_row = scores(y, k_mu[held], k_sd[held])
    rows.append({**base, "kind": kind, "method": "kriging", **k_row,
                 "seconds": time.perf_counter() - t0})  # fmt: skip
    return rows


def print_rows(rows) -> None:
    for r in rows:
        print(
            f"{r['field']:>12} {r['ratio']:>5} {str(r['task']):>6} {r['method']:>10} "
            f"cover68 {r['cover68']:.3f} cover95 {r['cover95']:.3f} CRPS {r['crps']:.4g} "
            f"RMSE {r['rmse']:.4g}" + (f"  [{r['locations']} held out, "
            f"{'calibrated' if r['calibrated'] else 'NOT calibrated'}]" if "locations" in r else "")
        )  # fmt: skip


def report(paths: list[str]) -> None:
    """By kind of field: mean coverage (and its worst fit) and CRPS against kriging's."""
    rows = [json.loads(line) for p in paths for line in open(p) if line.strip()]
    print("| kind of field | fits | xinr 68% | xinr 95% | kriging 68% | kriging 95% "
          "| CRPS xinr / kriging | constant std, CRPS / kriging |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for kind, words in KINDS.items():
        sel = [r for r in rows if str(r["kind"]) == str(kind)]
        if not sel:
            continue
        by = {m: [r for r in sel if r["method"] == m] for m in ("xinr", "xinr_const", "kriging")}
        x, c, k = by["xinr"], by["xinr_const"], by["kriging"]

        def cover(rs, key, nominal):
            worst = max((r[key] for r in rs), key=lambda v: abs(v - nominal))
            return f"{np.mean([r[key] for r in rs]):.0%} (worst {worst:.0%})"

        ratio = np.mean([a["crps"] / b["crps"] for a, b in zip(x, k, strict=True)])
        ratio_c = np.mean([a["crps"] / b["crps"] for a, b in zip(c, k, strict=True)])
        print(
            f"| {words} | {len(x)} | {cover(x, 'cover68', 0.683)} | {cover(x, 'cover95', 0.95)} "
            f"| {cover(k, 'cover68', 0.683)} | {cover(k, 'cover95', 0.95)} "
            f"| {ratio:.2f} | {ratio_c:.2f} |"
        )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        report(argv[1:])
        return
    p = case_parser(__doc__, seeds=[0])
    p.add_argument("--budget", type=float, default=60.0, help="seconds of training (default 60)")
    p.add_argument("--snapshots", type=int, default=None, help="use only the first N snapshots")
    p.add_argument("--json", default=None, help="append result rows to this JSON-lines file")
    a = p.parse_args(argv)
    da = load_field(a.field, a.snapshots)
    label = (
        "coads_sst"
        if a.field == "sample"
        else os.path.splitext(os.path.basename(a.field.partition(":")[0]))[0]
    )
    for ratio in a.ratios:
        for task in a.tasks:
            for seed in a.seeds:
                rows = run_case(da, ratio, task, seed, a.budget, label)
                print_rows(rows)
                sys.stdout.flush()
                if a.json:
                    with open(a.json, "a") as f:
                        for r in rows:
                            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
