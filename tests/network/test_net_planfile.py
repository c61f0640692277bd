"""Network plan files (`govctl net plan --out FILE`, `govctl net push FILE`) and the prompt of `net push`,
on in-memory devices (net_helpers.FakeNetwork): a push of a plan applies exactly its lines, and refuses,
with nothing changed on any device, when a device, the inventory, the code or the file itself moved."""
from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret
from net_helpers import FIXTURE, FakeDevice, FakeNetwork, fixture
from typer.testing import CliRunner

from govctl.cli import app
from govctl.network import planfile
from govctl.network.intent import build
from govctl.network.journal import Journal
from govctl.network.models import DeviceTarget, PushPolicy, Status
from govctl.network.push import Rollout
from govctl.network.render import render

runner = CliRunner()
PASSWORD = "Pl4n-t3st-s3cret-9f2c"  # noqa: S105 - the credential the devices are reached with, never in a plan
VAULT_PASSWORD = "Pl4n-v4ult-0pen-sesame"  # noqa: S105
# FRR town routers: the fake reports FRR port names, and every other device runs its intended config, so
# the push's verification (BGP to the route reflectors, OSPFv3 to the neighbours) passes for real
DEVICES = ["alpha-west-town01-r1", "alpha-west-town02-r1", "gamma-town01-r1"]
LIMIT = ",".join(DEVICES)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[FakeNetwork, Path]:
    """A copy of the example inventory (the tests edit it) and its devices in memory, ``DEVICES`` running one
    line (the others their intended config);
    their credentials (``PASSWORD``) in the environment and in an Ansible vault, as in production."""
    from govctl.network.drivers import registry
    from govctl.network.workflow import load

    inventory = tmp_path / "inventory"
    shutil.copytree(FIXTURE, inventory)
    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GOVCTL_CORE_PASSWORD", PASSWORD)
    entry = {"username": "netops", "password": PASSWORD}
    vault = tmp_path / "vault.yml"
    vault.write_bytes(VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))]).encrypt(
        yaml.safe_dump({"extranet": {"city": entry, "county": entry, "town": entry}})))
    (tmp_path / "vault-pass").write_text(VAULT_PASSWORD + "\n")
    monkeypatch.setenv("GOVCTL_VAULT_FILE", str(vault))
    monkeypatch.setenv("GOVCTL_VAULT_PASSWORD_FILE", str(tmp_path / "vault-pass"))
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    ctx = load(inventory)
    configs = ctx.configs()
    net = FakeNetwork(ctx.intents, configs, {n: f"hostname {n}\n" if n in DEVICES else configs[n] for n in ctx.intents})
    monkeypatch.setattr(registry, "driver_for", net.factory)
    return net, inventory


