"""A plain, eager MMGN written straight from the paper's equations, to measure against.

One Gabor filter layer per level, every filter evaluated for every point of every snapshot, the
latent code looked up per observation; no fusing, no sharing. Not registered as a model: it is
the reference that tests check the fused :class:`xinr.models.MMGN` against, and that the
throughput benchmarks time it against.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class GaborLayer(nn.Module):
    def __init__(self, in_features, out_features, weight_scale, alpha=1.0, beta=1.0):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.mu = nn.Parameter(2 * torch.rand(out_features, in_features) - 1)
        self.gamma = nn.Parameter(torch.distributions.Gamma(alpha, beta).sample((out_features,)))
        with torch.no_grad():
            self.linear.weight.mul_(weight_scale * self.gamma.sqrt()[:, None])
            self.linear.bias.uniform_(-math.pi, math.pi)

    def forward(self, x):
        d2 = ((x[:, None, :] - self.mu[None]) ** 2).sum(-1)
        return torch.sin(self.linear(x)) * torch.exp(-0.5 * d2 * self.gamma[None, :])


class ReferenceMMGN(nn.Module):
    """forward(x (N, d) per observation, snap (N,)) -> (N,)"""

    def __init__(
        self,
        in_features,
        n_snapshots,
        hidden=256,
        latent=128,
        layers=5,
        input_scale=256.0,
        alpha=1.0,
    ):
        super().__init__()
        n = layers + 1
        self.filters = nn.ModuleList(
            GaborLayer(in_features, hidden, input_scale / math.sqrt(n), alpha / n) for _ in range(n)
        )
        self.linears = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.modulations = nn.ModuleList(nn.Linear(latent, hidden) for _ in range(layers))
        self.latents = nn.Embedding(n_snapshots, latent)
        nn.init.zeros_(self.latents.weight)
        self.output = nn.Linear(hidden, 1)

    def forward(self, x, snap):
        z = self.latents(snap)
        out = self.filters[0](x)
        for i, lin in enumerate(self.linears):
            out = self.filters[i + 1](x) * (lin(out) + self.modulations[i](z))
        return self.output(out).squeeze(-1)


@torch.no_grad()
def from_xinr(m) -> ReferenceMMGN:
    """A reference model holding exactly the weights of an ``xinr.models.MMGN``."""
    fb = m.filters
    d = fb.linear.weight.shape[1]
    H, F = fb.hidden, fb.n_filters
    ref = ReferenceMMGN(d, m.latents.weight.shape[0], H, m.latents.weight.shape[1], m.layers)
    for i in range(F):
        sl = slice(i * H, (i + 1) * H)
        ref.filters[i].linear.weight.copy_(fb.linear.weight[sl])
        ref.filters[i].linear.bias.copy_(fb.linear.bias[sl])
        ref.filters[i].mu.copy_(fb.mu[sl])
        ref.filters[i].gamma.copy_(fb.gamma[sl])
    for i in range(m.layers):
        ref.linears[i].load_state_dict(m.linears[i].state_dict())
        ref.modulations[i].weight.copy_(m.modulation.weight[i * H : (i + 1) * H])
        ref.modulations[i].bias.copy_(m.modulation.bias[i * H : (i + 1) * H])
    ref.latents.weight.copy_(m.latents.weight)
    ref.output.load_state_dict(m.output.state_dict())
    return ref
