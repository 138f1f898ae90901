"""The stages of a fit after its plan is sized: train (the held-out split is the loop's first
step), the residual stage, the gate, and the codes of empty snapshots. Each is a function of
explicit inputs; numpy and torch in and out.

The residual stage and the gate are pluggable: :data:`xinr.residuals.RESIDUAL_STAGES` maps a
``residuals=`` option to a class built from the network's misfits at the observations, and
:data:`GATES` maps a plan's gate to a function that reads the held-out check and says whether the
stage's correction stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .budget import size_to_budget
from .combine import MIN_WEIGHT, Combination, ValuePeer, snapshot_means
from .errors import CoordinateError
from .fieldstats import FieldStats, measure
from .fitted import FittedField
from .models import build_network
from .plan import AUTO_MODEL_NAME, Plan, Rule, make_plan
from .residuals import (
    MIN_CHECK_LOCATIONS,
    RESIDUAL_STAGES,
    KrigedMisfits,
    check_snapshot_count,
    checked_snapshots,
    correction_declined,
    fitted_key,
    held_out_check,
)
from .training import TrainData, TrainResult, predict_observations, resolve_device, train
from .uncertainty import Calibration, Uncertainty, calibrate

#: gates by name: the held-out check -> whether the correction stays
GATES = {"held-out": lambda check: not correction_declined(check)}
OBSERVATION_BATCH = 16384  # observations per batch of the pass that computes the misfits


@dataclass
class Observed:
    """The observations a fit trains on, in canonical order: distinct places ``lat``/``lon``
    (degrees), and per observation its place row ``point``, snapshot ``snap`` and ``value``."""

    lat: np.ndarray
    lon: np.ndarray
    point: np.ndarray
    snap: np.ndarray
    value: np.ndarray
    n_snapshots: int

    def __len__(self) -> int:
        return int(self.value.size)


@dataclass
class Residual:
    """The residual stage's outcome: the ``field`` added (None: the network alone), the held-out
    ``check`` that the gate read (None: no gate) and the ``declined`` field the gate left out."""

    field: object | None = None
    check: dict | None = None
    declined: object | None = None
    combination: Combination | None = None
    uncertainty: Uncertainty | None = None


def train_stage(net: torch.nn.Module, data: TrainData, config, device) -> TrainResult:
    """Train ``net`` on ``data`` (:func:`xinr.training.train`: split, steps, best state)."""
    return train(net, data, config, device)


def residual_stage(
    stage: str,
    gate: str | None,
    net,
    result: TrainResult,
    obs: Observed,
    predict,
    rows: np.ndarray | None,
    combine: str = "none",
    cap: float | None = None,
) -> Residual:
    """The network's misfits at the observations ``rows`` (None: all), built into the residual
    stage ``stage`` and, where ``gate`` names one, kept only where the gate accepts the
    held-out check; then, where ``combine`` names a classical field, the combination stage
    (:func:`combination_stage`); then the uncertainty (:func:`uncertainty_stage`, its shape
    capped at the quantile ``cap`` of the held-out variances).
    ``predict(model, rows)`` gives a model's values at observations."""
    if result.diverged:
        return Residual()
    held = result.held_out is not None
    rows = np.arange(len(obs)) if rows is None else rows
    if stage == "none":  # predictions only where the check looks
        rows = _check_rows(obs, result, rows) if held else rows[:0]
    held = held and len(rows) > 0
    pred = predict(net, rows) if len(rows) else np.zeros(0)
    out = Residual()
    combine = combine if held and stage != "none" else "none"
    trained = np.setdiff1d(rows, result.held_out.numpy()) if held else rows
    peer = ValuePeer.fit(obs.lat, obs.lon, obs.point[trained], obs.snap[trained],
                         obs.value[trained], obs.n_snapshots, light=combine == "none")  # fmt: skip
    errors: dict = {}
    check = None
    if held:
        check = gate_check(result, net, predict, pred, obs, rows, peer, errors)
        check["added"] = bool(GATES[gate](check)) if gate is not None else stage != "none"
        if gate is not None or combine != "none":  # (else the check only calibrates)
            out.check = check
    if stage != "none" and len(rows):
        built = RESIDUAL_STAGES[stage](
            obs.lat, obs.lon, obs.point[rows], obs.snap[rows], obs.value[rows] - pred,
            obs.n_snapshots,
        )  # fmt: skip
        if out.check is None or out.check["added"]:
            out.field = built
        else:
            out.declined = built
    if combine != "none":
        out.combination = combination_stage(check, obs, peer)
        check["combined"] = 0.0 if out.combination is None else out.combination.weight
    out.uncertainty = uncertainty_stage(check, errors, obs, peer, out.combination, cap)
    return out


