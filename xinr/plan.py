"""The plan of a fit: which networks train, with which recipe, what the residual stage and the gate
do, built from :class:`~xinr.fieldstats.FieldStats` and the user's options by named rules.

Each rule is a small pure function whose docstring says, in its last line, the evidence behind
it (``docs/decisions.md`` has a row per rule: value, figure, command). :func:`make_plan` applies
them in order and records which fired and why; ``INR.plan_`` prints that record. Explicit
keywords given to :class:`xinr.INR` always win over a rule.

Presets
-------
``"auto"`` (default)
    Sized from the data for a good field within a small budget on a CPU: frequency scale from
    the spacing of the observed points, a narrow network, a cosine schedule over the budget, 10%
    of the observed places held out to keep the best state, an ensemble at spread frequency
    scales, jitter and (where the field is smooth or seen once) a curvature penalty, the
    network's misfits interpolated and added where a held-out check does not decline them.
``"paper"``
    Luo et al. (ICLR 2024), Table 1 and the reference code: MMGN hidden 256, latent 128, 5
    layers, input scale 256; L1 loss, AdamW (lr 5e-3, weight decay 1e-5), exponential decay 0.99
    per epoch, gradient clipping, 200 epochs, batches of 16 snapshots; the network alone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from .fieldstats import FieldStats

# ---------------------------------------------------------------- the table of constants
PRESETS = ("auto", "paper")
MIX_MODEL_NAME = "mix"  # an ensemble of several architectures
AUTO_MODEL_NAME = "auto"  # the default: the plan chooses (rule_model)
MIX_BASE = "mmgn"  # the mixture's own model, and model="auto"'s where it does not mix

PAPER_MODEL = {
    "mmgn": {"hidden": 256, "latent": 128, "layers": 5, "input_scale": 256.0, "alpha": 1.0},
    "resmlp": {"width": 250, "depth": 6},
    "siren": {"hidden": 512, "layers": 5, "w0": 1.0, "w0_initial": 25.0},
    "ffn_p": {"n_frequencies": 220, "max_frequency": 90.0},
    "ffn_g": {"n_features": 256, "sigma": 7.0},
}
PAPER_TRAIN = {
    "lr": 5e-3,
    "weight_decay": 1e-5,
    "schedule": "exponential",
    "lr_decay": 0.99,
    "clip": 0.999,
    "loss": "l1",
    "validation": 0.0,
}
PAPER_EPOCHS = 200
PAPER_SNAPSHOTS_PER_BATCH = 16

# frequency constants, in units of 1 / (median distance between neighbouring observed points)
AUTO_FREQ = {"mmgn": 2.5, "siren": 0.5, "ffn_g": 0.035, "ffn_p": 0.25}
FREQ_KEY = {
    "mmgn": "input_scale",
    "siren": "w0_initial",
    "ffn_g": "sigma",
    "ffn_p": "max_frequency",
}
AUTO_MODEL = {
    "mmgn": {"hidden": 128, "latent": 64, "layers": 3, "alpha": 1.0},
    "resmlp": {"width": 128, "depth": 4},
    "siren": {"hidden": 128, "layers": 4},
    "ffn_p": {"n_frequencies": 32, "hidden": 128, "layers": 3},
    "ffn_g": {"n_features": 128, "hidden": 128, "layers": 3},
}
AUTO_TRAIN = {
    "lr": 2e-3,
    "weight_decay": 1e-5,
    "schedule": "cosine",
    "clip": 1.0,
    "loss": "l1",
    "validation": 0.1,
    "member_weights": "validation",
    "member_folds": True,
    "jitter": 0.3,
}
AUTO_BATCH = 8192  # observations per step (all of them below)
AUTO_SINGLE_FOLDS: bool | str = "always"  # member folds on fields with one snapshot
AUTO_SINGLE_CURVATURE = 0.3  # curvature penalty where it applies (rule_curvature)
AUTO_SMOOTH_ROUGHNESS = 0.3  # below: neighbouring observations agree (smooth_at_stations)
AUTO_FIXED_SHARE = 1.5  # distinct places per snapshot's observations: shared positions below
AUTO_ENSEMBLE = 6
AUTO_ENSEMBLE_MAX_OBS = 20000  # one network above
AUTO_SPREAD = {"mmgn": ("input_scale", 0.45, 2.2)}  # members' frequency scales, x lo .. x hi
MIX_SHARES = {"resmlp": 0.5}  # the mixture's other members at fixed stations
SINGLE_MIX_SHARES = {"resmlp": 1 / 6, "siren": 1 / 6}  # ... and on fields with one snapshot
MIX_TRAIN = {"selection_loss": "mse"}
RESIDUALS = {"auto": "idw", "paper": "none"}
UNCERTAINTY_CAP = 0.9  # quantile of the held-out variances (rule_uncertainty_cap)
COMBINE = ("kriging", "none")  # the combination stage's classical fields (rule_combination)
AUTO_STEPS = 1500  # at most this many optimiser steps on small data
AUTO_MAX_TIME = 120.0  # seconds, where neither epochs nor max_time is given
AUTO_MEMBER_STEPS = 500  # steps each member needs under a budget (xinr.budget)


# ---------------------------------------------------------------- the held-out split
# Fewer held-out locations than this cannot tell ensemble members apart (the selection test's
# standard error is itself too uncertain). The members are then averaged, and each holds out its
# own locations (member folds), so that the ensemble as a whole trains on all of them.
MIN_SELECTION_LOCATIONS = 20


MEMBER_FOLDS = (False, True, "always")


def check_member_folds(member_folds) -> None:
    """Raise a ValueError unless ``member_folds`` is one of :data:`MEMBER_FOLDS`.

    Examples
    --------
    >>> check_member_folds("always")
    >>> check_member_folds("often")
    Traceback (most recent call last):
    ...
    ValueError: member_folds must be one of (False, True, 'always'); got 'often'. ...
    """
    if member_folds not in MEMBER_FOLDS:
        raise ValueError(
            f"member_folds must be one of {MEMBER_FOLDS}; got {member_folds!r}. True holds out "
            f"a set per ensemble member only where a shared set would have fewer than "
            f"{MIN_SELECTION_LOCATIONS} locations, 'always' at any number of locations, False "
            f"never."
        )


def member_folds_apply(member_folds: bool | str, share: float, n_locations: int, k: int) -> bool:
    """Whether an ensemble of ``k`` members holds out one set of locations per member.

    With ``member_folds=True``, only where one shared held-out set (a ``share`` of
    ``n_locations``) would have fewer than :data:`MIN_SELECTION_LOCATIONS` locations: too few to
    select members by, while withholding them from every member costs sparse data dearly.
    Larger sets are then shared, so that members are compared at the same places (a paired
    test, :func:`member_weights`). With ``member_folds="always"``, at any number of locations:
    the ensemble as a whole trains on every location, and its members are averaged. Either
    way there must be room for ``k`` disjoint sets of at least one location.

    Examples
    --------
    >>> member_folds_apply(True, 0.1, 105, 6)  # 105 stations: 11 held out, each member its own
    True
    >>> member_folds_apply(True, 0.1, 2108, 6)  # 211 held out, shared, to select members by
    False
    >>> member_folds_apply("always", 0.1, 2108, 6)  # 211 per member, 1266 in all
    True
    """
    n_val = int(round(share * n_locations))
    return (
        bool(member_folds)
        and k > 1
        and 1 <= n_val
        and (member_folds == "always" or n_val < MIN_SELECTION_LOCATIONS)
        and k * n_val < n_locations
    )


def members_selected(
    member_weights: str, member_folds: bool | str, share: float, n_locations: int, k: int
) -> bool:
    """Whether an ensemble of ``k`` members is weighed on one held-out set shared by all of them
    (:func:`member_weights`), so that members clearly worse there leave the average: validation
    weights, at least one held-out location, and no member folds (:func:`member_folds_apply`).

    Examples
    --------
    >>> members_selected("validation", True, 0.1, 2108, 6)  # 211 held out, shared
    True
    >>> members_selected("validation", True, 0.1, 105, 6)  # 11: each member its own, averaged
    False
    >>> members_selected("validation", "always", 0.1, 2108, 6)  # 211 each, averaged
    False
    """
    return (
        k > 1
        and round(share * n_locations) >= 1
        and member_weights == "validation"
        and not member_folds_apply(member_folds, share, n_locations, k)
    )


def training_rows(
    n: int,
    share: float,
    member_folds: bool | str,
    n_locations: int,
    k: int,
) -> int:
    """Observations an epoch trains on: all of them where each of ``k`` members holds out its own
    locations (:func:`member_folds_apply`), else those outside the held-out ``share``.

    Examples
    --------
    >>> training_rows(1000, 0.1, True, 105, 6), training_rows(1000, 0.1, True, 2108, 6)
    (1000, 900)
    """
    folds = member_folds_apply(member_folds, share, n_locations, k)
    return max(1, int(n * (1 - (0.0 if folds else share))))


# ---------------------------------------------------------------- the plan
@dataclass(frozen=True)
class Rule:
    """One decision of a plan: its ``name``, the ``value`` chosen and ``why`` (one line)."""

    name: str
    value: Any
    why: str

    def __str__(self) -> str:
        return f"{self.name}: {_show(self.value)} ({self.why})"


@dataclass(frozen=True)
class Plan:
    """A frozen, printable description of a fit.

    Attributes
    ----------
    preset : str
        ``"auto"`` or ``"paper"``.
    name : str
        The model trained (``"mix"`` for a mixture; what ``model="auto"`` chose).
    base : str
        The model of the ensemble's own members (all of them but a mixture's others).
    ensemble : int
        Networks trained side by side.
    model : dict
        The base model's keywords.
    members, names : list or None
        Per-member keywords and model names, where they differ between members.
    train : dict
        Keywords of :class:`xinr.training.TrainConfig`.
    residuals : str
        The residual stage: ``"idw"`` (interpolated misfits added) or ``"none"``.
    gate : bool
        Whether a held-out check decides if the residual stage's correction stays.
    combine : str
        The combination stage's classical field (``"kriging"``) or ``"none"``.
    uncertainty_cap : float or None
        The quantile of the held-out kriging variances that caps the uncertainty's shape.
    bounds : tuple or None
        Limits of the predicted values.
    spacing : float
        The neighbour spacing the recipe was sized from.
    rules : tuple of Rule
        The decisions, in the order they were taken.
    """

    preset: str
    name: str
    base: str
    ensemble: int
    model: dict
    train: dict
    residuals: str = "none"
    gate: bool = False
    combine: str = "none"
    uncertainty_cap: float | None = None
    bounds: tuple | None = None
    members: list | None = None
    names: list | None = None
    spacing: float = 1.0
    rules: tuple = field(default=(), compare=False)

    def with_rule(self, rule: Rule, **changes) -> Plan:
        """A copy with ``changes`` and ``rule`` recorded (replacing a rule of the same name)."""
        rules = tuple(r for r in self.rules if r.name != rule.name) + (rule,)
        return dataclasses.replace(self, rules=rules, **changes)

    def rule(self, name: str) -> Rule | None:
        """The rule of that name, or None where it did not fire."""
        return next((r for r in self.rules if r.name == name), None)

    def __str__(self) -> str:
        kinds = self.names or [self.base] * self.ensemble
        nets = " + ".join(f"{kinds.count(n)} {n}" for n in dict.fromkeys(kinds))
        head = f"Plan ({self.preset} preset): {nets}; residual stage {self.residuals!r}"
        head += ", gated by a held-out check" if self.gate else ""
        head += f"; combined with {self.combine}" if self.combine != "none" else ""
        return "\n".join([head, *(f"  - {r}" for r in self.rules)])


def _show(value) -> str:
    """A rule's value in a line: numbers to 4 digits, sequences (kept as lists in a saved
    model) in brackets."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


