"""The plan's rules, on hand-made field statistics: no training."""

import math

import pytest
import torch

import xinr
from xinr import plan
from xinr.fieldstats import FieldStats, neighbour_spacing
from xinr.plan import make_plan, member_folds_apply, training_rows


def resolve(preset, model, *, n_obs, n_distinct, n_snapshots, x=None, user_model, user_train,
            ensemble=None, times_known=True, roughness=None, one_time_axis=True, encoding=None):  # fmt: skip
    """The plan of a field with these counts, its spacing read from the encoded places ``x``."""
    stats = FieldStats(
        n_obs, n_distinct, n_snapshots,
        spacing=1.0 if x is None else neighbour_spacing(x),
        times_known=times_known, one_time_axis=one_time_axis,
        roughness=math.nan if roughness is None else roughness,
    )  # fmt: skip
    return make_plan(
        stats, model=model, preset=preset, user_model=user_model, user_train=user_train,
        ensemble=ensemble,
    )  # fmt: skip


def test_auto_ensemble_members_start_at_spread_frequencies():
    x = torch.rand(200, 2)
    kw = dict(n_obs=200, n_distinct=200, n_snapshots=1, encoding=None, x=x, user_train={})
    setup = resolve("auto", "mmgn", user_model={}, ensemble=4, **kw)
    base = setup.model["input_scale"]
    scales = [m["input_scale"] / base for m in setup.members]
    _, lo, hi = plan.AUTO_SPREAD["mmgn"]
    assert lo < 1 < hi
    assert scales == pytest.approx([lo * (hi / lo) ** (i / 3) for i in range(4)])
    net = xinr.models.build_network("mmgn", 2, 1, 4, setup.model, setup.members)
    w = [m.filters.linear.weight.abs().mean().item() for m in net.members]
    assert w == sorted(w)  # initial frequencies grow with the member's scale
    # a frequency given by the user is used as is, by every member
    own = resolve("auto", "mmgn", user_model={"input_scale": 5.0}, ensemble=4, **kw)
    assert own.members is None and own.model["input_scale"] == 5.0
    # and no spread for the paper preset or a single network
    assert resolve("paper", "mmgn", user_model={}, ensemble=4, **kw).members is None
    assert resolve("auto", "mmgn", user_model={}, ensemble=1, **kw).members is None


def test_auto_member_folds_at_any_size_on_single_maps_only():

    x = torch.rand(2000, 2)
    kw = dict(n_obs=2000, n_distinct=2000, encoding=None, x=x, user_model={}, ensemble=6)
    single = resolve("auto", "mmgn", n_snapshots=1, user_train={}, **kw)
    assert single.train["member_folds"] == plan.AUTO_SINGLE_FOLDS
    # 200 held out: shared with the default for fields with time, each member's own here
    assert member_folds_apply(single.train["member_folds"], 0.1, 2000, 6)
    # and an epoch trains on every observation
    assert training_rows(2000, 0.1, single.train["member_folds"], 2000, 6) == 2000
    timed = resolve("auto", "mmgn", n_snapshots=2, user_train={}, **kw)
    assert timed.train["member_folds"] is True
    assert not member_folds_apply(timed.train["member_folds"], 0.1, 2000, 6)
    assert training_rows(2000, 0.1, timed.train["member_folds"], 2000, 6) == 1800
    # the user's choice wins, and the paper preset has none
    own = resolve("auto", "mmgn", n_snapshots=1, user_train={"member_folds": True}, **kw)
    assert own.train["member_folds"] is True
    paper = resolve("paper", "mmgn", n_snapshots=1, user_train={}, **kw)
    assert not paper.train.get("member_folds", False)


def test_auto_caps_steps_on_small_data_under_a_budget():
    # a time budget on a few hundred points must not turn into tens of thousands of steps
    x = torch.rand(500, 2)
    kw = dict(n_distinct=500, n_snapshots=1, encoding=None, x=x, user_model={})
    small = resolve("auto", "mmgn", n_obs=500, user_train={"max_time": 120}, **kw)
    assert small.train["epochs"] == plan.AUTO_STEPS  # one full batch per epoch
    assert small.train["max_time"] == 120
    big = resolve("auto", "mmgn", n_obs=50_000, user_train={"max_time": 120}, **kw)
    assert "epochs" not in big.train
    mine = resolve("auto", "mmgn", n_obs=500, user_train={"max_time": 9, "epochs": 7}, **kw)
    assert mine.train["epochs"] == 7


