"""The lat/lon box's seam and poles on a global field, against the unit sphere.

Fits ``INR(encoding=E)`` for E in ("box", "sphere") on one observed global field (all but a share
of its valid points hidden, as in ``accuracy.py``), reconstructs it on a regular 1 degree grid, and
prints, per encoding:

- **seam**: the mean absolute difference between the two grid columns either side of the
  longitude where the box starts (its seam: just after the largest gap between the field's
  longitudes), divided by the median of the same difference between every other pair of
  neighbouring columns. Near 1: no seam; the box encodes the two columns as 0 and 1.
- **pole**: the standard deviation of the reconstruction along the grid's northernmost and
  southernmost latitude circles (89.5 N and S, a degree across), divided by that of the whole
  field. Near 0 on the sphere, where each pole is one point; the box stretches a pole into a line.
- the held-out MSE against linear interpolation, for reference.

    python bench/seam_pole.py bench/data/ps_seam.nc --ratio 0.05 --budget 60
    python bench/seam_pole.py bench/data/pop_temp.nc --ratio 0.05 --budget 60
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from accuracy import hide, load_field, snapshot_matrix  # noqa: E402

import xinr  # noqa: E402, F401  (the accessor)
from xinr.benchmark import rmse  # noqa: E402
from xinr.classical import fill, largest_gap  # noqa: E402


def seam_and_pole(field: np.ndarray, lon: np.ndarray, origin: float) -> tuple[float, float]:
    """``field`` (..., lat, lon) on a regular grid -> (seam ratio, pole ratio)."""
    col = np.abs(np.diff(np.concatenate([field, field[..., :1]], -1), axis=-1))  # pairs (i, i+1)
    after = int(np.argmin(np.mod(lon - origin, 360.0)))  # first column at or after the seam
    pair = (after - 1) % lon.size
    typical = np.nanmedian(np.nanmean(np.delete(col, pair, -1), axis=tuple(range(col.ndim - 1))))
    seam = float(np.nanmean(col[..., pair]) / typical)
    rows = [r for r in (0, -1) if np.isfinite(field[..., r, :]).all()]
    spread = [np.nanstd(field[..., r, :], axis=-1).mean() for r in rows]
    pole = float(np.mean(spread) / np.nanstd(field)) if rows else float("nan")
    return seam, pole


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("field")
    ap.add_argument("--ratio", type=float, default=0.05)
    ap.add_argument("--task", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=float, default=60.0)
    args = ap.parse_args(argv)

    da, _, lat, lon, truth = snapshot_matrix(load_field(args.field))
    mask, held, obs = hide(da, truth, args.ratio, args.task, args.seed)
    lin = rmse(fill("linear", lat, lon, np.where(mask, truth, np.nan), held), truth, held)
    origin = largest_gap(lon[np.isfinite(lon)])[0]
    glat, glon = np.arange(-89.5, 90.0, 1.0), np.arange(0.5, 360.0, 1.0)
    print(f"{args.field}: {int(mask.sum())} observations, box seam at {origin:.2f} E")
    print(f"{'encoding':>9} {'seam':>6} {'pole':>6} {'vs lin':>7}")
    for enc in ("box", "sphere"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fitted = obs.inr.fit(encoding=enc, max_time=args.budget, seed=args.seed, progress=False)
        pred = fitted.reconstruct().transpose(*da.dims).values.reshape(truth.shape)
        err = (rmse(pred, truth, held) / lin) ** 2 - 1
        grid = fitted.reconstruct({"lat": glat, "lon": glon})
        # the grid's latitude and longitude dims (named after the source's coordinates)
        ydim = next(d for d in grid.dims if grid.sizes[d] == glat.size)
        xdim = next(d for d in grid.dims if grid.sizes[d] == glon.size)
        lay = [d for d in grid.dims if d not in (ydim, xdim)] + [ydim, xdim]
        seam, pole = seam_and_pole(grid.transpose(*lay).values, glon, origin)
        print(f"{enc:>9} {seam:6.2f} {pole:6.3f} {100 * err:+6.1f}%")


if __name__ == "__main__":
    main()