# ---------------------------------------------------------------- the rules
def rule_time_budget(preset: str, user_train: dict) -> float | None:
    """Seconds a fit may take where neither ``epochs`` nor ``max_time`` is given: ``auto``
    trains for :data:`AUTO_MAX_TIME` (the budget of the benchmark's figures), ``paper`` for its
    epochs.

    >>> rule_time_budget("auto", {}), rule_time_budget("auto", {"epochs": 5})
    (120.0, None)

    Evidence: before it, default fits took 274-394 s on the 2-core CPU for 2,100-12,600
    observations.
    """
    if preset == "auto" and "epochs" not in user_train and "max_time" not in user_train:
        return AUTO_MAX_TIME
    return None


def rule_member_folds(preset: str, stats: FieldStats) -> bool | str:
    """Where each ensemble member holds out its own places: ``"always"`` on fields with one
    snapshot under ``auto`` (no other snapshot lends the held-out places), else ``True`` (only
    where a shared set would be too small to select members by).

    >>> rule_member_folds("auto", FieldStats(100, 100, 1)), rule_member_folds("auto", FieldStats(200, 100, 2))
    ('always', True)

    Evidence: -1.7 points of MSE vs linear over 32 fits of single maps at 120 s.
    """
    if preset == "auto" and stats.single:
        return AUTO_SINGLE_FOLDS
    return AUTO_TRAIN["member_folds"]


