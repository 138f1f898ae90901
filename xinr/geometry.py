"""Geometry on the sphere shared by the interpolators and the encodings: unit vectors (chord
distances), and longitudes of regional fields across the convention's seam. numpy in, numpy
out."""

from __future__ import annotations

import numpy as np


def unit_vectors(lat, lon) -> np.ndarray:
    """Points on the unit sphere, shape (..., 3), from degrees: Euclidean distances between them
    are chord distances, monotone in great-circle distance.

    Examples
    --------
    >>> np.round(unit_vectors(np.array([0.0, 90.0]), np.array([90.0, 0.0])), 12).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    phi, lam = np.deg2rad(lat), np.deg2rad(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], -1)


# a gap in longitude at least this wide (degrees) makes a field regional for the linear bar
REGION_GAP = 10.0


def largest_gap(lon_deg) -> tuple[float, float]:
    """The largest gap between neighbouring longitudes on the circle: ``(origin, width)``, the
    longitude just after it (where the data's span starts, in [0, 360)) and its width in degrees.

    Examples
    --------
    >>> largest_gap(np.array([140.0, 200.0, 280.0]))  # a region 140 E - 80 W
    (140.0, 220.0)
    """
    u = np.unique(np.mod(np.asarray(lon_deg, dtype=np.float64), 360.0))
    gaps = np.diff(np.concatenate([u, [u[0] + 360.0]]))
    k = int(np.argmax(gaps))
    return float(u[(k + 1) % u.size]), float(gaps[k])


def unwrap_longitudes(lon_deg) -> np.ndarray:
    """Longitudes of a regional field made continuous across its span: where the largest gap
    between neighbouring longitudes on the circle is at least :data:`REGION_GAP` degrees and the
    values as given jump across the region (it straddles the convention's seam: the date line in
    -180..180, the prime meridian in 0..360), they are shifted by multiples of 360 to run from
    just after that gap. Unchanged otherwise (a global field keeps its own seam).

    Examples
    --------
    >>> unwrap_longitudes(np.array([170.0, 175.0, -180.0, -175.0])).tolist()  # across 180
    [170.0, 175.0, 180.0, 185.0]
    >>> unwrap_longitudes(np.array([350.0, 355.0, 0.0, 5.0])).tolist()  # across 0 (in 0..360)
    [350.0, 355.0, 360.0, 365.0]
    """
    lon = np.asarray(lon_deg, dtype=np.float64)
    if lon.size < 2:
        return lon
    origin, gap = largest_gap(lon)
    if gap < REGION_GAP or np.ptp(lon) <= 360.0 - gap + 1e-9:
        return lon  # the whole circle, or one piece as given
    return origin + np.mod(lon - origin, 360.0)
