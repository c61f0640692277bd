"""Property tests of the wave planner on random system graphs (hypothesis).

The strongly connected components are recomputed here by brute-force
reachability, independently of ``migration.graph``.
"""
from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from govctl.inventory import models as m
from govctl.migration.assess import assess
from govctl.migration.errors import SystemsInvalid
from govctl.migration.models import AssessSettings, Disposition, WaveSettings
from govctl.migration.render import plan_dict
from govctl.migration.sources import SheetLocator, SystemSource
from govctl.migration.waves import plan_waves

AS_OF = date(2026, 11, 25)
DEPARTMENTS = ["gov-office", "health-comm", "public-security", "finance", "alpha-edu", "beta-hr"]


@st.composite
def system_lists(draw: st.DrawFn) -> list[m.System]:
    n = draw(st.integers(1, 30))
    ids = [f"s{i:02d}" for i in range(n)]
    out = []
    for i, sid in enumerate(ids):
        deps = draw(st.lists(st.sampled_from(ids), max_size=draw(st.sampled_from([0, 1, 2, 3])), unique=True))
        deps = [d for d in deps if d != sid]
        cls = draw(st.sampled_from(["unclassified"] * 10 + ["sensitive", "sensitive", "classified"]))
        level = draw(st.sampled_from([1, 2, 2, 3, 3, 4]))
        # the inventory rules (SEC-002/003) and the spreadsheet reader refuse "migrated" off-cloud systems
        statuses = (["legacy", "retired"] if cls == "classified" or level >= 4
                    else ["legacy"] * 8 + ["migrated", "retired"])
        out.append(m.System(
            id=sid, name=f"系统{i}", department=draw(st.sampled_from(DEPARTMENTS)),
            classification=cls,
            security_level=level,
            depends_on=deps,
            data_gb=float(draw(st.one_of(st.integers(0, 100), st.integers(0, 5000)))),
            rto_minutes=draw(st.sampled_from([0, 30, 240, 1440, 4320])),
            rpo_minutes=draw(st.sampled_from([0, 5, 60, 1440])),
            last_used=AS_OF - timedelta(days=draw(st.sampled_from([1, 10, 200, 400]))),
            status=draw(st.sampled_from(statuses)),
        ))
    return out


def _sccs(systems: list[m.System]) -> dict[str, frozenset[str]]:
    ids = {s.id for s in systems}
    edges = {s.id: [d for d in s.depends_on if d in ids] for s in systems}

    def reach(a: str) -> set[str]:
        seen, todo = {a}, [a]
        while todo:
            for b in edges[todo.pop()]:
                if b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen

    r = {s: reach(s) for s in ids}
    return {a: frozenset(b for b in ids if b in r[a] and a in r[b]) for a in ids}


def _no_classified_cycle(systems: list[m.System]) -> list[m.System]:
    """The systems, with a classified system in a dependency cycle made sensitive: such a cycle cannot move (the
    classified one stays off the cloud), so the planner must refuse it, and the refusal test covers it."""
    scc = _sccs(systems)
    return [s.model_copy(update={"classification": m.Classification.sensitive})
            if s.classification == m.Classification.classified and len(scc[s.id]) > 1 else s for s in systems]


def _largest_cycle(systems: list[m.System]) -> int:
    return max(len(c) for c in _sccs(systems).values())


