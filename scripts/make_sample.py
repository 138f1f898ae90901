"""Derive the small real sample shipped in xinr/data/ from COADS (Debian ferret-datasets).

    python scripts/make_sample.py ../shared/data/coads_climatology.cdf

Source: COADS monthly climatology (2 degree global), from Debian's ferret-datasets 7.6.0-5,
/usr/share/ferret-vis/data/coads_climatology.cdf (sha256 b94f5503...). Public domain with
attribution (NOAA / Ferret). We keep SST, all 12 months, wrap longitudes to -180..180 and store
float32 with zlib compression.
"""

import sys

import numpy as np
import xarray as xr

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/coads_climatology.cdf"
ds = xr.open_dataset(src, decode_times=False)
sst = ds["SST"].rename({"TIME": "month", "COADSY": "lat", "COADSX": "lon"})
lon = ((sst["lon"].values + 180) % 360) - 180
sst = sst.assign_coords(lon=lon).sortby("lon")
sst = sst.assign_coords(month=np.arange(1, 13))
sst["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude", "long_name": "latitude"}
sst["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude", "long_name": "longitude"}
sst["month"].attrs = {"long_name": "month of the climatological year"}
sst.attrs = {
    "units": "degC",
    "long_name": "sea surface temperature",
    "standard_name": "sea_surface_temperature",
}
sst.name = "sst"
out = sst.to_dataset()
out.attrs = {
    "title": "COADS monthly climatology of sea surface temperature, 2 degree global",
    "source": "COADS climatology via Debian ferret-datasets 7.6.0-5 (coads_climatology.cdf)",
    "license": "Public domain with attribution (NOAA / PMEL Ferret)",
    "history": "derived by xinr scripts/make_sample.py",
}
enc = {"sst": {"zlib": True, "complevel": 5, "dtype": "float32", "_FillValue": np.float32(np.nan)}}
out.to_netcdf("xinr/data/coads_sst.nc", encoding=enc)
print(out)
