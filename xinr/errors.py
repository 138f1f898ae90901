"""Exception types raised by xinr."""

from __future__ import annotations


class XinrError(Exception):
    """Base class for xinr's own errors."""


class CoordinateError(XinrError, ValueError):
    """Latitude/longitude (or time) could not be found or are not valid."""


class DataError(XinrError, ValueError):
    """The values of a field cannot be used for fitting."""


class NotFittedError(XinrError, RuntimeError):
    """A method that needs a fitted model was called before ``fit``."""


class ModelFileError(XinrError, ValueError):
    """A saved model file cannot be read (not an xinr file, damaged or too new)."""
