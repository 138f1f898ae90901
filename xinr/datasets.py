"""Datasets: the shipped sample, and the paper's benchmark fields fetched with pooch."""

from __future__ import annotations

from importlib import resources

import xarray as xr


def load_sample() -> xr.Dataset:
    """COADS monthly SST climatology (12 x 90 x 180, 2 degree global, NaN on land) shipped in xinr.

    Returns
    -------
    xarray.Dataset
        Variable ``sst`` (degC) on ``(month, lat, lon)``.

    Examples
    --------
    >>> ds = load_sample()
    >>> ds["sst"].shape
    (12, 90, 180)
    """
    path = resources.files("xinr") / "data" / "coads_sst.nc"
    with resources.as_file(path) as p, xr.open_dataset(p) as ds:
        return ds.load()
