"""H3C Comware: the remediation and the command sequences of a push (golden files), the getters'
parsers, and the crash-recovery surface (running/startup drift, ``save force``, ``restore``'s proof)
against a double of the netmiko session. No Comware device exists here: what is proven is the diff,
the CLI lines govctl would type and the reading of documented output layouts, not a session with a device.

Regenerate the golden files after an intended change with GOVCTL_UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from goldens import check_golden
from net_helpers import GOLDEN, cut_out, vendor_sample

from govctl.network.platforms.h3c_comware import cli
from govctl.network.platforms.h3c_comware import config as cfg
from govctl.network.platforms.h3c_comware.driver import ComwareDriver, prompt_answer
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget

INTENDED = (GOLDEN / "h3c_comware" / "alpha-west-town01-r1.cfg").read_text()
CHECKPOINT = cfg.checkpoint_name("alpha-west-town01-r1", "20261125T180000")


def sample(name: str) -> str:
    return vendor_sample("comware", name)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / "comware_push" / name
    check_golden(path, text)


@pytest.mark.parametrize(("running", "mode", "revert_in"), [
    ("ipv4-only", "merge", None), ("ipv4-only", "replace", 300),
    ("lab-timers", "merge", None), ("lab-timers", "replace", None),
    ("shutdown", "replace", 90),
])
def test_push_golden(running: str, mode: cfg.Mode, revert_in: int | None):
    changes = cfg.remediation(sample(f"running/{running}.txt"), INTENDED, mode)
    text = ("# diff\n" + cfg.diff_text(changes) + cfg.transcript(changes, CHECKPOINT, revert_in))
    _golden(f"alpha-west-town01-r1.{running}.{mode}.txt", text)


@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_a_converged_device_needs_nothing(mode: cfg.Mode):
    # upper-case addresses, one-space global indent, default timers and "undo shutdown" not shown
    assert cfg.remediation(sample("running/converged.txt"), INTENDED, mode) == []


def test_replace_never_removes_what_the_rollout_does_not_own():
    changes = cfg.remediation(sample("running/ipv4-only.txt"), INTENDED, "replace")
    removed = [c.shown for c in changes if c.sign == "-"]
    assert removed == []  # IPv4 addresses, OSPFv2, the IPv4 peer, AAA, ssh: all kept
    added = {c.command for c in changes if c.sign == "+"}
    assert "ipv6 address 2001:db8:fffe::19/127" in added and "undo shutdown" not in added


def test_replace_removes_stale_rollout_lines_and_overwrites_values():
    changes = cfg.remediation(sample("running/lab-timers.txt"), INTENDED, "replace")
    assert [(c.depth, c.command, c.sign) for c in changes] == [
        (0, "undo ipv6 prefix-list DEPT-VPN-V6 index 20", "-"),
        (0, "interface GigabitEthernet1/0/1", " "),
        (1, "ospfv3 timer hello 10", "+"),  # overwrites hello 1: no undo first
        (1, "ospfv3 timer dead 40", "+"),
        (0, "bgp 64512", " "),
        (1, "undo timer keepalive", "-"),
        (1, "undo peer 2001:db8:ffff::10 timer connect-retry", "-")]
    assert cfg.commands(changes)[-3:] == ["undo timer keepalive",
                                          "undo peer 2001:db8:ffff::10 timer connect-retry", "quit"]


def test_views_are_entered_and_left_in_order():
    changes = cfg.remediation("", "bgp 1\n peer 2001:db8::1 as-number 1\n address-family ipv6 unicast\n"
                                  "  peer 2001:db8::1 enable\n#\ninterface LoopBack0\n ipv6 address 2001:db8::1/128\n", "merge")
    assert cfg.commands(changes) == [
        "bgp 1", "peer 2001:db8::1 as-number 1", "address-family ipv6 unicast", "peer 2001:db8::1 enable",
        "quit", "quit", "interface LoopBack0", "ipv6 address 2001:db8::1/128", "quit"]
    # "area X" opens the OSPFv3 area view even with nothing under it: leave it before the next command
    ospf = cfg.remediation("", "ospfv3 1\n router-id 0.0.0.8\n area 0.0.0.1\n#\nipv6 route-static 2001:db8:: 40 NULL0\n")
    assert cfg.commands(ospf) == ["ospfv3 1", "router-id 0.0.0.8", "area 0.0.0.1", "quit", "quit",
                                  "ipv6 route-static 2001:db8:: 40 NULL0"]


def test_commit_delay_is_whole_minutes_and_only_with_revert():
    assert cfg.commit_sequence([], 61)[0] == "configuration commit delay 2"
    assert cfg.commit_sequence([], 30)[0] == "configuration commit delay 1"
    assert cfg.commit_sequence([]) == []


def test_same_config_ignores_spelling_but_not_content():
    conv = sample("running/converged.txt")
    assert cfg.same_config(conv, conv.replace("2001:DB8:FFFE::19/127", "2001:db8:fffe::19/127").replace("#\n", "#\n\n"))
    assert not cfg.same_config(conv, conv.replace(" ospfv3 network-type p2p\n", ""))


def test_checkpoints_of_this_node_newest_first():
    listing = """Directory of flash:
   0 -rw-        4537 Nov 25 2026 18:00:02   govctl-alpha-west-town01-r1-20261125T180000.cfg
   1 -rw-        4102 Nov 24 2026 09:12:40   govctl-alpha-west-town01-r1-20261124T091240.cfg
   2 -rw-        4390 Nov 25 2026 18:00:05   govctl-xalpha-west-town01-r1-20261125T180003.cfg
   3 -rw-        4390 Nov 25 2026 18:00:05   govctl-alpha-west-town01-r12-20261125T180003.cfg
   4 -rw-       12034 Jan 02 2026 10:01:00   startup.cfg

