"""`govctl plan` / `apply` / `stacks` through the CLI: creates, git base, checkpoints, bad input, live mode."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app
from stackfixtures import ROOT, checkpoint, planned

runner = CliRunner()
EXAMPLE = ROOT / "inventories" / "example"


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the example inventory, committed."""
    top = tmp_path / "repo"
    shutil.copytree(EXAMPLE, top / "inventories" / "example", ignore=shutil.ignore_patterns(".govctl"))
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "example"]):
        subprocess.run(["git", "-C", str(top), *cmd], check=True, env=env, capture_output=True)
    return top


def test_plan_without_state_creates_everything_in_every_stack(cwd: Path) -> None:
    code, out, _ = run("plan", str(EXAMPLE), "--json", "--no-cache")
    assert code == 0
    doc = json.loads(out)
    _, graphs = planned("example")
    assert [s["stack"] for s in doc["stacks"]] == list(graphs)
    for s in doc["stacks"]:
        assert s["summary"] == {"create": len(graphs[s["stack"]].resources), "update": 0, "replace": 0, "delete": 0}
        assert {c["urn"] for c in s["changes"]} == set(graphs[s["stack"]].resources)
    assert not (cwd / ".govctl").exists()  # --no-cache writes nothing


def test_plan_human_output_and_detailed_exitcode(cwd: Path) -> None:
    code, out, _ = run("plan", "--stack", "health", "--detailed-exitcode")
    assert code == 3
    assert "+ networking.Subnet health-commission-app-v6" in out
    count = len(planned("example")[1]["health"].resources)
    assert "health-commission" in out and f"Plan: {count} to create" in out


def test_base_head_on_a_clean_tree_reports_no_changes(repo: Path, cwd: Path) -> None:
    code, out, _ = run("plan", str(repo / "inventories" / "example"), "--base", "HEAD", "--detailed-exitcode",
                       "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["changed"] is False and doc["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}


def test_base_head_shows_exactly_the_changed_tenants_changes(repo: Path, cwd: Path) -> None:
    tenants = repo / "inventories" / "example" / "tenants.yaml"
    text = tenants.read_text(encoding="utf-8")
    text = text.replace("      cores: 64\n", "      cores: 96\n", 1)
    text = text.replace('ports: "443", source: "2001:db8::/32"', 'ports: "8443", source: "2001:db8::/32"', 1)
    tenants.write_text(text, encoding="utf-8")
    code, out, _ = run("plan", str(repo / "inventories" / "example"), "--base", "HEAD", "--json",
                       "--detailed-exitcode")
    assert code == 3
    doc = json.loads(out)
    changes = [c for s in doc["stacks"] for c in s["changes"]]
    assert {c["tenant"] for c in changes} == {"prov-gov-office"}
    kinds = sorted((c["kind"], c["name"]) for c in changes)
    assert kinds == [("create", "prov-gov-office-in-tcp-8443-8443-2001-db8-32"),
                     ("delete", "prov-gov-office-in-tcp-443-443-2001-db8-32"),
                     ("update", "prov-gov-office-compute-quota-RegionBackup"),
                     ("update", "prov-gov-office-compute-quota-RegionMain")]
    update = next(c for c in changes if c["kind"] == "update")
    assert update["changes"] == [{"key": "cores", "old": 64, "new": 96}]
    # The working tree is untouched by reading the base.
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout.strip() == "M inventories/example/tenants.yaml"


def test_local_backend_checkpoint_is_read_as_the_stacks_state(cwd: Path) -> None:
    from govctl.core import statedir

    path = statedir.area(EXAMPLE, "stacks") / "backend" / ".pulumi" / "stacks" / "govctl" / "health.json"
    path.parent.mkdir(parents=True)
    doc = checkpoint("health")
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, _ = run("plan", "--stack", "health", "--json", "--detailed-exitcode")
    assert code == 0, out
    assert json.loads(out)["stacks"][0]["base"].startswith("state:")
    # One input drifted in the state and one resource left behind: an update and a delete.
    res = doc["checkpoint"]["latest"]["resources"]
    quota = next(r for r in res if r["urn"].endswith("::health-commission-compute-quota-RegionMain"))
    quota["inputs"]["cores"] = 8
    res.append({"urn": "urn:pulumi:health::govctl::openstack:networking/network:Network::stray", "custom": True,
                "id": "abc", "type": "openstack:networking/network:Network", "inputs": {"name": "stray"}})
    exported = cwd / "health-export.json"
    exported.write_text(json.dumps({"version": 3, "deployment": doc["checkpoint"]["latest"]}), encoding="utf-8")
    code, out, _ = run("plan", "--stack", "health", "--state", str(exported), "--json", "--detailed-exitcode")
    assert code == 3
    changes = json.loads(out)["stacks"][0]["changes"]
    assert [(c["kind"], c["name"]) for c in changes] == [("update", "health-commission-compute-quota-RegionMain"),
                                                         ("delete", "stray")]
    assert changes[0]["changes"] == [{"key": "cores", "old": 8, "new": 20}]


