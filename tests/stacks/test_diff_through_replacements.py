"""A replaced resource gets a new id: the offline plan replaces or updates what holds that id, as the engine
previews it (found by the fidelity suite against `pulumi preview --json`: a subnet CIDR change also replaces the
subnet's router interface; a dedicated flavor's new RAM also replaces its flavor access)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fidelity_edits import apply_edit
from govctl.cli import app
from stackfixtures import ROOT, checkpoint

EXAMPLE = ROOT / "inventories" / "example"


@pytest.mark.parametrize(("kind", "expected"), [
    ("subnet-cidr", {("replace", "prov-finance-app-v4", "cidr"), ("replace", "prov-finance-app-v4-if", "subnetId")}),
    ("forces-replacement", {("update", "prov-finance-compute-quota-RegionMain", None),
                            ("update", "prov-finance-compute-quota-RegionBackup", None),
                            ("replace", "prov-finance-dedicated-flavor", "ram"),
                            ("replace", "prov-finance-dedicated-flavor-access", "flavorId")}),
])
def test_what_holds_a_replaced_resources_id_changes_with_it(tmp_path: Path, kind: str, expected: set) -> None:
    inv = tmp_path / "example"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    state = tmp_path / "state"
    path = state / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / "prov.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(checkpoint("prov")), encoding="utf-8")
    apply_edit(inv, kind)
    r = CliRunner().invoke(app, ["--state-dir", str(state), "plan", str(inv), "-s", "prov", "--json", "--no-cache"])
    assert r.exit_code == 0, r.output
    changes = json.loads(r.stdout)["stacks"][0]["changes"]
    got = {(c["kind"], c["name"], next((x.get("forces_replacement") for x in c["changes"]
                                        if x.get("forces_replacement")), None)) for c in changes}
    assert got == expected
