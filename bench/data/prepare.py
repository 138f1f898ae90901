"""Derive the benchmark's real fields from Debian data packages (run from the repo root).

    cd /tmp && apt-get download ferret-datasets libncarg-data
    for f in /tmp/*.deb; do dpkg -x $f /tmp/debdata; done
    python bench/data/prepare.py /tmp/debdata

Writes small NetCDF files into bench/data/ (not committed). See bench/data/README.md.
"""

import sys
import warnings

import numpy as np
import xarray as xr

warnings.simplefilter("ignore")
root = sys.argv[1] if len(sys.argv) > 1 else "/tmp/debdata"
ferret = f"{root}/usr/share/ferret-vis/data"
ncl = f"{root}/usr/share/ncarg/data"


def std(da, lat, lon, name, units):
    da = da.rename({lat: "lat", lon: "lon"}) if lat != "lat" else da
    da.name = name
    da.attrs = {"units": units}
    return da


def wrap(da):
    return da.assign_coords(lon=((da.lon + 180) % 360) - 180).sortby("lon")


out = {}
# 1. Levitus annual SST (surface level): global, smooth, ocean only, no time axis
d = xr.open_dataset(f"{ferret}/levitus_climatology.cdf", decode_times=False)["TEMP"].isel(
    ZAXLEVITR=0, drop=True
)
out["levitus_sst"] = wrap(std(d, "YAXLEVITR", "XAXLEVITR", "sst", "degC"))
# 2. ETOPO20 over the Alps: regional, sharp, no time
d = xr.open_dataset(f"{ferret}/etopo20.cdf", decode_times=False)["ROSE"]
d = std(d, "ETOPO20Y", "ETOPO20X1_1081", "elevation", "m")
d = wrap(d).sel(lat=slice(38, 54), lon=slice(0, 24))
out["etopo_alps"] = d
# 3. Navy monthly zonal wind: global, time axis (first 24 months), no gaps
d = xr.open_dataset(f"{ferret}/monthly_navy_winds.cdf", decode_times=False)["UWND"].isel(
    TIME=slice(0, 24)
)
out["navy_uwnd"] = wrap(std(d, "FNOCY", "FNOCX", "uwnd", "m s-1").rename(TIME="time"))
# 4. Regional model orography on a rotated (curvilinear) grid: regional, sharp, 2-D lat/lon
d = xr.open_dataset(f"{ncl}/nug/HSURF_regional_model_0.11deg.nc", decode_times=False)["HSURF"].isel(
    time=0, drop=True
)
d = d.isel(rlat=slice(100, 300, 2), rlon=slice(150, 350, 2))
d.name, d.attrs = "hsurf", {"units": "m"}
out["hsurf_rotated"] = d
# 5. Sea-ice fraction, monthly: global, sharp edges, time axis
d = xr.open_dataset(f"{ncl}/cdf/fice.nc", decode_times=False)["fice"].isel(time=slice(0, 24))
d = d.rename(hlat="lat", hlon="lon")
d.name, d.attrs = "fice", {"units": "1"}
out["fice"] = d
# Checks on fields never used for tuning: the other COADS variables (same grid and
# gaps as the sample), and two larger fields (above 20,000 observations at 5%)
coads = xr.open_dataset(f"{ferret}/coads_climatology.cdf", decode_times=False)
for var, units in (("SLP", "hPa"), ("WSPD", "m s-1"), ("VWND", "m s-1"), ("AIRT", "degC")):
    d = std(coads[var], "COADSY", "COADSX", var.lower(), units).rename(TIME="time")
    out[f"coads_{var.lower()}"] = wrap(d)
