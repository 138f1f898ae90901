"""DINEOF: gap filling of a series by iterated truncated EOFs (Beckers and Rixen 2003;
Alvera-Azcárate et al. 2005), the number of modes chosen by cross-validation on a held-out share
of the observations. numpy in, numpy out.

The series is a matrix of snapshots x points (the points observed at least once; land, never
observed, is left out). Its temporal mean per point is removed, the gaps start at zero, and the
gaps are replaced, again and again, by a truncated singular-value reconstruction with k modes until
they change by less than a tolerance; k grows one mode at a time from the previous filling, and
the k whose reconstruction is best at the held-out observations is kept and refitted with them.
"""

from __future__ import annotations

import numpy as np

CV_SHARE = 0.03  # observations held out to choose the number of modes
MAX_MODES = 30
MAX_ITER = 200
TOL = 1e-5  # change of the gaps' values between iterations, relative to the data's spread


class Dineof:
    """DINEOF for snapshots along a time axis.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t, p = np.arange(30.0), np.arange(200.0)
    >>> f = np.outer(np.sin(t / 4), np.cos(p / 9)) + np.outer(np.cos(t / 7), np.sin(p / 13))
    >>> obs = np.where(rng.random(f.shape) < 0.6, f, np.nan)
    >>> d = Dineof()
    >>> out = d.fill(None, None, obs, np.isnan(obs))
    >>> d.modes_, bool(np.sqrt(np.mean((out - f)[np.isnan(obs)] ** 2)) < 1e-3)  # 2 + the mean
    (3, True)
    """

    name = "dineof"

    def __init__(self, seed: int = 0, max_modes: int = MAX_MODES):
        self.seed = seed
        self.max_modes = max_modes
        self.modes_: int | None = None
        self.cv_errors_: list[float] = []

    def fill(self, lat, lon, values, query, times=None):
        """``values`` (S, P) filled where ``query`` (S, P) is True; ``times`` is not used (EOFs
        need no coordinates). A point asked for that was never observed takes the reconstruction
        of the nearest point that was (by ``lat``/``lon``; NaN where they are None)."""
        values = np.asarray(values, dtype=np.float64)
        out = values.copy()
        cols = np.flatnonzero(np.isfinite(values).any(0))
        x = values[:, cols]
        seen = np.isfinite(x)
        mean = np.nanmean(np.where(seen, x, np.nan), axis=0)
        a = np.where(seen, x - mean, 0.0)
        scale = float(np.std(a[seen])) or 1.0
        rng = np.random.default_rng(self.seed)
        held = seen & (rng.random(seen.shape) < CV_SHARE)
        k_max = max(1, min(self.max_modes, min(a.shape) - 1))
        self.modes_ = self._choose(a, seen & ~held, held, k_max, scale)
        filled = np.where(seen, a, 0.0)
        for k in range(1, self.modes_ + 1):  # grown one mode at a time, as in the choice
            filled = _iterate(filled, seen, k, scale)
        rows, where = np.nonzero(query[:, cols])
        out[rows, cols[where]] = filled[rows, where] + mean[where]
        never = np.flatnonzero(query.any(0) & ~np.isfinite(values).any(0))
        if never.size and lat is not None and cols.size:
            from scipy.spatial import cKDTree

            from ..geometry import unit_vectors

            xyz = unit_vectors(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
            _, near = cKDTree(xyz[cols]).query(xyz[never])
            series = filled[:, near] + mean[near]
            out[:, never] = np.where(query[:, never], series, out[:, never])
        return out

    def _choose(self, a, train, held, k_max, scale) -> int:
        """The fewest modes whose error at the held-out observations is within 1% (and a
        thousandth of the data's spread) of the least: more modes that gain nothing there only
        fit noise."""
        work = np.where(train, a, 0.0)
        best_err, worse = np.inf, 0
        self.cv_errors_ = []
        for k in range(1, k_max + 1):
            work = _iterate(work, train, k, scale)
            err = float(np.sqrt(np.mean((work[held] - a[held]) ** 2))) if held.any() else 0.0
            self.cv_errors_.append(err)
            if err < best_err:
                best_err, worse = err, 0
            else:
                worse += 1
                if worse >= 3:  # three modes in a row without gain: past the best
                    break
        errs = np.asarray(self.cv_errors_)
        return int(np.flatnonzero(errs <= 1.01 * best_err + 1e-3 * scale)[0]) + 1


def _iterate(work: np.ndarray, seen: np.ndarray, k: int, scale: float) -> np.ndarray:
    """Replace the gaps of ``work`` (observed where ``seen``) by its rank-``k`` reconstruction
    until they settle."""
    work = work.copy()
    gaps = ~seen
    for _ in range(MAX_ITER):
        recon = _truncated(work, k)
        change = np.sqrt(np.mean((recon[gaps] - work[gaps]) ** 2)) if gaps.any() else 0.0
        work[gaps] = recon[gaps]
        if change < TOL * scale:
            break
    return work


def _truncated(a: np.ndarray, k: int) -> np.ndarray:
    """The rank-``k`` reconstruction of ``a``: a full SVD on small matrices, ARPACK's leading
    ``k`` singular triplets on large ones."""
    if a.size <= 2_000_000 or k >= min(a.shape) - 1:
        u, s, vt = np.linalg.svd(a, full_matrices=False)
    else:
        from scipy.sparse.linalg import svds

        u, s, vt = svds(a, k=k, random_state=0)
    top = np.argsort(s)[::-1][:k]
    return (u[:, top] * s[top]) @ vt[top]
