"""The Ansible side: the inventory plugin reads a govctl inventory; the playbook parses."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from net_helpers import FIXTURE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("ansible-inventory") is None, reason="ansible-core not installed")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_inventory_graph_groups_nodes_by_tier_city_and_platform():
    proc = _run("ansible-inventory", "-i", str(FIXTURE), "--list")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data["extranet"]["children"]) == {"tier_province", "tier_city", "tier_county", "tier_town"}
    assert set(data["tier_province"]["hosts"]) == {"example-core1", "example-core2", "example-egress1"}
    assert "alpha-west-town01-r1" in data["city_alpha"]["hosts"]
    assert set(data["platform_frr"]["hosts"]) >= {"alpha-west-town01-r1"}
    hv = {k: v.get("__ansible_unsafe", v) if isinstance(v, dict) else v
          for k, v in data["_meta"]["hostvars"]["alpha-r1"].items()}
    assert hv["ansible_host"] == "2001:db8:fffd::5" and hv["govctl_credentials"] == "vault:extranet/city"
    assert hv["govctl_tier"] == "city" and hv["govctl_platform"] == "huawei_vrp"
    graph = _run("ansible-inventory", "-i", str(FIXTURE), "--graph")
    assert graph.returncode == 0 and "@tier_town:" in graph.stdout
    assert "Unable to parse" not in graph.stderr


def test_playbook_syntax():
    proc = _run("ansible-playbook", "-i", str(FIXTURE), "playbooks/ipv6-rollout.yml", "--syntax-check")
    assert proc.returncode == 0, proc.stderr + proc.stdout


@pytest.mark.skipif(shutil.which("ansible-lint") is None, reason="ansible-lint not installed (test extra)")
def test_playbook_is_ansible_lint_clean():
    proc = _run("ansible-lint", "--nocolor", "playbooks/ipv6-rollout.yml", "playbooks/tasks/rollout-device.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
