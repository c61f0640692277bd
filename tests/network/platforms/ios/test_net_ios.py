"""Cisco IOS verification getters: show-command output (fixtures/ios, Cisco's layouts) -> getter shapes,
and verify's checks through the NAPALM adapter on an ios node; then the crash-recovery surface (running
and startup config drift, ``write memory``, ``restore``'s proof) against a double of NAPALM ios and its
netmiko session.

No IOS device exists here: NAPALM's ios driver is replaced by a double whose ``cli()`` answers with the
fixture text. What is proven is the parsing and the verdicts built on it, not the SSH session."""
from __future__ import annotations

import re

import pytest
from net_helpers import NapalmDouble, checks_through_napalm, vendor_sample

from govctl.network.platforms.ios import cli as ios_cli
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget



def sample(name: str) -> str:
    return vendor_sample("ios", name)


# ------------------------------------------------------------ show ipv6 ospf neighbor


def test_ospfv3_neighbours_with_states_in_the_contracts_spelling():
    nbrs = ios_cli.parse_ospfv3_neighbors(sample("ospfv3_neighbor.txt"))
    assert [(n.router_id, n.state, n.interface) for n in nbrs] == [
        ("198.51.100.1", "Full", "GigabitEthernet0/0"),  # "FULL/  -": point-to-point, no DR role
        ("198.51.100.3", "Full", "GigabitEthernet0/1"),
        ("198.51.100.4", "2-Way", "GigabitEthernet0/2"),
        ("198.51.100.6", "Full", "GigabitEthernet0/2"),
        ("198.51.100.66", "Full", "GigabitEthernet0/2"),
        ("198.51.100.7", "ExStart", "GigabitEthernet0/3")]


def test_unified_ospfv3_output_counts_only_the_ipv6_address_family():
    nbrs = ios_cli.parse_ospfv3_neighbors(sample("ospfv3_neighbor_af.txt"))
    # the IPv4 family has 198.51.100.1 Full on Ethernet0/0; the IPv6 one is still Loading there
    assert [(n.router_id, n.state, n.interface) for n in nbrs] == [
        ("198.51.100.2", "Full", "Ethernet0/1"), ("198.51.100.1", "Loading", "Ethernet0/0")]


def test_ntc_ipv4_ospf_template_would_drop_every_ospfv3_row_silently():
    """Why ios_cli has its own parser: the Interface ID column is not the dotted address
    cisco_ios_show_ip_ospf_neighbor expects, and that template has no Error rule."""
    from govctl.network.platforms.ios.cli import _textfsm

    assert _textfsm("x", "cisco_ios_show_ip_ospf_neighbor", sample("ospfv3_neighbor.txt")) == []


def test_ospfv3_output_that_is_not_a_neighbour_table_is_an_error_not_an_empty_list():
    with pytest.raises(ios_cli.IosParseError, match="unexpected line .% Invalid input detected"):
        ios_cli.parse_ospfv3_neighbors("% Invalid input detected at '^' marker.\n")
    with pytest.raises(ios_cli.IosParseError, match="unknown neighbour state 'FULLL'"):
        ios_cli.parse_ospfv3_neighbors("198.51.100.1  1  FULLL/  -  00:00:36  4  GigabitEthernet0/0\n")
    assert ios_cli.parse_ospfv3_neighbors("") == []


@pytest.mark.parametrize("raw,name", [("Gi0/1", "GigabitEthernet0/1"), ("Te1/0/1", "TenGigabitEthernet1/0/1"),
                                      ("GigabitEthernet0/0/1", "GigabitEthernet0/0/1"), ("Lo0", "Loopback0")])
def test_interface_names_become_the_configurations_names(raw, name):
    assert ios_cli.interface_name(raw) == name


# ------------------------------------------------------------ show ipv6 route


def test_ipv6_routes_with_ecmp_counted_once_and_prefixes_normalised():
    assert ios_cli.parse_ipv6_route(sample("ipv6_route.txt")) == {
        "2001:db8:2a::/64": "Connected", "2001:db8:4::/48": "BGP", "ff00::/8": "Local",
        "2001:db8:5555::4/128": "Static"}


def test_default_route_and_tagged_external_routes_are_read():
    routes = ios_cli.parse_ipv6_route(sample("ipv6_route_ospf.txt"))
    assert routes == {"::/0": "OSPF-ext2", "2001:db8:1::/64": "OSPF", "2001:db8:2::/48": "OSPF-ext2",
                      "2001:db8:3::/64": "OSPF", "2001:db8:ffff::2/128": "Local"}


