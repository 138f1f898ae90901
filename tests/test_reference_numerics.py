"""xinr's fused MMGN computes the paper's equations: same weights, same numbers as a plain
implementation (bench/reference_mmgn.py) within float32 tolerance."""

import os
import sys

import torch

from xinr.models import MMGN

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from reference_mmgn import from_xinr  # noqa: E402


def test_fused_mmgn_matches_plain_reference():
    torch.manual_seed(0)
    m = MMGN(2, n_snapshots=3, hidden=32, latent=8, layers=3, input_scale=30.0)
    with torch.no_grad():
        m.latents.weight.normal_()
    ref = from_xinr(m)
    x = torch.rand(50, 2)
    point = torch.randint(0, 50, (200,))
    snap = torch.randint(0, 3, (200,))
    a = m(x, point, snap)
    b = ref(x[point], snap)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    ga = torch.autograd.grad(a.sum(), m.filters.mu)[0]
    gb = torch.cat(torch.autograd.grad(b.sum(), [f.mu for f in ref.filters]))
    torch.testing.assert_close(ga, gb, rtol=1e-3, atol=1e-4)
