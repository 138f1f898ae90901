"""The text report of a fitted :class:`xinr.INR`: what was trained, on what, how it did."""

from __future__ import annotations

import html

import numpy as np

from .residuals import SCORE_MIN_LOCATIONS


def describe(est) -> str:
    """Several lines: model and encoding, the field seen, the networks, the training, the
    residual stage and the held-out score."""
    n_par = sum(p.numel() for p in est.model_.parameters())
    last = est.history_[-1] if est.history_ else {}
    loss = f"{last.get('loss', float('nan')):.4g}"
    val = f", val {last['val']:.4g}" if "val" in last else ""
    flags = " [interrupted]" if est.interrupted_ else ""
    ens = f", ensemble of {est.ensemble_}" if est.ensemble_ > 1 else ""
    curvature = est.train_config_.get("curvature", 0)
    smooth = f", curvature penalty {curvature:g}" if curvature else ""
    trained = est.network_.get("model", est.model)
    chosen = f" trained {trained!r}" if trained != est.model else ""  # (model="auto")
    names = est.network_["names"]
    if names:  # a mixture: say of what
        ens += " (" + " + ".join(f"{names.count(n)} {n}" for n in dict.fromkeys(names)) + ")"
    return (
        f"INR(model={est.model!r}, encoding={est.encoding_.kind!r}){flags}{chosen}\n"
        f"  field: {est.name_!r} dims {est.dims_}, {est.n_snapshots_} snapshot(s), "
        f"{est.n_obs_} observed points\n"
        f"  network: {n_par:,} parameters, {est.model_kwargs_}"
        f"{ens}\n"
        f"  training: {len(est.history_)} epochs in {est.fit_seconds_:.1f} s on "
        f"{est.device_}, final loss {loss}{val}{smooth}\n"
        f"  misfits at the observations: {_misfits(est)}{_combined(est)}{_held_out(est)}"
        f"\n  uncertainty: {_uncertainty(est)}"
    )


def _uncertainty(est) -> str:
    u = est.field_.uncertainty
    return "none (saved by an earlier version, or diverged)" if u is None else u.summary()


def _combined(est) -> str:
    comb = est.field_.combination
    return "" if comb is None else f"\n  combined: {comb.summary()}"


def _misfits(est) -> str:
    rf = est.residuals_
    check = getattr(est, "misfit_check_", None)
    if rf is not None:
        rms = float(np.sqrt(np.mean(np.square(rf.residual, dtype=np.float64))))
        return f"added (rms {rms:.4g} {est.attrs_.get('units', '')}".rstrip() + ")"
    if check is not None and not check["added"]:
        rise = 100 * (check["corrected"] / check["network"] - 1)
        return (
            f"not added (they raised the squared error at {check['locations']} held-out "
            f"locations by {rise:.0f}%)"
        )
    return "not added"


def _held_out(est) -> str:
    score = est.held_out_score_
    check = getattr(est, "misfit_check_", None)
    if score is not None:
        units = f" {est.attrs_['units']}" if est.attrs_.get("units") else ""
        return (
            f"\n  held out: RMSE {score['rmse']:.4g}{units} at {score['locations']} "
            f"locations, linear interpolation {score['rmse_linear']:.4g} "
            f"(MSE {score['mse_vs_linear']:+.0%} +/- {score['se']:.0%})"
        )
    if check and check.get("member_folds") and check["locations"] >= SCORE_MIN_LOCATIONS:
        return (
            f"\n  held out: each member at its own locations ({check['locations']} in all), "
            "which reads one member's error and not the ensemble's: no honest error figure; "
            "xinr.compare(da) refits on a hidden share (or fit with member_folds=True)"
        )
    if "linear" in (check or {}):
        return (
            f"\n  held out: {check['locations']} locations, too few for an "
            "honest error figure (they also chose the best state); xinr.compare(da) refits "
            "on a hidden share"
        )
    return ""


def describe_html(est) -> str:
    """The report as an HTML table for notebooks (Jupyter calls ``INR._repr_html_``): the text
    report's facts, the plan's rules and the training curve as a small inline SVG."""
    esc = html.escape
    score = est.held_out_score_
    rows = [
        ("model", f"{est.model!r} trained {est.network_.get('model', est.model)!r}, "
                  f"ensemble of {est.ensemble_}, encoding {est.encoding_.kind!r}"),
        ("field", f"{est.name_!r} dims {est.dims_}, {est.n_snapshots_} snapshot(s), "
                  f"{est.n_obs_:,} observed points"),
        ("training", f"{len(est.history_)} epochs in {est.fit_seconds_:.1f} s on {est.device_}"
                     + (" (interrupted)" if est.interrupted_ else "")),
        ("misfits", _misfits(est)),
        ("combined", "no" if est.field_.combination is None else est.field_.combination.summary()),
        ("uncertainty", _uncertainty(est)),
        ("held out", "no honest figure (see the text repr)" if score is None else
         f"RMSE {score['rmse']:.4g} at {score['locations']} places, linear "
         f"{score['rmse_linear']:.4g} (MSE {score['mse_vs_linear']:+.0%})"),
    ]  # fmt: skip
    body = "".join(
        f"<tr><th style='text-align:left'>{esc(k)}</th><td style='text-align:left'>{esc(v)}</td></tr>"
        for k, v in rows
    )
    rules = "".join(f"<li>{esc(str(r))}</li>" for r in est.plan_.rules)
    return (
        f"<div class='xinr-repr'><b>xinr.INR</b><table>{body}</table>{_curve_svg(est.history_)}"
        f"<details><summary>plan ({len(est.plan_.rules)} rules)</summary><ul>{rules}</ul>"
        "</details></div>"
    )


def _curve_svg(history: list, width: int = 240, height: int = 60) -> str:
    """The training loss (and held-out loss where recorded) per epoch, log scale, as SVG."""
    lines = []
    for key, colour in (("loss", "#1f77b4"), ("val", "#d62728")):
        v = np.array([h[key] for h in history if key in h and h[key] > 0], dtype=float)
        if v.size < 2:
            continue
        y = np.log(v)
        span = float(np.ptp(y)) or 1.0
        xs = np.linspace(0, width, v.size)
        ys = height - (y - y.min()) / span * height
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))
        lines.append(f"<polyline fill='none' stroke='{colour}' points='{pts}'/>")
    if not lines:
        return ""
    return (
        f"<svg width='{width}' height='{height}' role='img' aria-label='training curve'>"
        + "".join(lines)
        + "</svg><br/><small>loss (blue), held-out (red) per epoch, log scale</small>"
    )
