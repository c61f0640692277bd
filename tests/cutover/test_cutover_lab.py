"""The cutover on the lab: rehearsal with an automatic rollback, crash + resume, crash + rollback.

Each test builds its own lab (network namespaces + FRR), drives the real CLI in a child
process where a crash is needed, and removes the lab afterwards. Bounded: every child has a timeout.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from capabilities import need_router_lab

from cutover_fixtures import NOW, ROOT, make_inventory

pytestmark = pytest.mark.lab

need_router_lab(["/usr/lib/frr/bgpd"], module_level=True)

IN_WINDOW = {"health-net": "2036-12-05T01:00:00+08:00", "finance-net": "2036-12-12T01:00:00+08:00"}
FIRST_SITE = {"health-net": "省卫健委机关", "finance-net": "省财政厅"}
BOTH = pytest.mark.parametrize("network", ["health-net", "finance-net"])  # access types D and E


def govctl(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from govctl.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def inv(tmp_path: Path) -> Iterator[Path]:
    d = make_inventory(tmp_path)
    yield d
    from govctl.cutover.lab import Lab

    for net in ("health-net", "finance-net"):
        lab = Lab.attach(net)
        if lab is not None:
            lab.down()


def _status(network: str, journals: Path) -> dict:
    r = govctl("cutover", "status", network, "--journal-dir", str(journals), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_rehearsal_rolls_back_a_failed_post_check_then_cuts_over(inv: Path, tmp_path: Path) -> None:
    r = govctl("cutover", "rehearse", "health-net", str(inv), "--journal-dir", str(tmp_path / "j"), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    fault, clean = data["attempts"]
    assert fault["state"] == "rolled-back" and clean["state"] == "done"
    failed = {c["id"] for c in fault["checks"] if not c["ok"]}
    assert any(c.startswith("cloud-") for c in failed)  # the injected fault broke exactly the cloud path
    assert not any(c.startswith(("site-", "isolat", "config-")) for c in failed)
    rolled = [c for c in fault["checks"] if c["phase"] == "rollback"]
    assert {c["id"] for c in rolled} >= {"config-pe0", "config-pe1", "config-pe2", "config-ce0", "config-ce1"}
    assert all(c["ok"] for c in rolled)  # configs identical to the saved ones, baseline back
    assert all(c["ok"] for c in clean["checks"])
    ids = {c["id"] for c in clean["checks"]}
    assert {"isolation-import-alpha-r1", "nothing-else-changed"} <= ids
    assert any(i.startswith("isolated-public->") for i in ids) and any(i.startswith("cloud-") for i in ids)
    timed = {s["step"]: s for s in clean["steps"]}
    assert timed["postcheck"]["seconds"] is not None and timed["postcheck"]["minutes"] == 10


@BOTH
def test_crash_then_resume_finishes(inv: Path, tmp_path: Path, network: str) -> None:
    j = tmp_path / "j"
    r = govctl("cutover", "run", network, str(inv), "--lab", "--at", IN_WINDOW[network], "--journal-dir", str(j),
               "--crash-after", "access-alpha-r2")
    assert r.returncode == -9, r.stdout + r.stderr  # SIGKILL: a real crash, mid-change
    st = _status(network, j)
    assert st["state"] == "interrupted"
    done = [s["step"] for s in st["steps"] if s["status"] == "done"]
    assert done[-1] == "access-alpha-r2" and f"swing-{FIRST_SITE[network]}" not in done
    r = govctl("cutover", "resume", network, "--journal-dir", str(j), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["state"] == "done"
    assert all(c["ok"] for c in rep["checks"] if c["phase"] == "post")
    assert [s["step"] for s in rep["steps"] if s["status"] == "done"][-1] == "teardown-carrier"
    r = govctl("cutover", "rollback", network, "--journal-dir", str(j))
    assert r.returncode == 2 and "point of no return" in r.stderr


@BOTH
def test_crash_then_rollback_restores(inv: Path, tmp_path: Path, network: str) -> None:
    j = tmp_path / "j"
    r = govctl("cutover", "run", network, str(inv), "--lab", "--at", IN_WINDOW[network], "--journal-dir", str(j),
               "--crash-after", f"swing-{FIRST_SITE[network]}")
    assert r.returncode == -9, r.stdout + r.stderr
    assert _status(network, j)["state"] == "interrupted"
    r = govctl("cutover", "rollback", network, "--journal-dir", str(j), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["state"] == "rolled-back"
    checks = {c["id"]: c["ok"] for c in rep["checks"]}
    assert all(checks.values()), checks
    assert {"config-pe0", "config-ce0", "config-ce1"} <= set(checks)
    assert any(k.startswith("site-") for k in checks)  # the baseline over the old line holds again
    r = govctl("cutover", "resume", network, "--journal-dir", str(j))
    assert r.returncode == 2 and "already ended" in r.stderr


def test_run_refuses_outside_the_window_before_touching_anything(inv: Path, tmp_path: Path) -> None:
    r = govctl("cutover", "run", "finance-net", str(inv), "--lab", "--force", "--at", "2037-01-01T00:00:00+08:00",
               "--journal-dir", str(tmp_path / "j"))
    assert r.returncode == 2 and "window is in the past" in r.stderr  # --force never overrides a refusal
    r = govctl("cutover", "run", "finance-net", str(inv), "--lab", "--at", NOW.isoformat(),
               "--journal-dir", str(tmp_path / "j"))
    assert r.returncode == 2 and "outside the window" in r.stderr
    from govctl.cutover.lab import Lab

    assert Lab.attach("finance-net") is None  # no lab was even built
