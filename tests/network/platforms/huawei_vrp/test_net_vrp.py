"""Huawei VRP verification getters: show-command output (fixtures/vrp, real layouts) -> getter shapes,
and verify's checks through the NAPALM adapter on a huawei_vrp node.

No VRP device exists here: the NAPALM driver is replaced by a double whose ``cli()`` answers with the
fixture text. What is proven is the parsing and the verdicts built on it, not the SSH session."""
from __future__ import annotations


import pytest
from goldens import check_golden
from net_helpers import CheckpointSession, NapalmDouble, checks_through_napalm, cut_out, vendor_sample

from govctl.network.platforms import PLATFORMS, blocks
from govctl.network.platforms.huawei_vrp import cli as vrp_cli
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget



def sample(name: str) -> str:
    return vendor_sample("vrp", name)


def test_ospfv3_peers_of_two_areas_with_abbreviated_interface_names():
    nbrs = vrp_cli.parse_ospfv3_peer(sample("ospfv3_peer_abr.txt"))
    assert [(n.router_id, n.state, n.interface) for n in nbrs] == [
        ("198.51.100.1", "Full", "GigabitEthernet0/0/1"),
        ("198.51.100.4", "Full", "GigabitEthernet0/0/3"),
        ("198.51.100.3", "Full", "GigabitEthernet0/0/2")]


def test_ospfv3_states_other_than_full_and_second_process_are_kept_as_they_are():
    nbrs = vrp_cli.parse_ospfv3_peer(sample("ospfv3_peer_mixed.txt"))
    assert [(n.router_id, n.state, n.interface) for n in nbrs] == [
        ("198.51.100.2", "2-Way", "GigabitEthernet0/0/1"),
        ("198.51.100.3", "Full", "GigabitEthernet0/0/2"),
        ("198.51.100.4", "Full", "GigabitEthernet0/0/3"),  # "Full/ -": point-to-point, no DR role
        ("198.51.100.5", "ExStart", "100GE1/0/2"),
        ("203.0.113.2", "Full", "100GE1/0/1")]


@pytest.mark.parametrize("raw,name", [("GE0/0/1", "GigabitEthernet0/0/1"), ("XGE1/0/2", "XGigabitEthernet1/0/2"),
                                      ("gigabitethernet 0/2/0", "GigabitEthernet0/2/0"),
                                      ("100GE1/0/1", "100GE1/0/1"), ("Eth-Trunk1", "Eth-Trunk1"),
                                      ("Vlanif100", "Vlanif100"), ("LoopBack0", "LoopBack0")])
def test_interface_names_become_the_configurations_names(raw, name):
    assert vrp_cli.interface_name(raw) == name


def test_ospfv3_output_that_is_not_a_peer_table_is_an_error_not_an_empty_list():
    with pytest.raises(vrp_cli.VrpParseError, match='unexpected line "Error: Unrecognized command'):
        vrp_cli.parse_ospfv3_peer("Error: Unrecognized command found at '^' position.\n")
    with pytest.raises(vrp_cli.VrpParseError, match="unknown neighbour state 'Fulll'"):
        vrp_cli.parse_ospfv3_peer("OSPFv3 Area (0.0.0.0)\n198.51.100.1 1 Fulll/DR 00:00:35 GE0/0/1 0\n")
    assert vrp_cli.parse_ospfv3_peer("") == []


def test_ipv6_routes_normalised_with_their_protocols():
    routes = vrp_cli.parse_ipv6_routing_table(sample("ipv6_routing_table.txt"))
    assert routes == {
        "2001:db8:ffff::1/128": "Direct", "2001:db8:fffe::/127": "Direct",
        "2001:db8:ffff::2/128": "OSPFv3", "2001:db8:ffff::a/128": "OSPFv3",
        "2001:db8:10::/48": "IBGP", "2001:db8:7::/64": "OSPFv3ASE", "fe80::/10": "Direct"}


def test_verbose_table_keeps_only_active_routes():
    routes = vrp_cli.parse_ipv6_routing_table(sample("ipv6_routing_table_verbose.txt"))
    # the Inactive ISIS copy does not override the Active OSPFv3 route; an Inactive-only prefix is absent
    assert routes == {"2001:db8:20::/64": "OSPFv3"}