d = xr.open_dataset(f"{ferret}/monthly_navy_winds.cdf", decode_times=False)["UWND"]
out["navy_uwnd_132"] = wrap(std(d, "FNOCY", "FNOCX", "uwnd", "m s-1").rename(TIME="time"))
d = xr.open_dataset(f"{ferret}/ocean_atlas_subset.nc", decode_times=False)["TEMP"]
out["ocean_temp"] = wrap(std(d, "YAX_SUBSET", "XAX_SUBSET", "temp", "degC").rename(TIME="time"))
d = xr.open_dataset(f"{ferret}/etopo20.cdf", decode_times=False)["ROSE"]
d = std(d, "ETOPO20Y", "ETOPO20X1_1081", "elevation", "m").isel(lon=slice(0, 1080))  # 1081st = 1st
out["etopo_global"] = wrap(d)
# More fields never used for tuning, from NCL's example data: CMIP-style monthly
# near-surface air temperature and eastward wind, geopotential height, SST on an ocean model's
# bipolar curvilinear grid, and two regional rotated-pole fields (temperature, orography)
for k, (path, var) in {
    "ncl_tas": ("nug/tas_rectilinear_grid_2D.nc", "tas"),
    "ncl_uas": ("nug/uas_rectilinear_grid_2D.nc", "uas"),
    "ncl_hgt": ("cdf/hgt.nc", "HGT"),
    "tos_bipolar": ("nug/tos_ocean_bipolar_grid.nc", "tos"),
    "tas_eur11": ("nug/tas_rotated_grid_EUR11.nc", "tas"),
    "orog_eur": ("nug/orog_mod3_rectilinear_grid_2D.nc", "orog"),
}.items():
    d = xr.open_dataset(f"{ncl}/{path}", decode_times=False)[var].squeeze(drop=True)
    d.name, d.attrs = var.lower(), {"units": d.attrs.get("units", "")}
    out[k] = d
