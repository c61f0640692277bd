#!/usr/bin/python
# -*- coding: utf-8 -*-
"""One device's step of the govctl IPv6 rollout, with govctl's own driver, intent and journal."""
from __future__ import annotations

DOCUMENTATION = r"""
module: device
short_description: Push, verify or roll back one extranet device the way C(govctl net push) does
version_added: 0.1.0
author:
  - govctl maintainers (@govctl)
description:
  - "Runs on the controller (C(connection: local)) and needs the Python package C(govctl) there
    (the collection's execution environment carries it)."
  - Renders the device's intended config from the govctl inventory and IPv6 plan and uses govctl's
    device driver (FRR over SSH, NAPALM for C(ios)/C(huawei_vrp), govctl's own for H3C Comware).
  - O(action=push) loads, compares and commits, saving the running config in the run's journal first,
    through the same code as C(govctl net push); O(action=verify) runs the same checks (config applied,
    IPv6 addresses, OSPFv3 Full, routes, iBGP, ping6 to neighbours in earlier tiers);
    O(action=rollback) restores the saved config exactly.
  - The journal lives in the inventory's state directory (C(<inventory>/.govctl/runs/<run_id>)), so
    C(govctl net status) and C(govctl net rollback) see a playbook's run.
options:
  node:
    description: Device id (the inventory hostname).
    required: true
    type: str
  inventory:
    description: The govctl inventory directory.
    required: true
    type: path
  lab:
    description: Address the running lab's routers instead of the production devices.
    type: bool
    default: false
  action:
    description: What to do with the device.
    type: str
    default: push
    choices: [push, verify, rollback]
  run_id:
    description: Journal run id shared by every device of the play.
    required: true
    type: str
  verify_timeout:
    description: Seconds to wait for convergence before the checks count as failed.
    type: float
    default: 60
  check_against:
    description:
      - What check mode compares the rendered config with.
      - V(device) reads the running config (the device must be reachable).
      - V(journal) needs no device, it diffs against the last config a govctl run (CLI or playbook)
        left on the device according to the journals of the inventory's state directory.
      - V(auto) tries the device and falls back to the journal when the device cannot be reached.
    type: str
    default: auto
    choices: [auto, device, journal]
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Compares only; nothing is committed. See O(check_against).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode).
    support: full
notes:
  - "Run the module with C(connection: local) and C(ansible_python_interpreter) set to the Python that has govctl."
seealso:
  - module: govctl.extranet.cutover
"""

EXAMPLES = r"""
- name: Load, compare and commit the intended config
  govctl.extranet.device:
    node: "{{ inventory_hostname }}"
    inventory: "{{ govctl_inventory }}"
    lab: "{{ govctl_lab }}"
    run_id: ansible-20261205T010000Z
    action: push
  register: pushed

- name: Verify OSPFv3, routes, iBGP and ping6 towards earlier tiers
  govctl.extranet.device:
    node: "{{ inventory_hostname }}"
    inventory: "{{ govctl_inventory }}"
    run_id: ansible-20261205T010000Z
    action: verify
    verify_timeout: 90
  when: pushed is changed
"""

RETURN = r"""
status:
  description: The device's outcome (changed, unchanged, would-change, failed, rolled-back, rollback-failed).
  returned: always
  type: str
  sample: changed
run_id:
  description: The journal run id.
  returned: on push
  type: str
  sample: ansible-20261205T010000Z
seconds:
  description: Time spent on the device.
  returned: on push, verify and rollback
  type: float
  sample: 2.8
compared_with:
  description: What check mode compared the rendered config with (device, or journal:<run id>).
  returned: in check mode
  type: str
  sample: journal:20261205T010000Z-1a2b
checks:
  description: The verification checks (name, ok, detail).
  returned: on verify
  type: list
  elements: dict
diff:
  description: What the push changes (or would change), as a unified diff.
  returned: when something differs
  type: dict
"""

import difflib
import time
import traceback
from pathlib import Path

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

GOVCTL_IMPORT_ERROR = None
try:
    from govctl.core.errors import GovctlError
    from govctl.network.drivers.registry import driver_for
    from govctl.network.journal import TERMINAL_OK, Journal, list_runs, runs_dir
    from govctl.network.models import FAILED_STATES, PushPolicy, Status
    from govctl.network.push import Rollout
    from govctl.network.verify import device_checks, wait_checks
    from govctl.network.workflow import load_slim
except ImportError:
    GOVCTL_IMPORT_ERROR = traceback.format_exc()

TIERS = ("province", "city", "county", "town")


def last_known_config(inventory, node, this_run):
    """The config govctl last left on ``node``, from the journals of the inventory's push runs (CLI and
    playbook alike, newest first): the intended config of a run whose outcome was changed/unchanged,
    the saved one of a run that rolled the device back. Returns (config, run id) or (None, None)."""
    root = runs_dir(Path(inventory))
    runs = [r for r in list_runs(root) if r != this_run]
    runs.sort(key=lambda r: (root / r / "journal.jsonl").stat().st_mtime
              if (root / r / "journal.jsonl").exists() else 0.0, reverse=True)
    for run in runs:
        journal = Journal(run, root=root, create=False)
        if journal.meta().get("dry_run"):
            continue  # a dry run left nothing on the device
        status = journal.final_status().get(node)
        if status in TERMINAL_OK:
            path = journal.dir / "intended" / f"{node}.cfg"
        elif status == Status.rolled_back.value:
            path = journal.dir / "before" / f"{node}.cfg"
        else:
            continue
        if path.exists():
            return path.read_text(encoding="utf-8"), run
    return None, None