def shares_positions(stats: FieldStats) -> bool:
    """Whether the snapshots of a field with time mostly share their observed positions (fixed
    stations, a fixed land mask): at most :data:`AUTO_FIXED_SHARE` times as many distinct
    places as observations per snapshot.

    >>> shares_positions(FieldStats(1200, 100, 12)), shares_positions(FieldStats(1200, 900, 12))
    (True, False)

    Evidence: a threshold between fixed stations (1.0) and moving positions (> 3 on the suite).
    """
    return stats.n_snapshots > 1 and stats.n_distinct <= AUTO_FIXED_SHARE * stats.per_snapshot


def smooth_at_stations(stats: FieldStats) -> bool:
    """Whether a field with time is smooth at shared positions: :func:`shares_positions` and
    neighbouring observations agree (roughness below :data:`AUTO_SMOOTH_ROUGHNESS`).

    >>> smooth_at_stations(FieldStats(1200, 100, 12, roughness=0.1))
    True
    >>> smooth_at_stations(FieldStats(1200, 100, 12, roughness=0.5))
    False

    Evidence: on 16 fits at fixed positions it kept the penalty off where it cost 4-22 points
    (roughness 0.35-0.62) and on where it gained 4-38 (0.16-0.22).
    """
    return stats.roughness < AUTO_SMOOTH_ROUGHNESS and shares_positions(stats)


