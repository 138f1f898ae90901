"""How long ``fit()`` takes at its defaults, with neither ``epochs`` nor ``max_time`` given, on a
field the size of the paper's CESM benchmark (daily 192 x 288, one year), 5% observed at random
places per day.

    python bench/default_fit_time.py [--snapshots 365] [--nlat 192] [--nlon 288] [--ratio 0.05]
    python bench/default_fit_time.py --snapshots 366 --nlat 901 --nlon 1001 --predict-snapshots 2

Without ``max_time``/``epochs`` the ``auto`` preset trains under its own budget
(:data:`xinr.presets.AUTO_MAX_TIME`; at most :data:`xinr.presets.AUTO_STEPS` optimiser steps up
to :data:`xinr.presets.AUTO_ENSEMBLE_MAX_OBS` observations, one network above), so this prints
what a user who calls ``da.inr.fit()`` waits for, then the time of ``reconstruct()`` on every
grid point (or on the first ``--predict-snapshots``). The field is ``scale.py``'s synthetic one
(smooth), loaded into memory; the figures are times, not errors. The second command is the size of
the paper's satellite SST benchmark (16.5 million observations).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scale import lazy_field  # noqa: E402  (the same synthetic field, built with dask)

import xinr  # noqa: E402, F401  (registers .inr)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshots", type=int, default=365)
    p.add_argument("--nlat", type=int, default=192)
    p.add_argument("--nlon", type=int, default=288)
    p.add_argument("--ratio", type=float, default=0.05)
    p.add_argument(
        "--predict-snapshots", type=int, default=None, help="reconstruct only the first N"
    )
    a = p.parse_args()
    da = lazy_field((a.snapshots, a.nlat, a.nlon), a.ratio).load()
    print(f"field {dict(da.sizes)}, {int(da.notnull().sum()):,} observations", flush=True)
    t0 = time.perf_counter()
    fitted = da.inr.fit(seed=0, progress=False)
    t1 = time.perf_counter()
    print(f"fit() at its defaults, no epochs/max_time given: {t1 - t0:.0f} s", flush=True)
    print(repr(fitted), flush=True)
    target = da if a.predict_snapshots is None else da.isel(time=slice(0, a.predict_snapshots))
    fitted.reconstruct(target)
    print(f"reconstruct() on {target.size:,} points: {time.perf_counter() - t1:.0f} s")


if __name__ == "__main__":
    main()
