"""xinr: implicit neural representations for gappy geoscience fields, as an xarray accessor.

>>> import xinr  # registers the .inr accessor on DataArray and Dataset
"""

from . import accessor as _accessor  # noqa: F401  (registers .inr)
from ._version import __version__
from .comparison import compare
from .errors import CoordinateError, DataError, ModelFileError, NotFittedError
from .estimator import INR
from .io import load
from .models import list_models, register_model


def __getattr__(name):
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'xinr' has no attribute {name!r}")


__all__ = [
    "INR",
    "CoordinateError",
    "DataError",
    "ModelFileError",
    "NotFittedError",
    "__version__",
    "compare",
    "datasets",
    "list_models",
    "load",
    "register_model",
]