@st.composite
def valid_inputs(draw: st.DrawFn) -> tuple[list[m.System], WaveSettings]:
    """Systems and limits the planner must plan: no classified system in a cycle, every cycle within
    --max-per-wave, every system and cycle within one window's data (its members' data scaled down to fit)."""
    systems = _no_classified_cycle(draw(system_lists()))
    biggest = _largest_cycle(systems)
    ws = WaveSettings(max_per_wave=draw(st.integers(biggest, max(biggest, 8))),
                      window_hours=draw(st.sampled_from([0.5, 2.0, 8.0, 24.0])),
                      rate_gbps=draw(st.sampled_from([1.0, 10.0])), efficiency=0.8,
                      lookahead=draw(st.integers(1, 8)))
    scc = _sccs(systems)
    by_id = {s.id: s for s in systems}
    out = []
    for s in systems:
        unit = scc[s.id]
        if sum(by_id[x].data_gb for x in unit) > ws.window_gb:
            s = s.model_copy(update={"data_gb": float(int(ws.window_gb // len(unit)))})
        out.append(s)
    return out, ws


def _source(systems: list[m.System]) -> SystemSource:
    loc = SheetLocator("generated.csv", None, rows={s.id: i + 2 for i, s in enumerate(systems)})
    return SystemSource("generated.csv", systems, {}, loc, "csv")


_EXAMPLE: list = []


def _example():  # noqa: ANN202 - loaded once: hypothesis calls the test hundreds of times
    if not _EXAMPLE:
        from govctl.inventory.validate import load_valid

        _EXAMPLE.append(load_valid(Path(__file__).resolve().parents[2] / "inventories" / "example"))
    return _EXAMPLE[0]


def _run(systems, ws):  # noqa: ANN001, ANN202
    inv = _example().inventory
    a = assess(inv, _source(systems), AssessSettings(as_of=AS_OF))
    return a, plan_waves(inv, a, ws, _source(systems).locator)


@settings(max_examples=300, deadline=None)
@given(inputs=valid_inputs())
def test_wave_plan_properties(inputs: tuple[list[m.System], WaveSettings]) -> None:
    systems, ws = inputs
    scc = _sccs(systems)
    by_id = {s.id: s for s in systems}
    a, plan = _run(systems, ws)  # valid input: a refusal (SystemsInvalid) fails the test
    event(f"planned {min(len(plan.waves), 5)}+ waves")
    wave_of = plan.wave_of()
    pos = {mv.system: i for w in plan.waves for i, mv in enumerate(w.moves)}
    assessed = a.by_id()
    planned = [mv.system for w in plan.waves for mv in w.moves]
    assert len(planned) == len(set(planned)), "a system is planned twice"
    assert set(planned) | set(plan.not_planned) == set(by_id)
    for sid in planned:
        s = by_id[sid]
        # Classified and level-4 systems are never planned onto the cloud.
        assert s.classification != m.Classification.classified
        assert s.security_level < 4
        assert assessed[sid].disposition == Disposition.migrate
        for d in s.depends_on:
            if d in wave_of:  # no system precedes a dependency
                assert wave_of[d] < wave_of[sid] or (wave_of[d] == wave_of[sid] and
                                                     (pos[d] < pos[sid] or d in scc[sid]))
            else:  # a dependency not planned is already there, stays off the cloud, or is retired
                assert assessed[d].disposition != Disposition.migrate or d in plan.not_planned
                assert not (assessed[d].disposition == Disposition.blocked)
        for other in scc[sid]:  # cycles share a wave
            if other in wave_of:
                assert wave_of[other] == wave_of[sid]
    for w in plan.waves:  # every wave within its limits
        assert 1 <= len(w.moves) <= ws.max_per_wave
        assert w.data_gb <= ws.window_gb + 1e-6
    for sid, why in plan.not_planned.items():
        if by_id[sid].classification == m.Classification.classified and by_id[sid].status == "legacy":
            assert "intranet" in why
        if assessed[sid].disposition == Disposition.migrate:  # held back only behind a blocked dependency
            assert why.startswith("waits for blocked dependency "), (sid, why)
            assert assessed[why.rsplit(" ", 1)[1]].disposition == Disposition.blocked
    # Deterministic: the same input gives the same plan, and input order does not change wave numbers.
    again = _run(systems, ws)[1]
    assert json.dumps(plan_dict(plan, a), default=str) == json.dumps(plan_dict(again, a), default=str)
    shuffled = list(systems)
    random.Random(len(systems)).shuffle(shuffled)
    assert _run(shuffled, ws)[1].wave_of() == wave_of


def _movable(sid: str, **kw: object) -> m.System:
    """A system the assessment sends to the cloud: unclassified, level 2, in use, no dependencies by default."""
    fields: dict = dict(id=sid, name=sid, department="gov-office", classification="unclassified", security_level=2,
                        depends_on=[], data_gb=10.0, rto_minutes=240, rpo_minutes=60,
                        last_used=AS_OF - timedelta(days=1), status="legacy")
    return m.System(**{**fields, **kw})


@settings(max_examples=100, deadline=None)
@given(inputs=valid_inputs(), defect=st.sampled_from(["classified-in-cycle", "cycle-too-long", "too-much-data"]))
def test_impossible_inputs_are_refused_and_named(inputs: tuple[list[m.System], WaveSettings], defect: str) -> None:
    """Valid inputs plus one defect the planner must refuse, naming the systems at fault."""
    systems, ws = inputs
    if defect == "classified-in-cycle":
        extra = [_movable("x-secret", classification="classified", depends_on=["x-peer"]),
                 _movable("x-peer", depends_on=["x-secret"])]
        named = ["x-secret", "classified"]
    elif defect == "cycle-too-long":
        n = ws.max_per_wave + 1
        extra = [_movable(f"x-c{i}", depends_on=[f"x-c{(i + 1) % n}"]) for i in range(n)]
        named = ["x-c0", f"--max-per-wave is {ws.max_per_wave}"]
    else:
        extra = [_movable("x-big", data_gb=float(int(ws.window_gb) * 2 + 1))]
        named = ["x-big", "raise --window-hours"]
    with pytest.raises(SystemsInvalid) as exc:
        _run(systems + extra, ws)
    messages = " | ".join(p.message for p in exc.value.problems)
    assert all(n in messages for n in named), messages


@settings(max_examples=100, deadline=None)
@given(systems=system_lists().map(_no_classified_cycle))
def test_easiest_independent_system_goes_first(systems: list[m.System]) -> None:
    # at most 30 systems, 1000 h windows: every cycle and system fits, so the plan may not be refused
    ws = WaveSettings(max_per_wave=50, window_hours=1000)
    a, plan = _run(systems, ws)
    scc = _sccs(systems)
    planned = set(plan.wave_of())
    roots = [s for s in a.systems if s.id in planned and len(scc[s.id]) == 1
             and not [d for d in s.depends_on if d in planned]]
    event(f"roots: {min(len(roots), 3)}+")
    if roots:  # none when nothing is planned, or every planned system is in a cycle
        easiest = min(roots, key=lambda s: (s.score, s.id))
        assert plan.wave_of()[easiest.id] == 1
        assert plan.waves[0].moves[0].score <= easiest.score + 1e-9


def test_waves_respect_freezes_and_cadence(example_loaded) -> None:
    from govctl.migration.waves import wave_dates

    freezes = example_loaded.inventory.province.change_freezes  # 2026-03-01 .. 03-15 (UTC+8)
    dates = wave_dates(4, date(2026, 2, 22), 7, 8, freezes)
    assert dates[0] == date(2026, 2, 22)
    assert dates[1] == date(2026, 3, 16)  # 03-01 falls in the freeze: moved past its end
    assert dates[2] == date(2026, 3, 23)
    for d in dates:
        assert not date(2026, 3, 1) <= d <= date(2026, 3, 15)


def test_example_plan_is_what_the_rules_say(example_loaded) -> None:
    from govctl.migration.sources import from_inventory

    src = from_inventory(example_loaded, "inventories/example")
    a = assess(example_loaded.inventory, src, AssessSettings(as_of=AS_OF))
    plan = plan_waves(example_loaded.inventory, a, WaveSettings(), src.locator)
    order = [mv.system for w in plan.waves for mv in w.moves]
    assert order.index("idm") < order.index("oa")
    assert order.index("idm") < order.index("health-records")
    assert "case-files" in plan.not_planned and "old-portal" in plan.not_planned
    changes = {c.tenant: c for w in plan.waves for c in w.changes}
    # the sensitive system gets a strongly isolated tenant of its own department
    assert changes["prov-health-comm-sec"].action == "create"
    assert changes["prov-health-comm-sec"].isolation == "strong"
    assert changes["prov-gov-office"].action == "update"
    assert set(changes["prov-gov-office"].systems) == {"idm", "oa"}


@settings(max_examples=25, deadline=None)
@given(systems=system_lists().map(_no_classified_cycle))
def test_inventory_after_the_waves_is_valid(systems: list[m.System]) -> None:
    """The tenant/quota changes of any plan give an inventory `govctl validate` accepts."""
    from govctl.migration import files as fs
    from govctl.migration.render import apply_to_systems, apply_to_tenants

    # small waves, but never smaller than a cycle (which would be refused: see the refusal test)
    ws = WaveSettings(max_per_wave=max(5, _largest_cycle(systems)), window_hours=1000)
    a, plan = _run(systems, ws)
    loaded = _example()
    from govctl.inventory.yamlwrite import edit_text

    tenants_text = edit_text(fs.read_text(loaded.directory, "tenants.yaml"), "tenants.yaml",
                             lambda d: apply_to_tenants(d, loaded.inventory, plan.waves))  # the --write path
    raw_systems = apply_to_systems(fs.systems_raw(systems), plan.waves)
    candidate = fs.inventory_files(loaded.directory, {"tenants.yaml": tenants_text,
                                                      "systems.yaml": fs.dump_yaml(raw_systems, "s")})
    fs.validate_candidate(candidate, "candidate")  # raises SystemsInvalid with every problem
    planned = {mv.system for w in plan.waves for mv in w.moves}
    created = [c for w in plan.waves for c in w.changes if c.action == "create"]
    assert len({c.tenant for c in created}) == len(created), "a tenant is created twice"
    assert all(s["target_platform"] for s in raw_systems["systems"] if s["id"] in planned)