def _nothing_written(cwd: Path) -> None:
    assert sorted(p.name for p in cwd.iterdir()) == [], list(cwd.iterdir())


def test_unknown_stack_is_an_input_error(cwd: Path) -> None:
    code, _, err = run("plan", "--stack", "nowhere")
    assert code == 2 and "nowhere" in err and "prov" in err
    _nothing_written(cwd)


def test_bad_base_revision_is_an_input_error(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = run("plan", str(repo / "inventories" / "example"), "--base", "no-such-branch")
    assert code == 2 and "no-such-branch" in err
    _nothing_written(work)
    code, _, err = run("plan", "--base", "HEAD", str(work))  # not an inventory at all
    assert code == 2


def test_base_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = run("plan", str(inv), "--base", "HEAD")
    assert code == 2 and "not inside a git repository" in err
    _nothing_written(work)


@pytest.mark.parametrize("content", ["{not json", '{"version": 3}', '{"version": 3, "deployment": {"resources": '
                                     '[{"urn": "garbage", "type": "x"}]}}', '{"version": 9, "deployment": {}}'])
def test_corrupted_state_file_is_an_input_error(cwd: Path, content: str) -> None:
    bad = cwd / "state.json"
    bad.write_text(content, encoding="utf-8")
    code, _, err = run("plan", "--state", str(bad))
    assert code == 2 and "state.json" in err
    assert sorted(p.name for p in cwd.iterdir()) == ["state.json"]


def test_invalid_inventory_is_an_input_error(cwd: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    clouds = inv / "clouds.yaml"
    clouds.write_text(clouds.read_text(encoding="utf-8").replace("security_level: 3", "security_level: 9", 1),
                      encoding="utf-8")
    code, _, err = run("plan", str(inv))
    assert code == 2 and "clouds.yaml" in err
    assert sorted(p.name for p in cwd.iterdir()) == ["inv"]


def test_markdown_output_is_a_comment(cwd: Path) -> None:
    code, out, _ = run("plan", "--markdown", "--no-cache")
    assert code == 0
    count = len(planned("example")[1]["prov"].resources)
    # columns: delete, update, create (what a reviewer must see first)
    assert out.startswith("### govctl plan") and f"| prov | 0 | 0 | 0 | {count} |" in out and len(out) < 65_000


@pytest.mark.parametrize("args", [["apply", "--yes"], ["plan", "--live"], ["apply", "--stack", "prov"]])
def test_live_modes_fail_at_once_without_the_pulumi_cli(cwd: Path, args: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # CI builds the engine, so the Pulumi CLI is on PATH there: take every directory holding a `pulumi`
    # program off PATH, so this side runs on every machine (the engine's side is tests/stacks' live tests).
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    monkeypatch.setenv("PATH", os.pathsep.join(d for d in dirs if not os.access(Path(d or ".") / "pulumi", os.X_OK)))
    assert shutil.which("pulumi") is None
    code, _, err = run(*args)
    assert code == 1
    assert "Pulumi CLI is not installed" in err and "nothing was changed" in err
    _nothing_written(cwd)


def test_stacks_lists_one_stack_per_platform() -> None:
    code, out, _ = run("stacks", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["stack"] for r in rows] == ["prov", "health", "alpha-cloud", "beta-cloud"]
    assert rows[0]["references"] == [] and rows[1]["references"] == ["prov"]
    assert rows[0]["regions"] == ["RegionMain (primary)", "RegionBackup (same_city)", "RegionDR (remote_dr)"]


def test_mandatory_policy_violations_exit_4(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govctl.stacks import engine
    from govctl.stacks.models import Violation

    real = engine.violations

    def with_one(inv, planned, store=None):  # noqa: ANN001, ANN202
        return [*real(inv, planned, store), Violation("no-management-port-to-any", "mandatory", "prov", "urn:x", "port 22")]

    monkeypatch.setattr(engine, "violations", with_one)
    code, out, _ = run("plan", "--stack", "prov", "--no-cache", "--detailed-exitcode")
    assert code == 4 and "no-management-port-to-any" in out


def test_pulumi_project_runs_the_stacks_program() -> None:
    import yaml

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == "govctl" and project["runtime"]["name"] == "python" and project["main"] == "stacks/"
    assert (ROOT / "stacks" / "__main__.py").is_file()
