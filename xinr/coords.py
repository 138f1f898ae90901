"""Finding latitude, longitude and snapshot dimensions on xarray objects.

Latitude and longitude are looked up by explicit name first, then by common names, then by CF
attributes (``standard_name``, ``units`` such as ``degrees_north``, ``axis`` with degree units).
They may be 1-D (a regular or irregular grid), 2-D (curvilinear) or 1-D along one shared dimension
(a list of stations). Every dimension that is not spatial indexes snapshots.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .errors import CoordinateError
from .geometry import REGION_GAP

LAT_NAMES = ("lat", "latitude", "lats", "nav_lat", "xlat", "lat_rho", "glamt_lat")
LON_NAMES = ("lon", "longitude", "lons", "long", "nav_lon", "xlong", "lon_rho")
LAT_UNITS = ("degrees_north", "degree_north", "degree_n", "degrees_n", "degreen", "degreesn")
LON_UNITS = ("degrees_east", "degree_east", "degree_e", "degrees_e", "degreee", "degreese")


@dataclass(frozen=True)
class SpatialLayout:
    """Where the horizontal coordinates of a DataArray are.

    Attributes
    ----------
    lat, lon : str
        Names of the latitude and longitude coordinates.
    dims : tuple of str
        The spatial dimensions, in the order of the DataArray (one for station lists, two for grids).
    snapshot_dims : tuple of str
        Every other dimension, in the order of the DataArray.
    """

    lat: str
    lon: str
    dims: tuple[str, ...]
    snapshot_dims: tuple[str, ...]


def _candidates(obj: xr.DataArray | xr.Dataset) -> dict[str, xr.DataArray]:
    return {str(k): v for k, v in obj.coords.items()}


def _by_attrs(coords: dict[str, xr.DataArray], standard: str, units: tuple[str, ...], axis: str):
    hits = [n for n, c in coords.items() if c.attrs.get("standard_name", "").lower() == standard]
    if hits:
        return hits
    hits = [
        n
        for n, c in coords.items()
        if str(c.attrs.get("units", "")).lower().replace(" ", "_") in units
    ]
    if hits:
        return hits
    return [
        n
        for n, c in coords.items()
        if str(c.attrs.get("axis", "")).upper() == axis
        and "degree" in str(c.attrs.get("units", "")).lower()
    ]


def _find(coords, explicit, names, standard, units, axis, what, kw):
    if explicit is not None:
        if explicit not in coords:
            raise CoordinateError(
                f"{kw}={explicit!r} is not a coordinate of this object. "
                f"Available coordinates: {sorted(coords)}. Pass the name of the {what} coordinate."
            )
        return explicit
    lower = {n.lower(): n for n in coords}
    for name in names:
        if name in lower:
            return lower[name]
    hits = _by_attrs(coords, standard, units, axis)
    if len(hits) > 1:
        warnings.warn(
            f"Several coordinates look like {what}: {hits}; using {hits[0]!r}. Pass {kw}= to choose.",
            stacklevel=4,
        )
    if hits:
        return hits[0]
    raise CoordinateError(
        f"Could not find a {what} coordinate. Looked for the names {list(names)}, "
        f"standard_name={standard!r} and units like {units[0]!r}; the object has coordinates "
        f"{sorted(coords)}. Pass {kw}='name' (e.g. da.inr.fit({kw}='nav_{what[:3]}')), or set "
        f"the coordinate's 'units' attribute to {units[0]!r}."
    )


def find_layout(
    obj: xr.DataArray | xr.Dataset, lat: str | None = None, lon: str | None = None
) -> SpatialLayout:
    """Find the latitude/longitude coordinates and split dimensions into spatial and snapshot.

    Parameters
    ----------
    obj : xarray.DataArray or xarray.Dataset
        The field (or target grid).
    lat, lon : str, optional
        Names to use instead of searching.

    Returns
    -------
    SpatialLayout

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> da = xr.DataArray(np.zeros((2, 3, 4)), dims=("time", "y", "x"),
    ...     coords={"y": ("y", [0., 1, 2], {"units": "degrees_north"}), "x": [0., 1, 2, 3]})
    >>> find_layout(da, lon="x").dims
    ('y', 'x')
    """
    coords = _candidates(obj)
    lat_name = _find(coords, lat, LAT_NAMES, "latitude", LAT_UNITS, "Y", "latitude", "lat")
    lon_name = _find(coords, lon, LON_NAMES, "longitude", LON_UNITS, "X", "longitude", "lon")
    la, lo = latlon_arrays(obj, lat_name, lon_name)
    if la.ndim == 1 and lo.ndim == 1 and la.dims != lo.dims:
        spatial = (la.dims[0], lo.dims[0])
    elif la.dims == lo.dims and la.ndim in (1, 2):
        spatial = tuple(str(d) for d in la.dims)
    else:
        raise CoordinateError(
            f"Latitude {lat_name!r} has dims {la.dims} and longitude {lon_name!r} has dims "
            f"{lo.dims}. Expected both 1-D (a grid or a list of points) or both 2-D on the same "
            "dims (a curvilinear grid), possibly repeated unchanged along other dims (e.g. "
            "WRF's XLAT(Time, south_north, west_east)). If the grid moves between snapshots, fit "
            "each snapshot on its own (e.g. da.isel(Time=i))."
        )
    dims = tuple(str(d) for d in obj.dims)
    spatial = tuple(str(d) for d in spatial)
    if isinstance(obj, xr.DataArray):
        spatial = tuple(d for d in dims if d in spatial)
        snapshot = tuple(d for d in dims if d not in spatial)
    else:
        snapshot = ()
    return SpatialLayout(lat_name, lon_name, spatial, snapshot)


def _unchanged_along(c: xr.DataArray, dim: str) -> bool:
    first = c.isel({dim: 0})
    return bool(((c == first) | (c.isnull() & first.isnull())).all())


def latlon_arrays(obj: xr.DataArray | xr.Dataset, lat: str, lon: str):
    """The ``lat`` and ``lon`` coordinates of ``obj``, without the dims along which neither
    changes where they have more than two (a grid repeated per snapshot, as WRF's
    ``XLAT(Time, south_north, west_east)``): the first entry along each such dim.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> lat2 = np.broadcast_to(np.array([[10.0, 10.0], [20.0, 20.0]]), (3, 2, 2))
    >>> lon2 = np.broadcast_to(np.array([[0.0, 5.0], [0.0, 5.0]]), (3, 2, 2))
    >>> dims = ("Time", "south_north", "west_east")
    >>> da = xr.DataArray(np.zeros((3, 2, 2)), dims=dims,
    ...     coords={"XLAT": (dims, lat2), "XLONG": (dims, lon2)})
    >>> [c.dims for c in latlon_arrays(da, "XLAT", "XLONG")]
    [('south_north', 'west_east'), ('south_north', 'west_east')]
    """
    la, lo = obj[lat], obj[lon]
    if la.dims == lo.dims:
        for d in la.dims:
            if la.ndim > 2 and _unchanged_along(la, d) and _unchanged_along(lo, d):
                la, lo = la.isel({d: 0}, drop=True), lo.isel({d: 0}, drop=True)
    return la, lo


def layout_latlon(obj: xr.DataArray | xr.Dataset, layout: SpatialLayout):
    """The layout's lat and lon coordinates of ``obj`` on its spatial dims only: the first entry
    along any other dim, which :func:`find_layout` found them unchanged along
    (:func:`latlon_arrays`), so it is not checked again."""
    la, lo = obj[layout.lat], obj[layout.lon]
    extra = {d: 0 for d in la.dims if d not in layout.dims}
    return la.isel(extra, drop=True), lo.isel(extra, drop=True)


def spatial_points(
    obj: xr.DataArray | xr.Dataset, layout: SpatialLayout, allow_missing: bool = False
):
    """Latitude and longitude (degrees, float64) of every spatial point, flattened C-order over
    ``layout.dims``, after checking that they are finite (``allow_missing``: or NaN, a point
    whose position is unknown) and that latitude is in [-90, 90]."""
    la, lo = layout_latlon(obj, layout)
    if not (np.issubdtype(la.dtype, np.number) and np.issubdtype(lo.dtype, np.number)):
        raise CoordinateError(
            f"Latitude/longitude must be numbers in degrees; got dtypes {la.dtype} and {lo.dtype}."
        )
    if len(layout.dims) == 2 and la.ndim == 1:
        if la.dims[0] == layout.dims[0]:
            lat2, lon2 = np.meshgrid(la.values, lo.values, indexing="ij")
        else:
            lon2, lat2 = np.meshgrid(lo.values, la.values, indexing="ij")
    else:
        lat2 = la.transpose(*layout.dims).values
        lon2 = lo.transpose(*layout.dims).values
    lat_flat = np.asarray(lat2, dtype=np.float64).ravel()
    lon_flat = np.asarray(lon2, dtype=np.float64).ravel()
    check_latlon(lat_flat, lon_flat, layout.lat, layout.lon, allow_missing)
    return lat_flat, lon_flat


def check_latlon(
    lat, lon, lat_name: str = "lat", lon_name: str = "lon", allow_missing: bool = False
) -> None:
    """Raise :class:`CoordinateError` for infinite coordinates, NaN ones (unless
    ``allow_missing``: points whose position is unknown, as in ocean grids that store a fill
    value over land) or latitudes outside [-90, 90]."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    for name, v in ((lat_name, lat), (lon_name, lon)):
        bad = np.isinf(v) if allow_missing else ~np.isfinite(v)
        if bad.any():
            raise CoordinateError(
                f"Coordinate {name!r} has {int(bad.sum())} "
                f"{'infinite' if allow_missing else 'NaN or infinite'} value(s). Coordinates "
                "must be finite: select the points with finite coordinates first "
                f"(e.g. da.isel({name}=np.isfinite(da[{name!r}].values)) for a 1-D coordinate)."
            )
    lat = lat[np.isfinite(lat)]
    if lat.size and (lat.min() < -90 - 1e-6 or lat.max() > 90 + 1e-6):
        raise CoordinateError(
            f"Latitude {lat_name!r} spans [{lat.min():g}, {lat.max():g}], outside [-90, 90]. "
            "Latitude must be in degrees north; if the coordinates are projected (metres) or "
            "lat and lon are swapped, pass lat=/lon= with the right names."
        )


