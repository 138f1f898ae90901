"""How well does a fit's own held-out reading (``INR.held_out_score_``) tell its error against
linear interpolation at the hidden points? Reads the JSON rows of ``accuracy.py`` runs that had
``xinr`` and ``linear`` among their methods and prints, per case, the MSE of xinr relative to
linear interpolation at the hidden points and at the fit's held-out locations (from the
``misfit_check`` that the ``xinr`` row holds), with the reading's standard error where the run
recorded it, then a summary by regime (a shared held-out set of at least
``xinr.residuals.SCORE_MIN_LOCATIONS`` locations, whose reading ``held_out_score_`` reports; a
smaller shared set; member folds).

    python bench/accuracy.py bench/data/rhum_500.nc --ratios 0.05 --tasks 1 \\
        --methods xinr linear --json results.jsonl
    python bench/held_out_score.py results.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from xinr.residuals import SCORE_MIN_LOCATIONS, held_out_score


def cases(paths: list[str]) -> list[dict]:
    """One entry per case with both rows: hidden and held-out readings, locations, regime."""
    rows: dict[tuple, dict] = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                key = (r["field"], r["ratio"], r["task"], r["seed"])
                rows.setdefault(key, {})[r["method"]] = r
    out = []
    for key, by in rows.items():
        check = by.get("xinr", {}).get("misfit_check")
        if check is None or "linear" not in by or "linear" not in check:
            continue
        # the fit's own reading, also where member folds or too few locations make
        # INR.held_out_score_ None
        score = held_out_score({**check, "member_folds": False}, min_locations=0)
        out.append(
            {
                "case": key,
                "hidden": by["xinr"]["mse_minmax"] / by["linear"]["mse_minmax"] - 1,
                "held_out": score["mse_vs_linear"],
                "se": score["se"] if np.isfinite(score["se"]) else None,
                "locations": check["locations"],
                "member_folds": check.get("member_folds"),  # (None: not recorded)
            }
        )
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("results", nargs="+", help="JSON-lines files written by accuracy.py --json")
    a = p.parse_args(argv)
    found = cases(a.results)
    print(f"{'case':38} {'hidden':>7} {'held-out':>9} {'se':>5} {'locs':>5} {'folds':>6}")
    for c in found:
        se = f"{c['se']:.0%}" if c["se"] is not None else ""
        print(
            f"{str(c['case']):38} {c['hidden']:>+7.0%} {c['held_out']:>+9.0%} {se:>5} "
            f"{c['locations']:>5} {str(c['member_folds']):>6}"
        )
    few = SCORE_MIN_LOCATIONS
    regimes = (
        (f"shared held-out set, {few} locations or more (reported)",
         lambda c: c["member_folds"] is False and c["locations"] >= few),
        (f"shared held-out set, fewer than {few} (not reported)",
         lambda c: c["member_folds"] is False and c["locations"] < few),
        ("member folds (not reported)", lambda c: c["member_folds"] is True),
    )  # fmt: skip
    for label, belongs in regimes:
        sel = [c for c in found if belongs(c)]
        if not sel:
            continue
        d = np.array([c["held_out"] - c["hidden"] for c in sel])
        msg = (
            f"{label}: {len(sel)} fits, held-out minus hidden {100 * d.min():+.0f} to "
            f"{100 * d.max():+.0f} points (mean {100 * d.mean():+.0f}, mean absolute "
            f"{100 * np.abs(d).mean():.0f})"
        )
        with_se = [c for c in sel if c["se"] is not None and np.isfinite(c["se"])]
        if with_se:
            inside = sum(abs(c["held_out"] - c["hidden"]) <= 2 * c["se"] for c in with_se)
            msg += f"; within 2 standard errors in {inside} of {len(with_se)}"
        print(msg)


if __name__ == "__main__":
    main()
