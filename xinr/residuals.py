"""The network's misfits at the observations, spread to the other points of their snapshot.

A network fitted to sparse observations does not pass through them: it misses each one by a
little (the held-out state that generalises best is not the one that fits the training points
best, and jittered training points smooth the fit further). Those misfits are spatially
coherent, so the points next to an observation share its misfit. :class:`ResidualField` keeps
each snapshot's misfits and adds their inverse-distance-weighted interpolation (the ``k`` = 16
nearest observations on the sphere, with modified Shepard weights ``((R - d) / (R d))**2``, ``R``
the distance of the next observation, which keep the field continuous) to the network's
prediction at points of the same snapshot: the reconstruction then passes through the
observations, and near them it leans on them, while away from them (beyond a few neighbour
spacings) the correction fades and the network's field is left as it is. In geostatistics this
is regression kriging with the network as the trend, with inverse-distance weighting in place of
kriging.

numpy (and scipy's k-d tree) in, numpy out; never imports torch or xarray.
"""

from __future__ import annotations

import numpy as np

from .classical import unit_vectors

RESIDUALS = ("idw", "none")
# neighbours per query point, and the distance (in median neighbour spacings of the snapshot's
# observations) at which an imaginary observation with zero misfit weighs as much as a real one:
# far from every observation the correction fades towards the network's own field
K_NEIGHBOURS = 16
FADE_SPACINGS = 3.0


class ResidualField:
    """Per-snapshot misfits of a fitted network at its observations, interpolated on demand.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Degrees of the distinct observed points, shape (U,).
    point : numpy.ndarray
        Row in ``lat``/``lon`` of each observation, shape (n,).
    snap : numpy.ndarray
        Snapshot of each observation, shape (n,).
    residual : numpy.ndarray
        Observed value minus the network's prediction there, shape (n,).
    n_snapshots : int
        Number of snapshots of the fitted field.

    Examples
    --------
    >>> lat, lon = np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])
    >>> rf = ResidualField(lat, lon, np.arange(3), np.zeros(3, int), np.array([1.0, 0, 0]), 1)
    >>> rf(np.array([0.0, 0.0]), np.array([0.0, 0.5]), 0).round(2)  # exact at an observation
    array([1.  , 0.47])
    """

    def __init__(self, lat, lon, point, snap, residual, n_snapshots: int):
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        order = np.argsort(snap, kind="stable")
        self.point = np.asarray(point, dtype=np.int64)[order]
        self.residual = np.asarray(residual, dtype=np.float32)[order]
        counts = np.bincount(np.asarray(snap, dtype=np.int64), minlength=n_snapshots)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self._trees: dict[int, tuple] = {}

    @property
    def n_snapshots(self) -> int:
        return len(self.offsets) - 1

    def _tree(self, s: int):
        """The k-d tree of snapshot ``s``'s observations and their median neighbour distance
        (cached; safe under dask's threads: a lost race only builds a tree twice)."""
        entry = self._trees.get(s)
        if entry is None:
            from scipy.spatial import cKDTree

            rows = self.point[self.offsets[s] : self.offsets[s + 1]]
            xyz = unit_vectors(self.lat[rows], self.lon[rows])
            tree = cKDTree(xyz)
            spacing = float(np.median(tree.query(xyz, k=2)[0][:, 1])) if len(rows) > 1 else np.inf
            if len(self._trees) > 64:  # bounded cache: a reconstruction visits snapshots in order
                self._trees = {}
            entry = self._trees[s] = (tree, spacing)
        return entry

    def __getstate__(self) -> dict:  # pickled for dask workers without the cached trees
        return {**self.__dict__, "_trees": {}}

    def __call__(self, lat, lon, s: int, k: int = K_NEIGHBOURS) -> np.ndarray:
        """Interpolated misfit of snapshot ``s`` at points (``lat``, ``lon``), shape (P,)."""
        lo, hi = self.offsets[s], self.offsets[s + 1]
        out = np.zeros(np.shape(lat), dtype=np.float64)
        if hi == lo or out.size == 0:
            return out
        tree, spacing = self._tree(s)
        kk = min(k + 1, hi - lo)
        d, i = tree.query(unit_vectors(lat, lon), k=kk, workers=-1)
        if kk == 1:
            d, i = d[:, None], i[:, None]
        r = self.residual[lo:hi][i]
        # modified Shepard weights (Franke & Nielson 1980): zero at the distance of the (k+1)-th
        # observation, so the field is continuous where the k nearest change; with k or fewer
        # observations in the snapshot, every one weighs (reach: twice the farthest)
        reach = d[:, -1:] if kk > k else 2.0 * d[:, -1:] + 1e-12
        w = (np.maximum(reach - d, 0.0) / (reach * np.maximum(d, 1e-12))) ** 2
        fade = 1.0 / (FADE_SPACINGS * spacing) ** 2 if np.isfinite(spacing) else 0.0
        total = w.sum(1)
        tied = total <= 0  # the k+1 nearest all at one distance: their plain mean (the limit)
        out = (w * r).sum(1) / np.where(tied, 1.0, total + fade)
        out[tied] = r[tied].mean(1)
        exact = d[:, 0] < 1e-9
        out[exact] = r[exact, 0]
        return out

    def to_dict(self) -> dict:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "point": self.point,
            "residual": self.residual,
            "offsets": self.offsets,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ResidualField:
        offsets = np.asarray(d["offsets"], dtype=np.int64)
        snap = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        return cls(d["lat"], d["lon"], d["point"], snap, d["residual"], len(offsets) - 1)
