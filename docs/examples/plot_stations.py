"""
Values at stations
==================

Predict the field at scattered station positions and times (pointwise), as
``DataArray.interp`` does with indexers along one dimension, and compare with the truth
there.
"""

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import xinr

truth = xinr.datasets.load_sample()["sst"].isel(month=slice(0, 3))
rng = np.random.default_rng(1)
gappy = truth.where(rng.random(truth.shape) < 0.10)
fitted = xinr.INR(max_time=8, seed=0, progress=False).fit(gappy)

# %%
# Forty stations in the tropical Pacific, each with its own month.
n = 40
lat = xr.DataArray(rng.uniform(-20, 20, n), dims="station")
lon = xr.DataArray(rng.uniform(-179, -100, n), dims="station")
month = xr.DataArray(rng.integers(1, 4, n), dims="station")
at_stations = fitted.predict(lat, lon, time=month)
true = truth.interp(lat=lat, lon=lon).sel(month=month)
print(at_stations)

# %%
fig, ax = plt.subplots(figsize=(4, 4), constrained_layout=True)
ax.scatter(true, at_stations)
lims = [float(min(true.min(), at_stations.min())), float(max(true.max(), at_stations.max()))]
ax.plot(lims, lims, color="grey", lw=1)
ax.set_xlabel("truth at the station (degC)")
ax.set_ylabel("xinr at the station (degC)")
ax.set_title("sea surface temperature at 40 stations")
