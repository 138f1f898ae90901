"""Classical gap-filling methods, the bar an INR must beat: nearest neighbour, linear (Delaunay)
interpolation per snapshot, and inverse-distance weighting on the sphere. Needs scipy (a
dependency of xinr since the misfits of :mod:`xinr.residuals` need its k-d tree). numpy in,
numpy out."""

from __future__ import annotations

import numpy as np

from .geometry import unit_vectors, unwrap_longitudes

CLASSICAL = ("nearest", "linear", "idw")


def _scipy():
    try:
        import scipy.interpolate  # noqa: F401
        import scipy.spatial  # noqa: F401
    except ImportError:  # pragma: no cover
        raise ImportError(
            "The classical baselines need scipy (a dependency of xinr): pip install scipy."
        ) from None
    import scipy

    return scipy


def _has_scipy() -> bool:
    try:
        import scipy.spatial  # noqa: F401
    except ImportError:
        return False
    return True


def _nearest_brute(lat_obs, lon_obs, val_obs, lat_q, lon_q, chunk=4096):
    """Nearest neighbour on the sphere without scipy (brute force in chunks)."""
    o = unit_vectors(lat_obs, lon_obs)
    q = unit_vectors(lat_q, lon_q)
    out = np.empty(len(q))
    for s in range(0, len(q), chunk):
        out[s : s + chunk] = val_obs[np.argmax(q[s : s + chunk] @ o.T, axis=1)]
    return out


def interpolate_snapshot(method, lat_obs, lon_obs, val_obs, lat_q, lon_q, k=8, power=2.0):
    """Fill one snapshot at query points from its observations.

    ``"linear"`` is ``scipy.interpolate.griddata(method="linear")`` in (lon, lat) degrees with the
    nearest observation outside the convex hull (the plain per-snapshot bar); the longitudes of a
    regional field are first made continuous (:func:`unwrap_longitudes`), so that one across the
    date line or the prime meridian is one region, in any longitude convention. ``"nearest"`` and
    ``"idw"`` (``k`` neighbours, weights 1/d**power) work with great-circle chord distances on
    the unit sphere.
    """
    if val_obs.size == 0:
        return np.full(lat_q.shape, np.nan)
    if method == "nearest" and not _has_scipy():
        return _nearest_brute(lat_obs, lon_obs, val_obs, lat_q, lon_q)
    sp = _scipy()
    if method == "linear":
        both = unwrap_longitudes(np.concatenate([np.ravel(lon_obs), np.ravel(lon_q)]))
        pts = np.stack([both[: np.size(lon_obs)], lat_obs], -1)
        q = np.stack([both[np.size(lon_obs) :], lat_q], -1)
        try:
            out = sp.interpolate.griddata(pts, val_obs, q, method="linear")
        except Exception:  # too few or collinear points
            out = np.full(lat_q.shape, np.nan)
        bad = ~np.isfinite(out)
        if bad.any():
            out[bad] = interpolate_snapshot(
                "nearest", lat_obs, lon_obs, val_obs, lat_q[bad], lon_q[bad]
            )
        return out
    tree = sp.spatial.cKDTree(unit_vectors(lat_obs, lon_obs))
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
    raise ValueError(f"Unknown classical method {method!r}. Expected one of {list(CLASSICAL)}.")


def fill(method, lat, lon, values, query_mask=None) -> np.ndarray:
    """Fill every snapshot of ``values`` (S, P) at the points where ``query_mask`` (default: the
    NaN points) is True, from that snapshot's finite values; lat/lon are (P,) degrees."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    for s in range(values.shape[0]):
        v = values[s]
        obs = np.isfinite(v)
        q = ~obs if query_mask is None else query_mask[s]
        if q.any():
            out[s, q] = interpolate_snapshot(method, lat[obs], lon[obs], v[obs], lat[q], lon[q])
    return out
