"""Cisco IOS verification getters: show-command output (fixtures/ios, Cisco's layouts) -> getter shapes,
and verify's checks through the NAPALM adapter on an ios node.

No IOS device exists here: NAPALM's ios driver is replaced by a double whose ``cli()`` answers with the
fixture text. What is proven is the parsing and the verdicts built on it, not the SSH session."""
from __future__ import annotations


import pytest
from net_helpers import fixture, vendor_sample

from govctl.network.drivers import ios_cli
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.errors import DeviceError
from govctl.network.intent import build
from govctl.network.models import DeviceTarget
from govctl.network.verify import device_checks



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
    from govctl.network.drivers.ios_cli import _textfsm

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
    from govctl.network.drivers.ios_cli import _textfsm

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
    from govctl.network.drivers.ios_cli import _textfsm

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


class IosCliDouble:
    """NAPALM ios's surface as the adapter uses it for verification: ``cli()`` answers with
    Cisco-format text per command (a ping fails toward ``unreachable``); ``get_interfaces_ip``
    returns NAPALM's shape."""

    def __init__(self, outputs: dict[str, str], addresses: dict[str, list[str]], unreachable: set[str]) -> None:
        self.outputs, self.addresses, self.unreachable, self.commands = outputs, addresses, unreachable, []

    def __call__(self, host, username, password, timeout=60, optional_args=None):  # noqa: ANN001,ANN204
        return self

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

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
    from govctl.network.render import port_name

    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    inv, plan = fixture()
    intents = build(inv, plan)
    me = intents["example-egress1"]
    assert me.platform == "ios"
    addresses = {port_name("ios", i.port): [i.ipv6] for i in me.interfaces if i.ipv6}
    double = IosCliDouble(outputs, addresses, set(unreachable))
    dev = NapalmAdapter(DeviceTarget(node="example-egress1", platform="ios", host="2001:db8:fffd::13",
                                     credentials="env:GOVCTL_T_PW"), driver_class=double)
    dev.open()
    return device_checks(dev, me, intents, {"example-core1", "example-core2"}, "ios"), double


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


class NapalmIosConfig:
    """NAPALM ios's config surface, recording the calls (its replace/rollback are exact on IOS)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, host, username, password, timeout=60, optional_args=None):  # noqa: ANN001,ANN204
        return self

    def open(self) -> None:
        pass

    def load_replace_candidate(self, config: str) -> None:
        self.calls.append(f"load_replace_candidate {config.splitlines()[0]}")

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        self.calls.append("commit_config")

    def rollback(self) -> None:
        self.calls.append("rollback")


def test_ios_restore_uses_napalms_rollback_after_a_commit_and_configure_replace_in_a_later_session(monkeypatch):
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    target = DeviceTarget(node="example-egress1", platform="ios", host="2001:db8:fffd::13", credentials="env:GOVCTL_T_PW")
    same = NapalmIosConfig()
    dev = NapalmAdapter(target, driver_class=same)
    dev.open()
    dev.load_replace_candidate("hostname example-egress1\n")
    dev.commit_config()
    dev.restore("hostname before\n")
    assert same.calls == ["load_replace_candidate hostname example-egress1", "commit_config", "rollback"]
    later = NapalmIosConfig()
    dev = NapalmAdapter(target, driver_class=later)
    dev.open()
    dev.restore("hostname before\n")
    assert later.calls == ["load_replace_candidate hostname before", "commit_config"]
