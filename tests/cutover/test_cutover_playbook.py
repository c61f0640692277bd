"""playbooks/cutover.yml: check mode is a dry run; a failed post-check goes to rescue and rolls back."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from capabilities import need_router_lab

from cutover_fixtures import ROOT, make_inventory

PLAYBOOK = ROOT / "playbooks" / "cutover.yml"
IN_WINDOW = "2036-12-05T01:00:00+08:00"


def _playbook(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ansible-playbook") or str(Path(sys.executable).parent / "ansible-playbook")
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0"}
    return subprocess.run([exe, str(PLAYBOOK), *args], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=ROOT)


def test_check_mode_is_a_dry_run_with_diffs(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path)
    j = tmp_path / "j"
    r = _playbook("-e", "network=health-net", "-e", f"govctl_inventory={inv}", "-e", f"journal_dir={j}",
                  "-e", f"at={IN_WINDOW}", "--check", "--diff")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "+ ip binding vpn-instance vpn-health" in r.stdout or "+ ip binding vpn-instance vpn-health" in \
        r.stdout.replace("\r", "")
    assert not j.exists()  # nothing journaled, nothing touched


def test_bad_input_stops_the_play_before_anything(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path)
    r = _playbook("-e", "network=water-net", "-e", f"govctl_inventory={inv}", "-e", f"journal_dir={tmp_path / 'j'}",
                  "-e", f"at={IN_WINDOW}")
    assert r.returncode != 0 and "no dedicated network 'water-net'" in r.stdout
    assert not (tmp_path / "j").exists()


@pytest.mark.lab
def test_failed_post_check_goes_to_rescue_and_rolls_back(tmp_path: Path) -> None:
    need_router_lab(["/usr/lib/frr/bgpd"])
    inv = make_inventory(tmp_path)
    j = tmp_path / "j"
    try:
        # finance-net (type E); the rehearsal test covers health-net (type D)
        r = _playbook("-e", "network=finance-net", "-e", f"govctl_inventory={inv}", "-e", f"journal_dir={j}",
                      "-e", "at=2036-12-12T01:00:00+08:00", "-e", "inject=cloud-return-route", "-e", "keep_lab=false")
        assert r.returncode != 0
        assert "rescued=1" in r.stdout and "rolled back: every device's configuration is the saved one" in r.stdout
        st = subprocess.run([sys.executable, "-c", "from govctl.cli import main; main()", "cutover", "status", "finance-net",
                             "--journal-dir", str(j), "--json"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
        rep = json.loads(st.stdout)
        assert rep["state"] == "rolled-back"
        assert all(c["ok"] for c in rep["checks"] if c["phase"] == "rollback")
        from govctl.cutover.lab import Lab

        assert Lab.attach("finance-net") is None  # keep_lab=false: the play removed it
    finally:
        from govctl.cutover.lab import Lab

        lab = Lab.attach("finance-net")
        if lab is not None:
            lab.down()


@pytest.mark.lab
def test_on_devices_a_failed_check_goes_to_rescue_and_restores_every_device(tmp_path: Path) -> None:
    """lab=false: the module's DeviceExecutor on the lab's FRR routers over SSH (the lab is only the network)."""
    need_router_lab(["/usr/lib/frr/bgpd", "/usr/sbin/sshd"])
    from datetime import datetime

    import yaml

    from govctl.inventory.validate import load_valid
    from govctl.ipv6.planner import plan as ipv6_plan
    from govctl.cutover.lab import Lab, device_overlay
    from govctl.cutover.planner import plan_cutover

    inv = make_inventory(tmp_path)
    loaded = load_valid(inv)
    plan = plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), "health-net",
                        now=datetime.fromisoformat(IN_WINDOW), origins=loaded.origins)
    lab = Lab.up(plan, ssh=True)
    try:
        before = {n: lab.running(n) for n in lab.st.instances}
        overlay = tmp_path / "devices.yaml"
        overlay.write_text(yaml.safe_dump(device_overlay(lab.st), allow_unicode=True), encoding="utf-8")
        j = tmp_path / "j"
        # every people's step "confirmed", none made: the new circuits do not answer, so no traffic is moved
        r = _playbook("-e", "network=health-net", "-e", f"govctl_inventory={inv}", "-e", f"journal_dir={j}",
                      "-e", f"at={IN_WINDOW}", "-e", "lab=false", "-e", f"devices={overlay}",
                      "-e", "confirm_all=true", "-e", "observe_seconds=1", timeout=400)
        assert r.returncode != 0
        assert "rescued=1" in r.stdout and "rolled back: every device's configuration is the saved one" in r.stdout, \
            r.stdout[-3000:]
        assert {n: lab.running(n) for n in lab.st.instances} == before
        records = [json.loads(x) for f in j.glob("*.jsonl") for x in f.read_text().splitlines()]
        assert records[0]["detail"]["lab"] is False
        assert {r["step"] for r in records if r["detail"].get("confirmed") == "yes: true"} >= \
            {s.id for s in plan.steps if s.id.startswith("circuit-")}
        failed = [r["step"] for r in records if r["event"] == "step" and r["status"] == "failed"]
        assert failed == ["converge"] and not any(str(r["step"]).startswith("swing-") for r in records)
    finally:
        lab.down()