def test_a_route_block_lost_in_transit_is_caught_by_the_route_count():
    text = cut_out(sample("ipv6_routing_table.txt"), " Destination  : 2001:DB8:FFFF::A", " Destination  : 2001:DB8:10::")
    with pytest.raises(vrp_cli.VrpParseError, match="announces 7 routes, 6 were read"):
        vrp_cli.parse_ipv6_routing_table(text)


def test_bgp_ipv6_peers_through_the_ntc_template_with_asdot_and_idle_states():
    peers = vrp_cli.parse_bgp_peer(sample("bgp_ipv6_peer.txt"))
    assert [(p.address, p.remote_as, p.state, p.prefixes_received) for p in peers] == [
        ("2001:db8:ffff::1", 65011 * 65536 + 21541, "Established", 6),
        ("2001:db8:ffff::2", 65011 * 65536 + 21531, "Established", 8),
        ("2001:db8:ffff::3", 65011 * 65536 + 21531, "Active", 0),
        ("2001:db8:ffff::4", 65011 * 65536 + 21531, "OpenSent", 0)]
    doc = vrp_cli.parse_bgp_peer(sample("bgp_ipv6_peer_doc.txt"))
    assert [(p.address, p.remote_as, p.state) for p in doc] == [("2001:db8:2001::1", 64512, "Established")]
    with pytest.raises(vrp_cli.VrpParseError):
        vrp_cli.parse_bgp_peer("Error: Unrecognized command found at '^' position.\n")


def test_ping_reply_and_loss():
    assert vrp_cli.parse_ping(sample("ping_ipv6_ok.txt")) is True
    assert vrp_cli.parse_ping(sample("ping_ipv6_lost.txt")) is False
    assert vrp_cli.ping_command("2001:db8:ffff::e", "2001:db8:ffff::10") == \
        "ping ipv6 -c 2 -a 2001:db8:ffff::e 2001:db8:ffff::10"


class VrpCliDouble(NapalmDouble):
    """napalm-huawei-vrp's surface as the adapter uses it for verification: ``cli()`` answers with
    captured-format text per command; ``get_interfaces_ip`` returns NAPALM's shape."""

    def __init__(self, outputs: dict[str, str], addresses: dict[str, list[str]]) -> None:
        self.outputs, self.addresses, self.commands = outputs, addresses, []

    def cli(self, commands: list[str]) -> dict[str, str]:
        self.commands.extend(commands)
        out = {}
        for c in commands:
            if c.startswith("ping ipv6"):
                out[c] = sample("ping_ipv6_ok.txt")
            else:
                out[c] = self.outputs[c]
        return out

    def get_interfaces_ip(self) -> dict:
        return {name: {"ipv6": {a.split("/")[0]: {"prefix_length": int(a.split("/")[1])} for a in addrs}}
                for name, addrs in self.addresses.items()}


def _beta_r1(monkeypatch: pytest.MonkeyPatch, outputs: dict[str, str]) -> tuple[list, VrpCliDouble]:
    # addresses as napalm-huawei-vrp reports them: VRP's upper-case spelling
    return checks_through_napalm(monkeypatch, "beta-r1", "huawei_vrp", "2001:db8:fffd::e",
                                 {"example-core1", "example-core2", "beta-north-r1"},
                                 lambda addresses: VrpCliDouble(outputs, addresses), str.upper)


def _outputs() -> dict[str, str]:
    return {vrp_cli.OSPFV3_PEER: sample("beta-r1/display_ospfv3_peer.txt"),
            vrp_cli.IPV6_ROUTES: sample("beta-r1/display_ipv6_routing-table.txt"),
            vrp_cli.BGP_IPV6_PEER: sample("beta-r1/display_bgp_ipv6_peer.txt")}


def test_verify_passes_on_a_converged_vrp_abr(monkeypatch):
    checks, double = _beta_r1(monkeypatch, _outputs())
    assert [(c.name, c.ok) for c in checks] == [
        ("ipv6-addresses", True), ("ospfv3-full", True), ("ipv6-routes", True),
        ("bgp-sessions", True), ("ping6-loopbacks", True)], checks
    assert "ping ipv6 -c 2 -a 2001:db8:ffff::e 2001:db8:ffff::10" in double.commands


def test_verify_names_the_link_whose_neighbour_is_not_full(monkeypatch):
    out = _outputs()
    out[vrp_cli.OSPFV3_PEER] = out[vrp_cli.OSPFV3_PEER].replace("0.0.0.11           1 Full/ -",
                                                                "0.0.0.11           1 Loading/ -")
    checks, _ = _beta_r1(monkeypatch, out)
    ospf = next(c for c in checks if c.name == "ospfv3-full")
    assert not ospf.ok and ospf.detail == "not Full: GigabitEthernet0/0/3 (beta-north-r1)"