def test_mix_model_mixes_mmgn_and_resmlp_members():
    x = torch.rand(300, 2)
    kw = dict(n_obs=300, n_distinct=300, n_snapshots=4, encoding=None, x=x, user_train={})
    setup = resolve("auto", "mix", user_model={}, ensemble=6, **kw)
    n_other = round(plan.MIX_SHARES["resmlp"] * 6)
    assert 0 < n_other < 6
    assert setup.names == ["mmgn"] * (6 - n_other) + ["resmlp"] * n_other
    assert setup.base == "mmgn"
    assert setup.train["selection_loss"] == "mse"  # the plain MMGN default keeps the L1 choice
    assert "selection_loss" not in resolve("auto", "mmgn", user_model={}, **kw).train
    # the MMGN members still span the frequency range; the ResMLP ones take ResMLP's keywords
    scales = [m["input_scale"] for m in setup.members[: 6 - n_other]]
    _, lo, hi = plan.AUTO_SPREAD["mmgn"]
    assert scales[-1] / scales[0] == pytest.approx(hi / lo)
    assert all(m == plan.AUTO_MODEL["resmlp"] for m in setup.members[6 - n_other :])
    net = xinr.models.build_network(setup.base, 2, 4, 6, setup.model, setup.members, setup.names)
    kinds = [type(m).__name__ for m in net.members]
    assert kinds == ["MMGN"] * (6 - n_other) + ["ResMLP"] * n_other
    assert not net.uses_time  # MMGN members cannot be asked for times between snapshots
    # one network (paper preset, a single member, or unknown times): MMGN alone
    for preset, ens, known in (("paper", 6, True), ("auto", 1, True), ("auto", 6, False)):
        s = resolve(preset, "mix", user_model={}, ensemble=ens, times_known=known, **kw)
        assert s.base == "mmgn" and s.names is None and s.name == "mmgn"
    with pytest.raises(TypeError, match="model='mix'.*hidden"):
        resolve("auto", "mix", user_model={"hidden": 8}, ensemble=6, **kw)


def test_auto_jitter_is_in_neighbour_spacings():
    x = torch.rand(300, 3)
    kw = dict(n_obs=300, n_distinct=300, n_snapshots=1, encoding=None, x=x, user_model={})
    spacing = neighbour_spacing(x)
    auto = resolve("auto", "mmgn", user_train={}, **kw)
    assert plan.AUTO_TRAIN["jitter"] > 0
    assert auto.train["input_noise"] == pytest.approx(plan.AUTO_TRAIN["jitter"] * spacing)
    assert "jitter" not in auto.train  # the training loop takes the displacement itself
    assert (
        "input_noise" not in resolve("auto", "mmgn", user_train={"jitter": 0}, **kw).train
    )
    assert "input_noise" not in resolve("paper", "mmgn", user_train={}, **kw).train
    paper = resolve("paper", "mmgn", user_train={"jitter": 2.0}, **kw)
    assert paper.train["input_noise"] == pytest.approx(2.0 * spacing)


def test_curvature_is_taken_over_one_neighbour_spacing():
    x = torch.rand(300, 3)
    kw = dict(n_obs=300, n_distinct=300, encoding=None, x=x, user_model={})
    spacing = neighbour_spacing(x)
    auto = resolve("auto", "mmgn", n_snapshots=5, user_train={"curvature": 0.7}, **kw)
    assert auto.train["curvature"] == 0.7
    assert auto.train["curvature_step"] == pytest.approx(spacing)
    # the auto preset turns it on for a field seen once, and only there
    single = resolve("auto", "mmgn", n_snapshots=1, user_train={}, **kw).train
    assert plan.AUTO_SINGLE_CURVATURE > 0
    assert single["curvature"] == plan.AUTO_SINGLE_CURVATURE
    assert single["curvature_step"] == pytest.approx(spacing)
    for n, off in ((5, {}), (1, {"curvature": 0}), (5, {"curvature": 0})):
        train = resolve("auto", "mmgn", n_snapshots=n, user_train=off, **kw).train
        assert "curvature" not in train and "curvature_step" not in train
    for n in (1, 5):
        train = resolve("paper", "mmgn", n_snapshots=n, user_train={}, **kw).train
        assert "curvature" not in train
    paper = resolve("paper", "mmgn", n_snapshots=1, user_train={"curvature": 2.0}, **kw)
    assert paper.train["curvature"] == 2.0
    assert paper.train["curvature_step"] == pytest.approx(spacing)


