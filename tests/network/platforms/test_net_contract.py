"""One contract suite, run against every driver the registry hands out (one per platform of
``network.platforms``): the ``DeviceDriver`` surface with the same signatures, the platform record
complete, and govctl's ownership on a device whose running config is full of lines govctl does not
own: a replace of the rendered config removes exactly the stale lines of govctl's own scope, never
a foreign line, and a device that already runs it needs nothing.

The devices are doubles of each driver's transport holding the captured layouts of
fixtures/<vendor>/foreign (written from vendor documentation, see their headers); FRR's compare is
frr-reload's own diff with the local vtysh (as in production). Real FRR routers: test_net_ownership_lab.py.
"""
from __future__ import annotations

import inspect
from typing import Any

import pytest
from capabilities import need
from net_helpers import GOLDEN, NapalmDouble, vendor_sample

from govctl.network.platforms.frr import diff as frr_diff
from govctl.network.drivers.base import DeviceDriver
from govctl.network.platforms.h3c_comware.driver import ComwareDriver
from govctl.network.platforms.frr.driver import FrrDriver
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.drivers.registry import DRIVERS, driver_for
from govctl.network.models import DeviceTarget
from govctl.network.platforms import PLATFORMS
from govctl.network.platforms.base import canonical

NODE = "alpha-west-town01-r1"
FIXTURE_DIR = {"ios": "ios", "huawei_vrp": "vrp", "h3c_comware": "comware"}

# The FRR router: the rendered rollout half-done (an old IPv6 address, a retired route reflector, an
# extra prefix-list entry) on a router full of foreign config, as FRR 8.4's `show running-config`
# prints it.
FRR_RUNNING = """frr version 8.4.4
frr defaults traditional
hostname alpha-west-town01-r1
log syslog informational
service integrated-vtysh-config
!
ip route 203.0.113.0/26 blackhole
ipv6 route 2001:db8:10::/52 blackhole
ipv6 route 2001:db8:aaaa::/48 blackhole
!
interface eth1
 description to alpha-west-r1 (100 Mbps)
 ip address 198.51.100.25/31
 ipv6 address 2001:db8:fffe::19/127
 ipv6 ospf6 area 0.0.0.1
 ipv6 ospf6 network point-to-point
exit
!
interface eth9
 description management
 ip address 203.0.113.8/24
 ipv6 address 2001:db8:aaaa::8/64
exit
!
interface lo
 description router id, iBGP source
 ip address 198.51.100.8/32
 ipv6 address 2001:db8:eeee::8/128
 ipv6 address 2001:db8:ffff::8/128
 ipv6 ospf6 area 0.0.0.1
exit
!
router bgp 64512
 bgp router-id 0.0.0.8
 no bgp default ipv4-unicast
 neighbor 198.51.100.16 remote-as 64512
 neighbor 198.51.100.16 update-source lo
 neighbor 2001:db8:ffff::10 remote-as 64512
 neighbor 2001:db8:ffff::10 description rr example-core1
 neighbor 2001:db8:ffff::10 update-source lo
 neighbor 2001:db8:ffff::99 remote-as 64512
 neighbor 2001:db8:ffff::99 description retired rr
 !
 address-family ipv4 unicast
  network 198.51.100.8/32
  neighbor 198.51.100.16 activate
  neighbor 198.51.100.16 route-map OPS-IN in
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:10::/52
  neighbor 2001:db8:ffff::10 activate
  neighbor 2001:db8:ffff::10 prefix-list DEPT-VPN-V6 in
  neighbor 2001:db8:ffff::99 activate
 exit-address-family
exit
!
router ospf6
 ospf6 router-id 0.0.0.8
exit
!
access-list EDGE-IN seq 5 permit 198.51.100.0/24
!
ip prefix-list OPS-V4 seq 5 permit 198.51.100.0/24
!
ipv6 prefix-list DEPT-VPN-V6 description department VPN prefixes stay in the private zone
ipv6 prefix-list DEPT-VPN-V6 seq 10 deny 2001:db8:ff00::/56 le 128
ipv6 prefix-list DEPT-VPN-V6 seq 20 deny 2001:db8:fe00::/56 le 128
ipv6 prefix-list OPS-V6 seq 5 permit 2001:db8:aaaa::/48
!
route-map OPS-IN permit 10
 set local-preference 200
exit
!
line vty
 exec-timeout 10 0
exit
!
"""

