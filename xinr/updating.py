"""The xarray side of :meth:`xinr.INR.update`: checks that the new snapshots belong to the fitted
field, reads their observations, and labels the updated fit (:mod:`xinr.update` fits the codes)."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import xarray as xr

from .coords import find_layout, spatial_points
from .errors import CoordinateError, DataError
from .labels import dim_labels, label_key, snapshot_times
from .sampling import observed_points

REGION_MARGIN = 0.05  # of the training box: how far outside it new places may lie


def updated(est, da: xr.DataArray, *, epochs=None, max_time=None):
    """A copy of the fitted ``est`` that also holds the snapshots of ``da``."""
    import torch

    from .pipeline import ObservationPredictor, canonical
    from .plan import Rule
    from .training import TrainData
    from .update import combined_combination, combined_residuals, fit_codes, with_codes

    dim = _check_same_field(est, da)
    layout = find_layout(da, est.layout_.lat, est.layout_.lon)
    new_labels = dim_labels(da, dim)
    _check_new_labels(est.labels_[dim], new_labels, dim)
    lat, lon = spatial_points(da, layout, allow_missing=True)
    observed = canonical(observed_points(da, layout), lat, lon)
    if len(observed) == 0:
        raise DataError("The new snapshots hold no finite value; there is nothing to fit.")
    field = est.field_
    x = field.encoding(observed.lat, observed.lon)
    _check_region(field.encoding, x)
    n_old, n_new = est.n_snapshots_, int(np.prod([da.sizes[d] for d in layout.snapshot_dims]))
    labels = {dim: np.concatenate([est.labels_[dim], new_labels])}
    times = snapshot_times(labels, (dim,), n_old + n_new)
    snap = torch.as_tensor(observed.snap, dtype=torch.long)
    data = TrainData(
        x=x,
        point=torch.as_tensor(observed.point, dtype=torch.long),
        snap=snap,
        t=torch.as_tensor(field.time_scaler(times[n_old:][observed.snap]), dtype=torch.float32),
        y=torch.as_tensor(field.scaler.transform(observed.value), dtype=torch.float32),
    )
    device = torch.device("cpu")
    cfg = _config(est.plan_.train, epochs, max_time, len(data))
    codes, result = fit_codes(field.model, data, n_new, cfg, device)
    merged = with_codes(field.model, codes)
    residual = None
    if field.residuals is not None:  # the new snapshots' own misfits, kind as the fit's
        shifted = dataclasses.replace(data, snap=snap + n_old)
        pred = ObservationPredictor(shifted, field.scaler, field.bounds, device)(merged)
        o = observed
        residual = type(field.residuals)(o.lat, o.lon, o.point, o.snap, o.value - pred, n_new)
    out = copy.copy(est)
    out.field_ = dataclasses.replace(
        field,
        model=merged,
        network={**field.network, "n_snapshots": n_old + n_new},
        times=times,
        residuals=combined_residuals(field.residuals, residual, n_old, n_old + n_new),
        combination=combined_combination(field.combination, observed, n_old, n_new),
        uncertainty=None  # (a model saved without one)
        if field.uncertainty is None
        else field.uncertainty.with_snapshots(
            observed.lat, observed.lon, observed.point, observed.snap, n_new
        ),
    )
    out.labels_ = labels
    out.template_ = _template(est.template_, dim, labels[dim], da)
    out.n_snapshots_, out.n_obs_ = n_old + n_new, est.n_obs_ + len(observed)
    why = f"{len(observed):,} observations, {len(result.history)} epochs on the frozen basis"
    out.plan_ = est.plan_.with_rule(Rule("update", n_new, why))
    out.update_history_ = result.history
    out.declined_residuals_ = None
    return out


def _check_same_field(est, da: xr.DataArray) -> str:
    """The snapshot dimension, after checking that ``da`` is the fitted variable along it."""
    name, units = est.name_, est.attrs_.get("units")
    if name is not None and da.name is not None and str(da.name) != str(name):
        raise DataError(
            f"The model was fitted on {name!r}; got {da.name!r}. Update it with the same "
            "variable (rename it if only the name differs), or fit a model for this one."
        )
    if units is not None and da.attrs.get("units") not in (None, units):
        raise DataError(
            f"The model was fitted on values in {units!r}; the new snapshots are in "
            f"{da.attrs['units']!r}. Convert them first."
        )
    dims = est.layout_.snapshot_dims
    layout = find_layout(da, est.layout_.lat, est.layout_.lon)
    if len(dims) != 1 or tuple(layout.snapshot_dims) != tuple(dims):
        raise CoordinateError(
            f"update() adds snapshots along one dimension; the model has snapshot dimensions "
            f"{dims} and the new field {layout.snapshot_dims}. Pass the same dimension, e.g. "
            f"{(dims or ('time',))[0]!r} only."
        )
    return dims[0]


def _check_new_labels(train: np.ndarray, new: np.ndarray, dim: str) -> None:
    known = {label_key(v) for v in train}
    clash = [v for v in new if label_key(v) in known]
    if clash:
        raise CoordinateError(
            f"{len(clash)} of the new {dim!r} value(s) are training snapshots already (first: "
            f"{clash[0]}). update() adds new snapshots; select only those after the training "
            "span, or refit."
        )
    if len({label_key(v) for v in new}) != len(new):
        raise CoordinateError(f"The new {dim!r} values repeat; each snapshot needs its own.")


def _check_region(encoding, x) -> None:
    """New places must lie in the training region (the box of a regional fit)."""
    if encoding.kind != "box":
        return  # a global field: the sphere has no outside
    lo, hi = float(x.min()), float(x.max())
    if lo < -REGION_MARGIN or hi > 1 + REGION_MARGIN:
        raise CoordinateError(
            "Some new observations lie outside the region the model was fitted on (its lat/lon "
            f"box, with a margin of {REGION_MARGIN:.0%}): a learned basis says nothing there. "
            "Select the training region, or fit a model for this one."
        )


def _config(train: dict, epochs, max_time, n: int):
    """The training loop's settings for the codes: the fit's recipe at the codes' learning rate,
    every new observation training (nothing held out), its members' weights kept, by default
    :data:`xinr.update.UPDATE_STEPS` steps."""
    import math

    from .training import TrainConfig
    from .update import UPDATE_LR, UPDATE_STEPS

    cfg = {k: v for k, v in train.items() if k in TrainConfig.__dataclass_fields__}
    cfg.update(member_weights="uniform", member_folds=False, selection_loss=None, checkpoint=None)
    cfg.update(resume=None, progress=False, max_time=max_time, epochs=epochs)
    cfg.update(lr=UPDATE_LR, validation=0.0, schedule="cosine")
    if epochs is None and max_time is None:
        per_epoch = math.ceil(n / max(1, min(int(cfg.get("batch_size", n)), n)))
        cfg["epochs"] = max(1, math.ceil(UPDATE_STEPS / per_epoch))
    return TrainConfig(**cfg)


def _template(template: xr.Dataset, dim: str, labels: np.ndarray, da: xr.DataArray) -> xr.Dataset:
    """The training grid's coordinates with the snapshot labels of both (coordinates along the
    snapshot dimension other than its labels are dropped)."""
    along = [c for c in template.coords if dim in template[c].dims]
    out = template.drop_vars(along).assign_coords({dim: labels})
    if dim in da.coords:
        out[dim].attrs = dict(da[dim].attrs)
    return out
