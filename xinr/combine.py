"""The combination stage: the network's field (with its residual stage) and a classical field
combined with one weight fitted at the training's held-out observations (stacking).

The classical field is ordinary kriging of each snapshot's observed values about the snapshot's
mean, with one Matérn-plus-nugget covariance fitted by maximum marginal likelihood
(:mod:`xinr.classical.kriging`). Both fields are predicted at the held-out observations from the
others (the network never trained there; the kriging leaves them out too), and the weight ``w``
in [0, 1] that minimises the squared error there combines them: ``(1 - w) * xinr + w * kriging``.
Where kriging adds nothing (``w`` near 0) the network's field is left alone; where the network
adds nothing the fit returns kriging. One weight per fit cannot overfit the held-out set much.

numpy in, numpy out; never imports torch or xarray.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import unit_vectors
from .uncertainty import Covariance, kriging_variance

#: below this weight of the classical field the combination is not kept (the network alone)
MIN_WEIGHT = 0.02
#: observations the covariance is fitted on where it only shapes the uncertainty
LIGHT_POINTS = 300


def stack_weight(y, a, b) -> float:
    """The weight ``w`` in [0, 1] of ``b`` that minimises ``mean((y - ((1 - w) a + w b))**2)``.

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> stack_weight(y, y + 1, y - 1)  # errors that cancel: halfway
    0.5
    >>> stack_weight(y, y, y + 1), stack_weight(y, y + 1, y)
    (0.0, 1.0)
    """
    y, a, b = (np.asarray(v, dtype=np.float64) for v in (y, a, b))
    d = b - a
    den = float(np.dot(d, d))
    if not np.isfinite(den) or den == 0.0:
        return 0.0
    return float(np.clip(np.dot(y - a, d) / den, 0.0, 1.0))


def snapshot_means(snap, value, n_snapshots: int) -> np.ndarray:
    """Each snapshot's mean observed value (0 where it has none), shape (n_snapshots,).

    >>> snapshot_means(np.array([0, 0, 2]), np.array([1.0, 3.0, 5.0]), 3)
    array([2., 0., 5.])
    """
    snap = np.asarray(snap, dtype=np.int64)
    count = np.bincount(snap, minlength=n_snapshots)
    total = np.bincount(snap, np.asarray(value, dtype=np.float64), minlength=n_snapshots)
    return total / np.maximum(count, 1)


class ValuePeer:
    """Kriging of one snapshot's observed values with a kernel fitted once for the whole field:
    ``peer(lat, lon, value, lat_q, lon_q)`` gives the values at the query points. The held-out
    check calls it with the observations each network trained on.

    Parameters
    ----------
    fitted : xinr.classical.kriging.Fitted or None
        The kernel (in units of ``sigma``); None: each snapshot's mean.
    sigma : float
        The spread of the anomalies the kernel was fitted on.
    """

    def __init__(self, fitted, sigma: float):
        self.fitted, self.sigma = fitted, float(sigma)
        self.covariance = Covariance.from_kernel(fitted)

    @classmethod
    def fit(cls, lat, lon, point, snap, value, n_snapshots: int, light: bool = False) -> ValuePeer:
        """The kernel of highest marginal likelihood on the anomalies (about each snapshot's
        mean) of the snapshot with the most observations; ``light``: Matérn 3/2 alone on at
        most :data:`LIGHT_POINTS` of them (the covariance that shapes the uncertainty alone,
        about 20 times faster)."""
        from .classical.kriging import fit_spatial

        snap = np.asarray(snap, dtype=np.int64)
        anomaly = value - snapshot_means(snap, value, n_snapshots)[snap]
        sigma = float(np.std(anomaly)) or 1.0
        s = int(np.argmax(np.bincount(snap, minlength=n_snapshots)))
        rows = np.flatnonzero(snap == s)
        x = unit_vectors(lat[point[rows]], lon[point[rows]])
        kw = {"nus": (1.5,), "points": LIGHT_POINTS} if light else {}
        return cls(fit_spatial(x, anomaly[rows] / sigma, **kw), sigma)

    def __call__(self, lat, lon, value, lat_q, lon_q) -> np.ndarray:
        from .classical.kriging import predict

        value = np.asarray(value, dtype=np.float64)
        mean = float(np.mean(value)) if value.size else np.nan
        if self.fitted is None or value.size < 3:
            return np.full(np.shape(lat_q), mean)
        x, xq = unit_vectors(lat, lon), unit_vectors(lat_q, lon_q)
        return mean + self.sigma * predict(self.fitted.kernel, x, (value - mean) / self.sigma, xq)

    def variance(self, lat, lon, lat_q, lon_q) -> np.ndarray:
        """The kriging variance at the query points from observations at ``lat``/``lon`` (in
        units of ``sigma**2``; :func:`xinr.uncertainty.kriging_variance`)."""
        xq = unit_vectors(lat_q, lon_q)
        return kriging_variance(self.covariance, unit_vectors(lat, lon), xq)


@dataclass
class Combination:
    """The combination stage's outcome: ``(1 - weight) * xinr + weight * classical``, the
    classical field being each snapshot's ``mean`` plus ``anomalies`` (a
    :class:`xinr.residuals.KrigedMisfits` of the observed values about those means).

    Examples
    --------
    >>> class Flat:  # a stand-in for the kriged anomalies: zero everywhere
    ...     def interpolate(self, lat, lon, snaps):
    ...         return np.zeros((len(snaps), len(lat)), np.float32)
    >>> c = Combination(0.25, np.array([4.0]), Flat())
    >>> out = np.zeros((1, 2), np.float32)
    >>> c.blend(out, np.zeros(2), np.zeros(2), np.array([0]))
    array([[1., 1.]], dtype=float32)
    """

    weight: float
    mean: np.ndarray
    anomalies: object

    def field(self, lat, lon, snaps) -> np.ndarray:
        """The classical field of snapshots ``snaps`` at the points, (S, P)."""
        snaps = np.asarray(snaps, dtype=np.int64)
        res = self.anomalies.interpolate(lat, lon, snaps)
        return res + self.mean[snaps][:, None].astype(res.dtype)

    def blend(self, out, lat, lon, snaps, field=None) -> np.ndarray:
        """``out`` (S, P), the xinr field of snapshots ``snaps``, combined in place with the
        classical field (``field``, or computed)."""
        if field is None:
            field = self.field(lat, lon, snaps)
        out *= 1.0 - self.weight
        out += (self.weight * field).astype(out.dtype)
        return out

    def summary(self) -> str:
        return f"kriging weighted {self.weight:.2f}, the network's field {1 - self.weight:.2f}"