def test_ntc_ipv6_route_template_loses_the_tagged_route_and_ignores_garbage():
    """Why ios_cli reads the RIB itself: ``^\\s* -> Clearall`` matches every line before the
    template's Error rule, so a ', tag 1' route is cleared and '% Invalid input' passes."""
    from govctl.network.platforms.ios.cli import _textfsm

    rows = _textfsm("x", "cisco_ios_show_ipv6_route", sample("ipv6_route_ospf.txt"))
    assert "::/0" not in {r["NETWORK"] for r in rows}
    assert _textfsm("x", "cisco_ios_show_ipv6_route", "% Invalid input detected at '^' marker.\n") == []
    with pytest.raises(ios_cli.IosParseError, match="unexpected line .% Invalid input"):
        ios_cli.parse_ipv6_route("% Invalid input detected at '^' marker.\n")


def test_a_route_block_lost_in_transit_is_caught_by_the_entry_count():
    text = sample("ipv6_route.txt")
    start, end = text.index("L   FF00::/8"), text.index("S   2001:DB8:5555::4/128")
    with pytest.raises(ios_cli.IosParseError, match="announces 4 entries, 3 were read"):
        ios_cli.parse_ipv6_route(text[:start] + text[end:])
    with pytest.raises(ios_cli.IosParseError, match="no 'IPv6 Routing Table"):
        ios_cli.parse_ipv6_route(text.replace("IPv6 Routing Table - default - 4 entries\n", ""))
    with pytest.raises(ios_cli.IosParseError, match="route ff00::/8 has no 'via' line"):
        ios_cli.parse_ipv6_route(text.replace("     via Null0, receive\n", ""))
    with pytest.raises(ios_cli.IosParseError, match="unknown route code 'Q'"):
        ios_cli.parse_ipv6_route(text.replace("L   FF00::/8", "Q   FF00::/8"))


# ------------------------------------------------------------ show bgp ipv6 unicast summary


def test_bgp_sessions_with_wrapped_neighbour_lines_and_down_states():
    peers = ios_cli.parse_bgp_summary(sample("bgp_ipv6_summary.txt"))
    assert [(p.address, p.remote_as, p.state, p.prefixes_received) for p in peers] == [
        ("2001:db8:10:1422::22", 101, "Established", 8),
        ("2001:db8::10:15", 64512, "Established", 7),
        ("2001:db8:ffff::11", 64512, "Active", 0),
        ("2001:db8::12", 64512, "Idle", 0),
        ("2001:db8::13", 65011 * 65536 + 21531, "Idle", 0)]


def test_ntc_ipv4_bgp_summary_template_would_drop_the_ipv6_sessions():
    from govctl.network.platforms.ios.cli import _textfsm

    assert _textfsm("x", "cisco_ios_show_ip_bgp_summary", sample("bgp_ipv6_summary.txt")) == []


def test_bgp_summary_errors():
    text = sample("bgp_ipv6_summary.txt")
    with pytest.raises(ios_cli.IosParseError, match="neighbour 2001:DB8:10:1422::22 without its columns"):
        ios_cli.parse_bgp_summary(text.replace(
            "                4          101      21      18       18    0    0 00:12:17        8\n", ""))
    with pytest.raises(ios_cli.IosParseError, match="without its columns: .*Actve"):
        ios_cli.parse_bgp_summary(text.replace("never    Active", "never    Actve"))
    with pytest.raises(ios_cli.IosParseError, match="unexpected line .% Invalid input"):
        ios_cli.parse_bgp_summary("% Invalid input detected at '^' marker.\n")


# ------------------------------------------------------------ ping ipv6


def test_ping_reply_and_loss_through_the_ntc_template():
    assert ios_cli.parse_ping(sample("ping_ipv6_ok.txt")) is True
    assert ios_cli.parse_ping(sample("ping_ipv6_lost.txt")) is False
    with pytest.raises(ios_cli.IosParseError):
        ios_cli.parse_ping("% Unrecognized host or address, or protocol not running.\n")
    assert ios_cli.ping_command("2001:db8:ffff::12", "2001:db8:ffff::10") == \
        "ping ipv6 2001:db8:ffff::10 source 2001:db8:ffff::12 repeat 2"


