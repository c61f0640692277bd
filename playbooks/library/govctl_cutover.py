#!/usr/bin/python
"""Ansible module: one step of a govctl dedicated-network cutover, through govctl's own planner and runner.

The playbook and `govctl cutover run` share everything: the plan, the rendered per-device
changes and their reversals, the journal (so `govctl cutover status|rollback` see a playbook's
run), and the lab executor. Check mode is a dry run: it returns the rendered change of the
step (as a diff) and touches nothing.
"""
from __future__ import annotations

DOCUMENTATION = r"""
module: govctl_cutover
short_description: Plan, step through, or roll back a govctl dedicated-network cutover
options:
  network: {description: dedicated network id, required: true, type: str}
  inventory: {description: inventory directory, required: true, type: path}
  action: {description: what to do, required: true, type: str,
           choices: [plan, begin, step, rollback, lab_down]}
  step: {description: step id (action=step), type: str}
  run: {description: run id returned by begin, type: str}
  journal_dir: {description: where journals live (default the inventory's state directory, <inventory>/.govctl/cutover or $GOVCTL_STATE_DIR/cutover), type: path}
  lab: {description: run on the cutover lab (false - the real devices through govctl's drivers), type: bool,
        default: true}
  devices: {description: device overlay (YAML) for a device run, see the README, type: path}
  confirm_manual: {description: manual steps (carrier circuit moves) confirmed done, type: list, elements: str,
                   default: []}
  yes: {description: confirm every manual step, type: bool, default: false}
  observe_seconds: {description: observation time instead of the plan's (tests), type: float}
  at: {description: judge the window as if it were this time (ISO 8601), type: str}
  force: {description: run outside the window, type: bool, default: false}
  inject: {description: lab fault before the post-checks (rehearsal), type: str}
"""