def test_verify_names_the_missing_loopback_and_the_idle_session(monkeypatch):
    out = _outputs()
    rib = out[vrp_cli.IPV6_ROUTES]
    start = rib.index(" Destination  : 2001:DB8:FFFF::B")
    out[vrp_cli.IPV6_ROUTES] = rib[:start].replace("Destinations : 4        Routes : 4",
                                                   "Destinations : 3        Routes : 3")
    out[vrp_cli.BGP_IPV6_PEER] = out[vrp_cli.BGP_IPV6_PEER].replace("0 00:52:11 Established      12",
                                                                    "0 00:00:11      Active       0")
    checks, _ = _beta_r1(monkeypatch, out)
    by = {c.name: c for c in checks}
    assert not by["ipv6-routes"].ok and by["ipv6-routes"].detail == "no route to loopback of beta-north-r1"
    assert not by["bgp-sessions"].ok and by["bgp-sessions"].detail == "not Established: 2001:db8:ffff::11 (Active)"
    assert not by["ping6-loopbacks"].ok  # not attempted while routes are missing


def test_unparsable_output_is_a_per_device_verify_error(monkeypatch):
    out = _outputs()
    out[vrp_cli.OSPFV3_PEER] = "Error: Unrecognized command found at '^' position.\n"
    with pytest.raises(DeviceError, match="beta-r1: verify: cannot parse 'display ospfv3 peer' output"):
        _beta_r1(monkeypatch, out)


# ------------------------------------------------------------ push: the merge the adapter computes


class NapalmVrpDouble(NapalmDouble):
    """napalm-huawei-vrp's config surface: a running config, a merge buffer, a commit."""

    def __init__(self, running: str) -> None:
        self.running, self.buffer, self.commits = running, "", []
        self.device = CheckpointSession()

    def get_config(self, retrieve: str = "all") -> dict:
        return {"running": self.running}

    def discard_config(self) -> None:
        self.buffer = ""

    def load_merge_candidate(self, config: str) -> None:
        self.buffer += "\n" + config  # napalm-huawei-vrp appends, as this double does

    def commit_config(self) -> None:
        self.commits.append(self.buffer.strip("\n"))


def _vrp_adapter(monkeypatch: pytest.MonkeyPatch, running: str) -> tuple[NapalmAdapter, NapalmVrpDouble]:
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    double = NapalmVrpDouble(running)
    dev = NapalmAdapter(DeviceTarget(node="alpha-west-town01-r1", platform="huawei_vrp", host="2001:db8:fffd::8",
                                     credentials="env:GOVCTL_T_PW"), driver_class=double)
    dev.open()
    return dev, double


def test_vrp_push_hands_napalm_only_the_missing_lines_with_their_views(monkeypatch):
    from net_helpers import GOLDEN

    intended = (GOLDEN / "huawei_vrp" / "alpha-west-town01-r1.cfg").read_text()
    dev, napalm = _vrp_adapter(monkeypatch, sample("running/ipv4-only.txt"))
    dev.load_replace_candidate(intended)
    diff = dev.compare_config()
    dev.commit_config()
    text = diff + "# sent by napalm-huawei-vrp in system view\n" + "\n".join(napalm.commits) + "\n"
    path = GOLDEN / "vrp_push" / "alpha-west-town01-r1.ipv4-only.txt"
    check_golden(path, text)
    # the line-per-line diff of napalm-huawei-vrp would have found "ospfv3 1 area 0.0.0.1" under
    # LoopBack0 and skipped it under GigabitEthernet0/0/1; per view it is sent for both
    assert napalm.commits[0].count("ospfv3 1 area 0.0.0.1") == 2


def test_vrp_push_again_changes_nothing(monkeypatch):
    from net_helpers import GOLDEN

    intended = (GOLDEN / "huawei_vrp" / "alpha-west-town01-r1.cfg").read_text()
    # VRP shows upper-case addresses and no default timers: still nothing to do
    dev, napalm = _vrp_adapter(monkeypatch, sample("running/converged.txt"))
    dev.load_replace_candidate(intended)
    assert dev.compare_config() == ""
    dev.commit_config()
    assert napalm.commits == []
    assert blocks.remediation(sample("running/converged.txt"), intended, "merge", PLATFORMS["huawei_vrp"]) == []
