"""Held-out accuracy of xinr's defaults, each xinr model, and classical methods, on real fields.

Hides all but a share of the valid points of a field (the same positions in every snapshot, task 1;
different positions per snapshot, task 3; or ``clouds``: contiguous cloud-like holes that move,
the share being the clear one), gives each method the observed field and a wall-clock budget, and
prints held-out RMSE (field units) and min-max normalised MSE, its ratio to linear interpolation's
and to the best classical peer's, fit and predict time. Classical methods are those of
:mod:`xinr.classical` (nearest, linear, idw, kriging, spline, and along a time axis kriging_st and
dineof; the series methods are skipped on fields without one).
Where a fit computes its misfits at the observations (``residuals="idw"``, the default), the row
``METHOD_net`` (e.g. ``xinr_net``) is the same fit's network alone and ``METHOD_idw`` the same fit
with the misfits added whatever the held-out check decided, both without the combination stage,
and ``METHOD_nostack`` where a combination stage weighed in, the same fit without it (the
``METHOD`` row is what the fit returns; its JSON row holds the check).

    python bench/accuracy.py                      # the shipped sample (COADS SST)
    python bench/accuracy.py PATH.nc:VAR --ratios 0.05 0.01 --tasks 1 3 --budget 120
    python bench/accuracy.py --methods xinr linear --json results.jsonl
    python bench/accuracy.py sample --tasks 1 3 clouds --methods xinr peers --budget 120
    python bench/accuracy.py report bench/results/peers.jsonl   # xinr vs the best peer, by kind
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import xarray as xr

import xinr
from xinr.benchmark import cloud_mask, mse_minmax, rmse, sample_mask
from xinr.classical import CLASSICAL, SERIES, fill
from xinr.coords import find_layout, labels_to_float, spatial_points

XINR_MODELS = ("mmgn", "resmlp", "siren", "ffn_p", "ffn_g")


def load_field(spec: str, snapshots: int | None = None) -> xr.DataArray:
    if spec == "sample":
        da = xinr.datasets.load_sample()["sst"]
    else:
        path, _, var = spec.partition(":")
        ds = xr.open_dataset(path, decode_times=False)
        da = ds[var] if var else ds[list(ds.data_vars)[0]]
        da = da.squeeze(drop=True).load()
    lay = find_layout(da)
    if lay.snapshot_dims and snapshots:
        da = da.isel({lay.snapshot_dims[0]: slice(0, snapshots)})
    return da.astype("float64")


def snapshot_matrix(da: xr.DataArray):
    """The field one snapshot per row: ``(da, order, lat, lon, truth)`` with ``da`` transposed to
    ``order`` (snapshot dims, then spatial dims), the points' lat/lon and ``truth`` of shape
    (snapshots, points)."""
    lay = find_layout(da)
    order = lay.snapshot_dims + lay.dims
    da = da.transpose(*order)
    lat, lon = spatial_points(da, lay)
    n_snap = int(np.prod([da.sizes[d] for d in lay.snapshot_dims], dtype=int))
    return da, order, lat, lon, da.values.reshape(n_snap, -1)


def hide(da: xr.DataArray, truth: np.ndarray, ratio: float, task, seed: int, lat=None, lon=None):
    """The case's ``(mask, held, obs)``: the kept points, the hidden valid points (both shaped as
    ``truth``) and the observed field (``da`` with everything else NaN)."""
    valid = np.isfinite(truth)
    if task == "clouds":
        mask = cloud_mask(valid, lat, lon, ratio, seed)
    else:
        mask = sample_mask(valid, ratio, task, seed)
    return mask, valid & ~mask, da.where(mask.reshape(da.shape))


def parse_settings(pairs: list[str]) -> dict:
    """INR keywords from ``key=value`` strings (values read as JSON where they parse)."""
    kw = {}
    for kv in pairs:
        k, v = kv.split("=", 1)
        try:
            v = json.loads(v)
        except ValueError:
            pass
        kw[k] = v
    return kw


def series_times(da: xr.DataArray):
    """The snapshots' times as floats where they lie along one dimension (at least 3), else
    None: the series methods need them."""
    lay = find_layout(da)
    if len(lay.snapshot_dims) != 1 or da.sizes[lay.snapshot_dims[0]] < 3:
        return None
    d = lay.snapshot_dims[0]
    try:
        t = labels_to_float(np.asarray(da[d].values))
    except (KeyError, TypeError, ValueError):
        t = None
    return t if t is not None and np.isfinite(t).all() else np.arange(da.sizes[d], dtype=float)


def run_case(da, ratio, task, seed, methods, budget, xinr_kw, label=None):
    times = series_times(da)
    da, order, lat, lon, truth = snapshot_matrix(da)
    S = truth.shape[0]
    mask, held, obs = hide(da, truth, ratio, task, seed, lat, lon)
    methods = [m for m in methods if times is not None or m not in SERIES]
    rows = []

    def row(method, pred, t_fit, t_pred, members, trained=None):
        # trained: what an INR fit trained (model="auto" chooses); absent for classical methods
        return {
            "field": label or str(da.name),
            "ratio": ratio,
            "task": task,
            "seed": seed,
            "method": method,
            "rmse": rmse(pred, truth, held),
            "mse_minmax": mse_minmax(pred, truth, held),
            "fit_s": t_fit,
            "predict_s": t_pred,
            "members": members,
        } | ({"trained": trained} if trained else {})

    for m in methods:
        t0 = time.perf_counter()
        members, check, trained = None, None, None
        if m in CLASSICAL:
            pred = fill(m, lat, lon, np.where(mask, truth, np.nan), held, times=times, seed=seed)
            t_fit, t_pred = 0.0, time.perf_counter() - t0
        else:
            kw = dict(progress=False, seed=seed, max_time=budget or None)
            if m == "xinr":  # INR's defaults, its default model among them, and --set keywords
                kw.update(xinr_kw)
            else:
                kw["model"] = m
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = xinr.INR(**kw).fit(obs)
            t_fit = time.perf_counter() - t0
            t1 = time.perf_counter()
            pred = fitted.reconstruct().transpose(*order).values.reshape(S, -1)
            t_pred = time.perf_counter() - t1
            members, trained = fitted.ensemble_, fitted.network_["model"]
            combination = fitted.field_.combination
            fitted.field_.combination = None  # the rows below: the same fit, not combined
            uncombined = pred
            if combination is not None:
                uncombined = fitted.reconstruct().transpose(*order).values.reshape(S, -1)
                rows.append(row(m + "_nostack", uncombined, t_fit, t_pred, members, trained))
            added = getattr(fitted, "residuals_", None)
            declined = getattr(fitted, "declined_residuals_", None)
            if added is not None or declined is not None:
                # the same fit's network alone, and with its misfits at the observations added
                # whatever the held-out check said
                fitted.residuals_ = None if added is not None else declined
                other = fitted.reconstruct().transpose(*order).values.reshape(S, -1)
                fitted.residuals_ = added
                alone, corrected = (
                    (other, uncombined) if added is not None else (uncombined, other)
                )
                rows.append(row(m + "_net", alone, t_fit, t_pred, members, trained))
                rows.append(row(m + "_idw", corrected, t_fit, t_pred, members, trained))
            fitted.field_.combination = combination
            check = getattr(fitted, "misfit_check_", None)
        rows.append(row(m, pred, t_fit, t_pred, members, trained))
        if check is not None:
            rows[-1]["misfit_check"] = check
    return rows


def print_rows(rows):
    def key(r):
        return r["field"], r["ratio"], r["task"], r["seed"]

    lin = {key(r): r["mse_minmax"] for r in rows if r["method"] == "linear"}
    best = {}
    for r in rows:
        if r["method"] in CLASSICAL:
            best[key(r)] = min(best.get(key(r), np.inf), r["mse_minmax"])
    print(
        f"{'field':>10} {'ratio':>6} {'task':>6} {'seed':>4} {'method':>10} {'RMSE':>10} {'MSE(mm)':>10} {'vs lin':>7} {'vs best':>7} {'fit s':>7} {'pred s':>7} {'nets':>4}"
    )
    for r in rows:
        ref, top = lin.get(key(r)), best.get(key(r))
        rel = f"{r['mse_minmax'] / ref - 1:+.0%}" if ref else ""
        rel_best = f"{r['mse_minmax'] / top - 1:+.0%}" if top else ""
        print(
            f"{r['field'][:10]:>10} {r['ratio']:>6.3f} {r['task']!s:>6} {r['seed']:>4} {r['method']:>10} "
            f"{r['rmse']:>10.4g} {r['mse_minmax']:>10.3e} {rel:>7} {rel_best:>7} {r['fit_s']:>7.1f} {r['predict_s']:>7.2f} {r.get('members') or '':>4}"
        )


def _task(text: str):
    return "clouds" if text == "clouds" else int(text)


def case_parser(doc: str, seeds: list[int]) -> argparse.ArgumentParser:
    """Command line of a benchmark over the cases (field, kept shares, tasks, seeds)."""
    p = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("field", nargs="?", default="sample", help="'sample' or PATH.nc[:VAR]")
    p.add_argument("--ratios", type=float, nargs="+", default=[0.05, 0.01])
    p.add_argument(
        "--tasks", type=_task, nargs="+", default=[1, 3], help="1, 2, 3, 4 (the paper's) or clouds"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=seeds)
    return p


KINDS = {
    "map": "maps seen once",
    1: "fixed positions along time (task 1)",
    3: "different positions per snapshot (task 3)",
    "clouds": "moving cloud gaps",
}


def peer_report(paths: list[str]) -> list[dict]:
    """Per kind of field, xinr against the best classical peer of each case (field, share,
    task, seed) in the JSON-lines files ``paths``: the ratio of held-out MSE to the best peer's,
    minus 1, ``without`` the combination stage (a plain run's ``xinr`` row, or a combined run's
    ``xinr_nostack``), with it (``combine``: a run with ``--set combine=kriging``) and for the
    defaults (``default``: with it on maps and at fixed positions, without it elsewhere). Later
    rows of a case replace earlier ones."""
    cases: dict[tuple, dict] = {}
    for path in paths:
        for line in open(path):
            r = json.loads(line)
            c = cases.setdefault((r["field"], r["ratio"], str(r["task"]), r["seed"]), {})
            m = r["method"]
            if m in CLASSICAL:
                c[m] = r["rmse"]
            elif m == "xinr" and "combine" in r["set"]:
                c["combine"] = r["rmse"]
                c.setdefault("nostack", r["rmse"])  # replaced below where it weighed in
            elif m == "xinr_nostack":
                c["nostack"] = r["rmse"]
            elif m == "xinr" and not r["set"]:
                c["plain"] = r["rmse"]
    out = []
    for (field, ratio, task, seed), c in sorted(cases.items()):
        peers = {m: v for m, v in c.items() if m in CLASSICAL}
        if not peers or not ({"combine", "plain"} & set(c)):
            continue
        best = min(peers, key=peers.get)
        series = any(m in SERIES for m in peers)
        kind = KINDS["map" if task == "1" and not series else int(task) if task != "clouds" else task]
        without = c.get("nostack", c.get("plain"))
        ratio_of = lambda v: None if v is None else (v / peers[best]) ** 2 - 1  # noqa: E731
        # the defaults combine on maps and at fixed positions (xinr.plan.rule_combination)
        stage = not series or task == "1"
        default = c.get("combine") if stage else without
        out.append({"kind": kind, "field": field, "ratio": ratio, "task": task, "seed": seed,
                    "best": best, "best_rmse": peers[best], "without": ratio_of(without),
                    "combine": ratio_of(c.get("combine")), "default": ratio_of(default)})  # fmt: skip
    return out


def print_peer_report(rows: list[dict]) -> None:
    """Every case, then the summary by kind of field (mean, range, fits above the best peer)."""
    print(f"{'field':>12} {'share':>6} {'task':>6} {'seed':>4} {'best peer':>10} {'RMSE':>9} {'without':>8} {'combine':>8} {'default':>8}")
    fmt = lambda v: "" if v is None else f"{v:+.0%}"  # noqa: E731
    for r in rows:
        print(f"{r['field'][:12]:>12} {r['ratio']:>6.2f} {r['task']:>6} {r['seed']:>4} {r['best']:>10} "
              f"{r['best_rmse']:>9.4g} {fmt(r['without']):>8} {fmt(r['combine']):>8} {fmt(r['default']):>8}")  # fmt: skip
    print("\n| kind of field | fits | variant | mean vs best peer | range | fits more than 2% above |")
    print("|---|---|---|---|---|---|")
    for kind in KINDS.values():
        for variant in ("without", "combine", "default"):
            v = [r[variant] for r in rows if r["kind"] == kind and r[variant] is not None]
            if v:
                print(f"| {kind} | {len(v)} | {variant} | {np.mean(v):+.0%} | {min(v):+.0%} to "
                      f"{max(v):+.0%} | {sum(x > 0.02 for x in v)} |")  # fmt: skip


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:  # python bench/accuracy.py report FILE.jsonl ...
        print_peer_report(peer_report(argv[1:]))
        return
    p = case_parser(__doc__, seeds=[0])
    p.add_argument(
        "--methods", nargs="+", default=["xinr", *XINR_MODELS, "nearest", "linear", "idw"]
    )
    p.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds of training per method (0: no max_time, each INR's own default)",
    )
    p.add_argument("--snapshots", type=int, default=None, help="use only the first N snapshots")
    p.add_argument("--set", nargs="*", default=[], help="extra INR keywords for 'xinr', key=value")
    p.add_argument("--json", default=None, help="append result rows to this JSON-lines file")
    a = p.parse_args(argv)
    xinr_kw = parse_settings(a.set)
    da = load_field(a.field, a.snapshots)
    label = (
        "coads_sst"
        if a.field == "sample"
        else os.path.splitext(os.path.basename(a.field.partition(":")[0]))[0]
    )
    methods = list(dict.fromkeys(n for m in a.methods for n in (CLASSICAL if m == "peers" else [m])))
    if "linear" not in methods:
        methods.append("linear")
    rows = []
    for ratio in a.ratios:
        for task in a.tasks:
            for seed in a.seeds:
                new = run_case(da, ratio, task, seed, methods, a.budget, xinr_kw, label)
                rows += new
                print_rows(new)
                sys.stdout.flush()
                if a.json:
                    with open(a.json, "a") as f:
                        for r in new:
                            f.write(json.dumps({**r, "set": xinr_kw, "budget": a.budget}) + "\n")
    print("\nsummary")
    print_rows(rows)


if __name__ == "__main__":
    main()
