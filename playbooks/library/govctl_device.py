#!/usr/bin/python
"""Ansible module: one device's step of the govctl rollout, with govctl's own driver, intent and journal."""
from __future__ import annotations

DOCUMENTATION = r"""
module: govctl_device
short_description: push, verify or roll back one extranet device the way `govctl net push` does
description:
  - Runs on the controller (connection local). Renders the device's intended config from the govctl
    inventory and IPv6 plan, and uses govctl's device driver (FRR over SSH, NAPALM for ios/huawei_vrp).
  - C(push) loads, compares and commits (saving the running config in the run's journal first);
    C(verify) runs the same checks as `govctl net push` (config applied, IPv6 addresses, OSPFv3 Full,
    routes, iBGP, ping6 to neighbours in earlier tiers); C(rollback) restores the saved config exactly.
  - Check mode compares only (the dry run).
options:
  node: {description: device id (the inventory hostname), required: true, type: str}
  inventory: {description: govctl inventory directory, required: true, type: path}
  lab: {description: address the running lab's routers, type: bool, default: false}
  action: {description: push, verify or rollback, type: str, default: push, choices: [push, verify, rollback]}
  run_id: {description: journal run id shared by the play, required: true, type: str}
  verify_timeout: {description: seconds to wait for convergence, type: float, default: 60}
"""

import time

from ansible.module_utils.basic import AnsibleModule

TIERS = ("province", "city", "county", "town")


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "node": {"type": "str", "required": True},
            "inventory": {"type": "path", "required": True},
            "lab": {"type": "bool", "default": False},
            "action": {"type": "str", "default": "push", "choices": ["push", "verify", "rollback"]},
            "run_id": {"type": "str", "required": True},
            "verify_timeout": {"type": "float", "default": 60.0},
        },
        supports_check_mode=True,
    )
    p = module.params
    from pathlib import Path

    from govctl.inventory.errors import GovctlError
    from govctl.network.drivers.registry import driver_for
    from govctl.network.journal import Journal, runs_dir
    from govctl.network.models import PushPolicy, Status
    from govctl.network.push import Rollout
    from govctl.network.verify import device_checks, wait_checks
    from govctl.network.workflow import load_slim

    node = p["node"]
    t0 = time.monotonic()
    try:
        journal = Journal(p["run_id"], root=runs_dir(Path(p["inventory"])))
        if not journal.meta():
            journal.write_meta({"run_id": journal.run_id, "inventory": str(Path(p["inventory"]).resolve()),
                                "lab": p["lab"], "dry_run": module.check_mode, "by": "ansible"})
        ctx = load_slim(Path(p["inventory"]), p["lab"], journal.dir)
        if node not in ctx.intents:
            module.fail_json(msg=f"{node} is not an extranet node of {p['inventory']}")
        intent = ctx.intents[node]
        platform = ctx.platform or intent.platform
        # serial batches run core outwards: devices of earlier tiers already run the intent
        ready = {n for n, i in ctx.intents.items() if TIERS.index(i.tier) < TIERS.index(intent.tier)}

        if p["action"] == "push":
            policy = PushPolicy(parallel=1, canary=0, verify_timeout=0, dry_run=module.check_mode)
            rollout = Rollout(ctx.intents, ctx.configs, ctx.targets, driver_for, journal, policy, ctx.platform)
            rollout.verify_after_commit = False
            res = rollout.one(node, 0)
            failed = res.status in (Status.failed, Status.rolled_back, Status.rollback_failed)
            out = {"changed": res.status in (Status.changed, Status.would_change), "status": res.status.value,
                   "seconds": round(time.monotonic() - t0, 3), "run_id": journal.run_id}
            if res.diff:
                out["diff"] = {"prepared": res.diff}
            if failed:
                module.fail_json(msg=res.error or res.status.value, **out)
            module.exit_json(**out)

        driver = driver_for(ctx.targets[node])
        driver.open()
        try:
            if p["action"] == "verify":
                checks = wait_checks(lambda early: device_checks(driver, intent, ctx.intents, ready, platform,
                                                                 stop_early=early),
                                     p["verify_timeout"])
                result = {"changed": False, "checks": [c.__dict__ for c in checks],
                          "seconds": round(time.monotonic() - t0, 3)}
                driver.load_replace_candidate(ctx.configs[node])
                if driver.compare_config():
                    module.fail_json(msg="running config differs from the intent", **result)
                bad = [c for c in checks if not c.ok]
                if bad:
                    module.fail_json(msg="; ".join(f"{c.name}: {c.detail}" for c in bad), **result)
                journal.record(node, "verified", by="ansible")
                module.exit_json(**result)
            # rollback
            before = journal.before(node)
            if before is None:
                module.exit_json(changed=False, msg="nothing committed for this device in this run")
            if module.check_mode:
                module.exit_json(changed=True, msg="would restore the saved config")
            if not driver.running_drift(before):
                module.exit_json(changed=False, status="rolled-back", msg="already on the saved config")
            journal.record(node, "restore-intent", by="ansible")
            driver.restore(before)
            left = driver.running_drift(before)
            if left:
                journal.record(node, "restore-failed", by="ansible", lines=left.count("\n"))
                module.fail_json(msg=f"running config still differs from the saved one by "
                                     f"{left.count(chr(10))} lines after the restore")
            journal.record(node, "rolled-back", by="ansible")
            module.exit_json(changed=True, status="rolled-back", seconds=round(time.monotonic() - t0, 3))
        finally:
            driver.close()
    except GovctlError as exc:
        module.fail_json(msg=str(exc))


if __name__ == "__main__":
    main()
