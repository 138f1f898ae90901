"""The paper's four baselines. They take the encoded coordinates and time (scaled to [0, 1] over
the training span) as inputs, so they can be evaluated at any time inside the span."""

from __future__ import annotations

import math

import torch
from torch import nn


class _TimeInput(nn.Module):
    uses_time = True

    @staticmethod
    def inputs(x, point, t):
        if point is not None:
            x = x[point]
        return torch.cat([x, t[:, None].to(x.dtype)], -1)


class ResMLP(_TimeInput):
    """Residual MLP with batch norm and GELU (paper: width 250, depth 6)."""

    def __init__(self, in_features, n_snapshots, width=250, depth=6):
        super().__init__()
        self.inp = nn.Linear(in_features + 1, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(width, width), nn.BatchNorm1d(width), nn.GELU())
            for _ in range(depth)
        )
        self.out = nn.Linear(width, 1)

    def forward(self, x, point, snap, t):
        h = self.inp(self.inputs(x, point, t))
        for block in self.blocks:
            h = h + block(h)
        return self.out(h).squeeze(-1)


class Sine(nn.Module):
    def __init__(self, dim_in, dim_out, w0=1.0, first=False):
        super().__init__()
        self.w0, self.first = w0, first
        self.linear = nn.Linear(dim_in, dim_out)
        bound = 1 / dim_in if first else math.sqrt(6 / dim_in) / w0
        nn.init.uniform_(self.linear.weight, -bound, bound)
        nn.init.uniform_(self.linear.bias, -bound, bound)

    def forward(self, x):
        if self.first:  # high-frequency input layer: float32 even under mixed precision
            with torch.autocast(x.device.type, enabled=False):
                return torch.sin(self.w0 * self.linear(x.float()))
        return torch.sin(self.w0 * self.linear(x))


class SIREN(_TimeInput):
    """Sinusoidal representation network (paper: hidden 512, 5 layers, w0 1, w0_initial 25)."""

    def __init__(self, in_features, n_snapshots, hidden=512, layers=5, w0=1.0, w0_initial=25.0):
        super().__init__()
        dims = [in_features + 1] + [hidden] * layers
        self.net = nn.Sequential(
            *(
                Sine(a, b, w0_initial if i == 0 else w0, i == 0)
                for i, (a, b) in enumerate(zip(dims[:-1], dims[1:], strict=True))
            )
        )
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, point, snap, t):
        return self.out(self.net(self.inputs(x, point, t))).squeeze(-1)


class FourierFeatureMLP(_TimeInput):
    """ReLU MLP on Fourier features of (x, t).

    ``features="positional"``: sin/cos of 2 pi f x for ``n_frequencies`` log-spaced f in
    [1, max_frequency] on each input (FFN+P; paper: 220 frequencies up to 90).
    ``features="gaussian"``: sin/cos of 2 pi B x with B ~ N(0, sigma^2), ``n_features`` rows
    (FFN+G; paper: 256 features, sigma 7).
    ``shared_hidden=True`` reuses one hidden layer object for all hidden layers, as the paper's
    reference code did (its weights are then shared); the default builds independent layers.
    """

    def __init__(
        self,
        in_features,
        n_snapshots,
        features="gaussian",
        n_features=256,
        sigma=7.0,
        n_frequencies=220,
        max_frequency=90.0,
        hidden=256,
        layers=4,
        shared_hidden=False,
    ):
        super().__init__()
        d = in_features + 1
        if features == "gaussian":
            B = torch.randn(n_features, d) * sigma
        elif features == "positional":
            f = torch.logspace(0, math.log10(max_frequency), n_frequencies)
            B = torch.block_diag(*([f[:, None]] * d))
        else:
            raise ValueError(f"features must be 'gaussian' or 'positional'; got {features!r}.")
        self.register_buffer("B", B)
        first = nn.Linear(2 * B.shape[0], hidden)
        shared = nn.Linear(hidden, hidden)
        hid = [shared if shared_hidden else nn.Linear(hidden, hidden) for _ in range(layers - 1)]
        mods: list[nn.Module] = [first, nn.ReLU()]
        for h in hid:
            mods += [h, nn.ReLU()]
        self.net = nn.Sequential(*mods, nn.Linear(hidden, 1))

    def forward(self, x, point, snap, t):
        with torch.autocast(x.device.type, enabled=False):  # float32 phases
            proj = 2 * math.pi * self.inputs(x, point, t).float() @ self.B.T
        return self.net(torch.cat([torch.sin(proj), torch.cos(proj)], -1)).squeeze(-1)


def ffn_p(in_features, n_snapshots, **kw):
    """FFN+P: :class:`FourierFeatureMLP` with positional features."""
    return FourierFeatureMLP(in_features, n_snapshots, features="positional", **kw)


def ffn_g(in_features, n_snapshots, **kw):
    """FFN+G: :class:`FourierFeatureMLP` with Gaussian random features."""
    return FourierFeatureMLP(in_features, n_snapshots, features="gaussian", **kw)


ffn_p._hyperparameters_of = FourierFeatureMLP
ffn_g._hyperparameters_of = FourierFeatureMLP
