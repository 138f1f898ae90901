"""The golden reconstructions (tests/golden.py) still come out of today's code.

On the machine that wrote them they match bit for bit (``python -m tests.golden --check``); here
the comparison allows float32 rounding, since another CPU may order its sums differently.
"""

import warnings

import numpy as np
import pytest

from . import golden


@pytest.mark.parametrize("name", list(golden.CONFIGS))
def test_golden_reconstruction_unchanged(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = golden.run(name)
    want = np.load(golden.path(name))
    assert set(got) == set(want.files)
    for key, value in got.items():
        ref = want[key]
        assert value.shape == ref.shape
        scale = float(np.nanstd(ref)) or 1.0
        np.testing.assert_allclose(value, ref, rtol=1e-5, atol=1e-5 * scale, err_msg=key)