def wraps_around(lon_deg: np.ndarray) -> bool:
    """True when the longitudes cover the whole circle (a global or zonally periodic field).

    They do when no gap between neighbouring longitudes on the circle is wider than the largest of:
    three typical spacings (a regular grid, however coarse); :data:`xinr.geometry.REGION_GAP`
    degrees (the linear bar's own test); and, from 100 distinct longitudes on, the gap that
    longitudes scattered at random over the circle would leave about once in twenty
    (``(ln n + 3) * 360 / n`` degrees for ``n`` of them: a global station list). The last two
    cover global unstructured and curvilinear grids (ICON, MPAS, spectral-element, an ocean
    model's tripolar or displaced-pole grid), whose many distinct longitudes lie a small fraction
    of a degree apart with gaps of a few degrees between them; taken as regional, they would be
    encoded in the lat/lon box, with a seam at the span's edge and each pole stretched into a
    line.

    Examples
    --------
    >>> bool(wraps_around(np.arange(0.0, 360.0, 2.0)))  # a regular global grid
    True
    >>> rng = np.random.default_rng(0)
    >>> bool(wraps_around(rng.uniform(0.0, 360.0, 5000)))  # scattered over the globe
    True
    >>> bool(wraps_around(rng.uniform(0.0, 360.0, 300)))  # a global list of 300 stations
    True
    >>> bool(wraps_around(rng.uniform(140.0, 280.0, 5000)))  # a region 140 E - 80 W
    False
    """
    u = np.unique(np.mod(np.asarray(lon_deg, dtype=np.float64), 360.0))
    if u.size < 8:
        return False
    gaps = np.diff(np.concatenate([u, [u[0] + 360.0]]))
    limit = max(3.0 * np.median(gaps), REGION_GAP)
    if u.size >= 100:
        limit = max(limit, (np.log(u.size) + 3.0) * 360.0 / u.size)
    return bool(gaps.max() <= limit + 1e-9)


