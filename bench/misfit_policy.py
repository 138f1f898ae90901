"""The held-out misfit check's decisions against fixed policies, from recorded fits: for every
case of ``accuracy.py`` result files that has the ``xinr_net`` (network alone), ``xinr_idw``
(misfits always added), ``xinr`` (the check's choice) and ``linear`` rows, the mean MSE relative
to linear interpolation of each policy, by the number of held-out locations the check had.
No refit. Session 30 (bench/README.md):

    cd bench/results && python ../misfit_policy.py *.jsonl
"""

from __future__ import annotations

import argparse
import json

import numpy as np

BUCKETS = ((0, 20), (20, 50), (50, 100), (100, 200), (200, None))
NEEDED = {"xinr_net", "xinr_idw", "xinr", "linear"}


def fits(paths: list[str]) -> list[dict]:
    """One entry per recorded fit (a case of one file): locations and the three policies."""
    out = []
    for path in paths:
        rows: dict[tuple, dict] = {}
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if not {"field", "ratio", "method"} <= set(r):
                    continue
                key = (r["field"], r["ratio"], r["task"], r["seed"], json.dumps(r.get("set", {})))
                rows.setdefault(key, {})[r["method"]] = r
        for by in rows.values():
            check = by.get("xinr", {}).get("misfit_check") or {}
            if not NEEDED <= set(by) or "locations" not in check:
                continue
            lin = by["linear"]["mse_minmax"]
            out.append(
                {"locations": check["locations"], "added": bool(check.get("added"))}
                | {m: 100 * (by[m]["mse_minmax"] / lin - 1) for m in NEEDED - {"linear"}}
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
        net, idw, chk = (np.array([f[m] for f in sel]) for m in ("xinr_net", "xinr_idw", "xinr"))
        label = f"{lo}-{hi - 1}" if hi else f"{lo}+"
        print(
            f"{label:>10} {len(sel):>5} {sum(f['added'] for f in sel):>5} {net.mean():>+8.1f} "
            f"{idw.mean():>+7.1f} {chk.mean():>+6.1f} {np.minimum(net, idw).mean():>+7.1f} "
            f"{int((idw < net).sum()):>13}"
        )


if __name__ == "__main__":
    main()
