"""Device runs without a lab: the overlay's bad input, credentials, manual-step confirmation, the production rendering.

Everything here is refused or decided before any login; the transactions themselves are tested
against real FRR routers over SSH in test_cutover_devices_lab.py.
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from govctl.cli import app
from cutover_fixtures import NOW, inv_dir  # noqa: F401 - inv_dir is a fixture
from govctl.core.errors import InputError
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan as ipv6_plan
from govctl.cutover.devices import DeviceExecutor, load_overlay, production_render
from govctl.cutover.errors import ManualStepPending
from govctl.cutover.journal import Journal
from govctl.cutover.planner import plan_cutover
from govctl.cutover.runner import Options, execute, report, rollback
from govctl.network.errors import CredentialsMissing
from govctl.network.workflow import production_targets

AT = ["--at", "2036-12-05T01:00:00+08:00"]


@pytest.fixture
def ctx(inv_dir: Path):  # noqa: ANN201, F811
    loaded = load_valid(inv_dir)
    plan = plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), "health-net", now=NOW, origins=loaded.origins)
    return loaded, plan, production_targets(loaded.inventory, ipv6_plan(loaded.inventory))


def _overlay(plan) -> dict:  # noqa: ANN001
    """A complete overlay: the PEs at documentation addresses, one CE per site and two isolation probe points."""
    dev = {"platform": "frr", "username": "noc", "credentials": "env:GOVCTL_TEST_PW"}
    devices = {n: {"host": f"2001:db8:fff8:7::{i + 1:x}", **dev} for i, n in enumerate(plan.touched_nodes)}
    points = {}
    for j, (site, _div, prefixes) in enumerate(plan.sites):
        devices[f"ce{j}"] = {"host": f"2001:db8:fff8:7::{j + 0x100:x}", **dev}
        fam = {f"ipv{ipaddress.ip_network(p).version}": str(ipaddress.ip_network(p).network_address + 1)
               for p in prefixes}
        points[f"site:{site}"] = {"device": f"ce{j}", **fam}
    points["other:"] = {"device": plan.touched_nodes[0], "ipv4": "198.51.100.249"}
    points["public"] = {"device": plan.touched_nodes[0], "ipv4": "198.51.100.241", "ipv6": "2001:db8:fffa:2::1"}
    return {"devices": devices, "probe_points": points, "watch": ["ce0"]}


def _write(tmp: Path, data: object, text: str | None = None) -> Path:
    p = tmp / "devices.yaml"
    p.write_text(text if text is not None else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def _run(inv: Path, tmp: Path, *extra: str):  # noqa: ANN202
    return CliRunner().invoke(app, ["cutover", "run", "health-net", str(inv), *AT, "--journal-dir", str(tmp / "j"),
                                    *extra])


def test_a_complete_overlay_reaches_every_pe_and_probe_source(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    _, plan, targets = ctx
    ov = load_overlay(_write(tmp_path, _overlay(plan)), plan, targets)
    assert set(plan.touched_nodes) <= set(ov.targets) and ov.targets["ce0"].username == "noc"
    assert ov.targets[plan.touched_nodes[0]].host.startswith("2001:db8:fff8:7::")
    assert ov.watch == ("ce0",)


def test_without_an_overlay_the_inventory_reaches_the_pes(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    _, plan, targets = ctx
    data = _overlay(plan)
    for n in plan.touched_nodes:
        del data["devices"][n]
    ov = load_overlay(_write(tmp_path, data), plan, targets)
    for n in plan.touched_nodes:
        assert ov.targets[n] == targets[n]  # the inventory's management address and credentials reference


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(device={}), "unknown key(s) device"),
    (lambda d: d["devices"]["ce0"].update(hots="x"), "devices.ce0: unknown key(s) hots"),
    (lambda d: d["devices"]["ce0"].pop("host"), "devices.ce0: not an inventory node, so it needs host"),
    (lambda d: d["devices"]["ce0"].update(port=70000), "devices.ce0.port: not a TCP port (70000)"),
    (lambda d: d["probe_points"].pop("public"), "probe_points: no probe point for public"),
    (lambda d: d["probe_points"]["public"].update(ipv4="2001:db8::1"), "probe_points.public.ipv4: not an IPv4"),
    (lambda d: d["probe_points"]["public"].update(device="nowhere"), "probe_points.public.device: 'nowhere'"),
    (lambda d: d.update(watch=["nowhere"]), "watch: 'nowhere' is not a device"),
    (lambda d: d["devices"]["alpha-r1"].update(platform="junos"), "platform 'junos' has no config driver"),
])
def test_bad_overlays_are_refused_naming_the_file_and_key(ctx, tmp_path: Path, edit, message: str) -> None:  # noqa: ANN001
    loaded, plan, _ = ctx
    data = _overlay(plan)
    edit(data)
    path = _write(tmp_path, data)
    r = _run(loaded.directory, tmp_path, "--devices", str(path), "--yes")
    assert r.exit_code == 2, r.output
    assert str(path) in r.output and message in r.output
    assert not (tmp_path / "j").exists()  # refused before a journal, a lock or a login


def test_an_overlay_that_is_not_yaml_is_refused_at_its_line(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    loaded, _, _ = ctx
    path = _write(tmp_path, None, "devices:\n  alpha-r1: {host: [\n")
    r = _run(loaded.directory, tmp_path, "--devices", str(path))
    assert r.exit_code == 2 and f"{path}:" in r.output and "not valid YAML" in r.output, r.output


def test_a_device_run_needs_an_overlay_and_not_the_lab_too(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    loaded, plan, _ = ctx
    r = _run(loaded.directory, tmp_path)
    assert r.exit_code == 2 and "needs --devices FILE" in r.output, r.output
    r = _run(loaded.directory, tmp_path, "--lab", "--devices", str(_write(tmp_path, _overlay(plan))))
    assert r.exit_code == 2 and "choose one" in r.output, r.output
    assert not (tmp_path / "j").exists()


def test_unset_credentials_are_refused_before_anything(ctx, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    loaded, plan, targets = ctx
    monkeypatch.delenv("GOVCTL_TEST_PW", raising=False)
    path = _write(tmp_path, _overlay(plan))
    r = _run(loaded.directory, tmp_path, "--devices", str(path), "--yes")
    assert r.exit_code == 2 and "environment variable GOVCTL_TEST_PW is not set" in r.output, r.output
    assert not (tmp_path / "j").exists()
    with pytest.raises(CredentialsMissing):
        DeviceExecutor(plan, load_overlay(path, plan, targets)).preflight()


def test_outside_the_window_a_device_run_is_refused_unless_forced(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    loaded, plan, _ = ctx
    r = CliRunner().invoke(app, ["cutover", "run", "health-net", str(loaded.directory), "--at", NOW.isoformat(),
                                 "--devices", str(_write(tmp_path, _overlay(plan))), "--journal-dir",
                                 str(tmp_path / "j")])
    assert r.exit_code == 2 and "outside the window" in r.output, r.output
    assert not (tmp_path / "j").exists()


def test_the_production_rendering_is_the_plans_change_and_its_reversal(ctx) -> None:  # noqa: ANN001
    _, plan, _ = ctx
    render = production_render(plan)
    step = plan.step("prepare-alpha-r1")
    [(node, text)] = render(step, False)
    assert node == "alpha-r1" and text == "".join(plan.change("alpha-r1", f).apply for f in step.features)
    [(_, undo)] = render(step, True)
    assert undo == "".join(plan.change("alpha-r1", f).rollback for f in reversed(step.features))
    assert render(plan.step([s.id for s in plan.steps if s.id.startswith("swing-")][0]), False) == []


class CarrierNetwork:
    """A network whose circuits and swings are a person's job: the executor never does them (as on real devices)."""

    carries_out_manual_steps = False

    def __init__(self, plan) -> None:  # noqa: ANN001
        self.plan = plan
        self.done: list[tuple[str, bool]] = []

    def devices(self) -> list[str]:
        return ["pe"]

    def check_access(self) -> None: ...

    def running(self, device: str) -> str:
        return "same\n"

    def do(self, step, undo: bool) -> None:  # noqa: ANN001
        self.done.append((step.id, undo))

    def restore(self, device: str, saved: str) -> str:
        return ""

    def probe(self, p) -> tuple[bool, str]:  # noqa: ANN001
        return (True, "held")

    def isolation(self) -> list[tuple[str, bool, str]]:
        return []

    def converged(self) -> list[tuple[str, bool, str]]:
        return []

    def others(self) -> dict[str, str]:
        return {}

    def observe(self, minutes: int) -> None: ...