def _plan(inventory: Path, out: Path, *extra: str) -> planfile.Plan:
    result = runner.invoke(app, ["net", "plan", str(inventory), "--limit", LIMIT, "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return planfile.read(out)


def _commits(net: FakeNetwork) -> list[str]:
    return [n for n, step in net.log if step == "commit"]


def test_plan_then_push_file_applies_exactly_the_recorded_lines(world, tmp_path: Path):
    net, inventory = world
    plan = _plan(inventory, tmp_path / "change.plan")
    assert [d.node for d in plan.devices] == DEVICES and all(d.changes for d in plan.devices)
    assert plan.options == {"lab": False, "limit": LIMIT, "devices": []}
    assert set(plan.inventory_files) >= {"extranet.yaml", "province.yaml"}
    before = dict(net.running)
    for d in plan.devices:
        assert d.running_sha256 == planfile.sha256(before[d.node])
        assert d.reversal.splitlines()[0] == "-" + d.change.splitlines()[-1][1:]
    result = runner.invoke(app, ["net", "push", str(tmp_path / "change.plan"), "--verify-timeout", "0", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(_commits(net)) == sorted(DEVICES)
    for d in plan.devices:
        # the fake commits its whole candidate: the device now runs the plan's intended config, whose lines
        # are exactly the recorded change
        assert net.running[d.node] == d.intended
        assert "".join(f"+ {line}\n" for line in d.intended.splitlines()) == d.change
    assert all(net.running[n] == before[n] for n in net.running if n not in DEVICES)
    run = json.loads(result.stdout)
    meta = Journal(run["run_id"], root=tmp_path / "state" / "runs", create=False).meta()
    assert meta["plan_sha256"] == plan.body_sha256


def test_plan_without_out_prints_and_detailed_exitcode_says_whether_anything_would_change(world, tmp_path: Path):
    net, inventory = world
    args = ["net", "plan", str(inventory), "--limit", LIMIT, "--detailed-exitcode"]
    result = runner.invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "would change (3 of 3 devices)" in result.output and "--- gamma-town01-r1" in result.output
    assert _commits(net) == [] and not list(tmp_path.glob("*.plan"))
    for node in DEVICES:
        net.running[node] = net.intended[node]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "would change (0 of 3 devices)" in result.output


def test_the_plan_file_holds_no_secret_and_is_private(world, tmp_path: Path):
    net, inventory = world
    path = tmp_path / "change.plan"
    _plan(inventory, path)
    text = path.read_text()
    assert PASSWORD not in text and VAULT_PASSWORD not in text
    assert "env:GOVCTL_" not in text and "vault:" not in text  # not even the references: no targets recorded
    assert path.stat().st_mode & 0o077 == 0


def test_a_device_moved_since_the_plan_refuses_the_push_with_nothing_changed(world, tmp_path: Path):
    net, inventory = world
    _plan(inventory, tmp_path / "change.plan")
    net.running["alpha-west-town02-r1"] += "ipv6 route 2001:db8:ffff::/48 Null0\n"  # an operator, after the review
    before = dict(net.running)
    result = runner.invoke(app, ["net", "push", str(tmp_path / "change.plan"), "--verify-timeout", "0"])
    assert result.exit_code == 2, result.output
    assert "alpha-west-town02-r1" in result.output and "gamma-town01-r1" not in result.output.split("changed since")[-1]
    assert _commits(net) == [] and net.running == before
    assert not (tmp_path / "state" / "runs").exists()  # refused before a journal was opened


@pytest.mark.parametrize("edit", ["# a comment added after the review\n", "nodes: [broken\n"])
def test_an_inventory_edit_since_the_plan_refuses_the_push(world, tmp_path: Path, edit: str):
    """Even an edit that leaves the inventory invalid is named as the file that moved since the plan."""
    net, inventory = world
    _plan(inventory, tmp_path / "change.plan")
    with open(inventory / "extranet.yaml", "a", encoding="utf-8") as fh:
        fh.write(edit)
    result = runner.invoke(app, ["net", "push", "--plan", str(tmp_path / "change.plan"), "--verify-timeout", "0"])
    assert result.exit_code == 2, result.output
    assert "extranet.yaml" in result.output and "changed since the plan" in result.output
    assert "nothing was changed" in result.output and _commits(net) == []


def test_a_plan_made_by_other_code_is_refused(world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    net, inventory = world
    _plan(inventory, tmp_path / "change.plan")
    monkeypatch.setattr(planfile, "code_version", lambda: "0.0.0+otherbuild")
    result = runner.invoke(app, ["net", "push", str(tmp_path / "change.plan")])
    assert result.exit_code == 2 and "code changed" in result.output
    assert _commits(net) == []


def _edit_a_line(path: Path) -> None:
    doc = json.loads(path.read_text())
    doc["body"]["devices"][0]["change"] += "+ ipv6 route ::/0 Null0\n"
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(("damage", "says"), [
    (_edit_a_line, "does not match its digest"),
    (lambda p: p.write_bytes(p.read_bytes()[:200]), "not a govctl network plan"),
    (lambda p: p.write_text("province: {}\n"), "not a govctl network plan"),
    (lambda p: p.write_text(p.read_text().replace('"version": 1', '"version": 99')), "format version 99"),
])
def test_a_damaged_or_edited_plan_file_is_refused(world, tmp_path: Path, damage, says: str):
    net, inventory = world
    path = tmp_path / "change.plan"
    _plan(inventory, path)
    damage(path)
    result = runner.invoke(app, ["net", "push", str(path)])
    assert result.exit_code == 2, result.output
    assert says in result.output and str(path.name) in result.output
    assert _commits(net) == []


def test_push_file_refuses_options_the_plan_fixes(world, tmp_path: Path):
    net, inventory = world
    _plan(inventory, tmp_path / "change.plan")
    result = runner.invoke(app, ["net", "push", str(tmp_path / "change.plan"), "--limit", "alpha-*"])
    assert result.exit_code == 2 and "give only the plan" in result.output
    assert _commits(net) == []


# ------------------------------------------------------------ the prompt of `net push`: one pass


def _count_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in ("compare_config", "get_config", "reread_config", "commit_config"):
        original = getattr(FakeDevice, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):  # noqa: ANN001,ANN002,ANN003,ANN202
            calls[(_name, self.node)] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(FakeDevice, name, counted)
    return calls


def test_the_prompt_shows_the_plan_that_is_then_pushed_computed_once(world, monkeypatch: pytest.MonkeyPatch):
    from govctl.network import commands, planning

    net, inventory = world
    monkeypatch.setattr(commands, "_interactive", lambda: True)
    loads: list[Path] = []
    real_load = planning.load
    monkeypatch.setattr(planning, "load", lambda d, *a, **k: loads.append(d) or real_load(d, *a, **k))
    calls = _count_calls(monkeypatch)
    result = runner.invoke(app, ["net", "push", str(inventory), "--limit", LIMIT, "--verify-timeout", "0"],
                           input="y\n")
    assert result.exit_code == 0, result.output
    assert "would change (3 of 3 devices)" in result.output and sorted(_commits(net)) == sorted(DEVICES)
    assert len(loads) == 1  # inventory, IPv6 plan and rendering once
    for node in DEVICES:
        # the change computed once (a dry run then a real run computed it twice); the second compare is
        # the verification after the commit. The running config: read by the plan and saved by the journal
        # before the commit (get_config; a real driver answers that from the read just made), read again
        # by the check before any device is touched and in the device's own turn (reread_config)
        assert calls[("compare_config", node)] == 2, calls
        assert calls[("get_config", node)] == 2 and calls[("reread_config", node)] == 2, calls
        assert calls[("commit_config", node)] == 1


def test_a_device_that_moves_while_the_prompt_waits_is_refused(world, monkeypatch: pytest.MonkeyPatch):
    from govctl.network import commands

    net, inventory = world
    monkeypatch.setattr(commands, "_interactive", lambda: True)

    def confirm_while_an_operator_types(*args: object, **kwargs: object) -> bool:
        net.running["alpha-west-town01-r1"] += "interface lo\n"
        return True

    monkeypatch.setattr(commands.typer, "confirm", confirm_while_an_operator_types)
    before_confirm = dict(net.running)
    result = runner.invoke(app, ["net", "push", str(inventory), "--limit", LIMIT, "--verify-timeout", "0"])
    assert result.exit_code == 2, result.output
    assert "alpha-west-town01-r1" in result.output and _commits(net) == []
    assert all(net.running[n] == before_confirm[n] for n in DEVICES if n != "alpha-west-town01-r1")


# ------------------------------------------------------------ the engine and the format, directly


def test_a_device_that_moves_after_the_check_is_left_untouched_in_its_turn(tmp_path: Path):
    inv, ipv6 = fixture()
    intents = build(inv, ipv6)
    configs = {n: render(i, "frr").text for n, i in intents.items()}
    net = FakeNetwork(intents, configs, {n: f"hostname {n}\n" for n in intents})
    targets = {n: DeviceTarget(node=n, platform="frr", host="2001:db8:fffd::1") for n in intents}
    planned = {n: (planfile.sha256(f"hostname {n}\n"), "+ planned\n") for n in DEVICES}
    net.running["alpha-west-town02-r1"] = "hostname someone-else\n"
    rollout = Rollout(intents, configs, targets, net.factory, Journal("r", root=tmp_path),
                      PushPolicy(parallel=2, verify_timeout=0.0, max_fail_share=1.0), "frr", planned=planned)
    result = rollout.run(DEVICES)
    status = {r.node: r for r in result.results}
    assert status["alpha-west-town02-r1"].status == Status.failed and "changed since the plan" in status["alpha-west-town02-r1"].error
    assert net.running["alpha-west-town02-r1"] == "hostname someone-else\n" and "alpha-west-town02-r1" not in _commits(net)
    assert {n for n in DEVICES if status[n].status == Status.changed} == {"alpha-west-town01-r1", "gamma-town01-r1"}


def test_redact_keeps_the_command_and_hides_the_secret():
    diff = "- neighbor 2001:db8::9 password Zz9-top\n+ snmp-agent community read cipher %^%#abc%^%#\n+ ipv6 x\n"
    shown = planfile.redact(diff)
    assert "Zz9-top" not in shown and "%^%#abc" not in shown
    assert shown.startswith("- neighbor 2001:db8::9 password <redacted sha256:") and shown.endswith("+ ipv6 x\n")
    assert planfile.reversal("# header\n+ a\n- b\n") == "+ b\n- a\n# header\n"


# ------------------------------------------------------------ on real FRR routers (the router lab)

LAB_NEEDS = ["/usr/lib/frr/zebra", "/usr/lib/frr/frr-reload.py", "/usr/sbin/sshd", "/usr/bin/ping"]
LAB_ROUTERS = 6


def _govctl(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + (result.stderr if result.stderr_bytes else "")


@pytest.mark.lab
def test_lab_plan_push_file_then_a_router_changed_by_hand_refuses(tmp_path: Path):
    """plan --out on the lab, push FILE, the routers run it (diff: nothing left); a new plan, then a router
    changed by vtysh: push FILE refuses with exit 2 naming it, and no router's config moved."""
    from capabilities import need_router_lab
    from net_helpers import lab_configs, lab_inventory, lab_vtysh, router_lab_env

    from govctl.labs.routers import runner as lab_runner

    need_router_lab(LAB_NEEDS)
    inventory = lab_inventory(tmp_path, "plannet", "2001:db8:fff5:")  # the lab's name: beside any other lab module's
    with router_lab_env(tmp_path, "plannet"):
        code, out = _govctl("lab", "up", str(inventory), "--max-nodes", str(LAB_ROUTERS), "--json")
        assert code == 0, out
        netns = {n.node: n.netns for n in lab_runner.load_state("plannet").nodes}
        first = tmp_path / "rollout.plan"
        t0 = time.monotonic()
        code, out = _govctl("net", "plan", str(inventory), "--lab", "--out", str(first), "--json")
        plan_seconds = time.monotonic() - t0
        assert code == 0, out
        plan = planfile.read(first)
        assert len(plan.changing) == LAB_ROUTERS and plan.options["lab"] is True
        for d in plan.devices:  # the digest is of the running config as the router shows it
            assert d.running_sha256 == planfile.sha256(lab_configs(netns[d.node])[0])
        t0 = time.monotonic()
        code, out = _govctl("net", "push", str(first), "--json", "--verify-timeout", "40")
        push_seconds = time.monotonic() - t0
        assert code == 0, out
        assert json.loads(out)["counts"] == {"changed": LAB_ROUTERS}
        code, out = _govctl("net", "diff", str(inventory), "--lab", "--detailed-exitcode", "--json")
        assert code == 0, out  # every router runs exactly the plan's intended config

        again = tmp_path / "again.plan"
        code, out = _govctl("net", "plan", str(inventory), "--lab", "--out", str(again))
        assert code == 0, out
        node = sorted(netns)[-1]
        lab_vtysh(netns[node], "configure terminal", "ip route 203.0.113.0/24 blackhole", "end")
        before = {n: lab_configs(ns)[0] for n, ns in netns.items()}
        code, out = _govctl("net", "push", str(again), "--json")
        assert code == 2, out
        assert node in out and "changed since the plan" in out
        assert {n: lab_configs(ns)[0] for n, ns in netns.items()} == before
        print(f"\nlab of {LAB_ROUTERS} routers: net plan --out {plan_seconds:.1f} s, push FILE {push_seconds:.1f} s")
