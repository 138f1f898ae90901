"""The standard deviation of a reconstruction: where a point lies from its snapshot's
observations, by the field's covariance, scaled to the errors seen at the training's held-out
observations.

*Shape.* The ordinary-kriging variance ``v`` of the point given its snapshot's observations (the
:data:`NEIGHBOURS` nearest of them), with the Matérn-plus-nugget covariance that the fit's
kriging peer found by maximum marginal likelihood (:class:`xinr.combine.ValuePeer`), in units
of the observed anomalies' variance. It is small next to observations, grows across gaps and
levels off at the field's variance (plus the unknown mean's) far from any.

*Scale.* The variance of the error is ``sigma**2 * (scale * v + floor)``, with ``scale`` and
``floor`` fitted by maximum Gaussian likelihood to the errors of the field as fitted (network,
residual and combination stages) at the held-out observations, where ``v`` is computed from the
other observations of the same snapshot, as it is for a gap. Where snapshots see different
places the network borrows across them and the shape is capped at a quantile of the held-out
variances (:func:`xinr.plan.rule_uncertainty_cap`): the held-out places lie next to
observations and cannot say how far a gap's error grows. Below :data:`MIN_CALIBRATION`
held-out locations the fit says it is not calibrated: from :data:`MIN_SCALE` locations it fits
the scale alone (``floor`` 0), below that it gives the kriging variance itself.

numpy in, numpy out; never imports torch or xarray.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import unit_vectors

NEIGHBOURS = 16  # nearest observations a point's kriging variance is computed from
MIN_CALIBRATION = 50  # fewest held-out locations a calibration is fitted at
MIN_SCALE = 10  # fewest held-out locations a scale alone is fitted at (flagged uncalibrated)
CHUNK = 4096  # query points per batched solve


@dataclass(frozen=True)
class Covariance:
    """A Matérn(``nu``) covariance of the chord distance with ``variance``, ``length`` and a
    ``nugget``, in units of the anomalies' variance.

    Examples
    --------
    >>> cov = Covariance(1.0, 0.1, 1.5, 0.01)
    >>> float(cov.correlation(np.array([0.0]))[0]), bool(cov.correlation(np.array([1.0]))[0] < 1e-6)
    (1.0, True)
    """

    variance: float
    length: float
    nu: float
    nugget: float

    @classmethod
    def from_kernel(cls, fitted) -> Covariance | None:
        """From a :class:`xinr.classical.kriging.Fitted` (None: None)."""
        if fitted is None:
            return None
        k = fitted.kernel
        return cls(
            float(k.k1.k1.constant_value),
            float(np.ravel(k.k1.k2.length_scale)[0]),
            float(fitted.nu),
            float(k.k2.noise_level),
        )

    def correlation(self, d: np.ndarray) -> np.ndarray:
        """The Matérn correlation at chord distances ``d``."""
        r = np.asarray(d, dtype=np.float64) / self.length
        if self.nu == 0.5:
            return np.exp(-r)
        if self.nu == 1.5:
            a = np.sqrt(3.0) * r
            return (1.0 + a) * np.exp(-a)
        a = np.sqrt(5.0) * r
        return (1.0 + a + a * a / 3.0) * np.exp(-a)

    def to_list(self) -> list:
        return [self.variance, self.length, self.nu, self.nugget]


def kriging_variance(cov: Covariance | None, x_obs: np.ndarray, xq: np.ndarray,
                     k: int = NEIGHBOURS) -> np.ndarray:  # fmt: skip
    """The ordinary-kriging variance (of the field, nugget left out; of the unknown mean
    included) at unit vectors ``xq`` (q, 3) from the ``k`` nearest observations ``x_obs``
    (n, 3); the prior variance where there are none or no covariance.

    Examples
    --------
    >>> cov = Covariance(1.0, 0.2, 1.5, 1e-4)
    >>> x = unit_vectors(np.zeros(5), np.linspace(0, 4, 5))
    >>> v = kriging_variance(cov, x, unit_vectors(np.zeros(3), np.array([0.0, 2.5, 40.0])))
    >>> bool(v[0] < v[1] < 0.01 < v[2]), round(float(v[2]), 2)  # grows away from them
    (True, 1.83)
    """
    xq = np.asarray(xq, dtype=np.float64)
    if cov is None or len(x_obs) == 0:
        return np.full(len(xq), 1.0 if cov is None else cov.variance)
    from scipy.spatial import cKDTree

    x_obs = np.asarray(x_obs, dtype=np.float64)
    k = min(k, len(x_obs))
    tree = cKDTree(x_obs)
    out = np.empty(len(xq))
    eye = np.eye(k) * (cov.nugget + 1e-8)
    for q0 in range(0, len(xq), CHUNK):
        d, idx = tree.query(xq[q0 : q0 + CHUNK], k=k)
        d, idx = d.reshape(-1, k), idx.reshape(-1, k)
        near = x_obs[idx]  # (B, k, 3)
        dd = np.linalg.norm(near[:, :, None, :] - near[:, None, :, :], axis=-1)
        big = cov.variance * cov.correlation(dd) + eye
        ks = cov.variance * cov.correlation(d)
        rhs = np.stack([ks, np.ones_like(ks)], -1)
        sol = np.linalg.solve(big, rhs)  # (B, k, 2)
        simple = cov.variance - np.einsum("bk,bk->b", ks, sol[..., 0])
        mean_part = (1.0 - sol[..., 0].sum(1)) ** 2 / sol[..., 1].sum(1)
        out[q0 : q0 + CHUNK] = simple + mean_part
    return np.maximum(out, 0.0)


@dataclass(frozen=True)
class Calibration:
    """The variance of the error, ``scale * min(v, cap) + floor`` (units of the anomalies'
    variance), fitted at ``locations`` held-out places (``calibrated``), or the kriging variance
    itself where there were too few."""

    scale: float = 1.0
    floor: float = 0.0
    locations: int = 0
    calibrated: bool = False
    error_variance: float = float("nan")  # the mean squared error there (same units)
    cap: float = float("inf")  # the kriging variance beyond which the shape stops growing

    def variance(self, v: np.ndarray) -> np.ndarray:
        return self.scale * np.minimum(np.asarray(v), self.cap) + self.floor

    def summary(self) -> str:
        if not self.calibrated:
            what = (
                f"the kriging variance x {self.scale:.3g}, the scale alone fitted there"
                if self.locations >= MIN_SCALE
                else "the kriging standard deviation of the observed values, unscaled"
            )
            return (
                f"NOT calibrated: {self.locations} held-out locations, fewer than "
                f"{MIN_CALIBRATION}; {what}"
            )
        capped = f" (capped at {self.cap:.3g})" if np.isfinite(self.cap) else ""
        return (
            f"kriging variance{capped} x {self.scale:.3g} + {self.floor:.3g}, calibrated at "
            f"{self.locations} held-out locations"
        )


def calibrate(error, v, where, min_locations: int = MIN_CALIBRATION,
              cap: float | None = None) -> Calibration:  # fmt: skip
    """The :class:`Calibration` of highest Gaussian likelihood for standardised errors
    ``error`` at held-out observations whose kriging variance is ``v``, observed at places
    ``where`` (their count is the number of locations); flagged uncalibrated below
    ``min_locations``: the scale alone from :data:`MIN_SCALE` locations, else none. With
    ``cap``, the variance is capped at that quantile of ``v`` first (and so everywhere).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = rng.uniform(0.1, 1.0, 4000)
    >>> e = rng.normal(size=4000) * np.sqrt(2.0 * v + 0.1)
    >>> c = calibrate(e, v, np.arange(4000))
    >>> bool(abs(c.scale - 2.0) < 0.3 and abs(c.floor - 0.1) < 0.1), c.calibrated
    (True, True)
    >>> few = calibrate(e[:20], v[:20], np.arange(20))
    >>> few.calibrated, few.floor, bool(1.0 < few.scale < 4.0)
    (False, 0.0, True)
    >>> calibrate(e[:5], v[:5], np.arange(5)).scale
    1.0
    """
    from scipy.optimize import minimize

    error, v = np.asarray(error, dtype=np.float64), np.asarray(v, dtype=np.float64)
    ok = np.isfinite(error) & np.isfinite(v)
    error, v = error[ok], v[ok]
    limit = float(np.quantile(v, cap)) if cap is not None and v.size else float("inf")
    v = np.minimum(v, limit)
    locations = int(np.unique(np.asarray(where)[ok]).size)
    e2 = error**2
    if locations < min_locations:
        if locations < MIN_SCALE or not np.any(v > 0):
            return Calibration(locations=locations, error_variance=float(np.mean(e2)), cap=limit)
        scale = float(np.mean(e2 / np.maximum(v, 1e-12 + 1e-6 * v.max())))
        return Calibration(scale, 0.0, locations, False, float(np.mean(e2)), limit)
    floor_min = 1e-6 * max(float(np.mean(e2)), 1e-12)

    def nll(p):
        var = np.exp(p[0]) * v + np.exp(p[1]) + floor_min
        return float(np.mean(np.log(var) + e2 / var))

    start = np.log(
        [max(float(np.mean(e2) / max(np.mean(v), 1e-12)), 1e-6), 0.1 * np.mean(e2) + 1e-12]
    )
    best = minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-8})
    scale, floor = float(np.exp(best.x[0])), float(np.exp(best.x[1]) + floor_min)
    return Calibration(scale, floor, locations, True, float(np.mean(e2)), limit)


class Uncertainty:
    """The standard deviation of the fitted field at any point of a training snapshot: the
    calibrated kriging variance of the point given that snapshot's observed places.

    Parameters
    ----------
    lat, lon : numpy.ndarray
        Degrees of the distinct observed places (U,).
    point, snap : numpy.ndarray
        Per observation: its place's row and its snapshot.
    n_snapshots : int
    covariance : Covariance or None
        None: the prior variance (1) everywhere.
    sigma : float
        The spread of the observed anomalies, the unit of the variances.
    calibration : Calibration

    Examples
    --------
    >>> lat, lon = np.zeros(4), np.arange(4.0)
    >>> u = Uncertainty(lat, lon, np.arange(4), np.zeros(4, int), 1,
    ...                 Covariance(1.0, 0.05, 1.5, 1e-4), 2.0, Calibration(1.0, 0.0, 60, True))
    >>> sd = u.std(np.zeros(2), np.array([1.0, 30.0]), np.array([0]))
    >>> bool(sd[0, 0] < 0.1), round(float(sd[0, 1]), 2)  # at an observation, far from all
    (True, 2.62)
    """

    def __init__(self, lat, lon, point, snap, n_snapshots: int, covariance, sigma: float,
                 calibration: Calibration):  # fmt: skip
        snap = np.asarray(snap, dtype=np.int64)
        order = np.argsort(snap, kind="stable")
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        self.point = np.asarray(point, dtype=np.int64)[order]
        counts = np.bincount(snap, minlength=n_snapshots)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.covariance, self.sigma, self.calibration = covariance, float(sigma), calibration

    @property
    def n_snapshots(self) -> int:
        return len(self.offsets) - 1

    def variance(self, lat, lon, snaps) -> np.ndarray:
        """The kriging variance (S, P) of snapshots ``snaps`` at the points, uncalibrated;
        snapshots observed at the same places share one computation."""
        snaps = np.atleast_1d(np.asarray(snaps, dtype=np.int64))
        xq = unit_vectors(np.ravel(lat), np.ravel(lon))
        xyz = unit_vectors(self.lat, self.lon)
        done: dict[bytes, np.ndarray] = {}
        out = np.empty((len(snaps), len(xq)))
        for i, s in enumerate(snaps.tolist()):
            rows = self.point[self.offsets[s] : self.offsets[s + 1]]
            key = rows.tobytes()
            if key not in done:
                done[key] = kriging_variance(self.covariance, xyz[rows], xq)
            out[i] = done[key]
        return out

    def std(self, lat, lon, snaps) -> np.ndarray:
        """The calibrated standard deviation (S, P), in the field's units."""
        var = self.calibration.variance(self.variance(lat, lon, snaps))
        return (self.sigma * np.sqrt(var)).astype(np.float32)

    def with_snapshots(self, lat, lon, point, snap, n_new: int) -> Uncertainty:
        """This one with ``n_new`` snapshots more, observed at places ``lat``/``lon`` (rows
        ``point``) in snapshots ``snap`` (0 .. n_new-1), on the same covariance and calibration."""
        n_old, base = self.n_snapshots, len(self.lat)
        old_snap = np.repeat(np.arange(n_old), np.diff(self.offsets))
        return Uncertainty(
            np.concatenate([self.lat, lat]), np.concatenate([self.lon, lon]),
            np.concatenate([self.point, np.asarray(point) + base]),
            np.concatenate([old_snap, np.asarray(snap) + n_old]), n_old + n_new,
            self.covariance, self.sigma, self.calibration,
        )  # fmt: skip

    def summary(self) -> str:
        return self.calibration.summary()

    def to_meta(self) -> dict:
        c = self.calibration
        return {
            "covariance": None if self.covariance is None else self.covariance.to_list(),
            "sigma": self.sigma,
            "calibration": [c.scale, c.floor, c.locations, c.calibrated, c.error_variance, c.cap],
        }

    def to_arrays(self) -> dict:
        return {"lat": self.lat, "lon": self.lon, "point": self.point, "offsets": self.offsets}

    @classmethod
    def from_state(cls, meta: dict, arrays: dict) -> Uncertainty:
        offsets = np.asarray(arrays["offsets"], dtype=np.int64)
        snap = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        cov = meta["covariance"]
        scale, floor, locations, calibrated, spread, cap = meta["calibration"]
        return cls(
            arrays["lat"], arrays["lon"], arrays["point"], snap, len(offsets) - 1,
            None if cov is None else Covariance(*map(float, cov)), float(meta["sigma"]),
            Calibration(float(scale), float(floor), int(locations), bool(calibrated),
                        float(spread), float(cap)),  # fmt: skip
        )  # fmt: skip


def cf_attrs(name: str, attrs: dict, calibration: Calibration) -> dict:
    """CF attributes of the standard deviation of a field ``name`` with attributes ``attrs``:
    the field's units, ``standard_name`` "<the field's> standard_error" where it has one, and
    how it was calibrated (or that it was not).

    >>> cf_attrs("sst", {"units": "K", "standard_name": "sea_surface_temperature"},
    ...          Calibration())["standard_name"]
    'sea_surface_temperature standard_error'
    """
    out = {"long_name": f"standard deviation of {attrs.get('long_name', name)}"}
    if "units" in attrs:
        out["units"] = attrs["units"]
    if attrs.get("standard_name"):
        out["standard_name"] = f"{attrs['standard_name']} standard_error"
    out["xinr_calibration"] = calibration.summary()
    out["xinr_calibrated"] = int(calibration.calibrated)
    out["xinr_calibration_locations"] = int(calibration.locations)
    return out
