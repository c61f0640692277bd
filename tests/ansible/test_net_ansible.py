"""The Ansible side of the rollout: govctl.extranet.inventory reads a govctl inventory (groups, keyed groups,
ansible_network_os); the playbooks parse; check mode works without devices (journal's last known config)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from capabilities import need_executable, need_router_lab
from net_helpers import FIXTURE, router_lab_env

ROOT = Path(__file__).resolve().parents[2]
LAB_NEEDS = ["/usr/lib/frr/zebra", "/usr/lib/frr/frr-reload.py", "/usr/sbin/sshd", "/usr/bin/ping"]


@pytest.fixture(scope="module", autouse=True)  # before govctl_view, which runs it
def _ansible_core() -> None:
    need_executable("ansible-inventory", "ansible-core: pip install -e '.[test]'")


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "ANSIBLE_NOCOLOR": "1", **(env or {})})


def _plain(value: object) -> object:
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


@pytest.fixture(scope="module")
def govctl_view():
    """What govctl itself makes of the fixture: platform, tier, role per node."""
    from govctl.network.workflow import load

    ctx = load(FIXTURE)
    return {n: (ctx.targets[n].platform, i.tier, i.role) for n, i in ctx.intents.items()}


def test_inventory_graph_groups_nodes_by_tier_city_and_platform(govctl_view):
    from govctl.network.drivers.registry import platforms

    proc = _run("ansible-inventory", "-i", str(FIXTURE), "--list")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data["extranet"]["children"]) == {"tier_province", "tier_city", "tier_county", "tier_town"}
    assert set(data["tier_province"]["hosts"]) == {"example-core1", "example-core2", "example-egress1"}
    assert "alpha-west-town01-r1" in data["city_alpha"]["hosts"]
    for platform in {p for p, _, _ in govctl_view.values()}:
        assert set(data[f"platform_{platform}"]["hosts"]) == {n for n, v in govctl_view.items() if v[0] == platform}
    hostvars = {h: {k: _plain(v) for k, v in hv.items()} for h, hv in data["_meta"]["hostvars"].items()}
    hv = hostvars["alpha-r1"]
    assert hv["ansible_host"] == "2001:db8:fffd::5" and hv["govctl_credentials"] == "vault:extranet/city"
    assert hv["govctl_tier"] == "city" and hv["govctl_platform"] == "huawei_vrp"
    # every node gets the network OS Ansible's own collections use for its platform
    expected_os = {"huawei_vrp": "community.network.ce", "ios": "cisco.ios.ios", "frr": "frr.frr.frr",
                   "h3c_comware": "h3c_open.comware.comware"}
    assert {p for p, _, _ in govctl_view.values()} <= set(expected_os) <= set(platforms())
    assert {h: hv["ansible_network_os"] for h, hv in hostvars.items()} == \
        {n: expected_os[p] for n, (p, _, _) in govctl_view.items()}
    graph = _run("ansible-inventory", "-i", str(FIXTURE), "--graph")
    assert graph.returncode == 0 and "@tier_town:" in graph.stdout
    assert "Unable to parse" not in graph.stderr


def test_a_config_file_source_adds_keyed_and_composed_groups(tmp_path: Path, govctl_view):
    """What an AWX inventory source points at: a *.govctl.yml file naming the plugin by its FQCN."""
    source = tmp_path / "extranet.govctl.yml"
    # relative to the configuration file, not to where ansible-inventory runs (the repository root here)
    (tmp_path / "extranet").symlink_to(FIXTURE)
    source.write_text("""plugin: govctl.extranet.inventory
inventory: extranet
network_os: {frr: ""}
keyed_groups:
  - {key: ansible_network_os, prefix: os}
  - {key: govctl_tier, prefix: t}
groups:
  egress: govctl_role == 'egress'
compose:
  mgmt_address: ansible_host
