"""The ``.inr`` accessor on DataArray and Dataset: thin delegation to :class:`xinr.INR`."""

from __future__ import annotations

import xarray as xr

from .errors import NotFittedError


class _INRAccessor:
    def __init__(self, obj):
        self._obj = obj
        self._fitted = None

    def fit(self, model: str = "auto", *, var: str | None = None, **kwargs):
        """Fit an :class:`xinr.INR` on the observed (non-NaN) points; returns the fitted INR.

        Keywords are those of :class:`xinr.INR`. The accessor keeps a reference so that
        ``.inr.reconstruct()`` works on this same object.
        """
        from .estimator import INR

        self._fitted = INR(model, **kwargs).fit(self._obj, var=var)
        return self._fitted

    @property
    def fitted(self):
        """The INR fitted through this accessor."""
        if self._fitted is None:
            raise NotFittedError(
                "Nothing was fitted through this object's .inr accessor. Call .inr.fit(...) first "
                "and keep the returned object: xarray builds a fresh accessor for every new object, "
                "so after da.isel(...), ds['var'] or arithmetic, use fitted.reconstruct(...) on the "
                "object that fit returned."
            )
        return self._fitted

    def reconstruct(self, target=None, **kwargs) -> xr.DataArray:
        """Dense field from the fitted INR (see :meth:`xinr.INR.reconstruct`)."""
        return self.fitted.reconstruct(target, **kwargs)

    def predict(self, lat, lon, time=None, **labels):
        """Pointwise values at scattered points (see :meth:`xinr.INR.predict`)."""
        return self.fitted.predict(lat, lon, time, **labels)

    def compare(self, **kwargs):
        """Compare models and classical methods on held-out points (see :func:`xinr.compare`)."""
        from .comparison import compare

        return compare(self._obj, **kwargs)


@xr.register_dataarray_accessor("inr")
class DataArrayINRAccessor(_INRAccessor):
    """``da.inr``: fit, reconstruct, predict, compare."""


@xr.register_dataset_accessor("inr")
class DatasetINRAccessor(_INRAccessor):
    """``ds.inr``: like the DataArray accessor; choose a variable with ``var=``."""
