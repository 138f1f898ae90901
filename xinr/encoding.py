"""Coordinate encodings: degrees (and snapshot times) -> network inputs.

Encodings are fitted on the coordinates a model is trained on and stored as plain numbers, so a
loaded model encodes new points exactly as the fitted one did. This module sees numpy arrays and
tensors only (no xarray).

``"box"``
    latitude and longitude min-max scaled to [0, 1] over the training extent (the paper's choice).
    Longitudes are first unwrapped from the start of the data's span, so 0 and 360 (or -180 and 180)
    give the same input and regional fields across the date line stay contiguous. A global field
    still has a seam at the span's edge with this encoding.
``"sphere"``
    the unit vector (x, y, z): continuous everywhere on the globe, no seam, no pole singularity.
``"sh"``
    real spherical harmonics up to degree ``L`` (``(L+1)**2`` features), as in Russwurm et al.
    (ICLR 2024): smooth on the sphere with a built-in frequency cut-off.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .geometry import largest_gap

ENCODINGS = ("box", "sphere", "sh")


def _unwrap_origin(lon_deg: np.ndarray) -> float:
    """Longitude where the data's span starts (just after the largest gap on the circle)."""
    return largest_gap(lon_deg)[0]


class Encoding:
    """A fitted coordinate encoding.

    Parameters
    ----------
    kind : {"box", "sphere", "sh"}
    lat, lon : array-like, optional
        Training coordinates in degrees; needed to fit ``"box"``.
    degree : int
        Largest spherical-harmonic degree for ``"sh"``.

    Examples
    --------
    >>> enc = Encoding("sphere")
    >>> enc(np.array([0.0, 0.0]), np.array([0.0, 360.0])).tolist()
    [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """

    def __init__(self, kind: str = "sphere", lat=None, lon=None, degree: int = 10, **params):
        if kind not in ENCODINGS:
            raise ValueError(
                f"Unknown encoding {kind!r}. Expected one of {list(ENCODINGS)} "
                "(or 'auto': 'sphere' for global fields, 'box' for regional ones)."
            )
        if kind == "sh" and (int(degree) != degree or degree < 1 or degree > 40):
            raise ValueError(
                f"Spherical-harmonic degree must be an integer in 1..40; got {degree!r}."
            )
        self.kind = kind
        self.degree = int(degree)
        self.params = dict(params)
        if kind == "box" and not params:
            if lat is None or lon is None:
                raise ValueError("The 'box' encoding needs the training lat/lon to fit its ranges.")
            lat = np.asarray(lat, dtype=np.float64)
            lon = np.asarray(lon, dtype=np.float64)
            origin = _unwrap_origin(lon)
            rel = np.mod(lon - origin, 360.0)
            self.params = {
                "lat_min": float(lat.min()),
                "lat_max": float(lat.max()),
                "lon_origin": origin,
                "lon_min": float(rel.min()),
                "lon_max": float(rel.max()),
            }

    @property
    def dim(self) -> int:
        """Number of input features produced."""
        return {"box": 2, "sphere": 3, "sh": (self.degree + 1) ** 2}[self.kind]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "degree": self.degree, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: dict) -> Encoding:
        return cls(d["kind"], degree=d.get("degree", 10), **d.get("params", {}))

    def __repr__(self) -> str:
        extra = f", degree={self.degree}" if self.kind == "sh" else ""
        return f"Encoding({self.kind!r}{extra})"

    def __call__(self, lat, lon) -> torch.Tensor:
        """Encode coordinates in degrees; returns a float32 tensor of shape (n, dim)."""
        lat = torch.from_numpy(np.array(lat, dtype=np.float64, copy=True))
        lon = torch.from_numpy(np.array(lon, dtype=np.float64, copy=True))
        if self.kind == "box":
            p = self.params
            rel = torch.remainder(lon - p["lon_origin"], 360.0)
            x = (lat - p["lat_min"]) / max(p["lat_max"] - p["lat_min"], 1e-12)
            y = (rel - p["lon_min"]) / max(p["lon_max"] - p["lon_min"], 1e-12)
            return torch.stack([x, y], -1).float()
        phi = torch.deg2rad(lat)
        lam = torch.deg2rad(torch.remainder(lon, 360.0))
        if self.kind == "sphere":
            return torch.stack(
                [torch.cos(phi) * torch.cos(lam), torch.cos(phi) * torch.sin(lam), torch.sin(phi)],
                -1,
            ).float()
        return real_spherical_harmonics(phi, lam, self.degree).float()