# ------------------------------------------------------------ verify on an ios node, end to end


class IosCliDouble(NapalmDouble):
    """NAPALM ios's surface as the adapter uses it for verification: ``cli()`` answers with
    Cisco-format text per command (a ping fails toward ``unreachable``); ``get_interfaces_ip``
    returns NAPALM's shape."""

    def __init__(self, outputs: dict[str, str], addresses: dict[str, list[str]], unreachable: set[str]) -> None:
        self.outputs, self.addresses, self.unreachable, self.commands = outputs, addresses, unreachable, []

    def cli(self, commands: list[str]) -> dict[str, str]:
        self.commands.extend(commands)
        out = {}
        for c in commands:
            if c.startswith("ping ipv6 "):
                dest = c.split()[2]
                text = sample("ping_ipv6_lost.txt" if dest in self.unreachable else "ping_ipv6_ok.txt")
                out[c] = text.replace("2001:DB8:FFFF::10", dest.upper())
            else:
                out[c] = self.outputs[c]
        return out

    def get_interfaces_ip(self) -> dict:
        return {name: {"ipv6": {a.split("/")[0].upper(): {"prefix_length": int(a.split("/")[1])} for a in addrs}}
                for name, addrs in self.addresses.items()}


def _outputs() -> dict[str, str]:
    return {ios_cli.OSPFV3_NEIGHBORS: sample("example-egress1/show_ipv6_ospf_neighbor.txt"),
            ios_cli.IPV6_ROUTES: sample("example-egress1/show_ipv6_route.txt"),
            ios_cli.BGP_IPV6_SUMMARY: sample("example-egress1/show_bgp_ipv6_unicast_summary.txt")}


def _egress1(monkeypatch: pytest.MonkeyPatch, outputs: dict[str, str], unreachable: frozenset[str] = frozenset()):
    return checks_through_napalm(monkeypatch, "example-egress1", "ios", "2001:db8:fffd::13",
                                 {"example-core1", "example-core2"},
                                 lambda addresses: IosCliDouble(outputs, addresses, set(unreachable)))


def test_verify_passes_on_a_converged_ios_egress(monkeypatch):
    checks, double = _egress1(monkeypatch, _outputs())
    assert [(c.name, c.ok, c.detail) for c in checks] == [
        ("ipv6-addresses", True, "3 present"), ("ospfv3-full", True, "2 Full"),
        ("ipv6-routes", True, "2 loopbacks routed"), ("bgp-sessions", True, "2 Established"),
        ("ping6-loopbacks", True, "2 reachable")], checks
    assert "ping ipv6 2001:db8:ffff::10 source 2001:db8:ffff::12 repeat 2" in double.commands


def test_verify_names_the_link_whose_neighbour_is_not_full(monkeypatch):
    out = _outputs()
    out[ios_cli.OSPFV3_NEIGHBORS] = out[ios_cli.OSPFV3_NEIGHBORS].replace(
        "0.0.0.17          0   FULL/  -", "0.0.0.17          0   EXSTART/  -")
    checks, _ = _egress1(monkeypatch, out)
    ospf = next(c for c in checks if c.name == "ospfv3-full")
    assert not ospf.ok and ospf.detail == "not Full: GigabitEthernet0/2 (example-core2)"


def test_verify_names_the_missing_loopback_and_the_session_that_is_not_up(monkeypatch):
    out = _outputs()
    rib = out[ios_cli.IPV6_ROUTES]
    start, end = rib.index("O   2001:DB8:FFFF::11/128"), rib.index("O   2001:DB8:FFFF::2/128")
    out[ios_cli.IPV6_ROUTES] = (rib[:start] + rib[end:]).replace("- 11 entries", "- 10 entries")
    out[ios_cli.BGP_IPV6_SUMMARY] = out[ios_cli.BGP_IPV6_SUMMARY].replace(
        "0    0 00:41:02        2", "0    0 never    Active")
    checks, _ = _egress1(monkeypatch, out)
    by = {c.name: c for c in checks}
    assert not by["ipv6-routes"].ok and by["ipv6-routes"].detail == "no route to loopback of example-core2"
    assert not by["bgp-sessions"].ok and by["bgp-sessions"].detail == "not Established: 2001:db8:ffff::11 (Active)"
    assert not by["ping6-loopbacks"].ok and by["ping6-loopbacks"].detail == "skipped: routes missing"