def _check_rows(obs: Observed, result: TrainResult, rows: np.ndarray) -> np.ndarray:
    """The observations ``rows`` of the snapshots that the held-out check visits."""
    snap = obs.snap[rows]
    visits = check_snapshot_count(snap)
    return rows[np.isin(snap, checked_snapshots(obs.snap[result.held_out.numpy()], visits))]


def uncertainty_stage(check, errors: dict, obs: Observed, peer: ValuePeer, combination,
                      cap: float | None = None) -> Uncertainty:  # fmt: skip
    """The standard deviation of the field as fitted (:mod:`xinr.uncertainty`): the kriging
    variance of each snapshot's observed places under the peer's covariance, calibrated on the
    errors at the held-out observations (``errors``, from the check) of the network, corrected
    where the gate kept the misfits, combined where the combination stage weighed in."""
    calibration = Calibration()
    if check is not None and errors:
        mine = errors[fitted_key(check)]
        if combination is not None:
            mine = (1 - combination.weight) * mine + combination.weight * errors["peer"]
        error = (errors["y"] - mine) / peer.sigma
        calibration = calibrate(error, errors["variance"], errors["where"], cap=cap)
    return Uncertainty(obs.lat, obs.lon, obs.point, obs.snap, obs.n_snapshots,
                       peer.covariance, peer.sigma, calibration)  # fmt: skip


def combination_stage(check: dict, obs: Observed, peer: ValuePeer) -> Combination | None:
    """The xinr field (the network, corrected where the gate kept the correction) and kriging of
    the observed values combined with the weight fitted at the held-out observations
    (:mod:`xinr.combine`), the kriging from every observation; None where the weight is below
    :data:`~xinr.combine.MIN_WEIGHT` or the check saw fewer than ``MIN_CHECK_LOCATIONS``."""
    weight = check.get(f"stack_{fitted_key(check)}", 0.0)
    if check["locations"] < MIN_CHECK_LOCATIONS or not weight >= MIN_WEIGHT:
        return None
    mean = snapshot_means(obs.snap, obs.value, obs.n_snapshots)
    anomalies = KrigedMisfits(
        obs.lat, obs.lon, obs.point, obs.snap, obs.value - mean[obs.snap], obs.n_snapshots,
        fitted=peer.fitted, sigma=peer.sigma,
    )  # fmt: skip
    return Combination(float(weight), mean, anomalies)


def gate_check(result: TrainResult, net, predict, pred, obs: Observed, used, peer=None,
               errors: dict | None = None) -> dict:  # fmt: skip
    """The held-out check of the misfit correction (:func:`residuals.held_out_check`) on the
    training loop's held-out observations: of the ensemble as a whole where they were shared, of
    each member at its own where each member held out its own (member folds). ``pred`` is the
    network's prediction at the observations ``used`` (rows of ``obs``, sorted), the ones whose
    misfits make the correction; ``peer`` the combination stage's classical field."""
    member = np.full(len(obs), -2)  # -2: trained on; -1: held out from all; else its fold
    member[result.held_out.numpy()] = (
        -1 if result.held_out_member is None else result.held_out_member.numpy()
    )
    member = member[used]
    # only the snapshots that the check visits (each member predicts there: few on long series,
    # fewer on dense data)
    snap = obs.snap[used]
    visits = check_snapshot_count(snap)
    sel = np.flatnonzero(np.isin(snap, checked_snapshots(snap[member > -2], visits)))
    rows, member = used[sel], member[sel]
    if result.held_out_member is None:
        preds, masks = pred[None, sel], (member == -1)[None]
    else:
        preds = np.stack([predict(m, rows) for m in net.members])
        masks = member[None, :] == result.member_fold.numpy()[:, None]  # what each held out
    check = held_out_check(
        obs.lat,
        obs.lon,
        obs.point[rows],
        obs.snap[rows],
        obs.value[rows],
        preds,
        masks,
        obs.n_snapshots,
        predict.bounds,
        visits,
        peer=peer,
        errors=errors,
    )
    check["member_folds"] = result.held_out_member is not None
    return check