# Four more fields never used for tuning: a regional field with a time axis (monthly
# SST climatology over the tropical Pacific), global surface pressure on a spectral-element
# model's unstructured grid (12 months; sharp where it follows the mountains), a regional
# high-resolution topography (every 4th point), and a single global SST anomaly map with land gaps
d = xr.open_dataset(f"{ncl}/cdf/sstdata_netcdf.nc", decode_times=False).load()
d = d["sst"].assign_coords(lat=d["lat"], lon=d["lon"]).swap_dims(latitude="lat", longitude="lon")
d = d.isel(lon=slice(0, 180)).sel(lat=slice(-30, 30), lon=slice(140, 280))
d.name, d.attrs = "sst", {"units": "degC"}
out["sst_tropical_pacific"] = d
d = xr.open_dataset(f"{ncl}/cdf/seam.nc", decode_times=False).load()
d = (
    d["ps"]
    .drop_vars("time")
    .rename(lat="y", lon="x")
    .assign_coords(
        time=np.arange(12.0),
        lat=(("y", "x"), d["lat2d"].values),
        lon=(("y", "x"), d["lon2d"].values),
    )
)
# the element edges repeat points: keep each location once, as an unstructured (ncol) field
d = d.stack(ncol=("y", "x")).reset_index("ncol", drop=True)
_, first = np.unique(np.round(np.c_[d.lat, d.lon % 360], 4), axis=0, return_index=True)
d = d.isel(ncol=np.sort(first)).drop_vars(["y", "x"], errors="ignore")
d.name, d.attrs = "ps", {"units": "Pa"}
out["ps_seam"] = d
d = xr.open_dataset(f"{ncl}/cdf/trinidad.nc", decode_times=False)["data"].isel(
    lat=slice(0, None, 4), lon=slice(0, None, 4)
)
d.name, d.attrs = "elevation", {"units": "unknown (feet, by its range)"}
out["trinidad_topo"] = d.load()
d = xr.open_dataset(f"{ncl}/cdf/sstanom.robinsonproj.nc", decode_times=False)["SST"].load()
d.name, d.attrs = "sst_anomaly", {"units": "K"}
out["sst_anomaly_pmip"] = d
# Three more fields never used for tuning, of kinds the benchmark lacked: synoptic
# weather (a storm's 6-hourly zonal wind over North America and the Pacific, with missing
# values), a global daily temperature series, and a global moisture map (relative humidity at
# 500 hPa, one time)
d = xr.open_dataset(f"{ncl}/cdf/Ustorm.cdf", decode_times=False)["u"].rename(timestep="time")
d.name, d.attrs = "u", {"units": "m s-1"}
out["ustorm"] = d.load()
d = xr.open_dataset(f"{ncl}/cdf/meccatemp.cdf", decode_times=False)["t"]
d = d.isel(lon=slice(0, -1))  # the last column (180 E) repeats the first (180 W)
d.name, d.attrs = "t", {"units": "K"}
out["mecca_temp"] = d.load()
d = xr.open_dataset(f"{ncl}/nug/rectilinear_grid_3D.nc", decode_times=False)["rhumidity"]
d = d.isel(time=0, drop=True).sel(lev=50000.0, drop=True)
d.name, d.attrs = "rhum", {"units": "1"}
out["rhum_500"] = d.load()
# Three more fields never used for tuning, of kinds the benchmark lacked: ocean
# salinity on an ICON triangular (unstructured) grid at three depths stacked as snapshots with
# land gaps, a monthly latent heat flux climatology with land and sea-ice gaps that change by
# month, and zonal wind at 14 pressure levels stacked as snapshots (no time axis)
icon = xr.open_dataset(f"{ncl}/nug/triangular_grid_ICON.nc", decode_times=False).load()
icon_lat, icon_lon = np.rad2deg(icon["clat"].values), np.rad2deg(icon["clon"].values)
s = icon["S"].isel(time=0, drop=True).where(icon["wet_c"] > 0)
s = s.drop_vars(["clat", "clon"]).rename(ncells="ncol")
s = s.assign_coords(lat=("ncol", icon_lat), lon=("ncol", icon_lon))
s.name, s.attrs = "salinity", {"units": "psu"}
out["icon_salinity"] = s
d = xr.open_dataset(f"{ferret}/esku_heat_budget.cdf", decode_times=False)["FLH"]
out["esku_flh"] = wrap(std(d, "ESKUY", "ESKUX", "flh", "W m-2").rename(TIME="time")).load()
d = xr.open_dataset(f"{ncl}/cdf/nc4uvt.nc", decode_times=False)["U"].isel(time=0, drop=True)
d.name, d.attrs = "u", {"units": "m s-1"}
out["levels_uwnd"] = d.load()
d = xr.open_dataset(f"{ncl}/cdf/pop.nc", decode_times=False)["t"].load()
d.name, d.attrs = "t", {"units": "degC"}
out["pop_temp"] = d
# Two more fields never used for tuning, of kinds the benchmark lacked: a global
# precipitation map (skewed, with sharp convergence zones) and total cloud cover (bounded 0..1),
# annual means of an ICON AMIP run on the same R2B4 triangular grid as the salinity above (the
# file holds no coordinates; its cells follow triangular_grid_ICON.nc's order: neighbouring cells'
# surface temperatures correlate at 0.98)
a = xr.open_dataset(f"{ncl}/nug/atm_phy_mag0004_1985.nc", decode_times=False).load()
for key, var, scale, name, units in (
    ("icon_precip", "pr", 86400.0, "pr", "mm day-1"),
    ("icon_cloud", "clt", 1.0, "clt", "1"),
):
    v = (a[var].isel(time=0, drop=True) * scale).rename(ncells="ncol")
    v = v.assign_coords(lat=("ncol", icon_lat), lon=("ncol", icon_lon))
    v.name, v.attrs = name, {"units": units}
    out[key] = v
for k, v in out.items():
    v = v.astype("float32")
    for c in ("lat", "lon"):
        if c in v.coords:
            v[c].attrs["units"] = "degrees_north" if c == "lat" else "degrees_east"
    v.to_dataset().to_netcdf(f"bench/data/{k}.nc")
    print(k, dict(v.sizes), f"NaN share {float(np.isnan(v.values).mean()):.2f}")