def test_curvature_with_time_where_positions_are_shared_and_neighbours_agree():
    x = torch.rand(300, 3)
    smooth, rough = plan.AUTO_SMOOTH_ROUGHNESS / 2, plan.AUTO_SMOOTH_ROUGHNESS * 2
    # 5 snapshots at the same 300 places, or at 1200 places (different ones per snapshot)
    fixed = dict(n_obs=1500, n_distinct=300, n_snapshots=5, encoding=None, x=x, user_model={})
    moving = {**fixed, "n_distinct": 1200}
    on = resolve("auto", "mmgn", user_train={}, roughness=smooth, **fixed).train
    assert on["curvature"] == plan.AUTO_SINGLE_CURVATURE and on["curvature_step"] > 0
    for kw, r, user in (
        (fixed, rough, {}),  # neighbours disagree
        (fixed, None, {}),  # not measured
        (moving, smooth, {}),  # positions not shared
        (fixed, smooth, {"curvature": 0}),  # the user's choice wins
    ):
        train = resolve("auto", "mmgn", user_train=user, roughness=r, **kw).train
        assert "curvature" not in train
    paper = resolve("paper", "mmgn", user_train={}, roughness=smooth, **fixed).train
    assert "curvature" not in paper


def test_auto_model_mixes_at_shared_positions_along_one_time_axis():
    x = torch.rand(300, 3)
    smooth, rough = plan.AUTO_SMOOTH_ROUGHNESS / 2, plan.AUTO_SMOOTH_ROUGHNESS * 2
    # 300 stations: 30 held out, shared by the members to select them; 150: 15, member folds
    fixed = dict(n_obs=1500, n_distinct=300, n_snapshots=5, encoding=None, x=x, user_train={})
    few = {**fixed, "n_obs": 750, "n_distinct": 150}
    moving = {**fixed, "n_distinct": 1200}
    for kw, r in ((fixed, smooth), (fixed, rough), (fixed, None), (few, smooth)):
        mix = resolve("auto", "auto", user_model={}, roughness=r, ensemble=6, **kw)
        assert mix.name == "mix" and mix.base == "mmgn", (kw["n_distinct"], r)
        assert mix.names.count("resmlp") == round(6 * plan.MIX_SHARES["resmlp"])
        # the curvature penalty follows its own reading
        assert ("curvature" in mix.train) == (r == smooth)
    for preset, kw, r, user, axis, known in (
        ("auto", few, rough, {}, True, True),  # rough, and members not selected
        ("auto", few, None, {}, True, True),
        ("auto", fixed, rough, {"member_weights": "equal"}, True, True),
        ("auto", moving, smooth, {}, True, True),  # positions not shared
        ("auto", fixed, smooth, {}, False, True),  # snapshots along several dimensions
        ("auto", fixed, smooth, {}, True, False),  # times unknown
        ("auto", fixed, smooth, {"hidden": 8}, True, True),  # MMGN's keywords: MMGN
        ("paper", fixed, smooth, {}, True, True),
    ):
        train_kw = {k: v for k, v in user.items() if k == "member_weights"}
        model_kw = {k: v for k, v in user.items() if k != "member_weights"}
        kw = {**kw, "user_train": train_kw}
        s = resolve(
            preset,
            "auto",
            user_model=model_kw,
            roughness=r,
            ensemble=6,
            one_time_axis=axis,
            times_known=known,
            **kw,
        )
        assert s.name == "mmgn" and s.names is None, (preset, kw["n_distinct"], r, user, axis)
        assert (
            s.model
            == resolve(
                preset, "mmgn", user_model=model_kw, roughness=r, ensemble=6, **kw
            ).model
        )
    # a map with one snapshot: the mixture of three kinds, MMGN first; with 2 members, one MMGN
    single = dict(n_obs=300, n_distinct=300, n_snapshots=1, encoding=None, x=x, user_train={})
    for ens, names in (
        (6, ["mmgn"] * 4 + ["resmlp", "siren"]),
        (3, ["mmgn", "resmlp", "siren"]),
        (2, ["mmgn", "resmlp"]),
    ):
        s = resolve("auto", "auto", user_model={}, ensemble=ens, **single)
        assert s.name == "mix" and s.names == names, ens
    for preset, user in (("paper", {}), ("auto", {"hidden": 8})):
        s = resolve(preset, "auto", user_model=user, ensemble=6, **single)
        assert s.name == "mmgn" and s.names is None, preset
    # a named model is trained as named
    for name in ("mmgn", "mix", "siren"):
        assert resolve("auto", name, user_model={}, roughness=smooth, **fixed).name == name