def rule_model(
    model: str, preset: str, user_model: dict, stats: FieldStats, selected: bool
) -> tuple[str, str]:
    """The model ``model="auto"`` trains, and why: the mixture on a field with one snapshot, and
    at shared positions along one time axis with known times where neighbouring observations
    agree or members are selected on one shared held-out set (``selected``); MMGN elsewhere,
    under ``paper`` and wherever model keywords are given (they are MMGN's).

    >>> rule_model("auto", "auto", {}, FieldStats(500, 500, 1), False)[0]
    'mix'
    >>> rule_model("auto", "auto", {}, FieldStats(5000, 5000, 10), True)[0]
    'mmgn'

    Evidence: at fixed stations -16 points of MSE vs linear over 17 fits (smooth) and -18.7
    over 5 (members selected); on single maps -1.45 over 12 fits not used to choose it.
    """
    if model != AUTO_MODEL_NAME:
        return model, "given"
    if preset != "auto" or user_model or not stats.times_known:
        why = "model keywords given" if user_model else f"the {preset} preset"
        return MIX_BASE, why if stats.times_known else "some times are unknown"
    if stats.single:
        return MIX_MODEL_NAME, "one snapshot: architectures whose errors partly cancel"
    if shares_positions(stats) and stats.one_time_axis:
        if smooth_at_stations(stats):
            return MIX_MODEL_NAME, f"fixed positions, neighbours agree ({stats.roughness:.2f})"
        if selected:
            return MIX_MODEL_NAME, "fixed positions, enough held-out places to select members"
    return MIX_BASE, "snapshots at different positions, or rough with few stations"


def rule_ensemble(preset: str, stats: FieldStats) -> int:
    """Networks trained side by side: :data:`AUTO_ENSEMBLE` up to
    :data:`AUTO_ENSEMBLE_MAX_OBS` observations under ``auto`` (then sized to the time budget,
    :mod:`xinr.budget`), one network above and under ``paper``.

    >>> rule_ensemble("auto", FieldStats(1000, 100, 10)), rule_ensemble("auto", FieldStats(10**5, 10**4, 10))
    (6, 1)

    Evidence: above 20,000 observations one network was 2.1 points better than 3 members over 8
    fits with the misfits added.
    """
    return AUTO_ENSEMBLE if preset == "auto" and stats.n_obs <= AUTO_ENSEMBLE_MAX_OBS else 1


