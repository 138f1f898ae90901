"""Pair two ``accuracy.py`` runs on the same masks (an arm and the defaults it is measured
against) and print, per case, the MSE of ``xinr`` and of the network alone (``xinr_net``)
relative to linear interpolation in each run, the change in points, and a summary (mean change,
cases better or worse by more than a point). No refit: it reads the JSON rows only.

    python bench/member_folds_pairs.py bench/results/member_folds_default_session31.jsonl \\
        bench/results/member_folds_session31.jsonl

A case is keyed by field, ratio, task, seed, ``--set`` and budget
(``misfit_margin_audit.fit_rows``); a case missing from either file, or without a ``linear``
row, is left out and counted. With ``--any-set`` the ``--set`` is left out of the key, so that
an arm run with ``--set`` (``accuracy.py --set validation=0.05``) pairs with the defaults' rows
on the same masks; each file must then hold one ``--set`` per case.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from misfit_margin_audit import fit_rows  # noqa: E402


def vs_linear(path: str, any_set: bool = False) -> dict[tuple, dict]:
    """Per case: MSE relative to linear (a fraction, -0.2 is 20% below) for ``xinr`` and, where
    recorded, ``xinr_net``, and the members ``xinr`` trained. With ``any_set`` the key leaves
    out the ``--set`` (field, ratio, task, seed, budget)."""
    out = {}
    for key, by in fit_rows(path, need=("xinr", "linear")).items():
        if any_set:
            key = key[:4] + key[5:]  # fit_rows: (field, ratio, task, seed, set, budget)
            if key in out:
                raise SystemExit(
                    f"{path}: more than one --set for the case {key}; pair without --any-set"
                )
        lin = by["linear"]["mse_minmax"]
        out[key] = {"members": by["xinr"].get("members")}
        for m in ("xinr", "xinr_net"):
            if m in by:
                out[key][m] = by[m]["mse_minmax"] / lin - 1
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("default", help="JSON lines of the defaults")
    p.add_argument("arm", help="JSON lines of the arm, same masks")
    p.add_argument(
        "--any-set", action="store_true", help="pair cases whatever their --set (one per case)"
    )
    a = p.parse_args(argv)
    base, arm = vs_linear(a.default, a.any_set), vs_linear(a.arm, a.any_set)
    both = [k for k in base if k in arm]
    print(
        f"{'case':34} {'default':>8} {'(net)':>7} {'arm':>8} {'(net)':>7} "
        f"{'change':>7} {'members':>8}"
    )
    changes, net_changes = [], []
    for k in both:
        b, m = base[k], arm[k]
        change = 100 * (m["xinr"] - b["xinr"])
        changes.append(change)
        if "xinr_net" in b and "xinr_net" in m:
            net_changes.append(100 * (m["xinr_net"] - b["xinr_net"]))
        case = f"{k[0]} {k[1]:.0%} t{k[2]} s{k[3]}"
        print(
            f"{case:34} {b['xinr']:>+8.1%} {b.get('xinr_net', np.nan):>+7.1%} "
            f"{m['xinr']:>+8.1%} {m.get('xinr_net', np.nan):>+7.1%} {change:>+7.1f} "
            f"{b['members']}->{m['members']}"
        )
    left = len(set(base) ^ set(arm))
    if not changes:
        print(f"no case in both files ({left} in one only)")
        return
    c = np.array(changes)
    net = f"{np.mean(net_changes):+.2f}" if net_changes else "not recorded"
    print(
        f"\n{len(c)} pairs ({left} in one file only): mean change {c.mean():+.2f} points "
        f"(network alone {net}); better by >1 point in {(c < -1).sum()}, "
        f"worse by >1 in {(c > 1).sum()}; arm at the -20% target in "
        f"{sum(arm[k]['xinr'] <= -0.2 for k in both)}, default in "
        f"{sum(base[k]['xinr'] <= -0.2 for k in both)}"
    )


if __name__ == "__main__":
    main()
