"""Every bundled inventory: assess, plan waves (with a valid inventory after them) and report."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted(p for p in (ROOT / "inventories").iterdir() if (p / "systems.yaml").exists())


@pytest.mark.slow
@pytest.mark.parametrize("inventory", BUNDLED, ids=lambda p: p.name)
def test_bundled_inventory_assess_waves_report(inventory: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    a = runner.invoke(app, ["migrate", "assess", str(inventory), "--as-of", "2026-11-25", "--json"])
    assert a.exit_code == 0, a.output
    systems = json.loads(a.stdout)["systems"]
    assert all(s["platform"] is None for s in systems if s["classification"] == "classified")
    out = tmp_path / "plan"
    w = runner.invoke(app, ["migrate", "waves", str(inventory), "--as-of", "2026-11-25", "--out", str(out), "--json"])
    assert w.exit_code == 0, w.output  # --out validates the inventory after all waves before writing
    plan = json.loads(w.stdout)
    assert all(len(wave["moves"]) <= 20 for wave in plan["waves"])
    assert (out / "inventory" / "tenants.yaml").exists()
    r = runner.invoke(app, ["report", str(inventory), "--as-of", "2026-11-25", "--json",
                            "--chart", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    if inventory.name != "example":
        assert len(systems) >= 200, "province inventories carry hundreds of systems"
