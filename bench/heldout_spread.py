"""How far a held-out reading on a few locations can stray, from a saved fit.

    python bench/heldout_spread.py GRIDS.npz [LOCATIONS] [--draws 2000]

``GRIDS.npz`` is a fit saved by ``local_range_screen.py --save`` (the default fit and the network
alone on the whole grid, the truth and the masks). Prints, for the network alone, the default
and the benchmark's inverse-distance weighting of the observed values at the hidden points, the
MSE (min-max normalised) and the share of it held by the worst 1% of the points; then the
reading "IDW vs the default" (relative MSE, %) on ``LOCATIONS`` (default 37) hidden locations drawn
at random ``--draws`` times (each location's error averaged over the snapshots, as the held-out
check does), as quantiles, next to its value on every hidden point. A wide spread means that a
check on that many locations cannot rank the two on this field.
"""

from __future__ import annotations

import argparse

import numpy as np

from xinr.classical import fill


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("grids")
    p.add_argument("locations", type=int, nargs="?", default=37)
    p.add_argument("--draws", type=int, default=2000)
    a = p.parse_args()
    d = np.load(a.grids)
    truth, mask, held = d["truth"], d["mask"], d["held"]
    idw = fill("idw", d["lat"], d["lon"], np.where(mask, truth, np.nan), held)
    span = np.nanmax(truth) - np.nanmin(truth)
    sq = {
        k: ((p - truth) / span) ** 2
        for k, p in (("network", d["network"]), ("default", d["default"]), ("idw", idw))
    }
    for name, e in sq.items():
        e = e[held]
        top = np.sort(e)[::-1][: max(1, e.size // 100)].sum() / e.sum()
        print(f"{name:8s} MSE {e.mean():.3e}  worst 1% of points hold {100 * top:.0f}% of it")
    count = held.sum(0)
    locs = np.flatnonzero(count > 0)

    def per_location(e):
        return np.where(held, e, 0.0).sum(0)[locs] / count[locs]

    e_def, e_idw = per_location(sq["default"]), per_location(sq["idw"])
    rng = np.random.default_rng(0)
    n = min(a.locations, len(locs))
    reads = []
    for _ in range(a.draws):
        pick = rng.choice(len(locs), n, replace=False)
        reads.append(e_idw[pick].mean() / e_def[pick].mean() - 1)
    q = np.quantile(100 * np.array(reads), [0.05, 0.25, 0.5, 0.75, 0.95]).round(1)
    whole = round(100 * (e_idw.mean() / e_def.mean() - 1), 1)
    print(
        f"IDW vs default on {n} of {len(locs)} hidden locations, {a.draws} draws: "
        f"5/25/50/75/95% {q.tolist()}; on all of them {whole}%"
    )


if __name__ == "__main__":
    main()
