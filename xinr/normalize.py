"""Value scaling, fitted on observed values only."""

from __future__ import annotations

import numpy as np


class Standardizer:
    """Subtract the mean and divide by the standard deviation of the observed values.

    Examples
    --------
    >>> s = Standardizer.fit(np.array([1.0, 3.0]))
    >>> s.transform(np.array([3.0])), s.inverse(np.array([1.0]))
    (array([1.]), array([3.]))
    """

    def __init__(self, mean: float, scale: float):
        self.mean = float(mean)
        self.scale = float(scale)

    @classmethod
    def fit(cls, values: np.ndarray) -> Standardizer:
        values = np.asarray(values, dtype=np.float64)
        scale = float(values.std())
        if not np.isfinite(scale) or scale <= 0:
            scale = max(abs(float(values.mean())), 1.0)
        return cls(values.mean(), scale)

    def transform(self, v):
        return (v - self.mean) / self.scale

    def inverse(self, v):
        return v * self.scale + self.mean

    def to_dict(self) -> dict:
        return {"mean": self.mean, "scale": self.scale}
