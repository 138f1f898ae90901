"""The fitted field: the trained network with its encoding, scalers, bounds and residual stage,
evaluated at points and snapshots, and written to and read from a plain state. numpy and torch
in and out; the labels of snapshots and the xarray side belong to :class:`xinr.INR`."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch

from .combine import Combination
from .encoding import Encoding, TimeScaler, time_neighbours
from .models import build_network
from .normalize import Standardizer
from .residuals import RESIDUAL_STAGES
from .training import resolve_device
from .uncertainty import Uncertainty


@dataclass
class FittedField:
    """A fitted field on the sphere.

    Attributes
    ----------
    model : torch.nn.Module
        The trained network (an ensemble of several, or one).
    network : dict
        How to rebuild it: ``base``, ``ensemble``, ``model`` (the base keywords), ``members`` and
        ``names`` (per member, where they differ), ``n_snapshots``.
    encoding, scaler, time_scaler :
        Coordinates to network inputs; values to and from the network's scale; times to [0, 1].
    times : numpy.ndarray
        Time of each training snapshot as a float (NaN where unknown).
    one_axis : bool
        Whether the snapshots lie along one dimension: times between them can then be asked for.
    bounds : tuple or None
        Limits of the predicted values.
    residuals : a residual stage (xinr.residuals.RESIDUAL_STAGES) or None
        The residual stage: the network's misfits at the observations, interpolated and added.
    combination : xinr.combine.Combination or None
        The combination stage: the field above weighed against kriging of the observed values.
    uncertainty : xinr.uncertainty.Uncertainty or None
        The standard deviation of the field's errors (None: a model saved without one).
    device : str
        Where to predict (``"auto"``: a CUDA GPU where there is one).
    """

    model: torch.nn.Module
    network: dict
    encoding: Encoding
    scaler: Standardizer
    time_scaler: TimeScaler
    times: np.ndarray
    one_axis: bool = True
    bounds: tuple | None = None
    residuals: object | None = None  # a residual stage (xinr.residuals.RESIDUAL_STAGES)
    device: str = "auto"
    combination: object | None = None  # xinr.combine.Combination
    uncertainty: object | None = None  # xinr.uncertainty.Uncertainty

    def std(self, lat, lon, snaps, times) -> np.ndarray:
        """(S, P) standard deviations of the field's errors for snapshots ``snaps`` at times
        ``times`` at points ``lat``/``lon`` (:mod:`xinr.uncertainty`); between training
        snapshots, the linear interpolation in time of the neighbours'. NaN where a position is
        unknown.

        Raises
        ------
        ValueError
            For a model saved by a version without uncertainties.
        """
        if self.uncertainty is None:
            raise ValueError(
                "This model has no standard deviations: it was saved by an earlier xinr "
                "version, or its training diverged. Refit it to get them."
            )
        lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        located = np.isfinite(lat) & np.isfinite(lon)
        out = np.full((len(snaps), len(lat)), np.nan, dtype=np.float32)
        snaps, times = np.asarray(snaps, dtype=np.int64), np.asarray(times, dtype=np.float64)
        at = (times == self.times[snaps]) | ~np.isfinite(times) | ~np.isfinite(self.times[snaps])
        la, lo = lat[located], lon[located]
        sub = np.empty((len(snaps), int(located.sum())), dtype=np.float32)
        if at.any():
            sub[at] = self.uncertainty.std(la, lo, snaps[at])
        if not at.all():
            sub[~at] = self._in_time(self.uncertainty.std, la, lo, times[~at])
        out[:, located] = sub
        return out

    def predict(self, lat, lon, snaps, times, batch_size=None, out=None) -> np.ndarray:
        """(S, P) values for snapshots ``snaps`` at times ``times`` (S,), at points ``lat``/``lon``
        (P,) in degrees, in bounded batches.

        Runs on ``device`` (a CUDA GPU under ``"auto"`` where there is one). Each batch holds up
        to 16 snapshots at the same points (MMGN then evaluates its filters once per point for
        all of them) and about ``batch_size`` rows (default 4096 on CPU, which keeps the
        activations in cache; 2**18 on GPU). Points whose position is NaN are NaN.
        """
        between = self._between(snaps, times)
        if between is not None:  # a model without a time input, at times between snapshots
            i0, i1, w = between
            need = np.unique(np.concatenate([i0, i1]))
            rows = self.predict(lat, lon, need, self.times[need], batch_size)
            k0, k1 = np.searchsorted(need, i0), np.searchsorted(need, i1)
            w = w.astype(np.float32)[:, None]
            blend = (1 - w) * rows[k0] + w * rows[k1]
            if out is None:
                return blend
            out[...] = blend
            return out
        located = np.isfinite(lat) & np.isfinite(lon)
        if not located.all():  # points whose position is unknown: NaN
            full = np.empty((len(snaps), len(lat)), np.float32) if out is None else out
            full[:, ~located] = np.nan
            full[:, located] = self.predict(lat[located], lon[located], snaps, times, batch_size)
            return full
        out = self._network_values(lat, lon, snaps, times, batch_size, out)
        if self.residuals is not None:
            self._add_residuals(out, lat, lon, snaps, times)
        if self.combination is not None:
            self._combine(out, lat, lon, snaps, times)
        return out

    def _network_values(self, lat, lon, snaps, times, batch_size, out) -> np.ndarray:
        """The network's (S, P) values at training snapshots (or, for models that take time as
        an input, at any time), clipped to the bounds where no residual stage follows."""
        dev = torch.device("cpu")
        if torch.cuda.is_available() and str(self.device) != "cpu":
            dev = resolve_device(self.device)  # a model saved on a GPU machine predicts on CPU
        net = self.model if dev.type == "cpu" else copy.deepcopy(self.model).to(dev)
        if batch_size is None:
            batch_size = 4096 if dev.type == "cpu" else 2**18
        S, P = len(snaps), len(lat)
        if out is None:
            out = np.empty((S, P), dtype=np.float32)
        tsc = self.time_scaler(times).astype(np.float32)
        # else after the misfits or the combination
        clip_now = self.bounds is not None and self.residuals is None and self.combination is None
        sc = max(1, min(S, 16))
        pc = max(1, min(P, batch_size // sc))
        with torch.inference_mode():
            for p0 in range(0, P, pc):
                x = self.encoding(lat[p0 : p0 + pc], lon[p0 : p0 + pc]).to(dev)
                n_p = x.shape[0]
                for s0 in range(0, S, sc):
                    s_idx = torch.as_tensor(snaps[s0 : s0 + sc], dtype=torch.long, device=dev)
                    n_s = len(s_idx)
                    point = torch.arange(n_p, device=dev).repeat(n_s)
                    snap = s_idx.repeat_interleave(n_p)
                    t = torch.as_tensor(tsc[s0 : s0 + sc], device=dev).repeat_interleave(n_p)
                    y = net(x, point, snap, t).float().view(n_s, n_p).cpu().numpy()
                    y = self.scaler.inverse(y)
                    if clip_now:  # (lo, hi), one side may be None
                        y = np.clip(y, *self.bounds)
                    out[s0 : s0 + n_s, p0 : p0 + n_p] = y
        return out

    def _between(self, snaps, times):
        """For a model without a time input (MMGN, a mixture with MMGN members), rows asked for
        at times between training snapshots are the linear interpolation in time of the two
        neighbouring snapshots' reconstructions, misfits included, so the field is continuous
        in time and exact at the snapshots: ``(i0, i1, w)`` for every row, or None where every
        row is a training snapshot (or the model takes time as an input)."""
        if self.model.uses_time or not self.one_axis:
            return None
        times = np.asarray(times, dtype=np.float64)
        if not np.isfinite(self.times).all() or np.array_equal(times, self.times[snaps]):
            return None
        return time_neighbours(self.times, times)

    def _at_snapshots(self, snaps, times) -> tuple:
        """``(snaps, times, at)`` as arrays, ``at`` where a row is a training snapshot's own
        (always for a model without a time input)."""
        snaps = np.asarray(snaps, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        at = (times == self.times[snaps]) | ~np.isfinite(times) | (not self.model.uses_time)
        return snaps, times, at

    def _in_time(self, field, lat, lon, times) -> np.ndarray:
        """``field(lat, lon, snaps)`` (S, P) at ``times`` between training snapshots: the linear
        interpolation in time of the two neighbouring snapshots' (one call for both: one set of
        unit vectors, shared neighbour searches)."""
        i0, i1, w = time_neighbours(self.times, times)
        f0, f1 = np.split(field(lat, lon, np.concatenate([i0, i1])), 2)
        return (1 - w)[:, None] * f0 + w[:, None] * f1

    def _add_residuals(self, out, lat, lon, snaps, times) -> None:
        """Add the interpolated misfits of each training snapshot to its row of ``out`` (S, P),
        then clip to the bounds. Rows of a model that takes time as an input, at times between
        training snapshots, get the linear interpolation in time of the two neighbouring
        snapshots' misfits, so the field is continuous in time and exact at the snapshots."""
        snaps, times, at = self._at_snapshots(snaps, times)
        if at.all():
            self.residuals.interpolate(lat, lon, snaps, out=out)
        else:
            rows = np.flatnonzero(at)
            if rows.size:
                sub = out[rows]
                out[rows] = self.residuals.interpolate(lat, lon, snaps[rows], out=sub)
            mid = np.flatnonzero(~at)
            out[mid] += self._in_time(self.residuals.interpolate, lat, lon, times[mid]).astype(
                out.dtype
            )
        if self.bounds is not None:
            np.clip(out, *self.bounds, out=out)

    def _combine(self, out, lat, lon, snaps, times) -> None:
        """Weigh each row of ``out`` (S, P) against the classical field of its snapshot (at
        times between training snapshots, of a model with a time input: the classical fields of
        the two neighbours interpolated in time), then clip to the bounds."""
        snaps, times, at = self._at_snapshots(snaps, times)
        field = np.empty(out.shape, dtype=np.float32)
        if at.any():
            field[at] = self.combination.field(lat, lon, snaps[at])
        if not at.all():
            field[~at] = self._in_time(self.combination.field, lat, lon, times[~at])
        self.combination.blend(out, lat, lon, snaps, field)
        if self.bounds is not None:
            np.clip(out, *self.bounds, out=out)

    # ------------------------------------------------------------------ state
    def to_state(self) -> tuple[dict, dict]:
        """``(meta, tensors)``: plain types for a JSON header, and tensors."""
        meta = {
            "encoding": self.encoding.to_dict(),
            "scaler": self.scaler.to_dict(),
            "time_scaler": self.time_scaler.to_dict(),
            "bounds": None if self.bounds is None else list(self.bounds),
        }
        tensors = {"state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()}}
        if self.residuals is not None:
            kind = {cls: name for name, cls in RESIDUAL_STAGES.items()}[type(self.residuals)]
            meta["residual_stage"] = kind
            tensors["residuals"] = {
                k: torch.from_numpy(np.ascontiguousarray(v))
                for k, v in self.residuals.to_dict().items()
            }
        if self.uncertainty is not None:
            meta["uncertainty"] = self.uncertainty.to_meta()
            tensors["uncertainty"] = {
                k: torch.from_numpy(np.ascontiguousarray(v))
                for k, v in self.uncertainty.to_arrays().items()
            }
        if self.combination is not None:
            meta["combination"] = {"peer": "kriging", "weight": self.combination.weight}
            parts = {**self.combination.anomalies.to_dict(), "mean": self.combination.mean}
            tensors["combination"] = {
                k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in parts.items()
            }
        return meta, tensors

    @classmethod
    def from_state(
        cls, meta: dict, tensors: dict, spec: dict, times, one_axis, device="auto"
    ) -> FittedField:
        """The field written by :meth:`to_state`, its network rebuilt from ``spec`` (as
        :attr:`network`; ``times`` and ``one_axis`` come from the snapshots' labels)."""
        enc = Encoding.from_dict(meta["encoding"])
        net = build_network(
            spec["base"],
            enc.dim,
            spec["n_snapshots"],
            spec["ensemble"],
            spec["model"],
            spec.get("members") if spec.get("names") else None,
            spec.get("names"),
        )
        net.load_state_dict(tensors["state_dict"])
        net.eval()
        res = tensors.get("residuals")
        combination = None
        if "combination" in tensors:
            parts = {k: v.numpy() for k, v in tensors["combination"].items()}
            mean = parts.pop("mean")
            kriged = RESIDUAL_STAGES["kriging"].from_dict(parts)
            combination = Combination(float(meta["combination"]["weight"]), mean, kriged)
        uncertainty = None
        if "uncertainty" in tensors:
            arrays = {k: v.numpy() for k, v in tensors["uncertainty"].items()}
            uncertainty = Uncertainty.from_state(meta["uncertainty"], arrays)
        return cls(
            model=net,
            network=spec,
            encoding=enc,
            scaler=Standardizer(**meta["scaler"]),
            time_scaler=TimeScaler(**meta["time_scaler"]),
            times=times,
            one_axis=one_axis,
            # files written before predictions were bounded: unbounded, as they were fitted
            bounds=None if meta.get("bounds") is None else tuple(meta["bounds"]),
            # files written before the misfits were kept: the network alone, as fitted
            residuals=None
            if res is None
            else RESIDUAL_STAGES[meta.get("residual_stage", "idw")].from_dict(
                {k: v.numpy() for k, v in res.items()}
            ),
            device=device,
            combination=combination,
            uncertainty=uncertainty,
        )
