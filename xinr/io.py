"""Save and load fitted INRs: one file of tensors and plain types, read with
``torch.load(weights_only=True)`` so that loading never runs code from the file."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np
import torch
import xarray as xr

from ._version import __version__
from .coords import SpatialLayout, decode_labels, encode_labels
from .encoding import Encoding, TimeScaler
from .errors import ModelFileError
from .normalize import Standardizer
from .presets import AUTO_MODEL_NAME, MIX_MODEL_NAME
from .residuals import ResidualField

FORMAT_VERSION = 1
MAGIC = "xinr-model"


def _plain_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (np.generic,)):
            v = v.item()
        if isinstance(v, np.ndarray):
            v = v.tolist()
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


def save(est, path) -> None:
    """Write a fitted :class:`xinr.INR` to ``path`` (atomically)."""
    meta = {
        "magic": MAGIC,
        "format_version": FORMAT_VERSION,
        "xinr_version": __version__,
        "model": est.model,
        "model_kwargs": est.model_kwargs_,
        "ensemble": int(est.ensemble_),
        # the networks behind model="mix" (a mixture), or per-member initial keywords
        "network": est.network_,
        "train_config": {
            k: v
            for k, v in est.train_config_.items()
            if isinstance(v, (int, float, str, bool, type(None)))
        },
        "encoding": est.encoding_.to_dict(),
        "scaler": est.scaler_.to_dict(),
        "time_scaler": est.time_scaler_.to_dict(),
        "bounds": None if est.bounds_ is None else list(est.bounds_),
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
        "misfit_check": getattr(est, "misfit_check_", None),
    }
    state = {
        "meta_json": json.dumps(meta),
        "state_dict": {k: v.detach().cpu() for k, v in est.model_.state_dict().items()},
        "template": torch.frombuffer(bytearray(_template_bytes(est.template_)), dtype=torch.uint8),
    }
    if getattr(est, "residuals_", None) is not None:
        state["residuals"] = {
            k: torch.from_numpy(np.ascontiguousarray(v))
            for k, v in est.residuals_.to_dict().items()
        }
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path):
    """Load a model written by :meth:`xinr.INR.save`.

    Raises
    ------
    ModelFileError
        The file is not an xinr model, is damaged, or was written by a newer format.
    """
    from .estimator import INR
    from .models import build_network

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file: {path!r}")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path!r} is not an xinr model file (not a torch zip archive; it may be truncated or "
            "another kind of file)."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ModelFileError(
            f"{path!r} cannot be loaded safely as an xinr model: {type(err).__name__}: "
            f"{str(err).splitlines()[0][:300]}"
        ) from None
    if not isinstance(state, dict) or "meta_json" not in state:
        raise ModelFileError(f"{path!r} is a torch file but not an xinr model.")
    try:
        meta = json.loads(state["meta_json"])
    except (TypeError, ValueError):
        raise ModelFileError(f"{path!r} has an unreadable header.") from None
    if meta.get("magic") != MAGIC:
        raise ModelFileError(f"{path!r} is not an xinr model file.")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path!r} was written in xinr model format {meta['format_version']} (by xinr "
            f"{meta.get('xinr_version')}); this xinr ({__version__}) reads format "
            f"{FORMAT_VERSION} or older. Upgrade xinr: pip install -U xinr."
        )
    # files written before model="mix" hold no "network": one kind of model, built from
    # model_kwargs (per-member keywords only set initial values)
    network = meta.get("network") or {}
    base = network.get("base", meta["model"])
    chooses = meta["model"] in (MIX_MODEL_NAME, AUTO_MODEL_NAME)  # (its own hyperparameters)
    user_kwargs = {} if chooses else meta["model_kwargs"]
    est = INR(model=meta["model"], progress=False, **user_kwargs)
    enc = Encoding.from_dict(meta["encoding"])
    ens = int(meta.get("ensemble", 1))
    names = network.get("names")
    net = build_network(
        base,
        enc.dim,
        meta["n_snapshots"],
        ens,
        meta["model_kwargs"],
        network.get("members") if names else None,
        names,
    )
    net.load_state_dict(state["state_dict"])
    net.eval()
    lay = meta["layout"]
    est.model_ = net
    est.model_kwargs_ = meta["model_kwargs"]
    est.ensemble_ = ens
    est.network_ = {
        # files written before model="auto" did not say which model it chose
        "model": network.get("model", MIX_MODEL_NAME if names else base),
        "base": base,
        "names": names,
        "members": network.get("members"),
    }
    est.train_config_ = meta["train_config"]
    est.encoding_ = enc
    est.scaler_ = Standardizer(**meta["scaler"])
    est.time_scaler_ = TimeScaler(**meta["time_scaler"])
    # files written before predictions were bounded: unbounded, as they were fitted
    est.bounds_ = None if meta.get("bounds") is None else tuple(meta["bounds"])
    est.layout_ = SpatialLayout(
        lay["lat"], lay["lon"], tuple(lay["dims"]), tuple(lay["snapshot_dims"])
    )
    est.labels_ = {d: decode_labels(v) for d, v in meta["labels"].items()}
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
    est.template_ = _template_from_bytes(bytes(state["template"].numpy().tobytes()))
    est.device_ = meta["device"]
    # files written before the misfits were kept hold none: the network alone, as they were fitted
    res = state.get("residuals")
    est.residuals_ = (
        None if res is None else ResidualField.from_dict({k: v.numpy() for k, v in res.items()})
    )
    est.misfit_check_ = meta.get("misfit_check")
    est.declined_residuals_ = None  # (not saved)
    est.xinr_version_ = meta["xinr_version"]
    return est


__all__ = ["load", "save"]