class ObservationPredictor:
    """``predictor(model, rows)``: a model's values (in the field's units, clipped to ``bounds``)
    at observations ``rows`` of ``data`` (None: all), on ``device``."""

    def __init__(self, data: TrainData, scaler, bounds, device):
        self.data, self.scaler, self.bounds, self.device = data, scaler, bounds, device

    def __call__(self, model, rows=None) -> np.ndarray:
        sub = self.data if rows is None else self.data.subset(torch.as_tensor(rows))
        p = predict_observations(model.to(self.device), sub.to(self.device), OBSERVATION_BATCH)
        p = self.scaler.inverse(p.cpu().numpy())
        return np.clip(p, *self.bounds) if self.bounds is not None else p


def fill_empty_codes(net, empty: np.ndarray, times: np.ndarray, one_axis: bool) -> bool:
    """Give snapshots never observed (``empty``) codes interpolated in time from their
    neighbours' along one time axis (by position where times are unknown), in place of the zero
    starting code (the shared basis alone); whether it applied. Evidence: on empty snapshots of
    series the neighbours' codes were far better than the basis alone."""
    if not (empty.size and one_axis and hasattr(net, "interpolate_codes")):
        return False
    known = np.isfinite(times).all()
    net.interpolate_codes(empty, times if known else np.arange(times.size, dtype=float))
    return True


# ---------------------------------------------------------------- the whole fit
@dataclass
class FitOutcome:
    """What :func:`fit_field` gives the estimator."""

    plan: Plan
    field: FittedField
    stats: FieldStats
    residual: Residual
    result: TrainResult
    device: torch.device


def canonical(obs, lat: np.ndarray, lon: np.ndarray) -> Observed:
    """The observations ``obs`` (:class:`xinr.sampling.Observations`) at grid points ``lat``/
    ``lon``, in canonical order: by place on Earth, then snapshot, so that the same field
    written with another longitude convention, point order or dimension order trains
    identically; the distinct places are numbered in the same order."""
    by_place = np.lexsort((np.round(np.mod(lon, 360.0), 9), np.round(lat, 9)))
    rank = np.empty_like(by_place)
    rank[by_place] = np.arange(by_place.size)
    order = np.lexsort((rank[obs.point], obs.snap))
    snap, point, value = obs.snap[order], obs.point[order], obs.value[order]
    uniq_rank, inv = np.unique(rank[point], return_inverse=True)
    uniq = by_place[uniq_rank]
    return Observed(lat[uniq], lon[uniq], inv, snap, value, obs.n_snapshots)


def fit_field(options: dict, user_model: dict, user_train: dict, lat, lon, located, obs, times, empty, started, *,
              global_field: bool, one_time_axis: bool, one_axis: bool, time_dim: str) -> FitOutcome:  # fmt: skip
    """Fit the field: measure, plan, size to the budget, train, residual stage, gate.

    ``options`` are the estimator's keywords (:meth:`xinr.INR.get_params`), ``user_model`` and
    ``user_train`` the model keywords and the training options given among them; ``lat``/``lon`` the grid's points (``located`` where finite),
    ``obs`` the observations, ``times`` the snapshots' times, ``empty`` the snapshots without
    observations, ``started`` when the budget's clock started.
    """
    from .encoding import Encoding, TimeScaler
    from .normalize import Standardizer

    kind = options["encoding"]
    if kind == "auto":
        kind = "sphere" if global_field else "box"
    encoding = Encoding(kind, lat[located], lon[located], degree=options["degree"])
    tscale = TimeScaler.fit(times)
    observed = canonical(obs, lat, lon)
    scaler = Standardizer.fit(observed.value)
    x = encoding(observed.lat, observed.lon)
    stats = measure(
        observed.lat, observed.lon, observed.point, observed.snap, observed.value,
        n_snapshots=obs.n_snapshots, x=x, n_empty=int(empty.size),
        times_known=bool(np.isfinite(times).all()), one_time_axis=one_time_axis,
        global_field=global_field,
    )  # fmt: skip

    why = "given" if options["encoding"] != "auto" else (
        "the field wraps around the globe" if global_field else "a regional field"
    )  # fmt: skip

    def remake(k, model=None):
        p = make_plan(
            stats, model=options["model"] if model is None else model, preset=options["preset"],
            user_model=user_model, user_train=user_train, ensemble=k,
            residuals=options["residuals"], bounds=options["bounds"], combine=options["combine"],
        ).with_rule(Rule("encoding", kind, why))  # fmt: skip
        return p, build_network(
            p.base, encoding.dim, stats.n_snapshots, p.ensemble, p.model, p.members, p.names
        )

    plan, net = remake(options["ensemble"])
    device = resolve_device(options["device"])
    data = TrainData(
        x=x,
        point=torch.as_tensor(observed.point, dtype=torch.long),
        snap=torch.as_tensor(observed.snap, dtype=torch.long),
        t=torch.as_tensor(tscale(times[observed.snap]), dtype=torch.float32),
        y=torch.as_tensor(scaler.transform(observed.value), dtype=torch.float32),
    )
    checked = (observed.lat, observed.lon, observed.point, observed.snap)
    sized = size_to_budget(
        plan, net, data, device, started=started, remake=remake,
        resize=options["ensemble"] is None,
        single_mix=options["model"] == AUTO_MODEL_NAME and stats.single,
        checked=checked if plan.gate else None, seed=options["seed"],
    )  # fmt: skip
    _check_times(sized.net, stats, times, time_dim, options["model"])
    result = train_stage(sized.net, data, sized.config, device)
    predictor = ObservationPredictor(data, scaler, sized.plan.bounds, device)
    gate = "held-out" if sized.plan.gate and not sized.config.resume else None
    residual = residual_stage(
        sized.plan.residuals, gate, sized.net, result, observed, predictor, sized.misfit_rows,
        combine=sized.plan.combine if not sized.config.resume else "none",
        cap=sized.plan.uncertainty_cap,
    )  # fmt: skip
    plan = _outcome_rules(sized.plan, residual, sized.net, empty, times, one_axis)
    sized.net.to("cpu").eval()
    network = {"base": plan.base, "ensemble": plan.ensemble, "model": plan.model,
               "members": plan.members, "names": plan.names, "n_snapshots": stats.n_snapshots}  # fmt: skip
    field = FittedField(
        sized.net, network, encoding, scaler, tscale, times, one_axis=one_axis,
        bounds=plan.bounds, residuals=residual.field, device=options["device"],
        combination=residual.combination, uncertainty=residual.uncertainty,
    )  # fmt: skip
    return FitOutcome(plan, field, stats, residual, result, device)


