"""
Error bars
==========

``reconstruct(uncertainty=True)`` adds the standard deviation of the errors: the kriging
variance of each point given its snapshot's observations, scaled to the errors the fit made at
its held-out observations. Here 10% of the ocean points of each month are kept, at different
places each month. (Under moving cloud gaps the held-out observations lie next to the clear
ones and the intervals are less reliable: see the benchmark figures in the README.)
"""

import numpy as np

import xinr

truth = xinr.datasets.load_sample()["sst"].isel(month=slice(0, 3))
rng = np.random.default_rng(3)
gappy = truth.where(rng.random(truth.shape) < 0.10)
fitted = xinr.INR(max_time=8, seed=0, progress=False).fit(gappy)
print(fitted.plan_.rule("uncertainty"))

# %%
# The field and its standard deviation, with CF attributes.
ds = fitted.reconstruct(uncertainty=True)
print(ds["sst_std"].attrs)

# %%
# How often does the truth fall inside the intervals, at the hidden points?
hidden = truth.notnull() & gappy.isnull()
z = ((ds["sst"] - truth) / ds["sst_std"]).where(hidden)
for k, nominal in ((1.0, 68), (1.96, 95)):
    inside = float((abs(z) <= k).sum() / hidden.sum())
    print(f"{nominal}% interval: {inside:.0%} of the hidden points inside")

# %%
# Observations, reconstruction, truth, error and standard deviation of the first month.
fig = xinr.plot_snapshot(fitted, gappy, truth=truth, snapshot=0, uncertainty=True)
