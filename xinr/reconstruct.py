"""Dense reconstruction on a target grid: target -> points -> batched prediction -> DataArray
(with its standard deviation, a Dataset)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .coords import find_layout, spatial_points
from .errors import CoordinateError


def _target_dataset(est, target) -> xr.Dataset:
    """Normalise a dict / DataArray / Dataset target to a Dataset of coordinates."""
    lay = est.layout_
    if isinstance(target, dict):
        t = dict(target)
        lat = t.pop("lat", t.pop(lay.lat, None))
        lon = t.pop("lon", t.pop(lay.lon, None))
        if lat is None or lon is None:
            raise CoordinateError(
                f"A dict target needs 'lat' and 'lon' entries (degrees); got keys {sorted(target)}."
            )
        lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        if "time" in t and "time" not in lay.snapshot_dims and len(lay.snapshot_dims) == 1:
            t[lay.snapshot_dims[0]] = t.pop("time")
        coords = {}
        lat_name = lay.lat if lay.lat not in lay.snapshot_dims else "lat"
        lon_name = lay.lon if lay.lon not in lay.snapshot_dims else "lon"
        if lat.ndim == 1 and lon.ndim == 1:
            coords[lat_name] = (
                lat_name,
                lat,
                {"units": "degrees_north", "standard_name": "latitude"},
            )
            coords[lon_name] = (
                lon_name,
                lon,
                {"units": "degrees_east", "standard_name": "longitude"},
            )
        elif lat.shape == lon.shape and lat.ndim == 2:
            coords[lat_name] = (("y", "x"), lat, {"units": "degrees_north"})
            coords[lon_name] = (("y", "x"), lon, {"units": "degrees_east"})
        else:
            raise CoordinateError(
                f"Dict target lat/lon must be 1-D (a grid) or 2-D of the same shape; got shapes "
                f"{lat.shape} and {lon.shape}."
            )
        for k, v in t.items():
            if k not in lay.snapshot_dims:
                raise CoordinateError(
                    f"Dict target key {k!r} is neither lat/lon nor a snapshot dimension "
                    f"{list(lay.snapshot_dims)}."
                )
            coords[k] = (k, np.atleast_1d(np.asarray(v)))
        return xr.Dataset(coords=coords)
    if isinstance(target, xr.DataArray):
        return target.coords.to_dataset()
    if isinstance(target, xr.Dataset):
        return target
    raise TypeError(
        f"target must be None, an xarray DataArray/Dataset or a dict of lat/lon; got "
        f"{type(target).__name__}."
    )


def reconstruct(est, target=None, *, batch_size: int | None = None, chunks=None,
                uncertainty: bool = False):  # fmt: skip
    """See :meth:`xinr.INR.reconstruct`."""
    lay = est.layout_
    if target is None:
        tgt = est.template_
        t_lay = lay
    else:
        tgt = _target_dataset(est, target)
        lat_n = lay.lat if lay.lat in tgt.coords else None
        lon_n = lay.lon if lay.lon in tgt.coords else None
        try:
            t_lay = find_layout(tgt, lat_n, lon_n)
        except CoordinateError as err:
            raise CoordinateError(f"The target grid has no usable lat/lon: {err}") from None
    spatial_dims = tuple(t_lay.dims)
    spatial_shape = tuple(tgt.sizes[d] for d in spatial_dims)
    lazy_chunks = _lazy_chunks(target, tgt, chunks, lay.snapshot_dims, spatial_dims)
    # snapshot selection: target's labels where given, else every training snapshot
    sel = {}
    for d in lay.snapshot_dims:
        if target is not None and d in tgt.coords and tgt[d].ndim <= 1:
            sel[d] = np.atleast_1d(tgt[d].values)
        else:
            sel[d] = est.labels_[d]
    snaps, times = est.snapshot_index(sel)
    snap_shape = tuple(len(sel[d]) for d in lay.snapshot_dims)
    parts = ("value", "std") if uncertainty else ("value",)
    if lazy_chunks is None:
        lat, lon = spatial_points(tgt, t_lay, allow_missing=True)
        arrays = [
            _evaluate(est.field_, part, snaps, times, lat, lon, batch_size).reshape(
                snap_shape + spatial_shape
            )
            for part in parts
        ]
    else:
        arrays = [
            _lazy_predict(est, tgt, t_lay, snaps, times, snap_shape, lazy_chunks, batch_size, part)
            for part in parts
        ]
    dims = lay.snapshot_dims + spatial_dims
    if target is None:
        coords = dict(est.template_.coords.items())
    else:
        out_dims = set(dims)
        coords = {n: c for n, c in tgt.coords.items() if set(c.dims) <= out_dims}
        missing = set(lay.snapshot_dims) - set(tgt.dims)
        for name, c in est.template_.coords.items():
            if c.dims and set(c.dims) <= missing and name not in coords:
                coords[name] = c
    out = [
        xr.DataArray(a, dims=dims, coords=coords, name=est.name_, attrs=est.output_attrs())
        for a in arrays
    ]
    order = [d for d in est.dims_ if d in dims]
    order += [d for d in dims if d not in order]
    out = [o.transpose(*order) for o in out]
    return out[0] if not uncertainty else with_std(out[0], out[1], est.field_.uncertainty)


def with_std(field: xr.DataArray, std: xr.DataArray, uncertainty) -> xr.Dataset:
    """A Dataset of ``field`` and its standard deviation ``std``, named ``<name>_std`` and
    attributed after CF (:func:`xinr.uncertainty.cf_attrs`); the field's
    ``ancillary_variables`` names it."""
    from .uncertainty import cf_attrs

    name = str(field.name) if field.name is not None else "field"
    std_name = f"{name}_std"
    attrs = dict(field.attrs)
    std = std.rename(std_name)
    std.attrs = {**cf_attrs(name, attrs, uncertainty.calibration),
                 "history": attrs.get("history", "")}  # fmt: skip
    if not std.attrs["history"]:
        del std.attrs["history"]
    field = field.rename(name).assign_attrs(ancillary_variables=std_name)
    return xr.Dataset({name: field, std_name: std})


def _lazy_chunks(target, tgt, chunks, snapshot_dims, spatial_dims):
    """Chunk sizes {dim: size} for a lazy result, or None for an eager one."""
    if chunks is None:
        src = target if isinstance(target, (xr.DataArray, xr.Dataset)) else None
        if src is None or not src.chunks:
            return None
        found = dict(src.chunksizes) if hasattr(src, "chunksizes") else {}
        chunks = {d: max(found[d]) for d in found}
    if chunks == "auto":
        chunks = {}
    if isinstance(chunks, int):
        chunks = {d: chunks for d in spatial_dims}
    if not isinstance(chunks, dict):
        raise TypeError(
            f"chunks must be None, 'auto', an int or a dict of dim -> size; got {chunks!r}."
        )
    unknown = [d for d in chunks if d not in (*snapshot_dims, *spatial_dims)]
    if unknown:
        raise ValueError(
            f"chunks names unknown dimension(s) {unknown}; the result has dims "
            f"{list(snapshot_dims) + list(spatial_dims)}."
        )
    out = {d: int(chunks.get(d, 1)) for d in snapshot_dims}
    default_side = 1024 if len(spatial_dims) == 2 else 2**20
    for d in spatial_dims:
        out[d] = int(chunks.get(d, min(tgt.sizes[d], default_side)))
    return out


def _evaluate(field, part: str, snaps, times, lat, lon, batch_size) -> np.ndarray:
    """The fitted field's values (``part`` "value") or standard deviations ("std"), (S, P)."""
    if part == "std":
        return field.std(lat, lon, snaps, times)
    return field.predict(lat, lon, snaps, times, batch_size=batch_size)