def real_spherical_harmonics(phi: torch.Tensor, lam: torch.Tensor, degree: int) -> torch.Tensor:
    """Orthonormal real spherical harmonics Y_l^m for l <= degree at latitude ``phi`` and longitude
    ``lam`` (radians). Returns shape (n, (degree + 1) ** 2), ordered by l then m = -l..l."""
    x = torch.sin(phi)  # cos(colatitude)
    s = torch.cos(phi).clamp_min(0.0)  # sin(colatitude)
    n = x.shape[0]
    # associated Legendre P_l^m(x) without Condon-Shortley phase, by the standard recursions
    P = {}
    P[(0, 0)] = torch.ones(n, dtype=x.dtype)
    for m in range(1, degree + 1):
        P[(m, m)] = (2 * m - 1) * s * P[(m - 1, m - 1)]
    for m in range(0, degree):
        P[(m + 1, m)] = (2 * m + 1) * x * P[(m, m)]
    for m in range(0, degree + 1):
        for l in range(m + 2, degree + 1):
            P[(l, m)] = ((2 * l - 1) * x * P[(l - 1, m)] - (l + m - 1) * P[(l - 2, m)]) / (l - m)
    out = []
    for l in range(degree + 1):
        for m in range(-l, l + 1):
            am = abs(m)
            norm = math.sqrt(
                (2 * l + 1)
                / (4 * math.pi)
                * math.exp(math.lgamma(l - am + 1) - math.lgamma(l + am + 1))
            )
            if m == 0:
                out.append(norm * P[(l, 0)])
            elif m > 0:
                out.append(math.sqrt(2) * norm * P[(l, am)] * torch.cos(am * lam))
            else:
                out.append(math.sqrt(2) * norm * P[(l, am)] * torch.sin(am * lam))
    return torch.stack(out, -1)


class TimeScaler:
    """Maps snapshot times (float, e.g. days) to [0, 1] over the training span."""

    def __init__(self, t_min: float, t_max: float):
        self.t_min = float(t_min)
        self.t_max = float(t_max)

    @classmethod
    def fit(cls, t: np.ndarray) -> TimeScaler:
        t = np.asarray(t, dtype=np.float64)
        return cls(t.min(), t.max()) if t.size else cls(0.0, 1.0)

    def __call__(self, t) -> np.ndarray:
        span = self.t_max - self.t_min
        t = np.asarray(t, dtype=np.float64)
        return (t - self.t_min) / span if span > 0 else np.zeros_like(t)

    def to_dict(self) -> dict:
        return {"t_min": self.t_min, "t_max": self.t_max}


def rank_neighbours(rank, t) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fractional ranks in time order -> ``(i0, i1, w)``: the snapshots either side (indices into
    ``t``) and the weight of the later one; ranks are held to ``[0, len(t) - 1]``.

    Examples
    --------
    >>> i0, i1, w = rank_neighbours([0.25, 2.0], np.array([0.0, 4.0, 2.0]))  # 0, 4, 2 days
    >>> i0.tolist(), i1.tolist(), w.tolist()
    ([0, 1], [2, 1], [0.25, 0.0])
    """
    t = np.asarray(t, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    rank = np.clip(np.asarray(rank, dtype=np.float64), 0, t.size - 1)
    lo = np.floor(rank).astype(np.int64)
    hi = np.minimum(lo + 1, t.size - 1)
    return order[lo], order[hi], rank - lo


def time_neighbours(t, query) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each time in ``query``, the snapshots either side among times ``t`` (any order) and
    the weight of the later one, ``(i0, i1, w)``, for linear interpolation in time; beyond either
    end, the nearest snapshot.

    Examples
    --------
    >>> i0, i1, w = time_neighbours(np.array([0.0, 4.0, 2.0]), [1.0, 9.0])
    >>> i0.tolist(), i1.tolist(), w.tolist()
    ([0, 1], [2, 1], [0.5, 0.0])
    """
    t = np.asarray(t, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    rank = np.interp(np.asarray(query, dtype=np.float64), t[order], np.arange(t.size))
    return rank_neighbours(rank, t)
