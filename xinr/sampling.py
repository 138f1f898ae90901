"""Turn a gappy DataArray (numpy or dask) into a table of observed points.

The table holds, for each finite value, its snapshot index, its spatial point index and its value.
For dask-backed input the finite mask and the selected values are built lazily and gathered in a
single ``compute``; only the selected points are ever held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .coords import SpatialLayout
from .errors import DataError


@dataclass
class Observations:
    """Observed points of a field.

    Attributes
    ----------
    snap, point : numpy.ndarray of int64, shape (n,)
        Snapshot index and flat spatial index of each observation.
    value : numpy.ndarray of float64, shape (n,)
    n_snapshots, n_points : int
        Sizes of the snapshot and spatial axes of the source field.
    """

    snap: np.ndarray
    point: np.ndarray
    value: np.ndarray
    n_snapshots: int
    n_points: int

    def __len__(self) -> int:
        return int(self.value.size)

    def empty_snapshots(self) -> np.ndarray:
        """The snapshots without a single observation, in order."""
        return np.flatnonzero(np.bincount(self.snap, minlength=self.n_snapshots) == 0)


def check_numeric(da: xr.DataArray) -> None:
    """Raise :class:`DataError` unless ``da`` holds real numbers."""
    if not (np.issubdtype(da.dtype, np.number) or da.dtype == bool) or np.issubdtype(
        da.dtype, np.complexfloating
    ):
        raise DataError(
            f"Cannot fit {da.name or 'this field'!r}: its dtype is {da.dtype}, expected real numbers "
            "(float or integer). Convert it first, e.g. da.astype('float32')."
        )


def observed_points(
    da: xr.DataArray,
    layout: SpatialLayout,
    max_points: int | None = None,
    seed: int | None = None,
) -> Observations:
    """Gather the finite values of ``da`` as a table of observations.

    Parameters
    ----------
    da : xarray.DataArray
        Field with NaN where nothing was observed. Dask-backed arrays are computed once.
    layout : SpatialLayout
        From :func:`xinr.coords.find_layout`.
    max_points : int, optional
        Keep a uniform random subset of at most this many observations.
    seed : int, optional
        Seed for that subset.

    Returns
    -------
    Observations
    """
    check_numeric(da)
    order = layout.snapshot_dims + layout.dims
    arr = da.transpose(*order).data
    n_snap = int(np.prod([da.sizes[d] for d in layout.snapshot_dims], dtype=np.int64))
    n_pts = int(np.prod([da.sizes[d] for d in layout.dims], dtype=np.int64))
    if _is_dask(arr):
        idx, vals, n_inf = _gather_dask(arr, max_points, seed)
    else:
        flat = np.asarray(arr).reshape(-1)
        if not np.issubdtype(flat.dtype, np.floating):
            flat = flat.astype(np.float64)
        finite = np.isfinite(flat)
        n_inf = int(np.isinf(flat).sum())
        idx = np.flatnonzero(finite)
        vals = flat[idx]
        if max_points is not None and idx.size > max_points:
            keys = np.random.default_rng(seed).random(idx.size)
            keep = np.sort(np.argpartition(keys, int(max_points))[: int(max_points)])
            idx, vals = idx[keep], vals[keep]
    if int(n_inf):
        raise DataError(
            f"{da.name or 'The field'!r} has {int(n_inf)} infinite value(s). xinr treats NaN as "
            "'not observed' but cannot fit inf: replace them, e.g. da.where(np.isfinite(da))."
        )
    if idx.size == 0:
        raise DataError(
            f"{da.name or 'The field'!r} has no finite values (all {n_snap * n_pts} are NaN): there is "
            "nothing to fit. Check the variable, its _FillValue/missing_value decoding, or the "
            "selection you made."
        )
    idx = np.asarray(idx, dtype=np.int64)
    snap, point = np.divmod(idx, n_pts)
    return Observations(snap, point, np.asarray(vals, dtype=np.float64), n_snap, n_pts)


def _block_observations(block, offsets, shape, max_points, seed, block_id):
    """Observed points of one dask block: global flat indices, values, and (for subsets) random
    keys; with ``max_points`` only the block's ``max_points`` smallest keys are kept, so the union
    over blocks still contains the global uniform subset."""
    block = np.asarray(block)
    if not np.issubdtype(block.dtype, np.floating):
        block = block.astype(np.float64)
    n_inf = int(np.isinf(block).sum())
    local = np.nonzero(np.isfinite(block))
    glob = tuple(ix + off for ix, off in zip(local, offsets, strict=True))
    idx = np.ravel_multi_index(glob, shape).astype(np.int64) if len(glob) else np.zeros(0, np.int64)
    vals = block[local].astype(np.float64)
    keys = None
    if max_points is not None:
        keys = np.random.default_rng([0 if seed is None else int(seed), *block_id]).random(idx.size)
        if idx.size > max_points:
            keep = np.argpartition(keys, int(max_points))[: int(max_points)]
            idx, vals, keys = idx[keep], vals[keep], keys[keep]
    return idx, vals, keys, n_inf


def _gather_dask(arr, max_points, seed):
    """One ``compute`` over the blocks of a dask array (snapshot dims..., spatial dims...)."""
    import itertools

    import dask

    shape = arr.shape
    starts = [np.concatenate([[0], np.cumsum(c)[:-1]]) for c in arr.chunks]
    blocks = arr.to_delayed()
    tasks = []
    for block_id in itertools.product(*(range(len(c)) for c in arr.chunks)):
        offsets = [int(starts[d][i]) for d, i in enumerate(block_id)]
        tasks.append(
            dask.delayed(_block_observations, pure=True)(
                blocks[block_id], offsets, shape, max_points, seed, block_id
            )
        )
    parts = dask.compute(*tasks)
    idx = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    vals = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    n_inf = sum(p[3] for p in parts)
    if max_points is not None and idx.size > max_points:
        keys = np.concatenate([p[2] for p in parts])
        keep = np.argpartition(keys, int(max_points))[: int(max_points)]
        idx, vals = idx[keep], vals[keep]
    order = np.argsort(idx, kind="stable")
    return idx[order], vals[order], n_inf


def _is_dask(arr) -> bool:
    return type(arr).__module__.startswith("dask")