def _predict_block(field, snaps, times, lat, lon, batch_size, part="value"):
    pred = _evaluate(field, part, snaps, times, lat.ravel(), lon.ravel(), batch_size)
    return pred.reshape((len(snaps),) + lat.shape)


def _lazy_predict(est, tgt, t_lay, snaps, times, snap_shape, chunks, batch_size, part="value"):
    """Dask array (snapshots..., spatial...) whose blocks are predicted independently; the fitted
    field enters the graph once, as one key, not once per block."""
    import dask
    import dask.array as dsa

    from .coords import check_latlon, layout_latlon

    sdims = t_lay.dims
    schunks = tuple(chunks[d] for d in sdims)
    la, lo = layout_latlon(tgt, t_lay)
    check_latlon(
        np.asarray(la.values).ravel(),
        np.asarray(lo.values).ravel(),
        t_lay.lat,
        t_lay.lon,
        allow_missing=True,
    )
    shape = tuple(tgt.sizes[d] for d in sdims)
    if len(sdims) == 2 and la.ndim == 1:
        lat1 = dsa.from_array(np.asarray(la.values, np.float64), chunks=chunks[la.dims[0]])
        lon1 = dsa.from_array(np.asarray(lo.values, np.float64), chunks=chunks[lo.dims[0]])
        if la.dims[0] == sdims[0]:
            lat = dsa.broadcast_to(lat1[:, None], shape, chunks=schunks)
            lon = dsa.broadcast_to(lon1[None, :], shape, chunks=schunks)
        else:
            lat = dsa.broadcast_to(lat1[None, :], shape, chunks=schunks)
            lon = dsa.broadcast_to(lon1[:, None], shape, chunks=schunks)
    else:
        lat = dsa.from_array(np.asarray(la.transpose(*sdims).values, np.float64), chunks=schunks)
        lon = dsa.from_array(np.asarray(lo.transpose(*sdims).values, np.float64), chunks=schunks)
    snap_chunk = int(np.prod([chunks[d] for d in est.layout_.snapshot_dims], dtype=np.int64)) or 1
    if len(snap_shape) > 1:
        snap_chunk = len(snaps)  # several snapshot dims: one chunk along the flattened axis
    s_d = dsa.from_array(np.asarray(snaps, np.int64), chunks=snap_chunk)
    t_d = dsa.from_array(np.asarray(times, np.float64), chunks=snap_chunk)
    est_d = dask.delayed(est.field_, pure=True, traverse=False)
    ind = "".join(chr(ord("a") + i) for i in range(len(sdims)))
    out = dsa.blockwise(
        _predict_block, "s" + ind,
        est_d, None, s_d, "s", t_d, "s", lat, ind, lon, ind, batch_size, None, part, None,
        dtype=np.float32, meta=np.empty((0,) * (1 + len(sdims)), np.float32),
    )  # fmt: skip
    if len(snap_shape) != 1:
        out = out.reshape(snap_shape + shape)
    return out
