"""Classical gap-filling methods, the bar an INR must beat: nearest neighbour, linear (Delaunay)
interpolation per snapshot, and inverse-distance weighting on the sphere. Needs scipy (a
dependency of xinr since the misfits of :mod:`xinr.residuals` need its k-d tree). numpy in,
numpy out."""

from __future__ import annotations

import numpy as np

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


def unit_vectors(lat, lon) -> np.ndarray:
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
