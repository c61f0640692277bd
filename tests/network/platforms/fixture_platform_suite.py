"""The fifth platform end to end, run by test_fixture_platform.py in a process whose
``$GOVCTL_PLATFORMS_PATH`` holds this folder (so ``fixture_platform/`` is a platform there, registered by
its folder as govctl's own are, and nowhere else): the inventory accepts its name, its templates render,
and the push engine pushes, finds nothing left to do, and rolls back through the registry's driver, host
key checked first, on in-memory devices (``fixture_platform/device.py``).

Not collected on its own (its name is not test_*.py): outside that process the platform does not exist.
"""
from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from net_helpers import FIXTURE
from test_net_hostkeys import StandIn

from govctl.cutover.models import CutoverSettings
from govctl.cutover.planner import plan_cutover
from govctl.cutover.render import PLATFORMS as CUTOVER_PLATFORMS
from govctl.cutover.render import render_pe
from govctl.inventory.models import DevicePlatform
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan as ipv6_plan
from govctl.network.drivers.registry import DRIVERS, driver_for
from govctl.network.errors import DeviceError
from govctl.network.journal import Journal
from govctl.network.models import DeviceTarget, PushPolicy, Status
from govctl.network.platforms import PLATFORMS
from govctl.network.platforms.fixture_platform.device import GRAMMAR, NETWORK, Device
from govctl.network.platforms.fixture_platform.driver import FixtureDriver
from govctl.network.push import Rollout, rollback_run
from govctl.network.render import render
from govctl.network.workflow import Context, load

NAME = "fixture_platform"
EXAMPLE = Path(__file__).resolve().parents[3] / "inventories" / "example"  # the one with dedicated networks
PASSWORD_ENV = "GOVCTL_FIXTURE_PLATFORM_PW"
# what every device runs before govctl: none of it is govctl's, all of it must survive push and rollback
FOREIGN = """hostname {node}
username noc secret 9 $9$fixture
!
interface mgmt0
 description management
 ip address 203.0.113.{n}/24
exit
!
router bgp 64512
 neighbor 198.51.100.16 remote-as 64512
exit
!
snmp-server location {node}
line vty
 exec-timeout 10 0
exit
"""


def _on_the_platform(source: Path, target: Path) -> Path:
    """A copy of the inventory ``source`` with every extranet node on the fixture platform."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".govctl"))
    text = (target / "extranet.yaml").read_text(encoding="utf-8")
    for old in ("huawei_vrp", "h3c_comware", "ios", "frr"):
        text = text.replace(f"platform: {old}", f"platform: {NAME}")
    (target / "extranet.yaml").write_text(text, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    """The network tests' frozen inventory with every node on the fixture platform, loaded as the CLI does."""
    return load(_on_the_platform(FIXTURE, tmp_path_factory.mktemp("inv") / "extranet"))


