"""`govctl plan --out FILE` and what `govctl apply FILE` refuses before the engine runs (exit 2, nothing changed):
a moved inventory, other code, a moved state, a damaged file, tenant data destroyed without --allow-destroy.
What it then does through the real engine is tests/stacks/test_apply_openstack.py's."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app
from stackfixtures import ROOT, checkpoint

runner = CliRunner()
EXAMPLE = ROOT / "inventories" / "example"
NETWORK = "openstack:networking/network:Network"


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    inv = tmp_path / "example"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    return {"inv": inv, "state": tmp_path / "state", "plan": tmp_path / "prov.plan"}


def _checkpoint_path(state: Path, stack: str) -> Path:
    return state / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / f"{stack}.json"


def _save(world: dict[str, Path], stack: str = "health") -> dict:
    code, _, err = run("--state-dir", str(world["state"]), "plan", str(world["inv"]), "-s", stack, "--out",
                       str(world["plan"]))
    assert code == 0, err
    assert "saved the plan to" in err
    return json.loads(world["plan"].read_text(encoding="utf-8"))


def _apply(world: dict[str, Path], *extra: str) -> tuple[int, str]:
    code, out, err = run("--state-dir", str(world["state"]), "apply", str(world["plan"]), *extra)
    return code, out + err


def test_the_plan_file_holds_the_change_set_and_digests_and_no_values(world: dict[str, Path]) -> None:
    doc = _save(world)
    assert oct(world["plan"].stat().st_mode & 0o777) == "0o600"
    body = doc["body"]
    assert doc["format"] == "govctl-cloud-plan" and body["options"]["stacks"] == ["health"]
    (stack,) = body["stacks"]
    assert stack["stack"] == "health" and stack["state_sha256"] == "none"
    code, out, _ = run("--state-dir", str(world["state"]), "plan", str(world["inv"]), "-s", "health", "--json")
    offline = json.loads(out)["stacks"][0]["changes"]
    assert sorted((c["kind"], c["urn"]) for c in stack["changes"]) == sorted((c["kind"], c["urn"]) for c in offline)
    assert set(body["inventory_files"]) >= {"tenants.yaml", "clouds.yaml"}
    # the reviewed change, never the values it sets (they can be secrets)
    assert "198.51.100.224/28" not in world["plan"].read_text(encoding="utf-8")


def test_a_moved_inventory_file_is_refused_naming_it(world: dict[str, Path]) -> None:
    _save(world)
    tenants = world["inv"] / "tenants.yaml"
    tenants.write_text(tenants.read_text(encoding="utf-8") + "# a comment is a change too\n", encoding="utf-8")
    code, out = _apply(world)
    assert code == 2, out
    assert "the plan is stale: inventory file tenants.yaml" in out and "nothing was changed" in out
    assert not (world["state"] / "stacks" / "backend").exists()


def test_a_moved_state_is_refused(world: dict[str, Path]) -> None:
    path = _checkpoint_path(world["state"], "health")
    path.parent.mkdir(parents=True)
    doc = checkpoint("health")
    path.write_text(json.dumps(doc), encoding="utf-8")
    saved = _save(world)
    assert saved["body"]["stacks"][0]["state_sha256"] != "none"
    quota = next(r for r in doc["checkpoint"]["latest"]["resources"]
                 if r["urn"].endswith("::health-commission-compute-quota-RegionMain"))
    quota["outputs"]["cores"] = 8  # someone applied (or refreshed) since the review
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = path.read_bytes()
    code, out = _apply(world)
    assert code == 2, out
    assert "the state of stack 'health'" in out
    assert path.read_bytes() == before


def test_a_plan_made_by_other_code_is_refused(world: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _save(world)
    from govctl.stacks import planfile

    monkeypatch.setattr(planfile, "code_version", lambda: "0.1.0+0000000000000000")
    code, out = _apply(world)
    assert code == 2, out
    assert "govctl's code (plan: " in out and "now: 0.1.0+0000000000000000" in out


@pytest.mark.parametrize("damage", ["edit", "truncate", "other-format"])
def test_a_damaged_or_edited_plan_file_is_refused(world: dict[str, Path], damage: str) -> None:
    _save(world)
    text = world["plan"].read_text(encoding="utf-8")
    if damage == "edit":  # a reviewer's plan with one create quietly turned into nothing
        doc = json.loads(text)
        doc["body"]["stacks"][0]["changes"].pop()
        text = json.dumps(doc)
    elif damage == "truncate":
        text = text[: len(text) // 2]
    else:
        text = json.dumps({"format": "govctl-net-plan", "version": 1, "body": {}})
    world["plan"].write_text(text, encoding="utf-8")
    code, out = _apply(world)
    assert code == 2, out
    expected = {"edit": "does not match its digest", "truncate": "not a govctl cloud plan",
                "other-format": "make one with `govctl plan --out FILE`"}[damage]
    assert expected in out


def test_deleting_tenant_data_needs_allow_destroy(world: dict[str, Path]) -> None:
    from capabilities import need_executable

    path = _checkpoint_path(world["state"], "prov")
    path.parent.mkdir(parents=True)
    doc = checkpoint("prov")
    res = doc["checkpoint"]["latest"]["resources"]
    stray = f"urn:pulumi:prov::govctl::govctl:cloud:Tenant${NETWORK}::prov-gov-office-archive"
    res.append({"urn": stray, "custom": True, "id": "abc", "type": NETWORK, "protect": True,
                "inputs": {"name": "archive"}, "outputs": {"name": "archive"}})
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = path.read_bytes()
    saved = _save(world, "prov")
    assert {"kind": "delete", "urn": stray, "type": NETWORK, "forces": []} in saved["body"]["stacks"][0]["changes"]
    code, out = _apply(world)
    assert code == 2, out
    assert "deletes or replaces 1 resource(s) holding tenant data (delete " + stray in out
    assert "give --allow-destroy" in out and "nothing was changed" in out
    # the same guard without a plan file, from the offline plan before the engine runs (which needs its CLI)
    need_executable("pulumi", "tools/engine/build.sh, then eval \"$(tools/engine/build.sh --env)\"")
    code, out, err = run("--state-dir", str(world["state"]), "apply", str(world["inv"]), "-s", "prov", "--yes")
    assert code == 2, out + err
    assert "give --allow-destroy" in err and ":cloud:" in err  # a URN, not an emoji
    assert path.read_bytes() == before


def test_apply_file_takes_no_stack_option(world: dict[str, Path]) -> None:
    _save(world)
    code, out = _apply(world, "-s", "health")
    assert code == 2 and "a plan file names its stacks" in out


def test_out_is_against_the_stacks_own_state(world: dict[str, Path]) -> None:
    code, _, err = run("plan", str(world["inv"]), "--out", str(world["plan"]), "--base", "HEAD")
    assert code == 2 and "--out saves the change against the stacks' own state" in err
    assert not world["plan"].exists()