def test_the_plan_records_which_rules_fired_and_why():
    stats = FieldStats(1240, 1240, 1, spacing=0.02, value_range=(0.0, 3.0))
    p = make_plan(stats, user_train={})
    names = [r.name for r in p.rules]
    for name in ("time budget", "model", "ensemble", "member folds", "input_scale", "epochs",
                 "curvature", "jitter", "mixture", "frequency spread", "residual stage", "bounds"):  # fmt: skip
        assert name in names, name
    assert p.rule("ensemble").why == "1,240 observations, at most 20,000"
    assert p.rule("bounds").value == (0.0, 3.0)
    text = str(p)
    assert text.startswith("Plan (auto preset): 4 mmgn + 1 resmlp + 1 siren; residual stage 'idw'")
    assert "  - ensemble: 6 (1,240 observations, at most 20,000)" in text.splitlines()
    # what the user gives is not decided by a rule, or is marked as given
    mine = make_plan(stats, model="mmgn", user_train={"epochs": 3, "jitter": 0.0}, ensemble=2,
                     residuals="none", bounds=False)  # fmt: skip
    names = [r.name for r in mine.rules]
    assert not {"time budget", "model", "ensemble", "epochs", "jitter", "bounds"} & set(names)
    assert mine.rule("residual stage").why == "given" and not mine.gate
    # and the paper preset fires none of the auto preset's recipe rules
    paper = make_plan(stats, model="mmgn", preset="paper", user_train={})
    assert [r.name for r in paper.rules] == ["ensemble", "residual stage"]
    assert paper.residuals == "none" and paper.bounds is None


def test_rules_are_pure_functions_of_the_statistics():
    fixed = FieldStats(1200, 100, 12, roughness=0.1)
    moving = FieldStats(1200, 900, 12, roughness=0.1)
    assert plan.shares_positions(fixed) and not plan.shares_positions(moving)
    assert plan.smooth_at_stations(fixed) and not plan.smooth_at_stations(moving)
    assert plan.rule_curvature(fixed) > 0 and plan.rule_curvature(moving) == 0
    assert plan.rule_model("auto", "auto", {}, fixed, selected=False)[0] == "mix"
    assert plan.rule_model("auto", "auto", {}, moving, selected=True)[0] == "mmgn"
    unknown = FieldStats(1200, 100, 12, roughness=0.1, times_known=False)
    assert plan.rule_model("auto", "auto", {}, unknown, selected=True) == (
        "mmgn", "some times are unknown"
    )
    assert plan.rule_steps_cap(100, 90, 90) == plan.AUTO_STEPS
    assert plan.rule_steps_cap(100, 900, 90) == math.ceil(plan.AUTO_STEPS / 10)
    with pytest.raises(ValueError, match="Unknown bounds 'range'"):
        plan.rule_bounds("range", "auto", fixed)
    with pytest.raises(ValueError, match="lo < hi"):
        plan.rule_bounds((2, 1), "auto", fixed)