def rule_frequency(model: str, spacing: float) -> dict:
    """The data-derived frequency keyword of ``model`` at a neighbour ``spacing`` (in encoded
    units), :data:`AUTO_FREQ` over the spacing; none for models without one.

    >>> rule_frequency("mmgn", 0.05), rule_frequency("resmlp", 0.05)
    ({'input_scale': 50.0}, {})

    Evidence: filters matched to what the samples resolve, from a regional 1 km field to a
    global 2 degree one.
    """
    c = AUTO_FREQ.get(model)
    return {} if c is None else {FREQ_KEY[model]: float(c / spacing)}


def rule_steps_cap(n_obs: int, n_train: int, batch_size: int) -> int | None:
    """Epochs that hold a budgeted fit on small data (up to :data:`AUTO_ENSEMBLE_MAX_OBS`) to
    :data:`AUTO_STEPS` optimiser steps; None above.

    >>> rule_steps_cap(1000, 900, 900), rule_steps_cap(10**5, 9 * 10**4, 8192)
    (1500, None)

    Evidence: 2400 full-batch steps gave 25-45% more error than 1200 on a sharp map; 3000 and
    750 both lost to 1500.
    """
    if n_obs > AUTO_ENSEMBLE_MAX_OBS:
        return None
    return max(1, math.ceil(AUTO_STEPS / max(1, math.ceil(n_train / batch_size))))


def rule_curvature(stats: FieldStats) -> float:
    """Weight of the curvature penalty: :data:`AUTO_SINGLE_CURVATURE` on a field with one
    snapshot, or smooth at shared positions (:func:`smooth_at_stations`); 0 elsewhere.

    >>> rule_curvature(FieldStats(500, 500, 1)), rule_curvature(FieldStats(5000, 5000, 10))
    (0.3, 0.0)

    Evidence: on fields seen once Levitus SST -4.5 points over 8 cases, topography level; sea
    ice at fixed stations 1% lost 6-22 points with it.
    """
    return AUTO_SINGLE_CURVATURE if stats.single or smooth_at_stations(stats) else 0.0


def rule_mixture(base: str, ensemble: int, stats: FieldStats) -> list[str]:
    """Per-member model names of a mixture of ``ensemble`` members: the shares of
    :data:`SINGLE_MIX_SHARES` on a field with one snapshot, :data:`MIX_SHARES` elsewhere, the rest
    (at least one) ``base``.

    >>> rule_mixture("mmgn", 6, FieldStats(500, 500, 1))
    ['mmgn', 'mmgn', 'mmgn', 'mmgn', 'resmlp', 'siren']

    Evidence: on single maps each other architecture had beaten MMGN somewhere; at fixed
    stations ResMLP was the best single network on smooth fields.
    """
    shares = SINGLE_MIX_SHARES if stats.single else MIX_SHARES
    others = [n for n, share in shares.items() for _ in range(max(1, round(share * ensemble)))]
    others = others[: ensemble - 1]
    return [base] * (ensemble - len(others)) + others


def rule_spread(value: float, n: int, lo: float, hi: float) -> list[float]:
    """Frequency scales of ``n`` members spread geometrically from ``lo`` to ``hi`` times the
    data-derived ``value``.

    >>> [round(v, 3) for v in rule_spread(10.0, 3, 0.45, 2.2)]
    [4.5, 9.95, 22.0]

    Evidence: the best member was x0.6 on Levitus SST and x2.2 on sea ice: the spacing does not
    tell how smooth a field is between the samples.
    """
    return [value * lo * (hi / lo) ** (j / (n - 1)) for j in range(n)]