from datetime import datetime, timezone
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            network=dict(type="str", required=True), inventory=dict(type="path", required=True),
            action=dict(type="str", required=True, choices=["plan", "begin", "step", "rollback", "lab_down"]),
            step=dict(type="str"), run=dict(type="str"), journal_dir=dict(type="path"),
            lab=dict(type="bool", default=True), at=dict(type="str"), force=dict(type="bool", default=False),
            inject=dict(type="str"), devices=dict(type="path"),
            confirm_manual=dict(type="list", elements="str", default=[]), yes=dict(type="bool", default=False),
            observe_seconds=dict(type="float"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    from govctl.inventory.errors import GovctlError, InputError
    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan as ipv6_plan
    from govctl.network.cutover.journal import Journal, journals_dir
    from govctl.network.cutover.planner import plan_cutover

    journals = journals_dir(Path(p["journal_dir"]) if p["journal_dir"] else None, Path(p["inventory"]))
    try:
        now = datetime.fromisoformat(p["at"]) if p["at"] else datetime.now(timezone.utc)
        loaded = load_valid(Path(p["inventory"]))
        plan = plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), p["network"], now=now,
                            origins=loaded.origins)
        if p["action"] == "plan":
            module.exit_json(changed=False, steps=[s.id for s in plan.steps], point_of_no_return=plan.point_of_no_return,
                             manual=[s.id for s in plan.steps if s.manual],
                             devices=plan.touched_nodes, minutes=plan.minutes,
                             window=[str(plan.window_start), str(plan.window_end)])
        if p["action"] != "lab_down" and not p["force"] and not (
                plan.window_start and plan.window_start <= now <= plan.window_end):
            raise InputError(f"{p['network']}: outside the window {plan.window_start} .. {plan.window_end} "
                             "(force: true to override)")
        if not p["lab"] and p["devices"] is None:
            raise InputError("a device run (lab: false) needs devices: the device overlay (README: cutover on real "
                             "devices)")
        if module.check_mode:
            # dry run: what this action would push, device by device, and nothing else
            step = plan.step(p["step"]) if p["step"] else None
            diff = []
            if step and step.node:
                for f in step.features:
                    c = plan.change(step.node, f)
                    diff.append({"before_header": f"{c.node} {f}", "after_header": f"{c.node} {f}",
                                 "before": "", "after": c.apply})
            module.exit_json(changed=bool(diff) or p["action"] in ("begin", "rollback"), diff=diff,
                             run=p["run"] or "check-mode")
        from govctl.network.cutover.devices import device_executor
        from govctl.network.cutover.lab import Lab, LabExecutor
        from govctl.network.cutover.runner import Options, rollback, rollback_id, run_one

        confirmed = set(p["confirm_manual"] or [])

        def confirm(step, undo):  # a person's step: only what the play was told is done
            sid = rollback_id(step) if undo else step.id
            return "yes: true" if p["yes"] else (f"confirm_manual: {sid}" if sid in confirmed else None)

        if not p["lab"]:
            ex = device_executor(plan, loaded, Path(p["devices"]), p["observe_seconds"])
            try:
                if p["action"] == "begin":
                    j = Journal.create(journals, p["network"])
                    module.exit_json(changed=True, run=j.run)
                journal = _journal(journals, p["run"])
                ex.attach(journal)
                start = {"network": p["network"], "inventory": str(loaded.directory), "at": p["at"], "lab": False,
                         "check_window": True, "plan": "ansible", "via": "playbooks/cutover.yml",
                         "observe_seconds": p["observe_seconds"], "devices": str(Path(p["devices"]).resolve())}
                if p["action"] == "step":
                    res = run_one(plan, ex, journal, p["step"], start=start, opts=Options(confirm=confirm))
                    module.exit_json(**res, run=journal.run)
                if p["action"] == "rollback":
                    out = rollback(plan, ex, journal, reason="playbook rescue", confirm=confirm)
                    if out.state != "rolled-back":
                        module.fail_json(msg=out.message, checks=out.checks, run=journal.run)
                    module.exit_json(changed=True, state=out.state, msg=out.message, checks=out.checks,
                                     run=journal.run)
                module.exit_json(changed=False)  # lab_down: no lab in a device run
            finally:
                ex.close()
        if p["action"] == "lab_down":
            lab = Lab.attach(p["network"])
            if lab is not None:
                lab.down()
            module.exit_json(changed=lab is not None)
        if p["action"] == "begin":
            if Lab.attach(p["network"]) is None:
                Lab.up(plan)
            j = Journal.create(journals, p["network"])
            module.exit_json(changed=True, run=j.run)
        lab = Lab.attach(p["network"])
        if lab is None:
            raise InputError(f"no cutover lab is up for {p['network']} (action: begin builds it)")
        journal = _journal(journals, p["run"])
        ex = LabExecutor(lab, plan)
        start = {"network": p["network"], "inventory": str(loaded.directory), "at": p["at"], "lab": True,
                 "check_window": True, "plan": "ansible", "via": "playbooks/cutover.yml"}
        if p["action"] == "step":
            from govctl.network.cutover.runner import Options

            res = run_one(plan, ex, journal, p["step"], start=start, opts=Options(inject=p["inject"]), fault=ex)
            module.exit_json(**res, run=journal.run)
        out = rollback(plan, ex, journal, reason="playbook rescue", fault=ex)
        if out.state != "rolled-back":
            module.fail_json(msg=out.message, checks=out.checks, run=journal.run)
        module.exit_json(changed=True, state=out.state, msg=out.message, checks=out.checks, run=journal.run)
    except GovctlError as exc:
        module.fail_json(msg=str(exc) if not hasattr(exc, "problems") else
                         "; ".join(pr.render() for pr in exc.problems), error=type(exc).__name__)


def _journal(journals, run):
    from govctl.network.cutover.journal import Journal

    return Journal.named(journals, run) if Path(journals / f"{run}.jsonl").exists() else Journal(journals, run)


if __name__ == "__main__":
    main()