# The stale lines of govctl's own scope in every fixture, and nothing else, are what a replace removes.
STALE = {"old address": "2001:db8:eeee::8/128", "retired rr": "2001:db8:ffff::99",
         "extra entry": "2001:db8:fe00::"}


def running_of(platform: str) -> str:
    if platform == "frr":
        return FRR_RUNNING
    return vendor_sample(FIXTURE_DIR[platform], f"foreign/{NODE}.txt")


def intended_of(platform: str) -> str:
    return (GOLDEN / platform / f"{NODE}.cfg").read_text()


# ------------------------------------------------------------ doubles of each driver's transport


class IosDouble(NapalmDouble):
    """napalm's ios driver: get_config (running, as napalm filters it), a replace candidate (the whole
    config, `configure replace` semantics: the running config becomes the candidate), archive rollback."""

    def __init__(self, running: str) -> None:
        self.running, self.candidate, self.archive = running, "", ""

    def get_config(self, retrieve: str = "all") -> dict[str, str]:
        return {retrieve: self.running}

    def load_replace_candidate(self, config: str) -> None:
        self.candidate = config

    def compare_config(self) -> str:
        # `show archive config differences`: lines only one side has
        have, want = _lines(self.running), _lines(self.candidate)
        return "".join(f"-{x}\n" for x in have if x not in want) + "".join(f"+{x}\n" for x in want if x not in have)

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self.archive, self.running = self.running, self.candidate

    def rollback(self) -> None:
        self.running = self.archive

    def discard_config(self) -> None:
        self.candidate = ""


