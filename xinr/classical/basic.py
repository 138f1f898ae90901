"""Nearest neighbour, linear (Delaunay) interpolation and inverse-distance weighting per
snapshot: the plain bars. numpy and scipy in, numpy out."""

from __future__ import annotations

import numpy as np

from ..geometry import unit_vectors, unwrap_longitudes

BASIC = ("nearest", "linear", "idw")


def interpolate_snapshot(method, lat_obs, lon_obs, val_obs, lat_q, lon_q, k=8, power=2.0):
    """Fill one snapshot at query points from its observations.

    ``"linear"`` is ``scipy.interpolate.griddata(method="linear")`` in (lon, lat) degrees with the
    nearest observation outside the convex hull (the plain per-snapshot bar); the longitudes of a
    regional field are first made continuous (:func:`unwrap_longitudes`), so that one across the
    date line or the prime meridian is one region, in any longitude convention. ``"nearest"`` and
    ``"idw"`` (``k`` neighbours, weights 1/d**power) work with great-circle chord distances on
    the unit sphere.
    """
    import scipy.interpolate
    import scipy.spatial

    if val_obs.size == 0:
        return np.full(lat_q.shape, np.nan)
    if method == "linear":
        both = unwrap_longitudes(np.concatenate([np.ravel(lon_obs), np.ravel(lon_q)]))
        pts = np.stack([both[: np.size(lon_obs)], lat_obs], -1)
        q = np.stack([both[np.size(lon_obs) :], lat_q], -1)
        try:
            out = scipy.interpolate.griddata(pts, val_obs, q, method="linear")
        except Exception:  # too few or collinear points
            out = np.full(lat_q.shape, np.nan)
        bad = ~np.isfinite(out)
        if bad.any():
            out[bad] = interpolate_snapshot(
                "nearest", lat_obs, lon_obs, val_obs, lat_q[bad], lon_q[bad]
            )
        return out
    tree = scipy.spatial.cKDTree(unit_vectors(lat_obs, lon_obs))
    if method == "nearest":
        _, i = tree.query(unit_vectors(lat_q, lon_q), k=1)
        return val_obs[i]
    if method == "idw":
        kk = min(k, val_obs.size)
        d, i = tree.query(unit_vectors(lat_q, lon_q), k=kk)
        if kk == 1:
            d, i = d[:, None], i[:, None]
        w = 1.0 / np.maximum(d, 1e-12) ** power
        exact = d[:, 0] < 1e-12
        out = (w * val_obs[i]).sum(1) / w.sum(1)
        out[exact] = val_obs[i[exact, 0]]
        return out
    raise ValueError(f"Unknown method {method!r}. Expected one of {list(BASIC)}.")
