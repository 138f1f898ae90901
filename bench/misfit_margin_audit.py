"""Audit of the misfit check's margin on every recorded fit, no new fits.

    python bench/misfit_margin_audit.py [bench/results/*.jsonl]

Every ``accuracy.py`` run records, per xinr fit, the held-out check (``misfit_check``) and the same
fit scored with its network alone (``xinr_net``) and with its misfits added whatever the check
said (``xinr_idw``). This reads all such fits at the defaults (rows without ``--set``, with at
least ``MIN_CHECK_LOCATIONS`` held-out locations), splits them into fields with time and single
snapshots, and prints, for margins from -5% to +20%, how many fits a check with that margin would
decline and the change, in points of MSE vs linear summed over the fits, against the default
margin (negative: better). It also prints what the misfits did at the hidden points by the
check's reading, and (session 34) what a second condition would change: declining only where
the rise is also more than z standard errors of the change. The fits come from many sessions'
defaults, and several repeat a case.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
from collections import defaultdict

import numpy as np

from xinr.residuals import CHECK_MARGIN, MIN_CHECK_LOCATIONS

HERE = os.path.dirname(os.path.abspath(__file__))
# fields with a time axis; the January maps of ``unseen_single_*`` runs are single snapshots
WITH_TIME = {
    "sample",
    "coads_sst",
    "coads_slp",
    "coads_wspd",
    "coads_vwnd",
    "coads_airt",
    "fice",
    "navy_uwnd",
    "navy_uwnd_132",
    "ncl_tas",
    "ncl_hgt",
    "ncl_uas",
    "ps_seam",
    "sst_tropical_pacific",
    "ocean_temp",
}
MARGINS = (-5.0, -2.5, 0.0, 2.5, 5.0, 7.5, 10.0, 15.0, 20.0)


FIT_ROWS = ("xinr", "xinr_net", "xinr_idw", "linear")


def fit_rows(path: str, need: tuple[str, ...] = FIT_ROWS) -> dict[tuple, dict]:
    """The rows of one ``accuracy.py`` results file by case (field, ratio, task, seed, ``--set``,
    budget), each a dict by method, keeping only cases with all of ``need`` (by default
    :data:`FIT_ROWS`: a fit's check (``xinr``), its network alone, with its misfits always
    added, and linear interpolation on the same masks)."""
    groups: dict[tuple, dict] = defaultdict(dict)
    with open(path) as fh:
        for line in fh:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if not isinstance(r, dict) or "method" not in r or "mse_minmax" not in r:
                continue
            key = (r.get("field"), r.get("ratio"), r.get("task"), r.get("seed"))
            key += (json.dumps(r.get("set")), r.get("budget"))
            groups[key][r["method"]] = r
    return {k: m for k, m in groups.items() if all(x in m for x in need)}


def read_fits(paths: list[str]) -> list[dict]:
    """One record per default xinr fit that has its check, network-alone and all-misfits rows."""
    fits = []
    for path in paths:
        for key, m in fit_rows(path).items():
            check = m["xinr"].get("misfit_check")
            if m["xinr"].get("set") or not check or check["locations"] < MIN_CHECK_LOCATIONS:
                continue
            lin = m["linear"]["mse_minmax"]
            single = os.path.basename(path).startswith("unseen_single") or key[0] not in WITH_TIME
            fits.append(
                {
                    "time": not single,
                    "reading": 100 * (check["corrected"] / check["network"] - 1),
                    # the rise at the held-out locations in standard errors of the change
                    "z": (check["corrected"] - check["network"]) / check["se"]
                    if check.get("se", 0) > 0
                    else float("nan"),
                    # what adding the misfits did at the hidden points, in points vs linear
                    "gain": 100 * (m["xinr_idw"]["mse_minmax"] - m["xinr_net"]["mse_minmax"]) / lin,
                }
            )
    return fits


def by_kind(fits: list[dict], keys: tuple[str, ...], finite: str | None = None):
    """Per kind of field (with time, then single snapshots), its label and an array of each of
    ``keys`` over its fits; fits whose ``finite`` key is not finite are left out."""
    for with_time in (True, False):
        sub = [f for f in fits if f["time"] == with_time and (not finite or np.isfinite(f[finite]))]
        if sub:
            label = "fields with time" if with_time else "single snapshots"
            yield label, *(np.array([f[k] for f in sub]) for k in keys)


def report(fits: list[dict], default: float = 100 * CHECK_MARGIN) -> None:
    for label, x, g in by_kind(fits, ("reading", "gain")):
        base = -g[x > default].sum()  # what declining above the default margin changed
        print(f"\n{label}: {len(x)} fits")
        print("  margin  declined  change vs default margin (points, summed)  per fit")
        for m in MARGINS:
            change = -g[x > m].sum() - base
            print(f"  {m:+5.1f}%  {np.sum(x > m):8d}  {change:+42.1f}  {change / len(x):+7.2f}")
        print("  check reading  fits  mean effect of the misfits  fits they helped")
        for lo, hi in ((-np.inf, 0), (0, 5), (5, 10), (10, 20), (20, np.inf)):
            s = (x > lo) & (x <= hi)
            if s.any():
                print(
                    f"  ({lo:+4.0f}, {hi:+4.0f}]%  {s.sum():5d}  {g[s].mean():+26.2f}  {np.sum(g[s] < 0):16d}"
                )


Z_RULES = (0.0, 1.0, 1.5, 2.0, 3.0)


def report_se(fits: list[dict], default: float = 100 * CHECK_MARGIN) -> None:
    """The check with a second condition: decline only where the rise at the held-out locations
    is also more than z standard errors (session 34). Fits without a recorded standard error are
    left out."""
    for label, x, z, g in by_kind(fits, ("reading", "z", "gain"), finite="z"):
        base = -g[x > default].sum()
        print(f"\n{label}, with a standard error: {len(x)} fits")
        print(f"  margin {default:+.1f}% and a rise of more than z standard errors")
        print("      z  declined  change vs the margin alone (points, summed)  per fit")
        for k in Z_RULES:
            out = (x > default) & (z > k)
            change = -g[out].sum() - base
            print(f"  {k:5.1f}  {out.sum():8d}  {change:+43.1f}  {change / len(x):+7.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", default=None)
    a = p.parse_args()
    paths = a.paths or sorted(glob.glob(os.path.join(HERE, "results", "*.jsonl")))
    fits = read_fits(paths)
    print(f"{len(fits)} fits with the check's reading from {len(paths)} files")
    report(fits)
    report_se(fits)


if __name__ == "__main__":
    main()
