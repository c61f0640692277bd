#!/usr/bin/python
# -*- coding: utf-8 -*-
"""One step of a govctl dedicated-network cutover, through govctl's own planner and runner.

The playbook and `govctl cutover run` share everything: the plan, the rendered per-device changes and
their reversals, the journal (so `govctl cutover status|rollback` see a playbook's run), and the lab
executor. Check mode is a dry run: it returns the rendered change of the step (as a diff) and touches
nothing, so it needs no device and no lab.
"""
from __future__ import annotations

DOCUMENTATION = r"""
module: cutover
short_description: Plan, step through, or roll back a govctl dedicated-network cutover
version_added: 0.1.0
author:
  - govctl maintainers (@govctl)
description:
  - "Runs on the controller (C(connection: local)) and needs the Python package C(govctl) there."
  - The same plan, per-device changes, journal and rollback as C(govctl cutover run); C(govctl cutover status)
    shows a playbook's run too.
  - Check mode renders the step's per-device changes as a diff and touches nothing (no device, no lab needed).
options:
  network:
    description: Dedicated network id (C(dedicated_networks.yaml)).
    required: true
    type: str
  inventory:
    description: The govctl inventory directory.
    required: true
    type: path
  action:
    description: What to do.
    required: true
    type: str
    choices: [plan, begin, step, rollback, lab_down]
  step:
    description: Step id (O(action=step)).
    type: str
  run:
    description: Run id returned by O(action=begin).
    type: str
  journal_dir:
    description:
      - Where journals live.
      - Default the inventory's state directory (C(<inventory>/.govctl/cutover) or C($GOVCTL_STATE_DIR/cutover)).
    type: path
  lab:
    description: Run on the cutover lab; V(false) runs on the real devices through govctl's drivers.
    type: bool
    default: true
  devices:
    description: Device overlay (YAML) for a device run (O(lab=false)), see govctl's README.
    type: path
  confirm_manual:
    description: Manual steps (carrier circuit moves) confirmed done.
    type: list
    elements: str
    default: []
  "yes":
    description: Confirm every manual step (automation that moves the circuits itself).
    type: bool
    default: false
  observe_seconds:
    description: Observation time instead of the plan's (tests).
    type: float
  at:
    description: Judge the window as if it were this time (ISO 8601).
    type: str
  force:
    description: Run outside the window.
    type: bool
    default: false
  inject:
    description: Lab fault before the post-checks (rehearsal), for example V(cloud-return-route).
    type: str
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Renders the step's changes and touches nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode).
    support: full
seealso:
  - module: govctl.extranet.device
"""

EXAMPLES = r"""
- name: Plan the cutover (refuses bad input before any device is touched)
  govctl.extranet.cutover:
    network: health-net
    inventory: /srv/govctl/inventories/guangdong
    action: plan
  register: cutover_plan
  check_mode: false

- name: Begin a journaled run
  govctl.extranet.cutover:
    network: health-net
    inventory: /srv/govctl/inventories/guangdong
    action: begin
  register: cutover_run

- name: Run the first step
  govctl.extranet.cutover:
    network: health-net
    inventory: /srv/govctl/inventories/guangdong
    action: step
    step: "{{ cutover_plan.steps[0] }}"
    run: "{{ cutover_run.run }}"
"""

RETURN = r"""
steps:
  description: The plan's step ids in order.
  returned: O(action=plan)
  type: list
  elements: str
point_of_no_return:
  description: The first step that cannot be rolled back.
  returned: O(action=plan)
  type: str
manual:
  description: The steps a person does (carrier circuit moves).
  returned: O(action=plan)
  type: list
  elements: str
run:
  description: The journal's run id.
  returned: O(action=begin), O(action=step), O(action=rollback)
  type: str
state:
  description: The run's state after a rollback.
  returned: O(action=rollback)
  type: str
  sample: rolled-back
checks:
  description: The rollback's checks (configs equal the saved ones, the baseline holds).
  returned: O(action=rollback)
  type: list
  elements: dict
diff:
  description: In check mode, the rendered change of each device of the step.
  returned: check mode
  type: list
  elements: dict
"""

import traceback
from datetime import datetime, timezone
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

GOVCTL_IMPORT_ERROR = None
try:
    from govctl.core.errors import GovctlError, InputError
    from govctl.source import check
    from govctl.cutover.journal import Journal, journals_dir
    from govctl.cutover.planner import plan_cutover
except ImportError:
    GOVCTL_IMPORT_ERROR = traceback.format_exc()


def journal_of(journals, run):
    return Journal.named(journals, run) if Path(journals / f"{run}.jsonl").exists() else Journal(journals, run)


