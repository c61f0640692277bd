"""The FRR driver's controller-side diff (frr-reload.py's own module) and its transaction decisions.

The diff is checked against the real frr-reload.py run as a program; the commit/restore decisions
and the one-session getter snapshot against a scripted session (the real routers are in
test_net_lab.py)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from capabilities import need

from govctl.network.platforms.frr import diff as frr_diff
from govctl.network.platforms.frr.driver import RUNNING_MARK, SNAPSHOT, FrrDriver, parse_reload_test
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget
from govctl.network.platforms.frr import PLATFORM as FRR
from govctl.network.platforms.scope import scoped_candidate

needs_frr = pytest.mark.usefixtures("_frr_tools")


@pytest.fixture
def _frr_tools() -> None:
    need(frr_diff.available(), "frr-reload.py and vtysh (apt-get install frr frr-pythontools)")

RUNNING = """frr version 8.4.4
frr defaults traditional
hostname r1
!
interface eth1
 ip address 198.51.100.0/31
exit
!
router bgp 64512
 neighbor 198.51.100.1 remote-as 64512
exit
!
"""

CANDIDATE = """frr version 8.4.4
frr defaults traditional
hostname r1
!
interface eth1
 ipv6 address 2001:db8::/127
 ipv6 ospf6 area 0.0.0.1
exit
!
interface lo
 ipv6 address 2001:db8:ffff::8/128
exit
!
router bgp 64512
 neighbor 2001:db8:ffff::10 remote-as 64512
 !
 address-family ipv6 unicast
  network 2001:db8:10::/52
  neighbor 2001:db8:ffff::10 activate
 exit-address-family
exit
!
router ospf6
 ospf6 router-id 198.51.100.8
