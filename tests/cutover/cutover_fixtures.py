"""Fixtures of the cutover tests: the example inventory copied into tmp_path, with a second network (type E)."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from capabilities import need_router_lab

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
HERE = Path(__file__).resolve().parent
# The planner's clock in tests: before the example windows, after nothing else.
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def make_inventory(tmp: Path, edit: Callable[[str], str] | None = None) -> Path:
    """The example inventory plus finance-net; ``edit`` rewrites dedicated_networks.yaml's text."""
    target = tmp / "inv"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".govctl"))
    dn = target / "dedicated_networks.yaml"
    text = dn.read_text(encoding="utf-8")
    if "id: finance-net" not in text:  # the example may carry it already (the lead adds it there)
        text = text.rstrip("\n") + "\n" + (HERE / "second_network.yaml").read_text(encoding="utf-8")
    dn.write_text(edit(text) if edit else text, encoding="utf-8")
    return target


@pytest.fixture
def inv_dir(tmp_path: Path) -> Path:
    return make_inventory(tmp_path)


def require_ssh_lab() -> None:
    """A module of SSH cutover-lab tests needs root, FRR and sshd (capabilities: skipped, or failed under CI)."""
    need_router_lab(["/usr/lib/frr/bgpd", "/usr/sbin/sshd"], module_level=True)
