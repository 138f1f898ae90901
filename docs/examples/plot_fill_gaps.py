"""
Fill the gaps of a field
========================

Keep 10% of the ocean points of three months of sea surface temperature, fit xinr's defaults
for a few seconds, and compare the reconstruction with the hidden truth.
"""

import numpy as np

import xinr

truth = xinr.datasets.load_sample()["sst"].isel(month=slice(0, 3))
rng = np.random.default_rng(0)
gappy = truth.where(rng.random(truth.shape) < 0.10)
print(f"{int(gappy.count())} of {int(truth.count())} ocean values kept")

# %%
# Fit on the observed points only (a short budget: the defaults take up to 2 minutes).
fitted = gappy.inr.fit(max_time=8, seed=0, progress=False)
print(fitted.plan_)

# %%
# The same grid with its gaps filled; the error at the hidden points next to the spread of the
# field.
filled = fitted.reconstruct()
hidden = truth.notnull() & gappy.isnull()
rmse = float(np.sqrt(((filled - truth) ** 2).where(hidden).mean()))
print(f"RMSE at the hidden points: {rmse:.2f} degC (the field's spread {float(truth.std()):.1f})")

# %%
# Observed points, reconstruction, truth and error of the first month.
fig = xinr.plot_snapshot(fitted, gappy, truth=truth, snapshot=0)
