"""The paper's sampling protocol and metrics, numpy only.

Tasks (Luo et al. 2024): 1 fixed number of points at fixed positions; 2 random number at fixed
positions; 3 fixed number at random positions per snapshot; 4 random number at random positions.
"""

from __future__ import annotations

import warnings

import numpy as np

TASKS = (1, 2, 3, 4)


def sample_mask(valid: np.ndarray, ratio: float, task: int, seed: int | None = 0) -> np.ndarray:
    """Boolean (S, P) mask of observed points.

    Parameters
    ----------
    valid : (S, P) bool
        Points that have a value (land, ice... excluded).
    ratio : float
        Share of the valid points observed per snapshot, in (0, 1].
    task : {1, 2, 3, 4}
        Sampling task; random counts are drawn uniformly in [ratio/2, 3 ratio/2] of the valid
        points (clipped to [1, valid]).
    seed : int

    Examples
    --------
    >>> m = sample_mask(np.ones((2, 100), bool), 0.1, 1)
    >>> m.sum(1).tolist(), bool((m[0] == m[1]).all())
    ([10, 10], True)
    """
    valid = np.asarray(valid, dtype=bool)
    if valid.ndim != 2:
        raise ValueError(f"valid must be (snapshots, points); got shape {valid.shape}.")
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1]; got {ratio!r}.")
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}; got {task!r}.")
    rng = np.random.default_rng(seed)
    S, P = valid.shape
    out = np.zeros_like(valid)
    fixed_positions = task in (1, 2)
    random_count = task in (2, 4)
    candidates = np.flatnonzero(valid.any(0))
    order = rng.permutation(candidates)
    for s in range(S):
        nv = int(valid[s].sum())
        if nv == 0:
            continue
        share = rng.uniform(ratio / 2, min(1.0, 3 * ratio / 2)) if random_count else ratio
        n = int(np.clip(round(share * nv), 1, nv))
        if fixed_positions:
            # the first points of one fixed ordering that are valid in this snapshot
            ok = order[valid[s, order]]
            out[s, ok[:n]] = True
        else:
            idx = np.flatnonzero(valid[s])
            out[s, rng.choice(idx, size=n, replace=False)] = True
    return out


def rmse(pred, truth, mask=None) -> float:
    """Root-mean-square error in the data's units over ``mask`` (default: all finite truth)."""
    pred, truth = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    m = np.isfinite(truth) if mask is None else (mask & np.isfinite(truth))
    return float(np.sqrt(np.mean((pred[m] - truth[m]) ** 2)))


def mse_minmax(pred, truth, mask=None) -> float:
    """MSE after min-max normalising by the range of the (finite) truth."""
    truth = np.asarray(truth, np.float64)
    lo, hi = np.nanmin(truth), np.nanmax(truth)
    span = hi - lo if hi > lo else 1.0
    return rmse(pred, truth, mask) ** 2 / span**2


def mse_paper(pred, truth, mask=None) -> float:
    """The paper's metric: each grid point min-max normalised by its own range over the
    snapshots, MSE over the full grid (``mask`` restricts it, e.g. to the unobserved points).
    Points with no range over time (or a single snapshot) use the field's global range.

    pred, truth : (S, P)
    """
    pred, truth = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    with warnings.catch_warnings():  # points never observed have no range: handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(truth, 0), np.nanmax(truth, 0)
    span = hi - lo
    g_lo, g_hi = np.nanmin(truth), np.nanmax(truth)
    flat = ~(span > 0)
    lo = np.where(flat, g_lo, lo)
    span = np.where(flat, (g_hi - g_lo) if g_hi > g_lo else 1.0, span)
    m = np.isfinite(truth) if mask is None else (mask & np.isfinite(truth))
    e = ((pred - lo) - (truth - lo)) / span
    return float(np.mean(e[m] ** 2))


def cloud_mask(
    valid: np.ndarray, lat, lon, clear: float, seed: int | None = 0, scale: float = 0.1
) -> np.ndarray:
    """Boolean (S, P) mask of the points seen through cloud-like holes: in each snapshot the
    ``clear`` share of its valid points where a smooth random field is highest, a different field
    in every snapshot, so that the gaps are contiguous and move. Points that are not valid (land)
    are never seen.

    The random field is a sum of 64 random cosines of the points' unit vectors, with wave vectors
    of spread 1 / (``scale`` x the chord extent of the valid points): structures about a tenth of
    the field's extent by default, whatever the grid (regular, curvilinear, unstructured).

    Examples
    --------
    >>> lat, lon = np.meshgrid(np.linspace(-40, 40, 30), np.linspace(0, 80, 40), indexing="ij")
    >>> valid = np.ones((3, lat.size), bool); valid[:, :100] = False  # some land
    >>> m = cloud_mask(valid, lat.ravel(), lon.ravel(), 0.3, seed=0)
    >>> m.sum(1).tolist(), bool(m[:, :100].any()), bool((m[0] == m[1]).all())
    ([330, 330, 330], False, False)
    """
    from .geometry import unit_vectors

    valid = np.asarray(valid, dtype=bool)
    if not 0 < clear <= 1:
        raise ValueError(f"clear must be a share in (0, 1]; got {clear!r}.")
    xyz = unit_vectors(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
    seen = valid.any(0)
    extent = float(np.ptp(xyz[seen], axis=0).max()) if seen.any() else 1.0
    rng = np.random.default_rng(seed)
    out = np.zeros_like(valid)
    for s in range(valid.shape[0]):
        idx = np.flatnonzero(valid[s])
        if idx.size == 0:
            continue
        w = rng.normal(size=(64, 3)) / (scale * max(extent, 1e-6))
        phase = rng.uniform(0, 2 * np.pi, 64)
        field = np.cos(xyz[idx] @ w.T + phase).sum(1)
        n = int(np.clip(round(clear * idx.size), 1, idx.size))
        out[s, idx[np.argsort(-field, kind="stable")[:n]]] = True
    return out