def rule_bounds(option, preset: str, stats: FieldStats) -> tuple | None:
    """Prediction limits ``(lo, hi)`` (either may be None) from the ``bounds`` option, or None:
    by default the observed range under ``auto`` (interpolation cannot leave it, and bounded
    quantities stay within their limits), none under ``paper``.

    >>> rule_bounds(None, "auto", FieldStats(2, 2, 1, value_range=(0.0, 1.0)))
    (0.0, 1.0)
    >>> rule_bounds((0, None), "paper", FieldStats(2, 2, 1))
    (0.0, None)
    """
    if option is None:
        option = "observed" if preset == "auto" else False
    if option is False:
        return None
    if isinstance(option, str):
        if option != "observed":
            raise ValueError(
                f"Unknown bounds {option!r}. Use 'observed', a pair (lo, hi) such as (0, 1) "
                "(either may be None), or False for no limits."
            )
        return stats.value_range
    try:
        lo, hi = option
        lo = None if lo is None else float(lo)
        hi = None if hi is None else float(hi)
    except (TypeError, ValueError):
        raise ValueError(
            f"bounds must be 'observed', a pair (lo, hi) of numbers or None, or False; got "
            f"{option!r}."
        ) from None
    if lo is not None and hi is not None and not lo < hi:
        raise ValueError(f"bounds=(lo, hi) needs lo < hi; got {option!r}.")
    return None if lo is None and hi is None else (lo, hi)


def rule_residuals(option: str | None, preset: str) -> tuple[str, bool]:
    """The residual stage and whether the gate decides: by default ``"idw"`` under ``auto``,
    kept unless a held-out check declines it; ``"none"`` under ``paper``; as given otherwise.

    >>> rule_residuals(None, "auto"), rule_residuals("idw", "auto"), rule_residuals(None, "paper")
    (('idw', True), ('idw', False), ('none', False))

    Evidence: +2.7 points on average over the 24-case table; the gate declined it in 7 of 48
    fits, each where it cost 0.9-11 points.
    """
    if option is not None:
        return option, False
    chosen = RESIDUALS[preset]
    return chosen, chosen != "none"


def rule_combination(option: str | None, preset: str, stats: FieldStats, stage: str) -> tuple:
    """The combination stage (:mod:`xinr.combine`): ``"kriging"`` (the xinr field and kriging of
    the observed values, weighted at the held-out observations) or ``"none"``, and why. It needs
    the held-out check of a residual stage. By default kriging under ``auto`` on fields with one
    snapshot and at positions shared by the snapshots, where the held-out places are scattered
    among the observations as the gaps are; none where snapshots see different places.

    >>> rule_combination(None, "auto", FieldStats(500, 500, 1), "idw")[0]
    'kriging'
    >>> rule_combination(None, "auto", FieldStats(5000, 5000, 10), "idw")[0]
    'none'
    >>> rule_combination("kriging", "auto", FieldStats(500, 500, 1), "none")
    ('none', 'no residual stage: no held-out check to weigh by')

    Evidence: under moving cloud gaps the held-out places lie nearer the observations than the
    gaps do, and the weight they chose raised the error at the gaps in 3 of 4 fits (by up to 52%
    of MSE); on maps and at fixed positions it lowered it or left it level (docs/decisions.md).
    """
    if stage == "none":
        return "none", "no residual stage: no held-out check to weigh by"
    if option is not None:
        return option, "given"
    if preset != "auto":
        return "none", f"the {preset} preset"
    if stats.single:
        return "kriging", "one snapshot: held-out places scattered like the gaps"
    if shares_positions(stats):
        return "kriging", "positions shared by the snapshots: held-out places like the gaps"
    return "none", "snapshots at different places: held-out places unlike moving gaps"


def rule_uncertainty_cap(stats: FieldStats) -> tuple:
    """The quantile of the held-out observations' kriging variances at which the uncertainty's
    shape stops growing (:mod:`xinr.uncertainty`), or None, and why. Where snapshots see
    different places the network borrows across them, so one snapshot's kriging variance
    overstates its error inside a gap, and the held-out places (next to observations) cannot
    say by how much: the shape is capped at :data:`UNCERTAINTY_CAP` of what they saw. On maps
    and at shared positions it grows as kriging's does.

    >>> rule_uncertainty_cap(FieldStats(5000, 5000, 10))[0], rule_uncertainty_cap(FieldStats(500, 500, 1))[0]
    (0.9, None)

    Evidence: under moving cloud gaps (SST, 30% clear) the uncapped shape covered 98% and 100%
    of the hidden points by the 68% and 95% intervals (CRPS 1.13); capped 73% and 91% (0.39);
    level where snapshots see different places at random and on maps (docs/decisions.md).
    """
    if stats.single or shares_positions(stats):
        return None, "one snapshot or shared positions: the kriging variance grows freely"
    return UNCERTAINTY_CAP, "snapshots at different places: the network borrows across them"


