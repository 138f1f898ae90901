"""Model registry: names -> builders ``builder(in_features, n_snapshots, **hyperparameters)``.

Every model maps ``(x, point, snap, t)`` to predictions, see :class:`xinr.models.mmgn.MMGN`.
Third-party packages add models through the entry-point group ``xinr.models``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from torch import nn

from .baselines import SIREN, ResMLP, ffn_g, ffn_p
from .ensemble import Ensemble
from .mmgn import MMGN

_REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "mmgn": MMGN,
    "resmlp": ResMLP,
    "siren": SIREN,
    "ffn_p": ffn_p,
    "ffn_g": ffn_g,
}
_ENTRY_POINTS_LOADED = False


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="xinr.models"):
        if ep.name not in _REGISTRY:
            try:
                _REGISTRY[ep.name] = ep.load()
            except Exception as err:  # a broken plugin must not break xinr
                import warnings

                warnings.warn(f"Could not load xinr model plugin {ep.name!r}: {err}", stacklevel=2)


def register_model(name: str, builder: Callable[..., nn.Module], overwrite: bool = False) -> None:
    """Register a model builder under ``name``.

    ``builder(in_features, n_snapshots, **hyperparameters)`` must return an ``nn.Module`` whose
    ``forward(x, point, snap, t)`` returns one prediction per observation.

    Examples
    --------
    >>> from xinr.models.baselines import ffn_g
    >>> register_model("my_ffn", ffn_g)
    >>> "my_ffn" in list_models()
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"Model name must be a non-empty string; got {name!r}.")
    if not callable(builder):
        raise TypeError(f"builder must be callable; got {type(builder).__name__}.")
    _load_entry_points()
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"A model named {name!r} is already registered; pass overwrite=True.")
    _REGISTRY[name] = builder


def list_models() -> list[str]:
    """Names of all known models, sorted."""
    _load_entry_points()
    return sorted(_REGISTRY)


def get_builder(name: str) -> Callable[..., nn.Module]:
    _load_entry_points()
    if name not in _REGISTRY:
        raise ValueError(f"Unknown model {name!r}. Expected one of {list_models()}.")
    return _REGISTRY[name]


def hyperparameters(name: str) -> dict:
    """The keyword hyperparameters of a registered model and their defaults.

    Examples
    --------
    >>> hyperparameters("mmgn")["hidden"]
    256
    """
    builder = get_builder(name)
    target = getattr(builder, "_hyperparameters_of", builder)
    target = target.__init__ if inspect.isclass(target) else target
    return {
        p.name: p.default
        for p in inspect.signature(target).parameters.values()
        if p.name not in ("self", "in_features", "n_snapshots", "features")
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def build_model(name: str, in_features: int, n_snapshots: int, **kwargs) -> nn.Module:
    """Build a registered model, with a clear error for unknown hyperparameters."""
    builder = get_builder(name)
    known = hyperparameters(name)
    takes_any = _takes_var_kw(getattr(builder, "_hyperparameters_of", builder))
    unknown = [k for k in kwargs if k not in known]
    if unknown and not takes_any:
        raise TypeError(
            f"Unknown keyword(s) {unknown} for model {name!r}. Its hyperparameters are "
            f"{sorted(known)}; training options (epochs, lr, max_time, ...) go to INR(...) itself."
        )
    return builder(in_features, n_snapshots, **kwargs)


def build_network(
    name: str,
    in_features: int,
    n_snapshots: int,
    ensemble: int,
    kwargs: dict,
    members: list[dict] | None = None,
    names: list[str] | None = None,
) -> nn.Module:
    """One model, or an :class:`Ensemble` of ``ensemble`` independently initialised ones.

    ``members`` optionally gives each member its own keywords (e.g. initial frequency scales), and
    ``names`` each member's model (a mixture of models); without ``names`` every member is a
    ``name`` model.

    Examples
    --------
    >>> net = build_network("mmgn", 3, 2, 2, {"hidden": 8}, [{"hidden": 8}, {"width": 8}],
    ...                     names=["mmgn", "resmlp"])
    >>> [type(m).__name__ for m in net.members]
    ['MMGN', 'ResMLP']
    """
    if int(ensemble) != ensemble or ensemble < 1:
        raise ValueError(f"ensemble must be a positive integer; got {ensemble!r}.")
    for what, given in (("members", members), ("names", names)):
        if given is not None and len(given) != ensemble:
            raise ValueError(f"{what} gives {len(given)} entries for an ensemble of {ensemble}.")
    if ensemble == 1 and names is None:
        return build_model(name, in_features, n_snapshots, **kwargs)
    per = members if members is not None else [kwargs] * int(ensemble)
    kinds = names if names is not None else [name] * int(ensemble)
    return Ensemble(
        [build_model(n, in_features, n_snapshots, **kw) for n, kw in zip(kinds, per, strict=True)]
    )


def _takes_var_kw(builder) -> bool:
    target = builder.__init__ if inspect.isclass(builder) else builder
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(target).parameters.values())


__all__ = [
    "MMGN",
    "Ensemble",
    "build_model",
    "build_network",
    "get_builder",
    "list_models",
    "register_model",
]
