"""Network plans, made and checked: the service behind `net plan --out`, `net push FILE` and the prompt of
`net push` (``network.planfile`` owns the file format).

A plan is made by reading every selected device once (open, load the intended config, compare, read the
running config the change was computed from). A push of a plan first reads every device of it again and
refuses, before touching any, when one of them, an inventory file, the lab's routers or govctl's code
moved since; each device's own turn then checks its running config once more before its commit
(``push.Rollout`` with ``planned``), so a device that moves between the check and its turn is left
untouched and reported failed.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from govctl.core.errors import GovctlError
from govctl.network import planfile
from govctl.network.errors import DeviceError, PushFailed
from govctl.network.planfile import DevicePlan, Plan, PlanStale
from govctl.network.push import DriverFactory
from govctl.network.render import render
from govctl.network.workflow import Context, load

Step = Callable[[str], None]


def load_context(directory: Path, shown: str | None, lab: bool) -> tuple[Context, dict[str, str]]:
    """The context and the digests of the inventory files it was loaded from (hashed first: an edit made
    while loading shows as a moved file at push time, never as a plan of a file nobody saw)."""
    files = planfile.inventory_digests(directory)
    return load(directory, shown, lab=lab), files


def make(ctx: Context, files: dict[str, str], nodes: list[str], factory: DriverFactory, parallel: int,
         options: dict[str, object], step: Step | None = None, now: float | None = None) -> Plan:
    """Read each of ``nodes`` once and record its change. ``PushFailed`` (exit 1) naming every device
    that could not be read or compared: a plan with a device missing would push less than it shows."""
    configs = {n: _render(ctx, n) for n in nodes}  # the selected devices only, not the whole inventory

    def one(node: str) -> DevicePlan | str:
        try:
            driver = factory(ctx.targets[node])
            driver.open()
            try:
                driver.load_replace_candidate(configs[node])
                diff = driver.compare_config()
                # the config the compare has just read (drivers answer from it: one read, not two)
                running = driver.get_config()
                driver.discard_config()
            finally:
                driver.close()
        except (DeviceError, GovctlError) as exc:
            return str(exc)
        finally:
            if step:
                step(node)
        return planfile.device_plan(node, ctx.targets[node].platform, running, configs[node], diff)

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        got = dict(zip(nodes, pool.map(one, nodes)))
    unread = [f"{n}: {r}" for n, r in got.items() if isinstance(r, str)]
    if unread:
        raise PushFailed(f"could not read {len(unread)} of {len(nodes)} device(s), no plan was made:\n  "
                         + "\n  ".join(unread[:20]))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    return Plan(str(Path(ctx.directory).resolve()), files, planfile.code_version(), options,
                [r for r in got.values() if isinstance(r, DevicePlan)], created)


def load_for_push(plan: Plan, source: str) -> Context:
    """The context a plan is pushed on, checked against the plan (``check_static``). Its inventory files
    are compared before they are loaded: an edit since the plan is named as that, even one that made the
    inventory invalid."""
    files = planfile.inventory_digests(Path(plan.inventory))
    if planfile.moved_files(plan, files):
        check_static(plan, None, files, source)
    ctx = load(Path(plan.inventory), plan.inventory, lab=bool(plan.options.get("lab")))
    check_static(plan, ctx, files, source)
    return ctx


def _render(ctx: Context, node: str) -> str:
    return render(ctx.intents[node], ctx.platform).text


def check_static(plan: Plan, ctx: Context | None, files: dict[str, str], source: str,
                 rendered: bool = True) -> None:
    """Refuse (``PlanStale``, exit 2) a plan whose inventory files, govctl code, devices (with ``ctx``)
    or (``rendered``) intended configs differ from now's: every moved file or device named. Reads no
    device."""
    moved: list[str] = []
    reasons: list[str] = []
    files_moved = planfile.moved_files(plan, files)
    if files_moved:
        moved += files_moved
        reasons.append("inventory file(s) changed since the plan: "
                       + ", ".join(f"{plan.inventory}/{f}" for f in files_moved))
    if plan.code != planfile.code_version():
        reasons.append(f"govctl's code changed since the plan (plan {plan.code}, now {planfile.code_version()})")
    missing = [] if ctx is None else [d.node for d in plan.devices if d.node not in ctx.intents]
    if ctx is not None and missing:
        moved += missing
        reasons.append(f"device(s) no longer in the {'lab' if ctx.lab else 'inventory'}: {', '.join(missing)}")
    if ctx is not None and rendered and not reasons:
        # same inventory and code render the same configs; the lab's overlay (its routers, its IPv4
        # links) is not in the inventory's files, so a rebuilt lab shows here
        other = [d.node for d in plan.devices if _render(ctx, d.node) != d.intended]
        if other:
            moved += other
            reasons.append(f"the intended config of {len(other)} device(s) is no longer the plan's: "
                           + ", ".join(other[:20]))
    if reasons:
        raise PlanStale(f"{source}: refused, nothing was changed on any device: " + "; ".join(reasons)
                        + "; make the plan again (`govctl net plan --out FILE`)", moved)


def check_devices(plan: Plan, ctx: Context, factory: DriverFactory, parallel: int, source: str,
                  step: Step | None = None) -> None:
    """Read every device of the plan before any is touched: ``PlanStale`` (exit 2) naming each device
    whose running config is not the one the plan was computed from; ``PushFailed`` (exit 1) when one
    cannot be read. Nothing is changed either way."""

    def one(d: DevicePlan) -> str | None:
        try:
            driver = factory(ctx.targets[d.node])
            driver.open()
            try:
                now = planfile.sha256(driver.reread_config())
            finally:
                driver.close()
        except (DeviceError, GovctlError) as exc:
            return f"unread: {exc}"
        finally:
            if step:
                step(d.node)
        return None if now == d.running_sha256 else "moved"

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        found = dict(zip((d.node for d in plan.devices), pool.map(one, plan.devices)))
    moved = [n for n, why in found.items() if why == "moved"]
    unread = [f"{n}: {why[len('unread: '):]}" for n, why in found.items() if why and why != "moved"]
    if moved:
        raise PlanStale(f"{source}: refused, nothing was changed on any device: the running config of "
                        f"{len(moved)} device(s) changed since the plan: {', '.join(moved)}; make the plan "
                        "again (`govctl net plan --out FILE`)", moved)
    if unread:
        raise PushFailed(f"{source}: could not read {len(unread)} device(s), nothing was changed on any "
                         "device:\n  " + "\n  ".join(unread[:20]))
