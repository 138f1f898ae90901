"""Classical gap-filling methods, the peers an INR must beat, numpy in and numpy out:

- ``nearest``, ``linear`` (Delaunay, ``scipy.interpolate.griddata``) and ``idw``
  (inverse-distance weighting on the sphere), per snapshot (:mod:`.basic`);
- ``kriging``: Gaussian-process regression per snapshot with fitted hyperparameters, and
  ``kriging_st``: the same in space and time along a time axis (:mod:`.kriging`);
- ``spline``: thin-plate-spline interpolation per snapshot (:mod:`.spline`);
- ``dineof``: iterated truncated EOFs for snapshots along a time axis (:mod:`.dineof`).

:func:`fill` runs any of them on a (snapshots, points) array.
"""

from __future__ import annotations

import numpy as np

from .basic import BASIC, interpolate_snapshot
from .dineof import Dineof
from .kriging import Kriging, SpaceTimeKriging
from .spline import Spline

#: methods of one snapshot at a time, and methods of a series (they need snapshots along time)
PER_SNAPSHOT = (*BASIC, "kriging", "spline")
SERIES = ("kriging_st", "dineof")
CLASSICAL = PER_SNAPSHOT + SERIES


def fill(method, lat, lon, values, query_mask=None, times=None, seed: int = 0) -> np.ndarray:
    """Fill every snapshot of ``values`` (S, P) at the points where ``query_mask`` (default: the
    NaN points) is True; lat/lon are (P,) degrees, ``times`` (S,) floats for the series methods
    (default: 0, 1, ...).

    Examples
    --------
    >>> lat, lon = np.zeros(4), np.array([0.0, 1.2, 2.0, 3.0])
    >>> fill("nearest", lat, lon, np.array([[0.0, np.nan, 2.0, 3.0]])).tolist()
    [[0.0, 2.0, 2.0, 3.0]]
    """
    values = np.asarray(values, dtype=np.float64)
    query = ~np.isfinite(values) if query_mask is None else np.asarray(query_mask, dtype=bool)
    if method in SERIES:
        t = np.arange(values.shape[0], dtype=float) if times is None else np.asarray(times, float)
        peer = SpaceTimeKriging(seed=seed) if method == "kriging_st" else Dineof(seed=seed)
        return peer.fill(lat, lon, values, query, t)
    if method not in PER_SNAPSHOT:
        raise ValueError(f"Unknown classical method {method!r}. Expected one of {list(CLASSICAL)}.")
    peer = {"kriging": Kriging(seed=seed), "spline": Spline()}.get(method)
    out = values.copy()
    for s in range(values.shape[0]):
        v = values[s]
        obs = np.isfinite(v)
        q = query[s]
        if not q.any():
            continue
        args = (lat[obs], lon[obs], v[obs], lat[q], lon[q])
        out[s, q] = interpolate_snapshot(method, *args) if peer is None else peer.snapshot(*args)
    return out


__all__ = [
    "CLASSICAL", "PER_SNAPSHOT", "SERIES", "Dineof", "Kriging", "SpaceTimeKriging", "Spline",
    "fill", "interpolate_snapshot",
]  # fmt: skip