def test_verify_names_the_loopback_that_does_not_answer(monkeypatch):
    checks, _ = _egress1(monkeypatch, _outputs(), unreachable=frozenset({"2001:db8:ffff::10"}))
    ping = checks[-1]
    assert (ping.name, ping.ok, ping.detail) == ("ping6-loopbacks", False, "no reply from example-core1")


def test_unparsable_output_is_a_per_device_verify_error(monkeypatch):
    out = _outputs()
    out[ios_cli.IPV6_ROUTES] = out[ios_cli.IPV6_ROUTES].replace("- 11 entries", "- 12 entries")
    with pytest.raises(DeviceError, match="example-egress1: verify: cannot parse 'show ipv6 route' output: "
                                          "the table announces 12 entries, 11 were read"):
        _egress1(monkeypatch, out)


# ------------------------------------------------------------ running and startup config, restore

RUNNING = sample("example-egress1/show_running-config.txt")
STARTUP = sample("example-egress1/show_startup-config.txt")
# what NAPALM ios's get_config drops itself (napalm/ios/ios.py, filter_strings)
_NAPALM_FILTER = re.compile(r"^(Building configuration.*|Current configuration :.*|! Last configuration change at.*|"
                            r"! NVRAM config last updated at.*)$", re.M)


class NapalmIos(NapalmDouble):
    """One IOS router behind NAPALM's ios driver, as the adapter uses it for config work: ``get_config``
    (running or startup, filtered as napalm filters), replace and rollback (exact on IOS; both end in
    napalm's own ``write memory``, as napalm ios does), and napalm's netmiko session as ``device``,
    answering ``write memory`` with the texts of fixtures/ios (write_memory*.txt)."""

    def __init__(self, running: str, startup: str | None = None) -> None:
        self.running, self.startup = running, running if startup is None else startup
        self.calls: list[str] = []
        self.sent: list[str] = []  # on the netmiko session
        self.device = self
        self.privileged, self.nvram_question, self.replace_leaves = True, False, ""
        self._candidate = self._rollback_cfg = ""
        self._asking = False

    def get_config(self, retrieve: str = "all") -> dict:
        text = self.startup if retrieve == "startup" else self.running
        return {retrieve: _NAPALM_FILTER.sub("", text).strip()}

    def load_replace_candidate(self, config: str) -> None:
        self.calls.append(f"load_replace_candidate {config.splitlines()[0]}")
        self._candidate = config

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self.calls.append("commit_config")
        self._rollback_cfg = self.running
        self.running = self.startup = self._candidate + self.replace_leaves

    def rollback(self) -> None:
        self.calls.append("rollback")
        self.running = self.startup = self._rollback_cfg + self.replace_leaves

    # netmiko's send_command on the session: the echo, the answer, the prompt (or the question)
    def send_command(self, text: str, expect_string: str = "", **kwargs: object) -> str:
        self.sent.append(text)
        if self._asking:
            self._asking = False
            return f"{text}\n{self._written()}\nexample-egress1#"
        if text != "write memory" or not self.privileged:
            return f"{text}\n{sample('write_memory_user_exec.txt')}\nexample-egress1>"
        if self.nvram_question:
            self._asking = True
            return f"{text}\n{sample('write_memory_confirm.txt').rstrip()}"
        return f"{text}\n{self._written()}\nexample-egress1#"

    def _written(self) -> str:
        self.startup = self.running
        return sample("write_memory.txt").rstrip()


def _ios(monkeypatch: pytest.MonkeyPatch, device: NapalmIos) -> NapalmAdapter:
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    dev = NapalmAdapter(DeviceTarget(node="example-egress1", platform="ios", host="2001:db8:fffd::13",
                                     credentials="env:GOVCTL_T_PW"), driver_class=device)
    dev.open()
    return dev


def test_ios_configs_differing_only_in_what_changes_by_itself_are_the_same():
    # headers, change/save timestamps and NTP's clock-period differ between the two outputs
    assert "ntp clock-period 17179912" in RUNNING and "ntp clock-period 17179869" in STARTUP
    assert ios_cli.config_lines(RUNNING) == ios_cli.config_lines(STARTUP)
    assert ios_cli.drift(RUNNING, STARTUP) == ""