def check_offline(module, journal, node, config, reason):
    known, run = last_known_config(module.params["inventory"], node, journal.run_id)
    if known is None:
        module.fail_json(msg=f"check mode needs the device: {reason}, and no govctl run journaled a config "
                             f"for {node} (run against the device, or a push once, to have a last known config)",
                         status=Status.failed.value, run_id=journal.run_id)
    diff = "".join(difflib.unified_diff(known.splitlines(True), config.splitlines(True),
                                        f"{node} (journal {run})", f"{node} (rendered)"))
    journal.record(node, "compared-offline", against=run, lines=diff.count("\n"))
    out = {"changed": bool(diff), "status": (Status.would_change if diff else Status.unchanged).value,
           "run_id": journal.run_id, "compared_with": f"journal:{run}"}
    if diff:
        out["diff"] = {"prepared": diff}
    module.exit_json(**out)


def push(module, ctx, journal, node, t0):
    p = module.params
    if module.check_mode and p["check_against"] == "journal":
        check_offline(module, journal, node, ctx.configs[node], "check_against is journal")
    policy = PushPolicy(parallel=1, canary=0, verify_timeout=0, dry_run=module.check_mode)
    rollout = Rollout(ctx.intents, ctx.configs, ctx.targets, driver_for, journal, policy, ctx.platform)
    rollout.verify_after_commit = False  # the play verifies in a task of its own, so that rescue rolls back
    res = rollout.one(node, 0)
    unreachable = res.status == Status.failed and any(
        s.node == node and s.step == "connect-failed" for s in journal.steps())
    if module.check_mode and unreachable and p["check_against"] == "auto":
        check_offline(module, journal, node, ctx.configs[node], f"{node} cannot be opened ({res.error})")
    out = {"changed": res.status in (Status.changed, Status.would_change), "status": res.status.value,
           "seconds": round(time.monotonic() - t0, 3), "run_id": journal.run_id}
    if module.check_mode:
        out["compared_with"] = "device"
    if res.diff:
        out["diff"] = {"prepared": res.diff}
    if res.status in FAILED_STATES:
        module.fail_json(msg=res.error or res.status.value, **out)
    module.exit_json(**out)


def verify(module, ctx, journal, driver, node, t0):
    intent = ctx.intents[node]
    # serial batches run core outwards: devices of earlier tiers already run the intent
    ready = {n for n, i in ctx.intents.items() if TIERS.index(i.tier) < TIERS.index(intent.tier)}
    checks = wait_checks(lambda early: device_checks(driver, intent, ctx.intents, ready,
                                                     ctx.platform or intent.platform, stop_early=early),
                         module.params["verify_timeout"])
    result = {"changed": False, "status": Status.verified.value, "checks": [c.__dict__ for c in checks],
              "seconds": round(time.monotonic() - t0, 3)}
    driver.load_replace_candidate(ctx.configs[node])
    remaining = driver.compare_config()
    driver.discard_config()
    if remaining:
        module.fail_json(msg="running config differs from the intent", **result)
    bad = [c for c in checks if not c.ok]
    if bad:
        module.fail_json(msg="; ".join(f"{c.name}: {c.detail}" for c in bad), **result)
    journal.record(node, "verified", by="ansible")
    module.exit_json(**result)


def rollback(module, journal, driver, node, before, t0):
    if not driver.running_drift(before):
        module.exit_json(changed=False, status=Status.rolled_back.value, msg="already on the saved config")
    journal.record(node, "restore-intent", by="ansible")
    driver.restore(before)
    left = driver.running_drift(before)
    if left:
        journal.record(node, "restore-failed", by="ansible", lines=left.count("\n"))
        module.fail_json(msg=f"running config still differs from the saved one by {left.count(chr(10))} lines "
                             "after the restore", status=Status.rollback_failed.value)
    journal.record(node, "rolled-back", by="ansible")
    module.exit_json(changed=True, status=Status.rolled_back.value, seconds=round(time.monotonic() - t0, 3))


def main():
    module = AnsibleModule(
        argument_spec={
            "node": {"type": "str", "required": True},
            "inventory": {"type": "path", "required": True},
            "lab": {"type": "bool", "default": False},
            "action": {"type": "str", "default": "push", "choices": ["push", "verify", "rollback"]},
            "run_id": {"type": "str", "required": True},
            "verify_timeout": {"type": "float", "default": 60.0},
            "check_against": {"type": "str", "default": "auto", "choices": ["auto", "device", "journal"]},
        },
        supports_check_mode=True,
    )
    if GOVCTL_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("govctl"), exception=GOVCTL_IMPORT_ERROR)
    p = module.params
    node = p["node"]
    inventory = Path(p["inventory"])
    t0 = time.monotonic()
    try:
        journal = Journal(p["run_id"], root=runs_dir(inventory))
        if not journal.meta():
            journal.write_meta({"run_id": journal.run_id, "inventory": str(inventory.resolve()),
                                "lab": p["lab"], "dry_run": module.check_mode, "by": "ansible"})
        ctx = load_slim(inventory, p["lab"], journal.dir)
        if node not in ctx.intents:
            module.fail_json(msg=f"{node} is not an extranet node of {inventory}")
        if p["action"] == "push":
            push(module, ctx, journal, node, t0)
        before = None
        if p["action"] == "rollback":
            # nothing to restore needs no device (a push that failed before its commit, a check run)
            before = journal.before(node)
            if before is None:
                module.exit_json(changed=False, status=Status.unchanged.value,
                                 msg="nothing committed for this device in this run")
            if module.check_mode:
                module.exit_json(changed=True, status=Status.rolled_back.value, msg="would restore the saved config")
        driver = driver_for(ctx.targets[node])
        driver.open()
        try:
            if p["action"] == "verify":
                verify(module, ctx, journal, driver, node, t0)
            rollback(module, journal, driver, node, before, t0)
        finally:
            driver.close()
    except GovctlError as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
