"""The held-out misfit check's decisions against fixed policies, from recorded fits: for every
case of ``accuracy.py`` result files that has the ``xinr_net`` (network alone), ``xinr_idw``
(misfits always added), ``xinr`` (the check's choice) and ``linear`` rows, the mean MSE relative
to linear interpolation of each policy, by the number of held-out locations the check had.
No refit. Session 30 (bench/README.md):

    cd bench/results && python ../misfit_policy.py *.jsonl
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from misfit_margin_audit import fit_rows  # noqa: E402

BUCKETS = ((0, 20), (20, 50), (50, 100), (100, 200), (200, None))
POLICIES = ("xinr_net", "xinr_idw", "xinr")  # network alone, misfits always added, the check


def fits(paths: list[str]) -> list[dict]:
    """One entry per recorded fit (a case of one file, :func:`misfit_margin_audit.fit_rows`):
    its held-out locations, whether the check kept the misfits, and each policy's MSE vs linear
    (%)."""
    out = []
    for path in paths:
        for by in fit_rows(path).values():
            check = by["xinr"].get("misfit_check") or {}
            if "locations" not in check:
                continue
            lin = by["linear"]["mse_minmax"]
            out.append(
                {"locations": check["locations"], "added": bool(check.get("added"))}
                | {m: 100 * (by[m]["mse_minmax"] / lin - 1) for m in POLICIES}
            )
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", nargs="+", help="JSON-lines files written by accuracy.py --json")
    found = fits(p.parse_args(argv).results)
    print(f"{len(found)} fits; mean MSE vs linear (%) of each policy")
    print(f"{'locations':>10} {'fits':>5} {'kept':>5} {'network':>8} {'always':>7} {'check':>6} "
          f"{'oracle':>7} {'misfits help':>13}")  # fmt: skip
    for lo, hi in BUCKETS:
        sel = [f for f in found if f["locations"] >= lo and (hi is None or f["locations"] < hi)]
        if not sel:
            continue
        net, idw, chk = (np.array([f[m] for f in sel]) for m in POLICIES)
        label = f"{lo}-{hi - 1}" if hi else f"{lo}+"
        print(
            f"{label:>10} {len(sel):>5} {sum(f['added'] for f in sel):>5} {net.mean():>+8.1f} "
            f"{idw.mean():>+7.1f} {chk.mean():>+6.1f} {np.minimum(net, idw).mean():>+7.1f} "
            f"{int((idw < net).sum()):>13}"
        )


if __name__ == "__main__":
    main()