# --- snapshot labels ----------------------------------------------------------------------------


def encode_labels(values: np.ndarray) -> dict:
    """Snapshot coordinate values -> plain types (for saving without pickle)."""
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.datetime64):
        return {
            "kind": "datetime64",
            "dtype": str(values.dtype),
            "data": values.astype("i8").tolist(),
        }
    if np.issubdtype(values.dtype, np.timedelta64):
        return {
            "kind": "timedelta64",
            "dtype": str(values.dtype),
            "data": values.astype("i8").tolist(),
        }
    if values.dtype == object and values.size and hasattr(values.flat[0], "calendar"):
        import cftime

        cal = values.flat[0].calendar
        units = "seconds since 1970-01-01"
        nums = cftime.date2num(list(values), units, calendar=cal)
        return {
            "kind": "cftime",
            "calendar": cal,
            "units": units,
            "data": np.asarray(nums).tolist(),
        }
    if np.issubdtype(values.dtype, np.number) or values.dtype == bool:
        return {"kind": "number", "dtype": str(values.dtype), "data": values.tolist()}
    return {"kind": "str", "data": [str(v) for v in values]}


def decode_labels(spec: dict) -> np.ndarray:
    """Inverse of :func:`encode_labels`."""
    kind = spec["kind"]
    if kind in ("datetime64", "timedelta64"):
        return np.asarray(spec["data"], dtype="i8").astype(spec["dtype"])
    if kind == "cftime":
        import cftime

        return np.asarray(
            cftime.num2date(spec["data"], spec["units"], calendar=spec["calendar"]), dtype=object
        )
    if kind == "number":
        return np.asarray(spec["data"], dtype=spec["dtype"])
    return np.asarray(spec["data"], dtype=object)


def labels_to_float(values: np.ndarray) -> np.ndarray:
    """Snapshot labels -> float (days for times), used to place snapshots on a time axis."""
    values = np.asarray(values)
    if values.dtype.kind in "mM":
        nat = np.isnat(values)
        if values.dtype.kind == "M":
            ref = values[~nat].min() if (~nat).any() else np.datetime64("1970-01-01")
            values = values - ref
        days = values.astype("timedelta64[s]").astype(np.float64) / 86400.0
        days[nat] = np.nan
        return days
    if values.dtype == object and values.size and hasattr(values.flat[0], "calendar"):
        import cftime

        return np.asarray(
            cftime.date2num(
                list(values), "days since 0001-01-01", calendar=values.flat[0].calendar
            ),
            dtype=np.float64,
        )
    if np.issubdtype(values.dtype, np.number):
        return values.astype(np.float64)
    return np.arange(values.size, dtype=np.float64)
