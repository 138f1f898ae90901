"""xinr's fused MMGN computes the paper's equations: same weights, same numbers as a plain
implementation (xinr/models/reference.py) within float32 tolerance, in both of its layouts."""

import pytest
import torch

from xinr.models import MMGN
from xinr.models.reference import from_xinr


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize(
    "n_points, layout",
    [(50, "dense"), (400, "sparse")],  # 200 observations of 3 snapshots on 50 or 400 points
)
def test_fused_mmgn_matches_plain_reference(n_points, layout, layers):
    torch.manual_seed(0)
    m = MMGN(2, n_snapshots=3, hidden=32, latent=8, layers=layers, input_scale=30.0)
    with torch.no_grad():
        m.latents.weight.normal_()
    ref = from_xinr(m)
    x = torch.rand(n_points, 2)
    if layout == "dense":
        point = torch.randint(0, n_points, (200,))
    else:
        point = torch.randperm(n_points)[:200]
    snap = torch.randint(0, 3, (200,))
    # the layout the forward pass takes: dense when S_b * U <= 2 N
    assert (len(snap.unique()) * len(point.unique()) <= 400) == (layout == "dense")
    uniq, inv = torch.unique(point, return_inverse=True)
    a = m(x[uniq], inv, snap)
    b = ref(x[point], snap)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with torch.no_grad():  # inference reuses buffers in place
        torch.testing.assert_close(m(x[uniq], inv, snap), b, rtol=1e-4, atol=1e-5)
    w = torch.randn(200)
    ga = torch.autograd.grad((a * w).sum(), [m.filters.mu, m.filters.gamma, m.linears[-1].weight])
    ref_params = [f.mu for f in ref.filters] + [f.gamma for f in ref.filters]
    gb = torch.autograd.grad((b * w).sum(), ref_params + [ref.linears[-1].weight])
    F = len(ref.filters)
    torch.testing.assert_close(ga[0], torch.cat(gb[:F]), rtol=1e-3, atol=1e-4)
    torch.testing.assert_close(ga[1], torch.cat(gb[F : 2 * F]), rtol=1e-3, atol=1e-4)
    torch.testing.assert_close(ga[2], gb[-1], rtol=1e-3, atol=1e-4)


def test_gabor_filters_stay_float32_under_mixed_precision():
    # bfloat16 sine arguments of ~100 radians would be off by up to 0.5 rad; the filter bank
    # opts out of autocast, so only the matrix products lose precision
    torch.manual_seed(0)
    m = MMGN(2, n_snapshots=2, hidden=64, latent=8, layers=2, input_scale=300.0)
    x = torch.rand(256, 2)
    g32 = m.filters(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        g16 = m.filters(x)
    assert g16.dtype == torch.float32
    torch.testing.assert_close(g16, g32)
