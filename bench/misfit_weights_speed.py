"""The misfits' interpolation as of another commit against the working tree's, side by side.

Loads ``xinr/residuals.py`` from REV with ``git show`` (session 27: REV d22b0f9, the float64
weights) and times ``ResidualField.interpolate`` of both on the same synthetic grid and random
misfits as ``misfit_speed.py``, best of 3, trees built beforehand, with the largest difference:

    python bench/misfit_weights_speed.py d22b0f9 --nlat 901 --nlon 1001 --snapshots 3
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from misfit_speed import field


def residuals_at(rev: str):
    """The module ``xinr/residuals.py`` as of ``rev``, with its relative imports made absolute."""
    root = Path(__file__).resolve().parents[1]
    text = subprocess.run(
        ["git", "show", f"{rev}:xinr/residuals.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.replace("from .", "from xinr.")
    path = Path(tempfile.mkdtemp()) / "residuals_then.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("residuals_then", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev")
    p.add_argument("--nlat", type=int, default=901)
    p.add_argument("--nlon", type=int, default=1001)
    p.add_argument("--snapshots", type=int, default=3)
    p.add_argument("--ratio", type=float, default=0.05)
    a = p.parse_args(argv)
    then = residuals_at(a.rev)
    S = a.snapshots
    for same in (False, True):
        lat, lon, now = field(a.nlat, a.nlon, S, a.ratio, same)
        snap = np.repeat(np.arange(S), np.diff(now.offsets))
        old = then.ResidualField(now.lat, now.lon, now.point, snap, now.residual, S)
        for rf in (old, now):
            for s in range(S):
                rf._tree(s)
        best, out = {}, {}
        for _ in range(3):
            for name, rf in (("then", old), ("now", now)):
                t = time.perf_counter()
                out[name] = rf.interpolate(lat, lon, list(range(S)))
                best[name] = min(best.get(name, np.inf), time.perf_counter() - t)
        diff = float(np.abs(out["now"] - out["then"]).max())
        print(
            f"{'same' if same else 'different'} points per snapshot, {a.nlat} x {a.nlon}, {S} "
            f"snapshots: {a.rev} {best['then']:.2f} s, now {best['now']:.2f} s "
            f"({best['then'] / best['now']:.2f}x); largest difference {diff:.1e} "
            "(misfits ~ N(0, 1))"
        )


if __name__ == "__main__":
    main()
