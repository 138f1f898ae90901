"""Thin-plate-spline interpolation per snapshot (``scipy.interpolate.RBFInterpolator``) of the
points' unit vectors, in moving neighbourhoods beyond :data:`GLOBAL_MAX` observations. numpy
in, numpy out."""

from __future__ import annotations

import numpy as np

from ..geometry import unit_vectors
from .kriging import _spacing

GLOBAL_MAX = 2000
NEIGHBOURS = 64


class Spline:
    """Thin-plate spline of each snapshot, exact at its observations (no smoothing).

    Coordinates are unit vectors in units of the median neighbour spacing, so that regional and
    global fields are equally well conditioned.

    Examples
    --------
    >>> lat, lon = np.array([0.0, 0.0, 5.0, 5.0, 2.0]), np.array([0.0, 5.0, 0.0, 5.0, 2.0])
    >>> v = np.array([1.0, 2.0, 3.0, 4.0, 2.2])
    >>> np.round(Spline().snapshot(lat, lon, v, lat, lon), 6).tolist()
    [1.0, 2.0, 3.0, 4.0, 2.2]
    """

    name = "spline"

    def __init__(self, smoothing: float = 0.0):
        self.smoothing = smoothing

    def snapshot(self, lat_obs, lon_obs, val_obs, lat_q, lon_q):
        """One snapshot's values at the query points."""
        from scipy.interpolate import RBFInterpolator

        if val_obs.size < 4:
            return np.full(np.shape(lat_q), float(np.mean(val_obs)) if val_obs.size else np.nan)
        x = unit_vectors(lat_obs, lon_obs)
        unit = _spacing(x)
        neighbours = None if val_obs.size <= GLOBAL_MAX else NEIGHBOURS
        rbf = RBFInterpolator(
            x / unit, val_obs, kernel="thin_plate_spline", smoothing=self.smoothing,
            neighbors=neighbours,
        )  # fmt: skip
        return rbf(unit_vectors(lat_q, lon_q) / unit)