def test_a_manual_step_waits_for_its_confirmation_and_the_confirmation_is_journaled(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    _, plan, _ = ctx
    net, j = CarrierNetwork(plan), Journal.create(tmp_path, plan.network)
    # the people's steps before the point of no return: each new circuit, then each site's traffic move
    swings = [s.id for s in plan.steps if s.manual and s.id != "teardown-carrier"]
    assert [s.split("-")[0] for s in swings] == ["circuit", "circuit", "swing", "swing"]
    with pytest.raises(ManualStepPending, match=f"manual step '{swings[0]}'"):
        execute(plan, net, j, Options(confirm=lambda s, u: None), start={"network": plan.network})
    assert swings[0] not in j.step_status()  # not begun: a rollback will not ask about it
    assert j.ended() is None and j.records()[-1].detail.get("waiting") is True
    assert report(plan, j)["state"] == "waiting" and swings[0] in report(plan, j)["message"]
    asked: list[str] = []

    def confirm(step, undo):  # noqa: ANN001, ANN202
        asked.append(step.id)
        return "test" if step.id != "teardown-carrier" else None

    with pytest.raises(ManualStepPending, match="teardown-carrier"):
        execute(plan, net, j, Options(confirm=confirm), start={})
    assert asked == [*swings, "teardown-carrier"]
    confirmed = [r.step for r in j.records() if r.event == "note" and r.detail.get("confirmed") == "test"]
    assert confirmed == swings
    assert all(j.step_status()[s] == "done" for s in swings)
    with pytest.raises(ManualStepPending, match=f"rollback-{swings[-1]}"):
        rollback(plan, net, j, reason="test", confirm=lambda s, u: None)
    with pytest.raises(InputError, match="partly rolled back"):
        execute(plan, net, j, Options(confirm=confirm), start={})
    out = rollback(plan, net, j, reason="test", confirm=lambda s, u: "carrier says so")
    assert out.state == "rolled-back"
    undone = [r.step for r in j.records() if r.event == "note" and r.detail.get("undo")]
    assert undone == [f"rollback-{s}" for s in reversed(swings)]
