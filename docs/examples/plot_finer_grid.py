"""
A finer grid
============

The fitted field is continuous: evaluate it on a grid four times finer than the data's, here
over the Gulf Stream, and draw the training history.
"""

import matplotlib.pyplot as plt
import numpy as np

import xinr

truth = xinr.datasets.load_sample()["sst"].isel(month=slice(0, 2))
rng = np.random.default_rng(2)
gappy = truth.where(rng.random(truth.shape) < 0.2)
fitted = xinr.INR(max_time=8, seed=0, progress=False).fit(gappy)

# %%
# Half a degree over the north-west Atlantic (the data are on 2 degrees).
fine = fitted.reconstruct({"lat": np.arange(25, 50, 0.5), "lon": np.arange(-80, -40, 0.5)})
print(dict(fine.sizes))

fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
coarse = truth.sel(lat=slice(25, 50), lon=slice(-80, -40)).isel(month=0)
coarse.plot(ax=axes[0], vmin=0, vmax=28)
axes[0].set_title("the data, 2 degrees")
fine.isel(month=0).plot(ax=axes[1], vmin=0, vmax=28)
axes[1].set_title("xinr, 0.5 degrees")

# %%
# The training and held-out losses.
xinr.plot_history(fitted)