def _check_times(net, stats: FieldStats, times, time_dim: str, model: str) -> None:
    """Refuse a model that takes time as an input where some times are unknown (NaT)."""
    # (model="mix" leaves out its time-taking members itself when times are unknown)
    if getattr(net, "uses_time", False) and not stats.times_known:
        raise CoordinateError(
            f"The {time_dim!r} coordinate has {int((~np.isfinite(times)).sum())} missing "
            f"value(s) (NaT/NaN), and model {model!r} takes time as an input. Drop those "
            f"snapshots (e.g. da.sel({time_dim}=da[{time_dim!r}].notnull())) or use "
            "model='mmgn', which needs no time values."
        )


def _outcome_rules(plan: Plan, residual: Residual, net, empty, times, one_axis) -> Plan:
    """The plan with what the gate and the combination decided, how the uncertainty was
    calibrated and the empty snapshots' codes recorded."""
    check = residual.check
    if check is not None:
        rise = 100 * (check["corrected"] / check["network"] - 1) if check["network"] else 0.0
        verb = "kept" if check["added"] else "declined"
        why = f"squared error at {check['locations']} held-out places {rise:+.0f}%"
        plan = plan.with_rule(Rule("gate", verb, why))
    if plan.combine != "none":
        plan = plan.with_rule(_combination_rule(residual))
    if residual.uncertainty is not None:
        cal = residual.uncertainty.calibration
        value = "calibrated" if cal.calibrated else "not calibrated"
        plan = plan.with_rule(Rule("uncertainty", value, cal.summary()))
    if fill_empty_codes(net, empty, times, one_axis):
        why = "interpolated in time from the neighbouring snapshots'"
        plan = plan.with_rule(Rule("empty snapshots' codes", int(empty.size), why))
    return plan


def _combination_rule(residual: Residual) -> Rule:
    """What the combination stage decided, and the held-out errors it read."""
    check, comb = residual.check, residual.combination
    if check is None or "peer" not in check:
        return Rule("combination", "none", "no held-out observations to weigh by")
    key = fitted_key(check)
    mine, stacked = check[key], check[f"stacked_{key}"]
    rise = 100 * (stacked / mine - 1) if mine else 0.0
    figures = f"held-out squared error {rise:+.0f}% vs the network's field, kriging's alone " + (
        f"{100 * (check['peer'] / mine - 1):+.0f}%" if mine else "n/a"
    )
    if comb is None:
        return Rule("combination", "none", f"kriging's best weight was too small; {figures}")
    return Rule("combination", round(comb.weight, 3), f"kriging's weight; {figures}")
