"""Dense reconstruction on a target grid: target -> points -> batched prediction -> DataArray."""

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


def reconstruct(est, target=None, *, batch_size: int = 2**16, chunks=None) -> xr.DataArray:
    """See :meth:`xinr.INR.reconstruct`."""
    lay = est.layout_
    if chunks is not None:
        raise NotImplementedError("Lazy (chunked) reconstruction is not available yet.")
    if target is None:
        tgt = est.template_
        t_lay = lay
        snap_coords_from = tgt
    else:
        tgt = _target_dataset(est, target)
        lat_n = lay.lat if lay.lat in tgt.coords else None
        lon_n = lay.lon if lay.lon in tgt.coords else None
        try:
            t_lay = find_layout(tgt, lat_n, lon_n)
        except CoordinateError as err:
            raise CoordinateError(f"The target grid has no usable lat/lon: {err}") from None
        snap_coords_from = tgt
    lat, lon = spatial_points(tgt, t_lay)
    spatial_dims = tuple(t_lay.dims)
    spatial_shape = tuple(tgt.sizes[d] for d in spatial_dims)
    # snapshot selection: target's labels where given, else every training snapshot
    sel = {}
    for d in lay.snapshot_dims:
        if d in snap_coords_from.coords and snap_coords_from[d].ndim <= 1 and target is not None:
            sel[d] = np.atleast_1d(snap_coords_from[d].values)
        else:
            sel[d] = est.labels_[d]
    snaps, times = est._snapshot_index(sel)
    data = est._predict_grid(lat, lon, snaps, times, batch_size=batch_size)
    snap_shape = tuple(len(sel[d]) for d in lay.snapshot_dims)
    data = data.reshape(snap_shape + spatial_shape)
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
    out = xr.DataArray(data, dims=dims, coords=coords, name=est.name_, attrs=est._out_attrs())
    order = [d for d in est.dims_ if d in out.dims]
    order += [d for d in out.dims if d not in order]
    return out.transpose(*order)
