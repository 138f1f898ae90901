"""Kriging: Gaussian-process regression with hyperparameters by maximum marginal likelihood, per
snapshot on the sphere and in space-time along a time axis. numpy in, numpy out.

The covariance is a Matérn (nu among 1/2, 3/2 and 5/2, chosen by the marginal likelihood) of the
chord distance between unit vectors, times a variance, plus a nugget; the mean is constant (the
observations' mean). scikit-learn's ``GaussianProcessRegressor`` fits the hyperparameters on a
random subset of the observations; predictions use all of them, in moving neighbourhoods
(the nearest observations of each block of query points) beyond :data:`GLOBAL_MAX` of them, as
geostatistical software does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..geometry import unit_vectors

NUS = (0.5, 1.5, 2.5)
FIT_POINTS = 600  # observations the hyperparameters are fitted on (a random subset beyond)
GLOBAL_MAX = 2000  # above this many observations, moving neighbourhoods
NEIGHBOURS = 48  # nearest observations of each query point in a neighbourhood
BLOCK = 256  # query points that share one neighbourhood solve


def _kernel(scale: np.ndarray, dims: int, nu: float):
    """Variance x Matérn(nu) + nugget, length scales started at ``scale`` (one per dimension
    where ``dims`` > 1: anisotropic)."""
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    ls = np.broadcast_to(np.asarray(scale, dtype=float), (dims,)) if dims > 1 else float(scale)
    bounds = (float(np.min(scale)) / 100, float(np.max(scale)) * 100)
    return ConstantKernel(1.0, (1e-3, 1e4)) * Matern(ls, bounds, nu=nu) + WhiteKernel(
        1e-2, (1e-8, 1.0)
    )


@dataclass
class Fitted:
    """A kernel with fitted hyperparameters, in units of the standardised values."""

    kernel: object
    nu: float
    log_likelihood: float


def fit_kernel(x: np.ndarray, y: np.ndarray, scale, seed: int = 0, nus=NUS,
               points: int = FIT_POINTS) -> Fitted:  # fmt: skip
    """The kernel of highest marginal likelihood among Matérn ``nus``, on at most ``points``
    of the observations ``x`` (n, d), ``y`` (n,) (standardised)."""
    from sklearn.gaussian_process import GaussianProcessRegressor

    rng = np.random.default_rng(seed)
    if len(y) > points:
        pick = rng.choice(len(y), points, replace=False)
        x, y = x[pick], y[pick]
    from sklearn.exceptions import ConvergenceWarning

    best = None
    for nu in nus:
        gp = GaussianProcessRegressor(_kernel(scale, x.shape[1] if np.ndim(scale) else 1, nu))
        with warnings.catch_warnings():  # a bound reached is an answer here (no nugget, ...)
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(x, y)
        ll = float(gp.log_marginal_likelihood_value_)
        if best is None or ll > best.log_likelihood:
            best = Fitted(gp.kernel_, nu, ll)
    return best


def fit_spatial(x: np.ndarray, y: np.ndarray, seed: int = 0, **kwargs) -> Fitted | None:
    """:func:`fit_kernel` on unit vectors ``x`` with the length scale started at 10 neighbour
    spacings (``kwargs``: its ``nus`` and ``points``); None with fewer than 3 observations."""
    return fit_kernel(x, y, 10 * _spacing(x), seed, **kwargs) if len(y) >= 3 else None


def predict(kernel, x: np.ndarray, y: np.ndarray, xq: np.ndarray, std: bool = False):
    """Kriging of values ``y`` at ``x`` to ``xq`` with a fitted ``kernel`` (standardised units):
    one solve where there are at most :data:`GLOBAL_MAX` observations, else a solve per block of
    :data:`BLOCK` query points on the union of their :data:`NEIGHBOURS` nearest observations,
    each about that neighbourhood's mean. ``y`` may be (n,) or (n, k): k fields observed at the
    same places share one factorisation. Returns the mean (shape (q,) or (q, k)), and with
    ``std`` the standard deviation of the field (nugget left out), shape (q,)."""
    if len(y) <= GLOBAL_MAX:
        return _solve(kernel, x, y, xq, std)
    from scipy.spatial import cKDTree

    ls = np.atleast_1d(kernel.k1.k2.length_scale)  # neighbours by correlation, not raw units
    tree = cKDTree(x / ls)
    order = np.lexsort(xq.T[::-1])  # nearby query points in one block, roughly
    mean = np.empty((len(xq),) + np.shape(y)[1:])
    sd = np.empty(len(xq)) if std else None
    for b0 in range(0, len(xq), BLOCK):
        rows = order[b0 : b0 + BLOCK]
        _, near = tree.query(xq[rows] / ls, k=min(NEIGHBOURS, len(y)))
        nb = np.unique(near)
        out = _solve(kernel, x[nb], y[nb], xq[rows], std)
        if std:
            mean[rows], sd[rows] = out
        else:
            mean[rows] = out
    return (mean, sd) if std else mean


def _solve(kernel, x, y, xq, std):
    from scipy.linalg import cho_factor, cho_solve

    m = np.mean(y, axis=0)
    k = kernel(x)
    k[np.diag_indices_from(k)] += 1e-8
    factor = cho_factor(k, lower=True)
    kq = kernel(xq, x)
    mean = m + kq @ cho_solve(factor, y - m)
    if not std:
        return mean
    prior = kernel.k1.diag(xq)  # the field's variance, without the nugget
    var = prior - np.einsum("ij,ji->i", kq, cho_solve(factor, kq.T))
    return mean, np.sqrt(np.maximum(var, 0.0))


def _spacing(xyz: np.ndarray) -> float:
    """Median distance to the nearest neighbour (chord), a start for the length scale."""
    from scipy.spatial import cKDTree

    if len(xyz) < 2:
        return 0.1
    d = cKDTree(xyz).query(xyz, k=2)[0][:, 1]
    return float(max(np.median(d), 1e-6))


class Kriging:
    """Ordinary kriging per snapshot on the sphere: Matérn covariance of the chord distance
    (nu 1/2, 3/2 or 5/2) plus a nugget, hyperparameters by maximum marginal likelihood for each
    snapshot.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lat, lon = rng.uniform(-30, 30, 150), rng.uniform(0, 60, 150)
    >>> v = np.sin(np.deg2rad(3 * lon)) + np.cos(np.deg2rad(4 * lat))
    >>> est = Kriging().snapshot(lat[:120], lon[:120], v[:120], lat[120:], lon[120:])
    >>> bool(np.sqrt(np.mean((est - v[120:]) ** 2)) < 0.05)
    True
    """

    name = "kriging"

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.fitted_: list[Fitted] = []

    def snapshot(self, lat_obs, lon_obs, val_obs, lat_q, lon_q, std: bool = False):
        """One snapshot's values (and standard deviations) at the query points."""
        if val_obs.size < 3:
            fill = float(np.mean(val_obs)) if val_obs.size else np.nan
            out = np.full(np.shape(lat_q), fill)
            return (out, np.full(np.shape(lat_q), np.nan)) if std else out
        x = unit_vectors(lat_obs, lon_obs)
        mu, sigma = float(np.mean(val_obs)), float(np.std(val_obs)) or 1.0
        y = (val_obs - mu) / sigma
        fitted = fit_spatial(x, y, self.seed)
        self.fitted_.append(fitted)
        out = predict(fitted.kernel, x, y, unit_vectors(lat_q, lon_q), std)
        if std:
            return mu + sigma * out[0], sigma * out[1]
        return mu + sigma * out