def test_ios_running_drift_names_missing_and_extra_lines_under_their_parents(monkeypatch):
    changed = (RUNNING.replace("  neighbor 2001:DB8:FFFF::11 activate\n", "")
               .replace("ipv6 route 2001:DB8::/32 Null0\n",
                        "ipv6 route 2001:DB8::/32 Null0\nipv6 route 2001:DB8:300::/40 Null0\n")
               .replace("ntp clock-period 17179912", "ntp clock-period 17179999"))
    dev = _ios(monkeypatch, NapalmIos(changed))
    assert dev.running_drift(RUNNING) == (
        "  router bgp 64512\n"
        "   address-family ipv6\n"
        "-   neighbor 2001:DB8:FFFF::11 activate\n"
        "+ ipv6 route 2001:DB8:300::/40 Null0\n")
    same = _ios(monkeypatch, NapalmIos(RUNNING.replace("ntp clock-period 17179912", "ntp clock-period 17179999")))
    assert same.running_drift(RUNNING) == ""
    assert same.running_drift(same.get_config()) == ""  # napalm's filtered text, as the journal saves it


def test_ios_startup_drift_reads_the_startup_config_and_write_memory_saves_it(monkeypatch):
    before = RUNNING.replace(" ipv6 ospf network point-to-point\n", "")
    box = NapalmIos(RUNNING, startup=STARTUP.replace(" ipv6 ospf network point-to-point\n", ""))
    dev = _ios(monkeypatch, box)
    assert dev.startup_drift(before) == ""  # the startup config still holds the config before the push
    assert dev.startup_drift(RUNNING) == (
        "  interface GigabitEthernet0/1\n"
        "-  ipv6 ospf network point-to-point\n"
        "  interface GigabitEthernet0/2\n"
        "-  ipv6 ospf network point-to-point\n")
    dev.save_config()
    assert box.sent == ["write memory"]
    assert dev.startup_drift(RUNNING) == ""


def test_ios_write_memory_confirms_overwriting_an_nvram_config_of_another_image(monkeypatch):
    box = NapalmIos(RUNNING, startup="")
    box.nvram_question = True
    dev = _ios(monkeypatch, box)
    dev.save_config()
    assert box.sent == ["write memory", ""]  # Enter answers "[confirm]"
    assert dev.startup_drift(RUNNING) == ""


def test_ios_write_memory_the_device_refuses_fails_loudly(monkeypatch):
    box = NapalmIos(RUNNING, startup="")
    box.privileged = False
    dev = _ios(monkeypatch, box)
    with pytest.raises(DeviceError, match=r"example-egress1: save: `write memory` did not save the running config as "
                                          r"the startup configuration: % Invalid input detected at '\^' marker\."):
        dev.save_config()
    assert box.startup == ""


def test_ios_restore_uses_napalms_rollback_after_a_commit_and_configure_replace_in_a_later_session(monkeypatch):
    same = NapalmIos("hostname before\n")
    dev = _ios(monkeypatch, same)
    dev.load_replace_candidate("hostname example-egress1\n")
    dev.commit_config()
    dev.restore("hostname before\n")
    assert same.calls == ["load_replace_candidate hostname example-egress1", "commit_config", "rollback"]
    assert same.running == same.startup == "hostname before\n"
    later = NapalmIos("hostname example-egress1\n")
    dev = _ios(monkeypatch, later)
    dev.restore("hostname before\n")
    assert later.calls == ["load_replace_candidate hostname before", "commit_config"]
    assert later.sent == []  # napalm's own write memory saved it: startup_drift shows nothing to save


def test_ios_restore_of_a_device_already_running_the_config_only_saves_it(monkeypatch):
    box = NapalmIos(RUNNING, startup="")
    dev = _ios(monkeypatch, box)
    dev.restore(RUNNING)
    assert box.calls == [] and box.sent == ["write memory"]
    assert dev.startup_drift(RUNNING) == ""


def test_ios_restore_that_does_not_reach_the_config_fails(monkeypatch):
    box = NapalmIos(RUNNING)
    box.replace_leaves = "ipv6 route 2001:DB8:300::/40 Null0\n"  # e.g. a line configure replace could not remove
    dev = _ios(monkeypatch, box)
    before = RUNNING.replace(" ipv6 ospf network point-to-point\n", "")
    with pytest.raises(DeviceError, match="example-egress1: rollback: after `configure replace` the running config "
                                          "still differs from the saved one:\n\\+ ipv6 route 2001:DB8:300::/40 Null0"):
        dev.restore(before)
