"""xinr: implicit neural representations for gappy geoscience fields, as an xarray accessor.

``import xinr`` registers the ``.inr`` accessor on DataArray and Dataset; torch is imported when a
fit, a load or a model listing first needs it.

>>> import xinr  # registers the .inr accessor on DataArray and Dataset
"""

from . import accessor as _accessor  # noqa: F401  (registers .inr)
from ._version import __version__
from .comparison import compare
from .errors import CoordinateError, DataError, ModelFileError, NotFittedError
from .estimator import INR, load

_LAZY = {
    "list_models": "models", "register_model": "models", "datasets": None, "models": None,
    "plot_snapshot": "plot", "plot_history": "plot",
}  # fmt: skip


def __getattr__(name):
    if name in _LAZY:
        import importlib

        if _LAZY[name] is None:
            return importlib.import_module(f".{name}", __name__)
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
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
    "plot_history",
    "plot_snapshot",
    "register_model",
]
