"""``xinr fill``: a gappy file in, the same file with its gaps filled out.

Keeps the input's coordinates (cftime calendars included), attributes and encoding (compression,
chunking, dtype, fill value), appends to ``history``, and writes NetCDF or Zarr by the output's
extension. Observed values are kept as they are; only the gaps take the reconstruction. With a
saved model (``--from``), the new snapshots are filled one at a time through
:meth:`xinr.INR.update` (their codes on the model's frozen basis), so memory stays bounded by one
snapshot whatever the file's length.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone

import xarray as xr

from ._version import __version__
from .errors import DataError

#: encoding keys written back as they were read
KEPT_ENCODING = (
    "zlib", "complevel", "shuffle", "chunksizes", "dtype", "_FillValue", "contiguous",
    "fletcher32", "compression", "scale_factor", "add_offset",
)  # fmt: skip


#: of those, the ones the standard deviation takes from its field (not its packing or dtype)
STD_ENCODING = ("zlib", "complevel", "shuffle", "chunksizes", "compression", "contiguous")


def open_any(path: str) -> xr.Dataset:
    """A NetCDF file or a Zarr store (by its extension), lazily."""
    if path.rstrip("/").endswith(".zarr"):
        return xr.open_zarr(path)
    try:
        return xr.open_dataset(path, chunks={})
    except ValueError:  # undecodable times (e.g. year 0): keep them numeric
        return xr.open_dataset(path, chunks={}, decode_times=False)


def gappy_variables(ds: xr.Dataset) -> list[str]:
    """The data variables with at least one NaN (the ones ``xinr fill`` fills by default)."""
    out = []
    for name, v in ds.data_vars.items():
        if v.dtype.kind == "f" and v.ndim >= 1 and bool(v.isnull().any()):
            out.append(str(name))
    return out


def fill_file(src: str, dst: str, *, var=None, from_model=None, report=print,
              uncertainty: bool = False, **fit) -> list[str]:  # fmt: skip
    """Fill the gaps of ``src`` into ``dst``; the names of the variables filled.

    ``var`` names the variable (default: every variable with gaps, or the saved model's);
    ``from_model`` a model file to update instead of fitting; ``uncertainty`` also writes each
    variable's standard deviation ``<name>_std`` (0 where observed; CF attributes,
    :meth:`xinr.INR.reconstruct`); ``fit`` keywords of :class:`xinr.INR` (``model``,
    ``max_time``, ``epochs``, ``seed``, ``progress``).
    """
    import xinr

    ds = open_any(src)
    base = xinr.load(from_model) if from_model else None
    names = [var] if var else ([str(base.name_)] if base is not None else gappy_variables(ds))
    missing = [n for n in names if n not in ds.data_vars]
    if missing or not names:
        raise DataError(
            f"Nothing to fill in {src!r}: "
            + (f"no variable {missing}" if missing else "no data variable has gaps (NaN)")
            + f"; it has {sorted(map(str, ds.data_vars))}. Name one with --var."
        )
    out = ds.copy()
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            report(f"filling {name!r} {dict(ds[name].sizes)}")
            if base is None:
                fitted = xinr.INR(**fit).fit(ds[name])
                filled = _filled(ds[name], fitted.reconstruct(ds[name], uncertainty=uncertainty))
            else:
                filled = _fill_from(base, ds[name], tmp, report, fit.get("epochs"), uncertainty)
            kept = {k: v for k, v in ds[name].encoding.items() if k in KEPT_ENCODING}
            out[name] = filled[name].assign_attrs(ds[name].attrs)
            out[name].encoding = kept
            if uncertainty:
                out[name].attrs["ancillary_variables"] = f"{name}_std"
                out[f"{name}_std"] = filled[f"{name}_std"]
                out[f"{name}_std"].encoding = {k: v for k, v in kept.items() if k in STD_ENCODING}
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{stamp}: xinr fill ({__version__}) filled the gaps of {', '.join(names)}"
        old = out.attrs.get("history")
        out.attrs["history"] = f"{old}\n{line}" if old else line
        _write(out, dst)
    return names


def _keep_observed(da: xr.DataArray, recon: xr.DataArray) -> xr.DataArray:
    """The observed values where there are, the reconstruction in the gaps."""
    recon = recon.transpose(*da.dims).astype(da.dtype)
    return da.where(da.notnull(), recon.variable)


def _filled(da: xr.DataArray, recon) -> xr.Dataset:
    """The variable filled (and, where ``recon`` is a Dataset with its standard deviation,
    that, 0 where observed), as a Dataset."""
    name = str(da.name)
    if isinstance(recon, xr.DataArray):
        return _keep_observed(da, recon).to_dataset(name=name)
    std = recon[f"{name}_std"].transpose(*da.dims)
    std = std.where(da.isnull(), 0.0).astype(std.dtype).assign_attrs(std.attrs)
    std.attrs["comment"] = "0 where the value is observed (kept as it was)"
    return xr.Dataset({name: _keep_observed(da, recon[name]), f"{name}_std": std})


def _fill_from(base, da: xr.DataArray, tmp: str, report, epochs, uncertainty=False) -> xr.Dataset:
    """Each snapshot of ``da`` filled from ``base`` updated with it alone, written to ``tmp``
    one by one and read back lazily."""
    dim = base.layout_.snapshot_dims[0] if base.layout_.snapshot_dims else None
    if dim is None or dim not in da.dims:
        raise DataError(f"The model has no snapshot dimension along which {da.name!r} is new.")
    paths = []
    for i in range(da.sizes[dim]):
        one = da.isel({dim: [i]}).load()
        later = base.update(one, epochs=epochs)
        part = _filled(one, later.reconstruct(one, uncertainty=uncertainty))
        paths.append(os.path.join(tmp, f"{i:08d}.nc"))
        part.to_netcdf(paths[-1])
        report(f"  {dim}={one[dim].values[0]}: {int(one.count())} observed")
    return xr.open_mfdataset(paths, combine="nested", concat_dim=dim)


def _write(ds: xr.Dataset, path: str) -> None:
    if path.rstrip("/").endswith(".zarr"):
        for v in ds.variables.values():
            v.encoding = {k: e for k, e in v.encoding.items() if k in ("dtype", "_FillValue")}
        ds.to_zarr(path, mode="w")
    else:
        ds.to_netcdf(path)


__all__ = ["fill_file", "gappy_variables", "open_any"]