def dry_run(module, plan):
    """What this action would push, device by device, and nothing else."""
    p = module.params
    step = plan.step(p["step"]) if p["step"] else None
    diff = []
    if step and step.node:
        for feature in step.features:
            change = plan.change(step.node, feature)
            diff.append({"before_header": f"{change.node} {feature}", "after_header": f"{change.node} {feature}",
                         "before": "", "after": change.apply})
    module.exit_json(changed=bool(diff) or p["action"] in ("begin", "rollback"), diff=diff,
                     run=p["run"] or "check-mode")


def on_devices(module, plan, loaded, journals, confirm):
    from govctl.cutover.devices import device_executor
    from govctl.cutover.runner import Options, rollback, run_one

    p = module.params
    ex = device_executor(plan, loaded, Path(p["devices"]), p["observe_seconds"])
    try:
        if p["action"] == "begin":
            module.exit_json(changed=True, run=Journal.create(journals, p["network"]).run)
        journal = journal_of(journals, p["run"])
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
            module.exit_json(changed=True, state=out.state, msg=out.message, checks=out.checks, run=journal.run)
        module.exit_json(changed=False)  # lab_down: no lab in a device run
    finally:
        ex.close()


def on_lab(module, plan, loaded, journals):
    from govctl.cutover.lab import Lab, LabExecutor
    from govctl.cutover.runner import Options, rollback, run_one

    p = module.params
    if p["action"] == "lab_down":
        lab = Lab.attach(p["network"])
        if lab is not None:
            lab.down()
        module.exit_json(changed=lab is not None)
    if p["action"] == "begin":
        if Lab.attach(p["network"]) is None:
            Lab.up(plan)
        module.exit_json(changed=True, run=Journal.create(journals, p["network"]).run)
    lab = Lab.attach(p["network"])
    if lab is None:
        raise InputError(f"no cutover lab is up for {p['network']} (action: begin builds it)")
    journal = journal_of(journals, p["run"])
    ex = LabExecutor(lab, plan)
    start = {"network": p["network"], "inventory": str(loaded.directory), "at": p["at"], "lab": True,
             "check_window": True, "plan": "ansible", "via": "playbooks/cutover.yml"}
    if p["action"] == "step":
        res = run_one(plan, ex, journal, p["step"], start=start, opts=Options(inject=p["inject"]), fault=ex)
        module.exit_json(**res, run=journal.run)
    out = rollback(plan, ex, journal, reason="playbook rescue", fault=ex)
    if out.state != "rolled-back":
        module.fail_json(msg=out.message, checks=out.checks, run=journal.run)
    module.exit_json(changed=True, state=out.state, msg=out.message, checks=out.checks, run=journal.run)


def main():
    module = AnsibleModule(
        argument_spec={
            "network": {"type": "str", "required": True},
            "inventory": {"type": "path", "required": True},
            "action": {"type": "str", "required": True, "choices": ["plan", "begin", "step", "rollback", "lab_down"]},
            "step": {"type": "str"},
            "run": {"type": "str"},
            "journal_dir": {"type": "path"},
            "lab": {"type": "bool", "default": True},
            "at": {"type": "str"},
            "force": {"type": "bool", "default": False},
            "inject": {"type": "str"},
            "devices": {"type": "path"},
            "confirm_manual": {"type": "list", "elements": "str", "default": []},
            "yes": {"type": "bool", "default": False},
            "observe_seconds": {"type": "float"},
        },
        supports_check_mode=True,
    )
    if GOVCTL_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("govctl"), exception=GOVCTL_IMPORT_ERROR)
    p = module.params
    journals = journals_dir(Path(p["journal_dir"]) if p["journal_dir"] else None, Path(p["inventory"]))
    try:
        now = datetime.fromisoformat(p["at"]) if p["at"] else datetime.now(timezone.utc)
        src = check(Path(p["inventory"]))
        loaded = src.loaded
        plan = plan_cutover(loaded.inventory, src.ipv6, p["network"], now=now, origins=loaded.origins)
        if p["action"] == "plan":
            module.exit_json(changed=False, steps=[s.id for s in plan.steps],
                             point_of_no_return=plan.point_of_no_return,
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
            dry_run(module, plan)
        if not p["lab"]:
            from govctl.cutover.runner import rollback_id

            confirmed = set(p["confirm_manual"] or [])

            def confirm(step, undo):  # a person's step: only what the play was told is done
                sid = rollback_id(step) if undo else step.id
                return "yes: true" if p["yes"] else (f"confirm_manual: {sid}" if sid in confirmed else None)

            on_devices(module, plan, loaded, journals, confirm)
        on_lab(module, plan, loaded, journals)
    except GovctlError as exc:
        module.fail_json(msg=str(exc) if not hasattr(exc, "problems") else
                         "; ".join(pr.render() for pr in exc.problems), error=type(exc).__name__)


if __name__ == "__main__":
    main()