def _lines(text: str) -> list[str]:
    """Each line with the blocks around it (how a contextual diff names it)."""
    out, stack = [], []  # type: ignore[var-annotated]
    for raw in text.splitlines():
        if not raw.strip() or raw.strip().startswith("!"):
            continue
        indent = len(raw) - len(raw.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        out.append(" / ".join([s[1] for s in stack] + [raw.strip()]))
        stack.append((indent, raw.strip()))
    return out


class VrpDouble(NapalmDouble):
    """napalm-huawei-vrp's config surface: get_config, a merge buffer."""

    def __init__(self, running: str) -> None:
        self.running, self.buffer = running, ""

    def get_config(self, retrieve: str = "all") -> dict[str, str]:
        return {"running": self.running}

    def discard_config(self) -> None:
        self.buffer = ""

    def load_merge_candidate(self, config: str) -> None:
        self.buffer += "\n" + config


class ComwareDouble:
    """netmiko's hp_comware session: `display current-configuration`."""

    def __init__(self, running: str) -> None:
        self.running = running

    def send_command(self, command: str, **kwargs: object) -> str:
        return self.running if command.startswith("display current-configuration") else ""

    def disconnect(self) -> None:
        pass


def driver_on(platform: str, running: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The platform's driver, opened on a double holding ``running``."""
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    target = DeviceTarget(node=NODE, platform=platform, host="2001:db8:fffd::8", credentials="env:GOVCTL_T_PW")
    if platform == "frr":
        dev: Any = FrrDriver(target)

        def channel(command: str, stdin: str | None, step: str, timeout: float | None) -> tuple[int, str, str]:
            assert command == "show running-config", f"a compare must only read the device, not {command!r}"
            return 0, running, ""

        monkeypatch.setattr(dev, "_channel", channel)
        return dev
    if platform == "h3c_comware":
        dev = ComwareDriver(target, connect=lambda **kwargs: ComwareDouble(running))
    elif platform == "ios":
        dev = NapalmAdapter(target, driver_class=IosDouble(running))
    else:
        dev = NapalmAdapter(target, driver_class=VrpDouble(running))
    dev.open()
    return dev


def _needs(platform: str) -> None:
    if platform == "frr" and not frr_diff.available():
        need(False, "frr-reload.py and vtysh, for FRR's diff (apt-get install frr frr-pythontools)")


# ------------------------------------------------------------ the contract


def test_every_platform_has_a_driver_and_every_driver_a_platform():
    assert set(DRIVERS) == set(PLATFORMS)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_driver_implements_the_whole_contract_with_its_signatures(platform: str):
    cls = type(driver_for(DeviceTarget(node="r", platform=platform, host="::1")))
    for name, member in inspect.getmembers(DeviceDriver, inspect.isfunction):
        if name.startswith("_"):
            continue
        own = getattr(cls, name, None)
        assert callable(own), f"{cls.__name__} lacks {name}()"
        want = list(inspect.signature(member).parameters)
        have = list(inspect.signature(own).parameters)
        # callers may pass any argument by keyword: same names, in the same order (extra ones optional)
        assert have[:len(want)] == want, \
            f"{cls.__name__}.{name}{inspect.signature(own)} differs from the contract's {inspect.signature(member)}"
    assert isinstance(driver_for(DeviceTarget(node="r", platform=platform, host="::1")), DeviceDriver)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_platform_record_is_complete(platform: str):
    p = PLATFORMS[platform]
    assert p.port_name(0) and p.port_name(3).endswith("3") and p.port_name(0) != p.port_name(1)
    assert p.comment in ("!", "#") and p.owned_summary and p.proven and p.restore
    module, _, cls = p.driver.partition(":")
    assert DRIVERS[platform].__name__ == cls and DRIVERS[platform].__module__.endswith(module)


FOREIGN_SAMPLES = {
    # (path, line) pairs no platform may own, in each one's syntax
    "frr": [((), "ip route 203.0.113.0/26 blackhole"), (("interface eth1",), "ip address 198.51.100.25/31"),
            (("router bgp 64512",), "neighbor 198.51.100.16 remote-as 64512"),
            (("router bgp 64512", "address-family ipv4 unicast"), "network 198.51.100.8/32"),
            ((), "ipv6 prefix-list OPS-V6 seq 5 permit 2001:db8:aaaa::/48"), ((), "line vty"),
            ((), "ipv6 route 2001:db8:aaaa::/48 blackhole")],
    "ios": [((), "aaa new-model"), ((), "username netops privilege 15 secret 9 x"), ((), "line vty 0 4"),
            ((), "router ospf 1"), ((), "ip route 0.0.0.0 0.0.0.0 198.51.100.24"),
            (("router bgp 64512", "address-family ipv4"), "neighbor 198.51.100.16 activate"),
            (("interface GigabitEthernet0/1",), "ip access-group EDGE-IN in"), ((), "snmp-server location x"),
            ((), "ipv6 prefix-list OPS-V6 seq 5 permit 2001:db8:aaaa::/48")],
    "huawei_vrp": [((), "ip route-static 0.0.0.0 0.0.0.0 198.51.100.24"), (("aaa",), "local-user netops privilege level 15"),
                   (("bgp 64512",), "peer 198.51.100.16 as-number 64512"),
                   (("bgp 64512", "ipv4-family unicast"), "peer 198.51.100.16 enable"),
                   ((), "ip ipv6-prefix OPS-V6 index 5 permit 2001:db8:aaaa:: 48"), ((), "snmp-agent")],
    "h3c_comware": [((), "ip route-static 0.0.0.0 0 198.51.100.24"), (("line vty 0 63",), "protocol inbound ssh"),
                    (("bgp 64512",), "peer 198.51.100.16 as-number 64512"),
                    (("bgp 64512", "address-family ipv4 unicast"), "peer 198.51.100.16 enable"),
                    ((), "ipv6 prefix-list OPS-V6 index 5 permit 2001:db8:aaaa:: 48"), ((), "ntp-service unicast-server 203.0.113.123")],
}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_owned_scope_never_claims_foreign_lines(platform: str):
    p = PLATFORMS[platform]
    names = p.names(intended_of(platform))
    assert "DEPT-VPN-V6" in names.prefix_lists
    for path, line in FOREIGN_SAMPLES[platform]:
        assert not p.owned(path, canonical(line), names), f"{platform} claims {' / '.join((*path, line))}"


def _removed(diff: str) -> list[str]:
    """The removed leaves of a '-'/'+' diff (a '-' line followed by a deeper '-' line is the context
    it names, such as ``router bgp 64512``)."""
    rows = [line for line in diff.splitlines() if line[:1] in "+- " and line.strip() and not line.startswith("#")]
    depth = [len(r[1:]) - len(r[1:].lstrip()) for r in rows]
    # frr-reload puts some deletions among the additions as their 'no' form ('no ipv6 prefix-list ...')
    return [r[1:].strip() for i, r in enumerate(rows)
            if (r.startswith("-") or r[1:].strip().startswith("no ")) and not (i + 1 < len(rows) and depth[i + 1] > depth[i])]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_replace_removes_exactly_the_stale_owned_lines(platform: str, monkeypatch: pytest.MonkeyPatch):
    _needs(platform)
    dev = driver_on(platform, running_of(platform), monkeypatch)
    dev.load_replace_candidate(intended_of(platform))
    removed = _removed(dev.compare_config())
    assert removed, "the stale lines of govctl's own scope must go"
    for line in removed:
        low = line.lower()
        assert any(s in low for s in STALE.values()), f"{platform}: a replace removes the foreign line {line!r}"
    for what, needle in STALE.items():
        assert any(needle in x.lower() for x in removed), f"{platform}: the {what} ({needle}) stays"


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_device_already_running_the_rendered_scope_needs_nothing(platform: str, monkeypatch: pytest.MonkeyPatch):
    """Idempotence with foreign lines around: the scoped candidate of a device is a fixed point."""
    _needs(platform)
    from govctl.network.platforms import blocks
    from govctl.network.platforms.scope import scoped_candidate

    running, intended = running_of(platform), intended_of(platform)
    if platform in ("frr", "ios"):
        done = scoped_candidate(running, intended, PLATFORMS[platform])
        assert scoped_candidate(done, intended, PLATFORMS[platform]) == done
    else:
        changes = blocks.remediation(running, intended, "replace", PLATFORMS[platform])
        assert changes
        # the device after the change: rebuilt by the same remediation applied to the parsed tree
        done = _apply_blocks(running, changes)
        assert blocks.remediation(done, intended, "replace", PLATFORMS[platform]) == []
    dev = driver_on(platform, done, monkeypatch)
    dev.load_replace_candidate(intended)
    assert dev.compare_config() == ""


def _apply_blocks(running: str, changes: list[Any]) -> str:
    """A VRP/Comware device applying a remediation: '+' adds the line in its view, '-' removes the line
    it shows (and ``undo peer X`` every line of X), printed back one space per view level."""
    from govctl.network.platforms.h3c_comware.config import parse

    root = parse(running)
    views = [root]
    for c in changes:
        del views[c.depth + 1:]
        here = views[c.depth]
        if c.sign == "-":
            gone = c.command[len("undo peer "):] if c.command.startswith("undo peer ") and c.command.count(" ") == 2 else None
            _drop(here, c.shown, gone)
            continue
        node = here.find(c.command)
        if node is None:
            from govctl.network.platforms.h3c_comware.config import Node

            node = Node(c.command)
            here.children.append(node)
        views.append(node)
    out: list[str] = []

    def emit(n: Any, depth: int) -> None:
        for child in n.children:
            out.append(" " * depth + child.line)
            emit(child, depth + 1)
            if depth == 0:
                out.append("#")

    emit(root, 0)
    return "\n".join(out) + "\nreturn\n"


def _drop(view: Any, shown: str, peer: str | None) -> None:
    view.children = [c for c in view.children
                     if c.line != shown and not (peer and c.line.startswith(f"peer {peer} "))]
    if peer:
        for c in view.children:
            _drop(c, "\0", peer)


def test_ios_push_and_rollback_keep_every_foreign_line_byte_for_byte(monkeypatch: pytest.MonkeyPatch):
    """IOS's commit is `configure replace` of the scoped candidate: after it, the device's config is the
    one from before with only the owned scope changed (each foreign line byte for byte, in its place),
    hier_config's ios driver finds nothing to remediate outside the owned scope, and the archive
    rollback gives the original back exactly."""
    from hier_config import Platform, WorkflowRemediation, get_hconfig

    running, intended = running_of("ios"), intended_of("ios")
    dev = driver_on("ios", running, monkeypatch)
    device = dev._dev
    dev.load_replace_candidate(intended)
    assert dev.compare_config()
    dev.commit_config(message="govctl test")
    after = device.running
    stale = [x for x in running.splitlines() if any(s in x.lower() for s in STALE.values())]
    kept = [x for x in running.splitlines() if x not in stale]
    it = iter(after.splitlines())
    missing = [x for x in kept if not any(x == y for y in it)]
    assert not missing, f"foreign lines changed or moved: {missing[:5]}"
    assert not [x for x in stale if x in after.splitlines()]
    change = WorkflowRemediation(get_hconfig(Platform.CISCO_IOS, running), get_hconfig(Platform.CISCO_IOS, after))
    spec = PLATFORMS["ios"]
    names = spec.names(intended)
    before = {tuple(canonical(p) for p in c.path()) for c in get_hconfig(Platform.CISCO_IOS, running).all_children()}
    for line in change.remediation_config.all_children():
        path = tuple(canonical(p) for p in line.path())
        if path[-1].startswith("no ") and (*path[:-1], path[-1][3:]) in before:  # a line the device had goes
            assert spec.owned(path[:-1], spec.shown(path[-1][3:]), names), f"hier_config negates {path}"
    # The archive rollback itself (napalm's rollback: `configure replace` of IOS's archive) is the device's:
    # asserting the double's running config after it would only check the double. govctl's restore reads the
    # result back and fails on any difference (test_net_rollback_of_an_ios_device_keeps_the_operators_line...); exact rollback
    # on real routers is the FRR lab's (test_net_lab.py, test_net_crash_lab.py).


# ------------------------------------------------------------ rollback within the owned scope

# per platform: a foreign line an operator adds after the push (it must survive the rollback), the
# loopback's header, and how the platform ends its config
AFTER_PUSH = {"frr": ("ip route 203.0.113.64/26 blackhole", "interface lo", ""),
              "ios": ("snmp-server contact noc@example.net", "interface Loopback0", "end"),
              "huawei_vrp": ("snmp-agent sys-info contact noc@example.net", "interface LoopBack0", "return"),
              "h3c_comware": ("snmp-agent sys-info contact noc@example.net", "interface LoopBack0", "return")}
BEHIND = "2001:db8:ffff:ffff::1/128"  # an owned line (a loopback IPv6 address) added behind the journal


def _pushed(platform: str, running: str, intended: str) -> str:
    """The device's config after a push of ``intended`` (as the platform's driver changes it)."""
    from govctl.network.platforms import blocks
    from govctl.network.platforms.scope import scoped_candidate

    if platform in ("frr", "ios"):
        return scoped_candidate(running, intended, PLATFORMS[platform])
    return _apply_blocks(running, blocks.remediation(running, intended, "replace", PLATFORMS[platform]))


def _edited(platform: str, config: str) -> str:
    """``config`` after an operator's hand: the foreign line added (before the config's last line, in a
    section of its own where the platform uses '#'), the owned address on the loopback."""
    foreign, loopback, last = AFTER_PUSH[platform]
    lines = config.splitlines()
    at = lines.index(loopback) + 1
    lines.insert(at, f" ipv6 address {BEHIND}")
    end = lines.index(last) if last else len(lines)
    lines[end:end] = [foreign, "#"] if last == "return" else [foreign]
    return "\n".join(lines) + "\n"


def _same(platform: str, a: str, b: str) -> bool:
    from govctl.network.platforms import blocks

    return a == b if platform in ("frr", "ios") else blocks.same_config(a, b)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_scoped_rollback_candidate_of_an_untouched_push_is_the_saved_config(platform: str):
    from govctl.network.platforms.scope import rollback_candidate

    saved, intended = running_of(platform), intended_of(platform)
    pushed = _pushed(platform, saved, intended)
    assert not _same(platform, pushed, saved)
    assert _same(platform, rollback_candidate(pushed, saved, intended, PLATFORMS[platform]), saved)
    # a device already back is its own candidate (a rollback run twice changes nothing the second time)
    assert _same(platform, rollback_candidate(saved, saved, intended, PLATFORMS[platform]), saved)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_scoped_rollback_keeps_a_foreign_line_added_since_and_restores_an_owned_one(platform: str):
    """Between push and rollback an operator adds an SNMP line (or an IPv4 static route) and an IPv6 address
    on the loopback: the first is not govctl's and survives byte for byte, the second is in govctl's owned
    scope and goes; everything else is the saved config."""
    from govctl.network.platforms.scope import rollback_candidate

    saved, intended = running_of(platform), intended_of(platform)
    foreign = AFTER_PUSH[platform][0]
    back = rollback_candidate(_edited(platform, _pushed(platform, saved, intended)), saved, intended, PLATFORMS[platform])
    assert foreign in back.splitlines(), f"{platform}: the rollback removed {foreign!r}"
    assert BEHIND not in canonical(back).lower() and "2001:db8:ffff:ffff::1" not in back.lower()
    expected = _edited(platform, saved).replace(f" ipv6 address {BEHIND}\n", "")
    assert _same(platform, back, expected), f"{platform}: not the saved config plus the foreign line:\n{back}"
    # the rollback's final check computes the candidate again from the device: a fixed point
    assert _same(platform, rollback_candidate(back, saved, intended, PLATFORMS[platform]), back)


BGP_ID = {"frr": ("bgp router-id 0.0.0.8", "bgp router-id 0.0.0.99"),
          "ios": ("bgp router-id 0.0.0.8", "bgp router-id 0.0.0.99"),
          "huawei_vrp": ("router-id 0.0.0.8", "router-id 0.0.0.99"),
          "h3c_comware": ("router-id 0.0.0.8", "router-id 0.0.0.99")}


def _bgp_router_id(platform: str, rid: str | None) -> str:
    """The fixture with the BGP process's router id set to ``rid`` (None: the line removed)."""
    rendered, _ = BGP_ID[platform]
    lines = running_of(platform).splitlines()
    bgp = next(i for i, line in enumerate(lines) if line.startswith(("router bgp ", "bgp ")))
    at = next(i for i in range(bgp, len(lines)) if lines[i].strip() == rendered)
    if rid is None:
        del lines[at]
    else:
        lines[at] = lines[at].replace(rendered, rendered.rsplit(" ", 1)[0] + " " + rid)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
@pytest.mark.parametrize("device", ["other id", "no id line"])
def test_a_push_never_changes_the_router_id_of_a_bgp_process_the_device_runs(platform: str, device: str,
                                                                            monkeypatch: pytest.MonkeyPatch):
    """A new BGP router id resets every session of the process, IPv4 ones govctl does not own included:
    the device's (explicit, or chosen by the device itself) stays, and the device counts as on its intent."""
    _needs(platform)
    running = _bgp_router_id(platform, "0.0.0.99" if device == "other id" else None)
    dev = driver_on(platform, running, monkeypatch)
    dev.load_replace_candidate(intended_of(platform))
    diff = dev.compare_config()
    assert "router-id 0.0.0.8" not in diff and "router-id 0.0.0.99" not in diff, diff
    done = _pushed(platform, running, intended_of(platform))
    assert ("0.0.0.99" in done) == (device == "other id")
    assert BGP_ID[platform][0] not in [x.strip() for x in done.splitlines()][
        next(i for i, x in enumerate(done.splitlines()) if x.startswith(("router bgp ", "bgp "))):]


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_bgp_process_govctl_creates_gets_the_rendered_router_id(platform: str):
    from govctl.network.platforms import blocks
    from govctl.network.platforms.scope import scoped_candidate

    bare = {"frr": "frr defaults traditional\nhostname r\n", "ios": "hostname r\n!\nend\n",
            "huawei_vrp": "#\nsysname r\n#\nreturn\n", "h3c_comware": "#\n sysname r\n#\nreturn\n"}[platform]
    intended = intended_of(platform)
    if platform in ("frr", "ios"):
        assert BGP_ID[platform][0] in scoped_candidate(bare, intended, PLATFORMS[platform]).splitlines()[1:] or \
            f" {BGP_ID[platform][0]}" in scoped_candidate(bare, intended, PLATFORMS[platform]).splitlines()
    else:
        sent = blocks.commands(blocks.remediation(bare, intended, "replace", PLATFORMS[platform]))
        bgp = next(i for i, x in enumerate(sent) if x.startswith("bgp "))
        assert BGP_ID[platform][0] in sent[bgp:]


def test_net_rollback_of_an_ios_device_keeps_the_operators_line_and_says_what_it_compared(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any):
    """`govctl net rollback` end to end on the IOS adapter: `configure replace` of the scoped target, read
    back in a new session; the journal names the scope the final check compared."""
    from govctl.network.journal import Journal
    from govctl.network.models import Status
    from govctl.network.push import rollback_run

    saved, intended = running_of("ios"), intended_of("ios")
    device = IosDouble(_edited("ios", _pushed("ios", saved, intended)))
    journal = Journal("run1", root=tmp_path)
    journal.save_before(NODE, saved)
    journal.save_intended(NODE, intended)
    journal.record(NODE, "commit-intent", checkpoint=f"before/{NODE}.cfg")
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    target = DeviceTarget(node=NODE, platform="ios", host="2001:db8:fffd::8", credentials="env:GOVCTL_T_PW")
    results = rollback_run(journal, {NODE: target}, lambda t: NapalmAdapter(t, driver_class=device))
    assert [r.status for r in results] == [Status.rolled_back], results
    assert device.running == _edited("ios", saved).replace(f" ipv6 address {BEHIND}\n", "")
    checked = [s.detail for s in journal.steps() if s.step == "rollback-checked"]
    assert checked and checked[0]["ok"] and "owned scope" in checked[0]["compared"]
