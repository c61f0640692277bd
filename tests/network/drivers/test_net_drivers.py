"""Driver pieces that need no device: frr-reload output parsing, credentials, the NAPALM adapter."""
from __future__ import annotations

import pytest
from net_helpers import CheckpointSession

from govctl.network.drivers.credentials import resolve
from govctl.network.platforms.frr.driver import clean_running, parse_reload_test
from govctl.network.drivers.napalm_adapter import NapalmAdapter
from govctl.network.drivers.registry import driver_for
from govctl.network.errors import CredentialsMissing, DeviceError
from govctl.network.models import DeviceTarget

RELOAD_TEST = """
Lines To Delete
===============
interface eth1
 no ip address 198.51.100.0/31

Lines To Add
============
interface lo
 ipv6 address 2001:db8:ffff::8/128
interface lo
 ipv6 ospf6 area 0.0.0.1
router bgp 64512
router bgp 64512
 neighbor 2001:db8:ffff::10 remote-as 64512
router bgp 64512
 address-family ipv6 unicast
router bgp 64512
 address-family ipv6 unicast
  network 2001:db8:10::/52
"""


def test_reload_test_output_becomes_a_compact_diff():
    assert parse_reload_test(RELOAD_TEST) == (
        "- interface eth1\n-  no ip address 198.51.100.0/31\n"
        "+ interface lo\n+  ipv6 address 2001:db8:ffff::8/128\n+  ipv6 ospf6 area 0.0.0.1\n"
        "+ router bgp 64512\n+  neighbor 2001:db8:ffff::10 remote-as 64512\n"
        "+  address-family ipv6 unicast\n+   network 2001:db8:10::/52\n")
    assert parse_reload_test("") == ""


def test_running_config_loses_the_banner_so_it_reloads_verbatim():
    shown = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nhostname r1\n!\nend\n"
    assert clean_running(shown) == "frr version 8.4.4\nhostname r1\n!\n"


def test_credentials_come_from_the_environment_and_never_show(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("GOVCTL_T_PW", "s3cret")
    c = resolve("env:GOVCTL_T_PW", "ops", "r1")
    assert (c.username, c.password) == ("ops", "s3cret") and "s3cret" not in repr(c)
    monkeypatch.delenv("GOVCTL_T_PW")
    with pytest.raises(CredentialsMissing, match="GOVCTL_T_PW is not set") as exc:
        resolve("env:GOVCTL_T_PW", "ops", "r1")
    monkeypatch.delenv("GOVCTL_VAULT_FILE", raising=False)
    with pytest.raises(CredentialsMissing, match="set GOVCTL_VAULT_FILE"):
        resolve("vault:extranet/town", "ops", "r1")
    key = tmp_path / "k"
    key.write_text("x")
    assert resolve(f"file:{key}", "root", "r1").key_file == str(key)
    assert "s3cret" not in str(exc.value)


class FakeVrp:
    """What napalm-huawei-vrp 1.2 really offers: merge, compare, commit, rollback; replace is a stub."""

    calls: list[str] = []

    def __init__(self, host, username, password, timeout=60, optional_args=None):  # noqa: ANN001
        self.optional_args = optional_args
        self.device = CheckpointSession()

    def open(self):  # noqa: ANN201
        FakeVrp.calls.append("open")

    def close(self):  # noqa: ANN201
        pass

    def load_merge_candidate(self, config=None):  # noqa: ANN001,ANN201
        FakeVrp.calls.append("merge")

    def load_replace_candidate(self, config=None):  # noqa: ANN001,ANN201
        raise AssertionError("the adapter must not call the empty replace stub")

    def compare_config(self):  # noqa: ANN201
        raise AssertionError("the adapter diffs VRP itself (napalm's merge diff ignores views)")

    def discard_config(self):  # noqa: ANN201
        pass

    def get_config(self, retrieve="all"):  # noqa: ANN001,ANN201
        return {"running": "sysname alpha-r1\n#\nreturn\n"}

    def commit_config(self):  # noqa: ANN201
        raise RuntimeError("Error: Unrecognized command found at '^' position.")


def test_huawei_replace_is_carried_out_as_merge_and_device_errors_are_per_device(monkeypatch):
    monkeypatch.setenv("GOVCTL_T_PW", "pw")
    t = DeviceTarget(node="alpha-r1", platform="huawei_vrp", host="2001:db8:fffd::5", credentials="env:GOVCTL_T_PW")
    dev = NapalmAdapter(t, driver_class=FakeVrp)
    dev.open()
    dev.load_replace_candidate("ipv6\n")
    assert dev.compare_config().startswith("# replace within the owned scope, sent as a merge")
    with pytest.raises(DeviceError, match="alpha-r1: commit: RuntimeError: Error: Unrecognized command"):
        dev.commit_config()
    assert FakeVrp.calls[:2] == ["open", "merge"]


def test_registry_knows_frr_napalm_and_comware_and_refuses_the_rest():
    assert driver_for(DeviceTarget(node="r", platform="frr", host="::1")).name == "frr"
    assert driver_for(DeviceTarget(node="r", platform="ios", host="::1")).name == "ios"
    assert driver_for(DeviceTarget(node="r", platform="h3c_comware", host="::1")).name == "h3c_comware"
    with pytest.raises(DeviceError, match="no config driver for platform 'ruijie'"):
        driver_for(DeviceTarget(node="r", platform="ruijie", host="::1"))
