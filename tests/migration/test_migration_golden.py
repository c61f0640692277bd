"""Rendered outputs of the example inventory against golden files (regenerate: GOVCTL_UPDATE_GOLDEN=1)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from goldens import check_golden

from govctl.migration.assess import assess
from govctl.migration.files import dump_yaml
from govctl.migration.models import AssessSettings, WaveSettings
from govctl.migration.render import changes_document, runbook, waves_markdown
from govctl.migration.sources import from_inventory
from govctl.migration.waves import plan_waves

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def rendered(example_loaded) -> dict[str, str]:  # noqa: ANN001
    src = from_inventory(example_loaded, "inventories/example")
    a = assess(example_loaded.inventory, src, AssessSettings(as_of=date(2026, 11, 25)))
    plan = plan_waves(example_loaded.inventory, a, WaveSettings(), src.locator)
    out = {"example-waves.md": waves_markdown(plan, a)}
    for w in plan.waves:
        out[f"example-wave-{w.number:02d}-runbook.md"] = runbook(w, plan, a, "inventories/example", "plan/inventory")
        out[f"example-wave-{w.number:02d}-changes.yaml"] = dump_yaml(changes_document(w), "wave changes")
    return out


@pytest.mark.parametrize("name", ["example-waves.md", "example-wave-01-runbook.md", "example-wave-01-changes.yaml"])
def test_golden(rendered: dict[str, str], name: str) -> None:
    path = GOLDEN / name
    check_golden(path, rendered[name])