""", encoding="utf-8")
    proc = _run("ansible-inventory", "-i", str(source), "--list", env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    by_platform = lambda p: {n for n, v in govctl_view.items() if v[0] == p}  # noqa: E731
    assert set(data["os_community_network_ce"]["hosts"]) == by_platform("huawei_vrp")
    assert set(data["os_cisco_ios_ios"]["hosts"]) == by_platform("ios")
    assert not any(g.startswith("os_frr") for g in data)  # mapped to "" in network_os: no ansible_network_os
    for tier in ("province", "city", "county", "town"):
        assert set(data[f"t_{tier}"]["hosts"]) == {n for n, v in govctl_view.items() if v[1] == tier}
    assert set(data["egress"]["hosts"]) == {n for n, v in govctl_view.items() if v[2] == "egress"}
    hv = {k: _plain(v) for k, v in data["_meta"]["hostvars"]["alpha-r1"].items()}
    assert hv["mgmt_address"] == "2001:db8:fffd::5" and hv["govctl_inventory"] == str(FIXTURE.resolve())
    assert "ansible_network_os" not in data["_meta"]["hostvars"]["gamma-town01-r1"]


def test_a_broken_govctl_inventory_is_reported_with_govctl_s_message(tmp_path: Path):
    inv = tmp_path / "inv"
    shutil.copytree(FIXTURE, inv, ignore=shutil.ignore_patterns(".govctl"))
    text = (inv / "extranet.yaml").read_text(encoding="utf-8")
    (inv / "extranet.yaml").write_text(text + "\nnot_a_key_govctl_knows: 1\n", encoding="utf-8")
    source = tmp_path / "x.govctl.yml"
    source.write_text(f"plugin: govctl.extranet.inventory\ninventory: {inv}\n", encoding="utf-8")
    proc = _run("ansible-inventory", "-i", str(source), "--list", "-v",
                env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"})
    assert proc.returncode != 0
    # govctl's own problem, naming the file and line
    assert f"govctl inventory {inv}: {inv / 'extranet.yaml'}:" in proc.stderr and "not_a_key_govctl_knows" in proc.stderr


def test_playbooks_pass_syntax_check():
    for playbook in ("playbooks/ipv6-rollout.yml", "playbooks/cutover.yml"):
        proc = _run("ansible-playbook", "-i", str(FIXTURE), playbook, "--syntax-check")
        assert proc.returncode == 0, proc.stderr + proc.stdout


def _journaled_run(state: Path, node: str, config: str, status: str = "changed") -> str:
    """An earlier push run (CLI or playbook) that left ``config`` on ``node``."""
    from govctl.network.journal import Journal

    journal = Journal("20261201T000000Z-0001", root=state / "runs")
    journal.write_meta({"run_id": journal.run_id, "dry_run": False})
    journal.save_intended(node, config)
    journal.record(node, "result", status=status)
    return journal.run_id


def test_check_mode_without_devices_diffs_against_the_journal_or_says_it_needs_the_device(tmp_path: Path):
    from govctl.network.workflow import load

    node = "example-core1"  # the canary: tier_province[0]
    state = tmp_path / "state"
    args = ("ansible-playbook", "-i", str(FIXTURE), "playbooks/ipv6-rollout.yml", "--check", "--diff",
            "-l", f"{node},localhost")
    env = {"GOVCTL_STATE_DIR": str(state)}  # the fixture directory stays clean
    first = _run(*args, env=env)
    assert first.returncode != 0
    assert f"check mode needs the device: {node} cannot be opened" in first.stdout
    assert f"no govctl run journaled a config for {node}" in first.stdout

    rendered = load(FIXTURE).configs()[node].splitlines(True)
    dropped = next(line for line in rendered if line.startswith("ip ipv6-prefix"))
    run = _journaled_run(state, node, "".join(line for line in rendered if line != dropped))
    second = _run(*args, env=env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert f"--- {node} (journal {run})" in second.stdout and f"+{dropped}" in second.stdout
    assert f"changed: [{node}]" in second.stdout and "rescued=0" in second.stdout
    steps = [json.loads(x) for f in (state / "runs").glob("ansible-*/journal.jsonl") for x in f.read_text().splitlines()]
    assert {"node": node, "step": "compared-offline"} in [{"node": s["node"], "step": s["step"]} for s in steps]


def test_check_mode_against_the_journal_when_the_device_runs_the_intent(tmp_path: Path):
    from govctl.network.workflow import load

    node = "example-core1"
    state = tmp_path / "state"
    _journaled_run(state, node, load(FIXTURE).configs()[node], status="unchanged")
    proc = _run("ansible-playbook", "-i", str(FIXTURE), "playbooks/ipv6-rollout.yml", "--check", "--diff",
                "-l", f"{node},localhost", "-e", "govctl_check_against=journal", env={"GOVCTL_STATE_DIR": str(state)})
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f"ok: [{node}]" in proc.stdout and "changed=0" in proc.stdout
    assert "cannot be opened" not in proc.stdout  # check_against=journal: the device is not even tried


def _recap(stdout: str) -> dict[str, str]:
    lines = stdout[stdout.rfind("PLAY RECAP"):].splitlines()[1:]
    return {line.split()[0]: line for line in lines if ":" in line}


@pytest.mark.lab
def test_the_playbook_rolls_out_the_lab_in_govctl_s_journal(tmp_path: Path) -> None:
    """The 22-router lab: the playbook pushes and verifies every router through the collection's module; the run
    is govctl's (its journal says verified for each device), check mode then finds nothing to change on the
    devices, and `govctl net rollback` undoes the playbook's run."""
    need_router_lab(LAB_NEEDS)
    from govctl.network.journal import Journal, runs_dir

    inventory = tmp_path / "extranet"
    shutil.copytree(FIXTURE, inventory)
    govctl = [sys.executable, "-c", "from govctl.cli import main; main()"]
    with router_lab_env(tmp_path, "extranet") as env:
        up = subprocess.run([*govctl, "lab", "up", str(inventory), "--json"], env=env, capture_output=True,
                            text=True, timeout=600)
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        nodes = sorted(json.loads(_run("ansible-inventory", "-i", str(inventory), "--list").stdout)["_meta"]["hostvars"])
        assert len(nodes) == 22
        lab_env = {**env, "GOVCTL_LAB": "1", "ANSIBLE_FORKS": "8"}
        play = ("ansible-playbook", "-i", str(inventory), "playbooks/ipv6-rollout.yml", "-e", "govctl_run_id=ansible-lab")
        first = _run(*play, env=lab_env)
        recap = _recap(first.stdout)
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        assert sorted(n for n in recap if n != "localhost") == nodes
        assert all("failed=0" in line and "rescued=0" in line for line in recap.values()), recap
        journal = Journal("ansible-lab", root=runs_dir(inventory), create=False)
        assert journal.final_status() == {n: "verified" for n in nodes}
        assert sorted(journal.committed_not_undone()) == nodes

        again = _run(*play[:4], "--check", "--diff", "-e", "govctl_check_against=device", env=lab_env)
        assert again.returncode == 0, again.stdout[-4000:]
        assert all("changed=0" in line for line in _recap(again.stdout).values()), _recap(again.stdout)

        back = subprocess.run([*govctl, "net", "rollback", "ansible-lab", str(inventory), "--lab", "--json"],
                              env=env, capture_output=True, text=True, timeout=600)
        assert back.returncode == 0, back.stdout[-3000:] + back.stderr[-2000:]
        assert sorted(r["node"] for r in json.loads(back.stdout)["results"]) == nodes