1046512 KB total (824356 KB free)
"""
    assert cfg.checkpoint_files(listing, "alpha-west-town01-r1") == [
        "flash:/govctl-alpha-west-town01-r1-20261125T180000.cfg",
        "flash:/govctl-alpha-west-town01-r1-20261124T091240.cfg"]


def test_refused_lines_and_prompts():
    out = ("[alpha-west-town01-r1-GigabitEthernet1/0/1]ospfv3 timer hello 99999999999\n"
           "                                                      ^\n % Wrong parameter found at '^' position.\n")
    assert cfg.refused(out) == ["% Wrong parameter found at '^' position."]
    assert cfg.refused("[x]ipv6 address 2001:db8::1/64\n[x]") == []
    assert prompt_answer("The current configuration will be written to flash:/govctl-x.cfg. Continue? [Y/N]:") == "Y"
    assert prompt_answer("Current configuration will be lost, save current configuration? [Y/N]:") == "N"
    assert prompt_answer("Configuration is saved to device successfully.\n<alpha>") is None


# ------------------------------------------------------------ getters' parsers


def test_ospfv3_peers_with_states_and_abbreviated_names():
    nbrs = cli.parse_ospfv3_peer(sample("ospfv3_peer.txt"))
    assert [(n.router_id, n.state, n.interface) for n in nbrs] == [
        ("0.0.0.16", "Full", "GigabitEthernet1/0/2"), ("0.0.0.17", "Full", "GigabitEthernet1/0/3"),
        ("0.0.0.7", "Full", "GigabitEthernet1/0/4"), ("0.0.0.9", "ExStart", "GigabitEthernet1/0/5"),
        ("198.51.100.2", "2-Way", "Vlan-interface10"), ("198.51.100.3", "Full", "Ten-GigabitEthernet1/0/49")]
    with pytest.raises(cli.ComwareParseError, match="unexpected line"):
        cli.parse_ospfv3_peer("% Unrecognized command found at '^' position.\n")


def test_ipv6_routes_and_their_count():
    text = sample("ipv6_routing_table.txt")
    assert cli.parse_ipv6_routing_table(text) == {
        "::1/128": "Direct", "2001:db8:ffff::8/128": "Direct", "2001:db8:ffff::10/128": "O_INTRA",
        "2001:db8:10::/52": "Static", "fe80::/10": "Direct"}
    lost = cut_out(text, "Destination: 2001:DB8:FFFF::10/128", "Destination: 2001:DB8:10::/52")
    with pytest.raises(cli.ComwareParseError, match="announces 5 routes, 4 were read"):
        cli.parse_ipv6_routing_table(lost)


def test_bgp_ipv6_peers_and_ping():
    peers = cli.parse_bgp_peer(sample("bgp_peer_ipv6.txt"))
    assert [(p.address, p.remote_as, p.state, p.prefixes_received) for p in peers] == [
        ("2001:db8:ffff::10", 64512, "Established", 14), ("2001:db8:ffff::11", 64512, "Connect", 0)]
    assert cli.parse_ping(sample("ping_ipv6_ok.txt")) is True
    assert cli.parse_ping(sample("ping_ipv6_lost.txt")) is False


def test_addresses_as_configured():
    ips = cli.interfaces_ip(sample("running/converged.txt"))
    assert ips["GigabitEthernet1/0/1"] == {"ipv4": ["198.51.100.25/31"], "ipv6": ["2001:db8:fffe::19/127"]}
    assert ips["LoopBack0"]["ipv6"] == ["2001:db8:ffff::8/128"]


# ------------------------------------------------------------ the session's safety settings


def test_host_keys_are_verified_and_auth_failure_is_per_device(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    seen: dict = {}

    class AuthFailed(Exception):
        pass

    AuthFailed.__name__ = "NetmikoAuthenticationException"

    def connect(**kwargs):  # noqa: ANN003, ANN202
        seen.update(kwargs)
        raise AuthFailed("Authentication to device failed.")

    kh = tmp_path / "known_hosts"
    dev = ComwareDriver(DeviceTarget(node="alpha-east-r1", platform="h3c_comware", host="2001:db8:fffd::7",
                                     credentials="env:GOVCTL_T_PW", known_hosts=str(kh)), connect=connect)
    with pytest.raises(DeviceError, match="alpha-east-r1: connect: authentication failed"):
        dev.open()
    assert seen["device_type"] == "hp_comware" and seen["ssh_strict"] is True
    assert (seen["alt_host_keys"], seen["alt_key_file"], seen["system_host_keys"]) == (True, str(kh), False)


# ------------------------------------------------------------ startup configuration, drift, restore


class ComwareSession:
    """netmiko's hp_comware session on one Comware V7 device, across sessions: the running config, the
    saved (next-startup) config and the files on flash; ``save force`` and ``configuration replace
    file`` answered with the texts of fixtures/comware (save_force*.txt, replace_file.txt)."""

    def __init__(self, running: str, saved: str | None = None, files: dict[str, str] | None = None) -> None:
        self.running, self.saved = running, running if saved is None else saved
        self.files = dict(files or {})
        self.save_answer = sample("save_force.txt")
        self.replace_leaves = ""  # what `configuration replace file` fails to remove
        self.sent: list[str] = []
        self._replacing = ""

    def send_command(self, command: str, **kwargs: object) -> str:
        self.sent.append(command)
        if command == cli.RUNNING:
            return self.running
        if command == cfg.SAVED_CONFIG:
            return self.saved
        if command == f"dir {cfg.CHECKPOINT_DIR}":
            rows = "".join(f"   {i} -rw-        {len(t)} Nov 25 2026 18:00:02   {n.split('/')[-1]}\n"
                           for i, (n, t) in enumerate(sorted(self.files.items())))
            return f"Directory of flash:\n{rows}\n1046512 KB total (824356 KB free)\n"
        if command.startswith("more ") and command[5:] in self.files:
            return self.files[command[5:]]
        return "                  ^\n % Unrecognized command found at '^' position.\n"

    def send_command_timing(self, command: str, **kwargs: object) -> str:
        self.sent.append(command)
        if command == cfg.SAVE_STARTUP:
            if "successfully" in self.save_answer:
                self.saved = self.running
            return self.save_answer
        question, done = sample("replace_file.txt").split("\nN\n")
        if command.startswith("configuration replace file "):
            self._replacing = command.split()[-1]
            return question
        if command == "N" and self._replacing:
            self.running = self.files[self._replacing].replace("\nreturn", f"\n{self.replace_leaves}return")
            name, self._replacing = self._replacing, ""
            return done.replace("FILE", name)
        return "                  ^\n % Unrecognized command found at '^' position.\n"

    def config_mode(self) -> str:
        self.sent.append("system-view")
        return ""

    def exit_config_mode(self) -> str:
        self.sent.append("return")
        return ""

    def disconnect(self) -> None:
        pass


BEFORE, AFTER = sample("running/ipv4-only.txt"), sample("running/converged.txt")
NODE = "alpha-west-town01-r1"


def _comware(monkeypatch: pytest.MonkeyPatch, session: ComwareSession) -> ComwareDriver:
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    dev = ComwareDriver(DeviceTarget(node=NODE, platform="h3c_comware", host="2001:db8:fffd::8",
                                     credentials="env:GOVCTL_T_PW"), connect=lambda **kwargs: session)
    dev.open()
    return dev


def test_running_drift_is_empty_on_the_same_config_and_names_the_lines_otherwise(monkeypatch):
    box = ComwareSession(AFTER.replace("2001:DB8:FFFE::19/127", "2001:db8:fffe::19/127").replace("#\n", "#\n\n"))
    dev = _comware(monkeypatch, box)
    assert dev.running_drift(AFTER) == ""  # address spelling, blank lines and '#' aside
    box.running = (AFTER.replace(" ospfv3 network-type p2p\n", "")
                   .replace(" ssh server enable\n", " ssh server enable\n telnet server enable\n"))
    assert dev.running_drift(AFTER) == ("  interface GigabitEthernet1/0/1\n"
                                        "-  ospfv3 network-type p2p\n"
                                        "+ telnet server enable\n")


def test_startup_drift_reads_the_saved_configuration_and_save_force_writes_it(monkeypatch):
    box = ComwareSession(AFTER, saved=BEFORE)  # the commit never saves: the startup config is the old one
    dev = _comware(monkeypatch, box)
    assert dev.startup_drift(BEFORE) == ""
    assert dev.startup_drift(AFTER) == cfg.drift(AFTER, BEFORE)
    assert dev.startup_drift(AFTER).startswith("- ipv6 prefix-list DEPT-VPN-V6 index 10 deny 2001:db8:ff00:: 56")
    dev.save_config()
    assert box.sent[-1] == "save force" and box.saved == AFTER
    assert dev.startup_drift(AFTER) == ""


def test_save_the_device_refuses_fails_loudly(monkeypatch):
    box = ComwareSession(AFTER, saved=BEFORE)
    box.save_answer = sample("save_force_denied.txt")
    dev = _comware(monkeypatch, box)
    with pytest.raises(DeviceError, match=f"{NODE}: save: `save force` did not save the running config as the "
                                          "startup configuration: Permission denied."):
        dev.save_config()
    assert box.saved == BEFORE
    assert not cfg.saved("Validating file. Please wait...\nFailed to save the current configuration successfully.\n")


def test_restore_from_a_later_session_replaces_proves_and_saves(monkeypatch):
    older = cfg.checkpoint_name(NODE, "20261124T091240")
    box = ComwareSession(AFTER, saved=AFTER, files={CHECKPOINT: BEFORE, older: AFTER})
    dev = _comware(monkeypatch, box)
    dev.restore(BEFORE)
    assert box.running == BEFORE and box.saved == BEFORE
    assert box.sent == [cli.RUNNING, "dir flash:/", f"more {CHECKPOINT}", "system-view",
                        f"configuration replace file {CHECKPOINT}", "N", "return", cli.RUNNING, "save force"]


def test_restore_of_a_device_already_running_the_saved_config_only_saves_it(monkeypatch):
    box = ComwareSession(BEFORE, saved=AFTER)
    dev = _comware(monkeypatch, box)
    dev.restore(BEFORE)
    assert box.sent == [cli.RUNNING, "save force"] and box.saved == BEFORE


def test_a_replace_that_leaves_lines_fails_and_saves_nothing(monkeypatch):
    box = ComwareSession(AFTER, saved=AFTER, files={CHECKPOINT: BEFORE})
    box.replace_leaves = " ipv6 route-static 2001:DB8:10:: 52 NULL0\n#\n"
    dev = _comware(monkeypatch, box)
    with pytest.raises(DeviceError, match=f"{NODE}: rollback: after `configuration replace file {CHECKPOINT}` the "
                                          "running config still differs from the checkpoint:\n"
                                          r"\+ ipv6 route-static 2001:db8:10:: 52 NULL0"):
        dev.restore(BEFORE)
    assert box.saved == AFTER and "save force" not in box.sent