# ---------------------------------------------------------------- building the plan
def make_plan(
    stats: FieldStats,
    *,
    model: str = AUTO_MODEL_NAME,
    preset: str = "auto",
    user_model: dict | None = None,
    user_train: dict | None = None,
    ensemble: int | None = None,
    residuals: str | None = None,
    bounds=None,
    combine: str | None = None,
) -> Plan:
    """The plan of a fit of a field with statistics ``stats`` under the user's options (the
    keywords of :class:`xinr.INR`; ``user_train`` holds the training options given, ``user_model``
    the model keywords).

    Examples
    --------
    >>> plan = make_plan(FieldStats(1240, 1240, 1, spacing=0.02), user_train={"epochs": 10})
    >>> plan.name, plan.ensemble, plan.names
    ('mix', 6, ['mmgn', 'mmgn', 'mmgn', 'mmgn', 'resmlp', 'siren'])
    >>> print(plan.rule("ensemble"))
    ensemble: 6 (1,240 observations, at most 20,000)
    """
    user_model, user_train = dict(user_model or {}), dict(user_train or {})
    rules: list[Rule] = []
    budget = rule_time_budget(preset, user_train)
    if budget is not None:
        user_train["max_time"] = budget  # the preset's own time budget, as if given
        rules.append(Rule("time budget", budget, "neither epochs nor max_time given"))
    name, base, ensemble, folds = _networks(
        stats, model, preset, user_model, user_train, ensemble, rules
    )
    mkw, train = _recipe(stats, base, preset, user_model, user_train, ensemble, folds, rules)
    names = None
    if name == MIX_MODEL_NAME and preset == "auto" and stats.times_known and ensemble > 1:
        names = rule_mixture(base, ensemble, stats)
        train = {**MIX_TRAIN, **train}
        rules.append(Rule("mixture", names, "members of several architectures, kept by MSE"))
    members = _members(stats, base, preset, mkw, user_model, ensemble, names, rules)
    stage, gate = rule_residuals(residuals, preset)
    why = "given" if residuals is not None else f"the {preset} preset"
    rules.append(
        Rule("residual stage", stage, why + (", gated by a held-out check" if gate else ""))
    )
    combined, why = rule_combination(combine, preset, stats, stage)
    if stage != "none" or combine is not None:
        rules.append(Rule("combination", combined, why))
    cap, why = rule_uncertainty_cap(stats)
    if cap is not None:
        rules.append(Rule("uncertainty cap", cap, why))
    lim = rule_bounds(bounds, preset, stats)
    if lim is not None:
        rules.append(Rule("bounds", lim, "given" if bounds is not None else "the observed range"))
    return Plan(
        preset=preset,
        # what was trained: a "mix" of one network is its base model alone
        name=name if names or name != MIX_MODEL_NAME else base,
        base=base,
        ensemble=ensemble,
        model=mkw,
        train=train,
        residuals=stage,
        gate=gate,
        combine=combined,
        uncertainty_cap=cap,
        bounds=lim,
        members=members,
        names=names,
        spacing=stats.spacing,
        rules=tuple(rules),
    )


def _networks(stats, model, preset, user_model, user_train, ensemble, rules):
    """The model trained, its base, the ensemble's size and the member folds in use."""
    preset_folds = rule_member_folds(preset, stats)
    folds = user_train.get("member_folds", preset_folds)
    if model == AUTO_MODEL_NAME:
        selected = members_selected(
            user_train.get("member_weights", AUTO_TRAIN["member_weights"]),
            folds,
            user_train.get("validation", AUTO_TRAIN["validation"]),
            stats.n_distinct,
            ensemble if isinstance(ensemble, int) else AUTO_ENSEMBLE,
        )
        model, why = rule_model(model, preset, user_model, stats, selected)
        rules.append(Rule("model", model, why))
    if model == MIX_MODEL_NAME and user_model:
        raise TypeError(
            f"model='mix' chooses its networks' hyperparameters; got {sorted(user_model)}. "
            f"Pick a model to set them, e.g. INR('mmgn', {next(iter(user_model))}=...)."
        )
    base = MIX_BASE if model == MIX_MODEL_NAME else model
    if ensemble is None:
        ensemble = rule_ensemble(preset, stats)
        limit = f"at most {AUTO_ENSEMBLE_MAX_OBS:,}" if ensemble > 1 else "one network above"
        why = f"{stats.n_obs:,} observations, {limit}" if preset == "auto" else "the paper preset"
        rules.append(Rule("ensemble", ensemble, why))
    if preset == "auto" and ensemble > 1 and "member_folds" not in user_train:
        why = (
            "one snapshot: every place trains most members"
            if folds == "always"
            else ("only where a shared held-out set would be too small to select by")
        )
        rules.append(Rule("member folds", folds, why))
    return model, base, ensemble, folds


