"""Field statistics: the measured facts of an observed field that the plan's rules read, computed
once per fit. numpy and torch in, plain numbers out."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .geometry import unit_vectors


@dataclass(frozen=True)
class FieldStats:
    """What a fit knows of its field before it trains.

    Attributes
    ----------
    n_obs : int
        Observations (finite values) in all snapshots.
    n_distinct : int
        Distinct observed places.
    n_snapshots : int
        Snapshots (the product of the non-spatial dimensions' sizes).
    n_empty : int
        Snapshots without any observation.
    times_known : bool
        Whether every snapshot has a finite time (no NaT).
    one_time_axis : bool
        Whether the snapshots lie along one dimension (others of length 1).
    global_field : bool
        Whether the observed places wrap around the globe in longitude.
    spacing : float
        Median distance from an observed place to its nearest neighbour, in encoded coordinates.
    roughness : float
        :func:`neighbour_roughness` of the observations (NaN where it cannot be read).
    value_range : tuple of float
        Smallest and largest observed value.

    Examples
    --------
    >>> s = FieldStats(n_obs=1200, n_distinct=100, n_snapshots=12, spacing=0.05)
    >>> s.per_snapshot, s.single
    (100.0, False)
    """

    n_obs: int
    n_distinct: int
    n_snapshots: int
    spacing: float = 1.0
    n_empty: int = 0
    times_known: bool = True
    one_time_axis: bool = True
    global_field: bool = False
    roughness: float = math.nan
    value_range: tuple[float, float] = (math.nan, math.nan)

    @property
    def single(self) -> bool:
        """One snapshot: a map without a time axis, or a series of one time."""
        return self.n_snapshots == 1

    @property
    def per_snapshot(self) -> float:
        """Observations per snapshot, on average."""
        return self.n_obs / max(self.n_snapshots, 1)

    def summary(self) -> str:
        """One line of the facts, for ``plan_``."""
        rough = "" if math.isnan(self.roughness) else f", roughness {self.roughness:.2f}"
        return (
            f"{self.n_obs:,} observations at {self.n_distinct:,} places in "
            f"{self.n_snapshots:,} snapshot(s){rough}"
        )


def measure(lat, lon, point, snap, value, *, n_snapshots, x, **facts) -> FieldStats:
    """The :class:`FieldStats` of observations ``value`` at rows ``point`` of the distinct places
    ``lat``/``lon`` (degrees) in snapshots ``snap``; ``x`` the places encoded (a tensor), and
    ``facts`` the remaining fields (``n_empty``, ``times_known``, ``one_time_axis``,
    ``global_field``).

    Examples
    --------
    >>> import torch
    >>> lat, lon = np.array([0.0, 0.0, 10.0]), np.array([0.0, 10.0, 0.0])
    >>> s = measure(lat, lon, np.arange(3), np.zeros(3, int), np.array([1.0, 2.0, 3.0]),
    ...             n_snapshots=1, x=torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]]))
    >>> s.n_distinct, round(s.spacing, 3), s.value_range
    (3, 0.1, (1.0, 3.0))
    """
    value = np.asarray(value)
    return FieldStats(
        n_obs=int(value.size),
        n_distinct=int(np.size(lat)),
        n_snapshots=int(n_snapshots),
        spacing=neighbour_spacing(x),
        roughness=neighbour_roughness(lat, lon, point, snap, value),
        value_range=(float(np.min(value)), float(np.max(value))) if value.size else (0.0, 0.0),
        **facts,
    )


def neighbour_spacing(x, max_points: int = 4096, seed: int = 0) -> float:
    """Median distance from a point to its nearest neighbour, over (a sample of) the rows of the
    tensor ``x``; 1 where there are fewer than two distinct points.

    Examples
    --------
    >>> import torch
    >>> neighbour_spacing(torch.tensor([[0.0], [0.5], [2.0]]))
    0.5
    """
    import torch

    n = x.shape[0]
    if n < 2:
        return 1.0
    g = torch.Generator().manual_seed(seed)
    xs = x if n <= max_points else x[torch.randperm(n, generator=g)[:max_points]]
    d = torch.cdist(xs.double(), x.double() if n <= 4 * max_points else xs.double())
    d[d <= 1e-12] = math.inf
    nn_d = d.min(1).values
    nn_d = nn_d[torch.isfinite(nn_d)]
    if nn_d.numel() == 0:
        return 1.0
    spacing = float(nn_d.median())
    if n > 4 * max_points:  # sample of a sample: spacing shrinks like 1/sqrt(density)
        spacing *= math.sqrt(max_points / n)
    return max(spacing, 1e-9)


def neighbour_roughness(
    lat, lon, point, snap, value, max_snapshots: int = 12, max_points: int = 4096
) -> float:
    """How rough a field is at the spacing of its observations: the mean semivariance
    ``(v_i - v_j)**2 / 2`` between each observation and its 3 nearest observations of the same
    snapshot (on the sphere), over the variance of that snapshot's observations.

    About 0 where neighbouring observations agree (a field resolved by the sampling), about 1
    where they are unrelated (noise, or features finer than the spacing). Visits at most
    ``max_snapshots`` snapshots (evenly spaced) and ``max_points`` observations of each.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Degrees of the distinct observed points, shape (U,).
    point, snap, value : numpy.ndarray
        Per observation: row in ``lat``/``lon``, snapshot, value; shape (n,).

    Returns
    -------
    float
        NaN where no snapshot has 4 observations and some spread.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lat, lon = rng.uniform(-60, 60, 500), rng.uniform(0, 360, 500)
    >>> point, snap = np.arange(500), np.zeros(500, int)
    >>> smooth = np.sin(np.deg2rad(lon)) + np.cos(np.deg2rad(2 * lat))
    >>> round(neighbour_roughness(lat, lon, point, snap, smooth), 2)
    0.02
    >>> round(neighbour_roughness(lat, lon, point, snap, rng.normal(size=500)), 1)
    1.0
    """
    from scipy.spatial import cKDTree

    point, snap = np.asarray(point), np.asarray(snap)
    value = np.asarray(value, dtype=np.float64)
    snaps = np.unique(snap)
    if len(snaps) > max_snapshots:
        snaps = snaps[np.linspace(0, len(snaps) - 1, max_snapshots).round().astype(int)]
    xyz = unit_vectors(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
    total, weight, last = 0.0, 0, None
    for s in snaps:
        rows = np.flatnonzero(snap == s)
        v = value[rows]
        var = float(np.var(v))
        if rows.size < 4 or var <= 0:
            continue
        if last is None or not np.array_equal(point[rows], last):  # fixed stations: one search
            last = point[rows]
            q = min(rows.size, max_points)
            pick = np.random.default_rng(0).choice(rows.size, q, replace=False)
            _, near = cKDTree(xyz[last]).query(xyz[last[pick]], k=4)
        gamma = 0.5 * np.mean((v[pick, None] - v[near[:, 1:]]) ** 2)
        total += q * gamma / var
        weight += q
    return float(total / weight) if weight else float("nan")
