"""`govctl lab cloud install` leaves no packaged service running or enabled (apt and systemctl stood in for)."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from govctl.labs.cloud import lab


class Machine:
    """apt-get, dpkg-query and systemctl as seen by install(): records each call, and what policy-rc.d said then."""

    def __init__(self, policy: Path, missing: list[str]) -> None:
        self.policy, self.missing = policy, list(missing)
        self.calls: list[list[str]] = []
        self.policy_during_install: str | None = None

    def run(self, args: list[str], **_kw: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(args)
        if args[:2] == ["apt-get", "install"]:
            self.policy_during_install = self.policy.read_text() if self.policy.exists() else None
            self.missing = []
        return subprocess.CompletedProcess(args, 0, "", "")


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Machine:
    m = Machine(tmp_path / "policy-rc.d", ["bind9", "rabbitmq-server", "python3-designate"])
    monkeypatch.setattr(lab, "POLICY_RC_D", m.policy)
    monkeypatch.setattr(lab, "missing_packages", lambda pkgs: [p for p in pkgs if p in m.missing])
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    monkeypatch.setattr(lab.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(lab.subprocess, "run", m.run)
    return m


def test_install_denies_service_starts_during_apt_then_disables_the_units(machine: Machine) -> None:
    assert lab.install() == ["rabbitmq-server", "python3-designate", "bind9"]
    assert machine.policy_during_install is not None and "exit 101" in machine.policy_during_install
    assert not machine.policy.exists()  # the lab's policy-rc.d was for the install only
    disabled = [c[2] for c in machine.calls if c[:2] == ["systemctl", "disable"]]
    assert disabled == ["rabbitmq-server.service", "epmd.socket", "epmd.service", "named.service"]


def test_install_keeps_the_machines_own_policy_rc_d(machine: Machine) -> None:
    machine.policy.write_text("#!/bin/sh\nexit 0\n")
    lab.install()
    assert machine.policy.read_text() == "#!/bin/sh\nexit 0\n" == machine.policy_during_install


def test_install_disables_only_what_it_installed(machine: Machine) -> None:
    machine.missing = ["python3-designate"]
    assert lab.install() == ["python3-designate"]
    assert not [c for c in machine.calls if c[0] == "systemctl"]


def test_nothing_missing_runs_nothing(machine: Machine) -> None:
    machine.missing = []
    assert lab.install() == [] and machine.calls == [] and not machine.policy.exists()


def test_serve_adds_an_inventorys_regions_and_zones_to_the_examples() -> None:
    """`govctl lab cloud up --serve inventories/guangdong`: Guangdong's regions and AZs besides the example's."""
    from govctl.labs.cloud.lab import served_regions

    root = Path(__file__).resolve().parents[2] / "inventories"
    base_regions, base_zones = served_regions()
    regions, zones = served_regions([str(root / "guangdong")])
    assert regions[:len(base_regions)] == base_regions and zones[:len(base_zones)] == base_zones
    assert {"RegionGZMain", "RegionGZBackup", "RegionZJDR"} <= set(regions) - set(base_regions)
    assert {"az-police-1", "az-hrss-1", "az-guangzhou-2"} <= set(zones) - set(base_zones)
    assert len(regions) == len(set(regions)) and len(zones) == len(set(zones))
