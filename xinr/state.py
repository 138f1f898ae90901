"""A fitted :class:`xinr.INR` as a state of plain types and tensors, and back: the options it was
made with, its plan, the fitted field, the labels and coordinates of its snapshots. Files written
before the options and the plan were kept still load, with the defaults for what they lack."""

from __future__ import annotations

import dataclasses
import os
import tempfile

import numpy as np
import xarray as xr

from .coords import SpatialLayout, decode_labels, encode_labels
from .errors import ModelFileError
from .fieldstats import FieldStats


def plain(value):
    """``value`` with numpy scalars, arrays and tuples made JSON types (lists, numbers)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (np.ndarray, tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def _plain_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        v = plain(v)
        if isinstance(v, (str, int, float, bool)) or (
            isinstance(v, list) and all(isinstance(i, (str, int, float, bool)) for i in v)
        ):
            out[str(k)] = v
    return out


def _template_bytes(ds: xr.Dataset) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.nc")
        ds = ds.copy()
        for v in ds.variables.values():
            v.attrs = _plain_attrs(v.attrs)
            v.encoding = {k: e for k, e in v.encoding.items() if k in ("units", "calendar")}
        ds.to_netcdf(path)
        with open(path, "rb") as f:
            return f.read()


def _template_from_bytes(b: bytes) -> xr.Dataset:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.nc")
        with open(path, "wb") as f:
            f.write(b)
        with xr.open_dataset(path, use_cftime=None) as ds:
            return ds.load()


def estimator_state(est) -> dict:
    """``{"meta": ..., "tensors": ...}`` of a fitted estimator (:func:`xinr.io.write_state`)."""
    import torch

    field_meta, tensors = est.field_.to_state()
    plan = est.plan_
    meta = {
        "model": est.model,
        "options": plain({k: v for k, v in est.get_params().items()}),
        "model_kwargs": plain(est.model_kwargs_),
        "ensemble": int(est.ensemble_),
        "network": plain(est.network_),
        "train_config": {
            k: v
            for k, v in est.train_config_.items()
            if isinstance(v, (int, float, str, bool, type(None)))
        },
        **field_meta,
        "plan": {
            "preset": plan.preset,
            "residuals": plan.residuals,
            "gate": plan.gate,
            "combine": plan.combine,
            "spacing": plan.spacing,
            "rules": [[r.name, plain(r.value), r.why] for r in plan.rules],
        },
        "stats": plain(dataclasses.asdict(est.stats_)),
        "layout": {
            "lat": est.layout_.lat,
            "lon": est.layout_.lon,
            "dims": list(est.layout_.dims),
            "snapshot_dims": list(est.layout_.snapshot_dims),
        },
        "labels": {d: encode_labels(v) for d, v in est.labels_.items()},
        "n_snapshots": est.n_snapshots_,
        "n_obs": est.n_obs_,
        "name": None if est.name_ is None else str(est.name_),
        "attrs": _plain_attrs(est.attrs_),
        "dims": list(est.dims_),
        "global": bool(est.global_),
        "history": est.history_,
        "interrupted": bool(est.interrupted_),
        "fit_seconds": est.fit_seconds_,
        "device": est.device_,
        # the held-out check that decided whether the misfits were added (None: not made)
        "misfit_check": plain(getattr(est, "misfit_check_", None)),
    }
    template = bytearray(_template_bytes(est.template_))
    tensors["template"] = torch.frombuffer(template, dtype=torch.uint8)
    return {"meta": meta, "tensors": tensors}


def estimator_from_state(cls, state: dict):
    """The fitted estimator of class ``cls`` in ``state`` (:func:`xinr.io.read_state`)."""
    from .fitted import FittedField
    from .labels import snapshot_times
    from .plan import AUTO_MODEL_NAME, MIX_MODEL_NAME

    meta, tensors = state["meta"], state["tensors"]
    try:
        options = meta.get("options")
        if options is None:  # written before the options were kept: the model's own keywords
            chooses = meta["model"] in (MIX_MODEL_NAME, AUTO_MODEL_NAME)
            options = {"model": meta["model"], "progress": False}
            options.update({} if chooses else meta["model_kwargs"])
        est = cls(**options)
        network = dict(meta.get("network") or {})
        names = network.get("names")
        base = network.get("base", meta["model"])
        # files written before model="auto" did not say which model it chose
        network.setdefault("model", MIX_MODEL_NAME if names else base)
        network.update(base=base, names=names, members=network.get("members"))
        ensemble = int(meta.get("ensemble", 1))
        spec = {
            "base": base, "ensemble": ensemble, "model": meta["model_kwargs"],
            "members": network["members"], "names": names, "n_snapshots": meta["n_snapshots"],
        }  # fmt: skip
        lay = meta["layout"]
        layout = SpatialLayout(
            lay["lat"], lay["lon"], tuple(lay["dims"]), tuple(lay["snapshot_dims"])
        )
        labels = {d: decode_labels(v) for d, v in meta["labels"].items()}
        times = snapshot_times(labels, layout.snapshot_dims, meta["n_snapshots"])
        one_axis = len(layout.snapshot_dims) == 1
        est.field_ = FittedField.from_state(
            meta, tensors, spec, times, one_axis, device=options.get("device", "auto")
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ModelFileError(
            f"The model file's contents do not make a fitted model ({type(err).__name__}: "
            f"{str(err).splitlines()[0][:200] if str(err) else ''}); it may be damaged."
        ) from None
    est.layout_, est.labels_ = layout, labels
    est.network_ = network
    _restore_fitted(est, meta, tensors, spec)
    return est


def _restore_fitted(est, meta: dict, tensors: dict, spec: dict) -> None:
    """The fitted attributes other than the field, the layout and the labels."""
    from .plan import Plan, Rule

    est.model_kwargs_ = meta["model_kwargs"]
    est.ensemble_ = spec["ensemble"]
    est.train_config_ = meta["train_config"]
    saved = meta.get("plan") or {}
    est.plan_ = Plan(
        preset=saved.get("preset", est.preset),
        name=est.network_["model"],
        base=spec["base"],
        ensemble=spec["ensemble"],
        model=meta["model_kwargs"],
        train=meta["train_config"],
        residuals=saved.get("residuals", "idw" if "residuals" in tensors else "none"),
        gate=bool(saved.get("gate", meta.get("misfit_check") is not None)),
        combine=saved.get("combine", "none"),
        bounds=est.field_.bounds,
        members=spec["members"],
        names=spec["names"],
        spacing=float(saved.get("spacing", 1.0)),
        rules=tuple(Rule(*r) for r in saved.get("rules", [])),
    )
    stats = meta.get("stats")
    est.stats_ = (
        FieldStats(**{**stats, "value_range": tuple(stats["value_range"])})
        if stats
        else FieldStats(meta["n_obs"], meta["n_obs"], meta["n_snapshots"])
    )
    est.global_ = meta["global"]
    est.history_ = meta["history"]
    est.interrupted_ = meta["interrupted"]
    est.diverged_ = False
    est.fit_seconds_ = meta["fit_seconds"]
    est.n_obs_ = meta["n_obs"]
    est.n_snapshots_ = meta["n_snapshots"]
    est.name_ = meta["name"]
    est.attrs_ = meta["attrs"]
    est.dims_ = tuple(meta["dims"])
    est.template_ = _template_from_bytes(bytes(tensors["template"].numpy().tobytes()))
    est.device_ = meta["device"]
    est.misfit_check_ = meta.get("misfit_check")
    est.declined_residuals_ = None  # (not saved)
    est.xinr_version_ = meta["xinr_version"]