class SpaceTimeKriging:
    """Kriging in space and time along a time axis: a Matérn covariance of the chord distance and
    the time difference with their own length scales (anisotropic), plus a nugget, fitted once by
    maximum marginal likelihood on observations of the whole series; each snapshot is predicted
    from the observations of the ``window`` snapshots on either side of it and its own.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lat, lon = rng.uniform(-30, 30, 60), rng.uniform(0, 60, 60)
    >>> t = np.arange(4.0)
    >>> f = np.sin(np.deg2rad(3 * lon))[None] + 0.2 * t[:, None] * np.cos(np.deg2rad(4 * lat))
    >>> obs = np.where(rng.random(f.shape) < 0.5, f, np.nan)
    >>> out = SpaceTimeKriging().fill(lat, lon, obs, np.isnan(obs), t)
    >>> bool(np.sqrt(np.mean((out - f)[np.isnan(obs)] ** 2)) < 0.1)
    True
    """

    name = "kriging_st"

    def __init__(self, window: int = 2, seed: int = 0):
        self.window = window
        self.seed = seed
        self.fitted_: Fitted | None = None

    def fill(self, lat, lon, values, query, times, std: bool = False):
        """``values`` (S, P) filled where ``query`` (S, P) is True; ``times`` (S,) floats."""
        values = np.asarray(values, dtype=np.float64)
        S = values.shape[0]
        times = np.asarray(times, dtype=np.float64)
        step = float(np.median(np.diff(np.sort(times)))) if S > 1 else 1.0
        tt = (times - times.min()) / (step or 1.0)  # in snapshot spacings
        xyz = unit_vectors(lat, lon)
        seen = np.isfinite(values)
        s_obs, p_obs = np.nonzero(seen)
        mu, sigma = float(np.mean(values[seen])), float(np.std(values[seen])) or 1.0
        y_all = (values[seen] - mu) / sigma
        x_all = np.column_stack([xyz[p_obs], tt[s_obs]])
        space = 10 * _spacing(xyz[np.unique(p_obs)])
        self.fitted_ = fit_kernel(x_all, y_all, np.array([space] * 3 + [2.0]), self.seed)
        out = values.copy()
        sd = np.full(values.shape, np.nan) if std else None
        for s in range(S):
            q = np.flatnonzero(query[s])
            if q.size == 0:
                continue
            near = np.abs(s_obs - s) <= self.window
            xq = np.column_stack([xyz[q], np.full(q.size, tt[s])])
            res = predict(self.fitted_.kernel, x_all[near], y_all[near], xq, std)
            if std:
                out[s, q], sd[s, q] = mu + sigma * res[0], sigma * res[1]
            else:
                out[s, q] = mu + sigma * res
        return (out, sd) if std else out