exit
!
"""

# what a replace of CANDIDATE makes of RUNNING: the IPv4 address and peer are not govctl's and stay
SCOPED = scoped_candidate(RUNNING, CANDIDATE, FRR)


@needs_frr
def test_the_controller_diff_is_what_frr_reload_test_prints(tmp_path: Path):
    (tmp_path / "running.conf").write_text(RUNNING)
    (tmp_path / "candidate.conf").write_text(CANDIDATE)
    proc = subprocess.run(["python3", str(frr_diff.RELOAD_PY), "--test", "--input", "running.conf",
                           "candidate.conf"], cwd=tmp_path, capture_output=True, text=True, check=True)
    delta = frr_diff.delta(CANDIDATE, RUNNING)
    assert delta.test_output() == proc.stdout
    assert parse_reload_test(delta.test_output()).startswith(
        "- interface eth1\n-  no ip address 198.51.100.0/31\n- router bgp 64512\n")
    # deletions first, then additions, each with its contexts: what one vtysh session applies
    script = delta.script()
    assert script.index("no ip address 198.51.100.0/31") < script.index("ipv6 address 2001:db8::/127")
    # contexts vtysh is already in are not entered again
    assert "interface lo\n ipv6 address 2001:db8:ffff::8/128\n" in script
    assert script.count("interface lo\n") == 1
    assert ("router bgp 64512\n address-family ipv6 unicast\n  network 2001:db8:10::/52 \n"
            "  neighbor 2001:db8:ffff::10 activate\n") in script
    assert not frr_diff.delta(CANDIDATE, CANDIDATE)
    back = frr_diff.delta(RUNNING, CANDIDATE)
    assert "router bgp 64512\n no neighbor 2001:db8:ffff::10 remote-as 64512" in back.deletes


def test_a_shallower_command_enters_its_contexts_from_the_top():
    delta = frr_diff.Delta((), ("router bgp 1\n address-family ipv6 unicast",
                                "router bgp 1\n address-family ipv6 unicast\n  network 2001:db8:10::/52",
                                "router bgp 1\n neighbor 2001:db8::1 remote-as 1"), (True, False, False))
    # after the address family, 'neighbor ... remote-as' typed there would be tried there first
    assert delta.script() == ("router bgp 1\n address-family ipv6 unicast\n  network 2001:db8:10::/52\n"
                              "router bgp 1\n neighbor 2001:db8::1 remote-as 1\n")


@needs_frr
def test_a_line_vtysh_does_not_know_is_named_with_its_side():
    with pytest.raises(frr_diff.Rejected, match=r"line 7: % Unknown command: +ipv6 ospf6 bogus-knob") as exc:
        frr_diff.delta(CANDIDATE.replace(" ipv6 ospf6 area 0.0.0.1", " ipv6 ospf6 bogus-knob"), RUNNING)
    assert exc.value.which == "candidate"
    with pytest.raises(frr_diff.Rejected) as exc:
        frr_diff.delta(CANDIDATE, RUNNING + "no such command\n")
    assert exc.value.which == "running"


class Scripted(FrrDriver):
    """An FRR driver whose SSH channel answers from a script: (command, stdin) -> (rc, out, err)."""

    def __init__(self, answers) -> None:  # noqa: ANN001
        super().__init__(DeviceTarget(node="r1", platform="frr", host="2001:db8:fffd::1"))
        self.answers = answers
        self.sent: list[tuple[str, str | None]] = []

    def _channel(self, command, stdin, step, timeout):  # noqa: ANN001,ANN202
        self.sent.append((command, stdin))
        return self.answers(command, stdin)


def _show_run(text: str) -> str:
    return "Building configuration...\n\nCurrent configuration:\n!\n" + text + "end\n"


def _applied(text: str, messages: str = "") -> str:
    """What the device's ``apply`` prints: vtysh's messages, the mark, the running config after."""
    return messages + RUNNING_MARK + "\n" + text + "end\n"


@needs_frr
def test_commit_applies_the_delta_once_and_checks_the_result():
    state = {"running": RUNNING}

    def device(command, stdin):  # noqa: ANN001,ANN202
        if command == "show running-config":
            # the login shell's noise on stderr never reaches a config
            return 0, _show_run(state["running"]), "rm: cannot remove 'tmp.x': No such file or directory\n"
        if command == "apply":
            state["running"] = SCOPED
            return 0, _applied(SCOPED), ""
        if command == "confirm":
            return 0, "", ""
        raise AssertionError(command)

    d = Scripted(device)
    d.load_replace_candidate(CANDIDATE)
    diff = d.compare_config()
    assert diff.startswith("+ interface eth1\n+  ipv6 address 2001:db8::/127")
    assert not [line for line in diff.splitlines() if line.startswith("-")], "IPv4 is not govctl's to remove"
    # the engine saves the config the diff was computed from: no second read in between
    assert d.get_config() == RUNNING
    d.commit_config()
    assert [c for c, _ in d.sent] == ["show running-config", "apply"]
    assert d.sent[1][1] == frr_diff.delta(SCOPED, RUNNING).script()
    assert "198.51.100.0/31" not in d.sent[1][1] and "198.51.100.1 " not in d.sent[1][1]
    assert d.get_config() == SCOPED and len(d.sent) == 2  # the device showed it after applying
    d.confirm_commit()  # anything else sent: the next get_config asks again
    assert d.get_config() == SCOPED and [c for c, _ in d.sent][2:] == ["confirm", "show running-config"]


@needs_frr
def test_what_one_pass_leaves_frr_reload_finishes_and_what_it_cannot_is_a_refused_commit():
    state = {"running": RUNNING, "reload_works": True}

    def device(command, stdin):  # noqa: ANN001,ANN202
        if command == "show running-config":
            return 0, _show_run(state["running"]), ""
        if command == "apply":  # a second-pass case: one line did not stick
            state["running"] = SCOPED.replace("  network 2001:db8:10::/52\n", "")
            return 0, _applied(state["running"]), ""
        if command == "frr-reload --reload":
            if state["reload_works"]:
                state["running"] = stdin
                return 0, "", ""
            return 1, "% Unknown command: network 2001:db8:10::/52\n", ""
        raise AssertionError(command)

    d = Scripted(device)
    d.load_replace_candidate(CANDIDATE)
    d.get_config()
    d.commit_config()
    assert [c for c, _ in d.sent] == ["show running-config", "apply", "frr-reload --reload", "show running-config"]
    state.update(running=RUNNING, reload_works=False)
    d = Scripted(device)
    d.load_replace_candidate(CANDIDATE)
    d.get_config()
    with pytest.raises(DeviceError, match=r"r1: commit: refused: % Unknown command: network 2001:db8:10::/52"
                                          r"\n\+ router bgp 64512\n\+  address-family ipv6 unicast\n"
                                          r"\+   network 2001:db8:10::/52 \n$"):
        d.commit_config()


@needs_frr
def test_restore_of_an_unchanged_device_changes_nothing_and_checks_the_startup_config():
    d = Scripted(lambda command, stdin: (0, _show_run(RUNNING), "") if command in ("show running-config", "startup")
                 else pytest.fail(command))
    d.restore(RUNNING)
    assert [c for c, _ in d.sent] == ["show running-config", "startup"]


def test_restore_of_an_unchanged_device_whose_startup_lags_saves_it():
    """A router that applied a change and was restored by hand, or died before `write memory`: the
    running config is right, the startup config is not; the restore persists it."""
    stale = RUNNING.replace("hostname", "hostname old-name\n!\nhostname", 1)

    def device(command: str, stdin: str | None):  # noqa: ANN202
        if command == "show running-config":
            return 0, _show_run(RUNNING), ""
        if command == "startup":
            return 0, stale, ""
        if command == "write memory":
            return 0, "Building Configuration...\n[OK]\n", ""
        pytest.fail(command)

    d = Scripted(device)
    d.restore(RUNNING)
    assert [c for c, _ in d.sent] == ["show running-config", "startup", "write memory"]


def test_getters_answer_one_pass_from_one_session():
    docs = {"show interface json": {"lo": {"ipAddresses": [{"address": "2001:db8:ffff::8/128"}]}},
            "show ipv6 ospf6 neighbor json": {"neighbors": [{"neighborId": "198.51.100.9", "state": "Full",
                                                             "interfaceName": "eth1"}]},
            "show ipv6 route json": {"2001:db8:ffff::9/128": [{"selected": True, "protocol": "ospf6"}]},
            "show bgp ipv6 unicast summary json": {"peers": {}}}

    def device(command, stdin):  # noqa: ANN001,ANN202
        if command == "\n".join(SNAPSHOT):
            return 0, "\n".join(json.dumps(docs[c], indent=2) for c in SNAPSHOT), ""
        if command == "confirm":
            return 0, "", ""
        return 0, json.dumps(docs[command]), ""

    d = Scripted(device)
    d.refresh()
    assert d.get_interfaces_ip()["lo"]["ipv6"] == ["2001:db8:ffff::8/128"]
    assert [n.state for n in d.get_ospfv3_neighbors()] == ["Full"]
    assert d.get_ipv6_routes() == {"2001:db8:ffff::9/128": "ospf6"}
    assert len(d.sent) == 1
    d.get_ipv6_routes()  # a second call asks the device again
    assert [c for c, _ in d.sent][1:] == ["show ipv6 route json"]
    d.refresh()
    d.confirm_commit()  # anything else asked of the device ends the snapshot
    d.get_ipv6_routes()
    assert [c for c, _ in d.sent][-3:] == ["\n".join(SNAPSHOT), "confirm", "show ipv6 route json"]
    # a daemon with nothing configured prints nothing: no snapshot, every getter asks itself
    docs["show ipv6 ospf6 neighbor json"] = {}
    d = Scripted(lambda c, s: (0, "{}\n{}\n{}", "") if "\n" in c else (0, json.dumps(docs[c]), ""))
    d.refresh()
    d.get_interfaces_ip()
    assert [c for c, _ in d.sent] == ["\n".join(SNAPSHOT), "show interface json"]
