"""The README's "At a glance" table from one command: xinr's defaults against linear
interpolation over a fixed suite of real fields of every kind, grouped by kind of field.

    python bench/glance.py run bench/results/glance.jsonl      # 76 fits, ~2.5 h on 2 cores
    python bench/glance.py report bench/results/glance.jsonl   # the table, from the rows only

``run`` fits each case of :data:`SUITE` with ``bench/accuracy.py``'s protocol (``INR()`` at its
defaults with a wall-clock budget, then linear interpolation, inverse-distance weighting and
nearest neighbour on the same masks) and appends the rows to the file. A case already in the
file is skipped, so an interrupted run resumes where it stopped; ``--fields``, ``--seeds`` and
``--budget`` narrow or widen it. Fields are made by ``bench/data/prepare.py``
(``bench/data/README.md``); the sample ships with xinr.

``report`` groups the recorded fits by kind of field (fields with snapshots under different and
under the same positions per snapshot, smooth and sharp maps seen once) and prints, per kind, the
fits at the -20% target, the mean and range of the MSE relative to linear interpolation, the fits
worse than linear and those behind inverse-distance weighting, then every case.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = -0.20  # held-out MSE at least 20% below linear interpolation

#: field -> kind: "snapshots" (time or levels), "smooth map" or "sharp map" (one snapshot).
#: Global and regional, rectilinear, curvilinear and unstructured, with and without land gaps.
SUITE: dict[str, str] = {
    "coads_sst": "snapshots",  # the shipped sample: global SST, 12 months, land gaps
    "navy_uwnd": "snapshots",  # global zonal wind, 24 months
    "fice": "snapshots",  # global sea ice, 24 months, sharp ice edge
    "ps_seam": "snapshots",  # global surface pressure, unstructured, 12 months
    "sst_tropical_pacific": "snapshots",  # regional SST, 12 months
    "levitus_sst": "smooth map",  # global SST, land gaps
    "tos_bipolar": "smooth map",  # global SST on a bipolar curvilinear grid
    "sst_anomaly_pmip": "smooth map",  # global SST anomaly, land gaps
    "etopo_alps": "sharp map",  # regional topography
    "hsurf_rotated": "sharp map",  # regional topography, rotated pole
    "orog_eur": "sharp map",  # European orography, rotated pole
    "tas_eur11": "sharp map",  # European air temperature, 0.11 degree
    "rhum_500": "sharp map",  # global relative humidity at 500 hPa
    "icon_cloud": "sharp map",  # cloud cover, noisy
}

#: the report's rows: (label, kind, tasks)
GROUPS = (
    ("with snapshots, different positions per snapshot (task 3)", "snapshots", (3,)),
    ("with snapshots, the same positions in every snapshot (task 1)", "snapshots", (1,)),
    ("smooth map seen once", "smooth map", (1,)),
    ("sharp map seen once", "sharp map", (1,)),
)

METHODS = ["xinr", "linear", "idw", "nearest"]


def cases(fields, ratios, seeds):
    """The suite's cases ``(field, ratio, task, seed)``: tasks 1 and 3 on fields with snapshots,
    task 1 on maps seen once (a single snapshot has no second one to place points differently)."""
    for field in fields:
        tasks = (1, 3) if SUITE[field] == "snapshots" else (1,)
        for ratio in ratios:
            for task in tasks:
                for seed in seeds:
                    yield field, ratio, task, seed


def recorded(path: str) -> dict[tuple, dict]:
    """The rows of a results file by case ``(field, ratio, task, seed, budget)``, each a dict by
    method; rows with ``--set`` keywords (not the defaults) are left out, and a file not yet
    written has none."""
    groups: dict[tuple, dict] = defaultdict(dict)
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        for line in fh:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if not isinstance(r, dict) or "method" not in r or "mse_minmax" not in r:
                continue
            if r.get("set") not in ({}, None):
                continue
            key = (r.get("field"), r.get("ratio"), r.get("task"), r.get("seed"), r.get("budget"))
            groups[key][r["method"]] = r
    return dict(groups)


def run(path: str, fields, ratios, seeds, budget: float) -> None:
    from accuracy import load_field, print_rows, run_case

    done = recorded(path)
    todo = [c for c in cases(fields, ratios, seeds) if "xinr" not in done.get((*c, budget), {})]
    print(f"{len(todo)} fits to run ({budget:.0f} s each), results to {path}")
    loaded: dict[str, object] = {}
    for field, ratio, task, seed in todo:
        if field not in loaded:
            spec = "sample" if field == "coads_sst" else os.path.join(HERE, "data", field + ".nc")
            loaded = {field: load_field(spec)}  # one field in memory at a time
        rows = run_case(loaded[field], ratio, task, seed, METHODS, budget, {}, field)
        print_rows(rows)
        sys.stdout.flush()
        with open(path, "a") as f:
            for r in rows:
                f.write(json.dumps({**r, "kind": SUITE[field], "set": {}, "budget": budget}) + "\n")


def fits(path: str) -> list[dict]:
    """One record per case with ``xinr`` and ``linear`` rows: the kind of field and the MSE of
    ``xinr``, its network alone, inverse-distance weighting and nearest relative to linear (a
    fraction; -0.2 is 20% below)."""
    out = []
    for (field, ratio, task, seed, budget), by in recorded(path).items():
        if "xinr" not in by or "linear" not in by:
            continue
        kind = by["xinr"].get("kind") or SUITE.get(field)
        if kind is None:
            continue
        lin = by["linear"]["mse_minmax"]
        rel = {
            m: by[m]["mse_minmax"] / lin - 1
            for m in ("xinr", "xinr_net", "idw", "nearest")
            if m in by
        }
        out.append(
            dict(
                field=field,
                ratio=ratio,
                task=task,
                seed=seed,
                budget=budget,
                kind=kind,
                trained=by["xinr"].get("trained"),
                **rel,
            )
        )
    return sorted(out, key=lambda f: (f["kind"], f["field"], -f["ratio"], f["task"], f["seed"]))


def summary(records: list[dict]) -> list[dict]:
    """Per row of :data:`GROUPS` with fits: fields, fits, at the target, mean and range of
    ``xinr`` vs linear, worse than linear, behind inverse-distance weighting."""
    table = []
    for label, kind, tasks in GROUPS:
        g = [f for f in records if f["kind"] == kind and f["task"] in tasks]
        if not g:
            continue
        x = np.array([f["xinr"] for f in g])
        table.append(
            dict(
                label=label,
                fields=len({f["field"] for f in g}),
                fits=len(g),
                target=int((x <= TARGET).sum()),
                mean=float(x.mean()),
                best=float(x.min()),
                worst=float(x.max()),
                worse=int((x > 0).sum()),
                behind_idw=sum(1 for f in g if "idw" in f and f["idw"] < f["xinr"]),
            )
        )
    return table


def pct(v: float) -> str:
    return f"{100 * v:+.0f}%"


def report(path: str) -> None:
    records = fits(path)
    if not records:
        raise SystemExit(f"no fit with 'xinr' and 'linear' rows in {path}; run it first")
    budgets = sorted({f["budget"] for f in records})
    seeds = sorted({f["seed"] for f in records})
    print(
        f"{path}: {len(records)} fits, budget {budgets} s, seeds {seeds}; MSE relative to "
        f"linear interpolation, negative is better, target {pct(TARGET)} or lower\n"
    )
    print(
        "| kind of field | fields | fits | at the target | mean | range | worse than linear "
        "| behind IDW |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in summary(records):
        print(
            f"| {r['label']} | {r['fields']} | {r['fits']} | {r['target']} | {pct(r['mean'])} "
            f"| {pct(r['worst'])} to {pct(r['best'])} | {r['worse']} | {r['behind_idw']} |"
        )
    print(
        f"\n{'field':>22} {'ratio':>5} {'task':>4} {'seed':>4} {'xinr':>6} {'(net)':>6} "
        f"{'idw':>6} {'nearest':>7}  trained"
    )
    for f in records:
        cells = [pct(f[m]) if m in f else "" for m in ("xinr", "xinr_net", "idw", "nearest")]
        flag = "" if f["xinr"] <= TARGET else "  <- target not met"
        print(
            f"{f['field']:>22} {f['ratio']:>5.0%} {f['task']:>4} {f['seed']:>4} {cells[0]:>6} "
            f"{cells[1]:>6} {cells[2]:>6} {cells[3]:>7}  {f['trained'] or ''}{flag}"
        )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="fit the suite's cases, appending rows to FILE")
    r.add_argument("file")
    r.add_argument("--fields", nargs="+", default=list(SUITE), choices=list(SUITE))
    r.add_argument("--ratios", type=float, nargs="+", default=[0.05, 0.01])
    r.add_argument("--seeds", type=int, nargs="+", default=[0])
    r.add_argument("--budget", type=float, default=120.0, help="seconds of training per fit")
    s = sub.add_parser("report", help="print the table from FILE's rows")
    s.add_argument("file")
    a = p.parse_args(argv)
    if a.cmd == "run":
        run(a.file, a.fields, a.ratios, a.seeds, a.budget)
    else:
        report(a.file)


if __name__ == "__main__":
    main()