@pytest.fixture
def network(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Every node an in-memory device running its foreign config; yields those configs."""
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    before = {node: FOREIGN.format(node=node, n=i + 10) for i, node in enumerate(ctx.intents)}
    NETWORK.build({node: Device(node, "pw", text) for node, text in before.items()})
    yield before
    NETWORK.clear()


@pytest.fixture
def server() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.stop()


def _targets(ctx: Context, server: StandIn, pin: bool = True) -> dict[str, DeviceTarget]:
    """The inventory's targets, dialled at the stand-in SSH server (its key pinned, or not) for the host-key
    check the registry makes before every driver's open."""
    key = f"{server.key.get_name()} {server.key.get_base64()}" if pin else None
    return {n: dataclasses.replace(t, host="127.0.0.1", port=server.port, credentials=f"env:{PASSWORD_ENV}",
                                   host_key=key, known_hosts="/dev/null") for n, t in ctx.targets.items()}


def _push(ctx: Context, targets: dict[str, DeviceTarget], root: Path, run_id: str):  # noqa: ANN202
    journal = Journal(run_id, root=root)
    rollout = Rollout(ctx.intents, ctx.configs(), targets, driver_for, journal,
                      PushPolicy(parallel=4, verify_timeout=5.0))
    return rollout.run(list(ctx.intents)), journal


def test_the_inventory_accepts_the_platform_of_a_folder(ctx: Context):
    assert NAME in {p.value for p in DevicePlatform}
    assert {t.platform for t in ctx.targets.values()} == {NAME}
    assert {i.platform for i in ctx.intents.values()} == {NAME}
    assert PLATFORMS[NAME].driver.endswith("driver:FixtureDriver") and DRIVERS[NAME] is FixtureDriver


def test_its_templates_render_every_feature_in_its_syntax(ctx: Context):
    config = render(ctx.intents["alpha-r1"]).text
    lines = config.splitlines()
    assert lines[0] == "hostname alpha-r1" and "router ospf6" in lines and "router bgp 64512" in lines
    lo = lines.index("interface lo0")
    assert lines[lo + 2].startswith(" ipv6 address 2001:db8:") and lines[lo + 2].endswith("/128")
    assert " ospf6 area 0.0.0.1" in lines and any(x.startswith("interface port1") for x in lines)
    assert " address-family ipv6" in lines and lines.count("!") == 4  # five features, one separator each


def test_push_changes_every_device_then_nothing_then_rolls_back_to_the_byte(ctx: Context, network, server,
                                                                            tmp_path: Path):
    targets = _targets(ctx, server)
    first, journal = _push(ctx, targets, tmp_path, "run1")
    assert first.counts() == {"changed": len(ctx.intents)}, [(r.node, r.error) for r in first.results]
    checks = {c.name for r in first.results for c in r.checks if c.ok}
    assert {"config-applied", "ipv6-addresses", "ospfv3-full", "ipv6-routes", "bgp-sessions",
            "ping6-loopbacks"} <= checks
    for node, before in network.items():
        running = NETWORK.device(node).running  # type: ignore[union-attr]
        assert all(line in running.splitlines() for line in before.splitlines()), f"{node} lost a foreign line"
        assert running != before
    again, _ = _push(ctx, targets, tmp_path, "run2")
    assert again.counts() == {"unchanged": len(ctx.intents)}
    # an operator's line added after the push is not govctl's: the rollback keeps it
    NETWORK.device("alpha-r1").running += "ntp server 203.0.113.123\n"  # type: ignore[union-attr]
    back = rollback_run(journal, targets, driver_for)
    assert {r.status for r in back} == {Status.rolled_back}, [(r.node, r.error) for r in back]
    for node, before in network.items():
        extra = "ntp server 203.0.113.123\n" if node == "alpha-r1" else ""
        assert NETWORK.device(node).running == before + extra, node  # type: ignore[union-attr]
        assert NETWORK.device(node).startup == before + extra, node  # type: ignore[union-attr]


def test_a_line_the_device_does_not_know_is_refused_at_load_and_nothing_changes(ctx: Context, network, server):
    driver = driver_for(_targets(ctx, server)["alpha-r1"])
    driver.open()
    try:
        with pytest.raises(DeviceError, match="alpha-r1: load: unknown command: bogus-command"):
            driver.load_merge_candidate("bogus-command 1\n")
    finally:
        driver.close()
    assert NETWORK.device("alpha-r1").running == network["alpha-r1"]  # type: ignore[union-attr]


def test_an_untrusted_host_key_is_refused_before_the_device_hears_of_it(ctx: Context, network, server):
    """The registry's guarantee holds for a new platform the day it is a folder: the key is checked first."""
    with pytest.raises(DeviceError, match="host key not trusted"):
        driver_for(_targets(ctx, server, pin=False)["alpha-r1"]).open()
    assert NETWORK.device("alpha-r1").sessions == 0  # type: ignore[union-attr]
    assert server.leaked() == []


def test_a_cutover_puts_the_vpn_on_its_pes_in_its_syntax_and_takes_it_off(tmp_path: Path):
    """The cutover knows the platform from its record and folder: its access port (port 10), its templates."""
    assert NAME in CUTOVER_PLATFORMS and CutoverSettings().access_port[NAME] == "port10"
    inv = load_valid(_on_the_platform(EXAMPLE, tmp_path / "example")).inventory
    plan = plan_cutover(inv, ipv6_plan(inv), "health-net", now=datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc))
    assert plan.pes and {pe.platform for pe in plan.pes} == {NAME}
    for pe in plan.pes:
        changes = {c.feature: c for c in render_pe(pe)}
        assert list(changes) == ["vpn_instance", "isolation", "bgp_vpn", "access", "vpn_routing"]
        assert f"vrf {pe.vpn}\n" in changes["vpn_instance"].apply and f"no vrf {pe.vpn}\n" in changes["vpn_instance"].rollback
        for link in pe.links:
            assert link.interface.startswith("port10.")
            assert f"interface {link.interface}\n" in changes["access"].apply
            assert f"no interface {link.interface}\n" in changes["access"].rollback
        assert all(line.split()[0] in GRAMMAR for c in changes.values() for line in c.apply.splitlines()
                   if line.strip() and not line.startswith("!")), "a cutover line the platform's device would refuse"
