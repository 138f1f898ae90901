"""Does a fit keep to its ``max_time``? Wall time of ``da.inr.fit(max_time=B)`` on a synthetic
field with millions of observations (``scale.lazy_field``, loaded), where one epoch takes longer
than the budget.

    python bench/budget.py                       # 100 x 300 x 400, 40% observed (4.8M), 20 s
    python bench/budget.py --shape 50 300 400 --budget 10

Prints the budget, the wall time of ``fit`` and the training seconds and epochs it reports.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scale import lazy_field  # noqa: E402  (the same synthetic field, built with dask)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", type=int, nargs=3, default=[100, 300, 400])
    ap.add_argument("--share", type=float, default=0.4)
    ap.add_argument("--budget", type=float, default=20.0)
    a = ap.parse_args()
    da = lazy_field(tuple(a.shape), a.share).load()  # in memory: reading is not budgeted
    n = int(da.notnull().sum())
    t0 = time.perf_counter()
    fitted = da.inr.fit(max_time=a.budget, progress=False, seed=0)
    wall = time.perf_counter() - t0
    print(
        f"{n:,} observations, max_time {a.budget:g} s: fit took {wall:.1f} s "
        f"({fitted.fit_seconds_:.1f} s training, {len(fitted.history_)} epoch(s), "
        f"{fitted.ensemble_} network(s))"
    )
    check = getattr(fitted, "misfit_check_", None)
    added = "added" if fitted.residuals_ is not None else "not added"
    print(f"misfits {added}; held-out check: {check}")


if __name__ == "__main__":
    main()