def _recipe(stats, base, preset, user_model, user_train, ensemble, folds, rules):
    """The base model's keywords and the training keywords."""
    train: dict = {}
    mkw: dict = {}
    if preset == "paper":
        mkw.update(PAPER_MODEL.get(base, {}))
        train.update(PAPER_TRAIN)
        per_snapshot = max(1, stats.n_obs // max(stats.n_snapshots, 1))
        train["batch_size"] = PAPER_SNAPSHOTS_PER_BATCH * per_snapshot
        if "epochs" not in user_train and "max_time" not in user_train:
            train["epochs"] = PAPER_EPOCHS
    else:
        mkw.update(AUTO_MODEL.get(base, {}))
        train.update(AUTO_TRAIN)
        train["member_folds"] = rule_member_folds(preset, stats)
        freq = rule_frequency(base, stats.spacing)
        mkw.update(freq)
        for key, value in freq.items():
            why = f"{AUTO_FREQ[base]} / neighbour spacing {stats.spacing:.3g}"
            rules.append(Rule(key, value, why if key not in user_model else "given"))
        bs = user_train.get("batch_size", min(stats.n_obs, AUTO_BATCH))
        train["batch_size"] = bs
        n_train = training_rows(
            stats.n_obs,
            user_train.get("validation", train["validation"]),
            folds,
            stats.n_distinct,
            ensemble if isinstance(ensemble, int) else 1,
        )
        cap = rule_steps_cap(stats.n_obs, n_train, bs)
        if "epochs" not in user_train and cap is not None:
            train["epochs"] = cap
            rules.append(Rule("epochs", cap, f"at most {AUTO_STEPS} steps on small data"))
        if rule_curvature(stats):
            train["curvature"] = rule_curvature(stats)
    train.update(user_train)
    mkw.update(user_model)
    _smoothing(stats, preset, train, user_train, rules)
    return mkw, train


def _smoothing(stats, preset, train, user_train, rules) -> None:
    """Jitter and curvature, in neighbour spacings, turned into the loop's encoded units."""
    jitter = train.pop("jitter", 0.0) or 0.0
    curvature = train.pop("curvature", 0.0) or 0.0
    if jitter > 0:
        train["input_noise"] = float(jitter * stats.spacing)
        why = "given" if "jitter" in user_train else "neighbour spacings, the auto preset's"
        rules.append(Rule("jitter", jitter, why))
    if curvature > 0:
        train["curvature"] = curvature
        train["curvature_step"] = float(stats.spacing)
        if "curvature" in user_train:
            why = "given"
        elif stats.single:
            why = "one snapshot"
        else:
            why = f"fixed positions, neighbours agree (roughness {stats.roughness:.2f})"
        rules.append(Rule("curvature", curvature, why))


def _members(stats, base, preset, mkw, user_model, ensemble, names, rules):
    """Per-member keywords: the base members' frequency scales spread, the others' own."""
    kinds = names or [base] * ensemble
    own = [i for i, n in enumerate(kinds) if n == base]
    spread = AUTO_SPREAD.get(base) if preset == "auto" else None
    spread = spread if spread and spread[0] in mkw and spread[0] not in user_model else None
    if not (names or (spread and len(own) > 1)):
        return None
    members = [dict(mkw) for _ in kinds]
    if spread and len(own) > 1:
        key, lo, hi = spread
        for i, value in zip(own, rule_spread(mkw[key], len(own), lo, hi), strict=True):
            members[i][key] = value
        rules.append(Rule("frequency spread", (lo, hi), f"{len(own)} {base} members' {key}"))
    for i, n in enumerate(kinds):
        if n != base:
            members[i] = {**AUTO_MODEL.get(n, {}), **rule_frequency(n, stats.spacing)}
    return members
