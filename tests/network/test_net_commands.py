"""`govctl net` / `govctl lab` through the CLI: output shapes, exit codes, nothing written on bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from net_helpers import FIXTURE, GOLDEN
from typer.testing import CliRunner

from govctl.cli import app

runner = CliRunner()


def test_render_one_device_prints_its_config():
    result = runner.invoke(app, ["net", "render", str(FIXTURE), "--device", "alpha-r1"])
    assert result.exit_code == 0
    assert result.stdout == (GOLDEN / "huawei_vrp" / "alpha-r1.cfg").read_text()


def test_render_all_to_a_directory_and_as_json(tmp_path: Path):
    result = runner.invoke(app, ["net", "render", str(FIXTURE), "--out", str(tmp_path / "cfg"), "--json"])
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert len(data["devices"]) == 22
    assert {d["platform"] for d in data["devices"]} == {"huawei_vrp", "h3c_comware", "ios", "frr"}
    assert (tmp_path / "cfg" / "example-egress1.cfg").read_text() == (GOLDEN / "ios" / "example-egress1.cfg").read_text()


def test_render_for_another_platform():
    result = runner.invoke(app, ["net", "render", str(FIXTURE), "-d", "alpha-r1", "--platform", "frr"])
    assert result.exit_code == 0 and result.stdout == (GOLDEN / "frr" / "alpha-r1.cfg").read_text()


@pytest.mark.parametrize("args", [
    ["net", "render", str(FIXTURE), "--device", "no-such-router"],
    ["net", "render", str(FIXTURE), "-d", "alpha-r1", "--platform", "ruijie"],
    ["net", "diff", str(FIXTURE), "--limit", "nothing-*"],
    ["net", "push", str(FIXTURE), "--max-fail", "2"],
    ["net", "rollback", "no-such-run", str(FIXTURE)],
])
def test_bad_input_exits_2(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path))
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == []  # no journal for a run that never started


def test_lab_flag_without_a_lab_says_how_to_start_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOVCTL_LAB_DIR", str(tmp_path))
    result = runner.invoke(app, ["net", "diff", str(FIXTURE), "--lab"])
    assert result.exit_code == 2
    assert "govctl lab up" in result.output


def test_production_push_without_credentials_fails_per_device_and_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("GOVCTL_CORE_PASSWORD", raising=False)
    result = runner.invoke(app, ["net", "push", str(FIXTURE), "--limit", "example-core1", "--json", "--yes"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["results"][0]["status"] == "failed"
    assert "GOVCTL_CORE_PASSWORD is not set" in data["results"][0]["error"]


# ------------------------------------------------------------ net push on production: the prompt


def _fake_production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # noqa: ANN202 - net_helpers.FakeNetwork
    """Production devices replaced by in-memory ones (nothing dialled), each running an empty config."""
    from net_helpers import FakeNetwork

    from govctl.network.drivers import registry
    from govctl.network.workflow import load

    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("GOVCTL_CORE_PASSWORD", "pw")
    ctx = load(FIXTURE)
    net = FakeNetwork(ctx.intents, ctx.configs(), {n: "" for n in ctx.intents})
    monkeypatch.setattr(registry, "driver_for", net.factory)
    return net


def test_production_push_without_a_terminal_and_without_yes_refuses_before_touching_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    net = _fake_production(monkeypatch, tmp_path)
    result = runner.invoke(app, ["net", "push", str(FIXTURE), "--limit", "example-core1"])
    assert result.exit_code == 2
    assert "--yes" in result.output and "not a terminal" in result.output
    assert net.log == [] and not (tmp_path / "runs").exists()


def test_production_push_shows_the_change_and_pushes_only_when_confirmed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from govctl.network import commands

    net = _fake_production(monkeypatch, tmp_path)
    monkeypatch.setattr(commands, "_interactive", lambda: True)
    result = runner.invoke(app, ["net", "push", str(FIXTURE), "--limit", "example-core1"], input="n\n")
    assert result.exit_code == 2, result.output
    assert "would change (1 of 1 devices)" in result.output and "example-core1" in result.output
    assert "Push to 1 device(s)?" in result.output and "not confirmed" in result.output
    assert ("example-core1", "commit") not in net.log
    result = runner.invoke(app, ["net", "push", str(FIXTURE), "--limit", "example-core1", "--verify-timeout", "0"],
                           input="y\n")
    assert ("example-core1", "commit") in net.log, result.output


def test_production_push_with_yes_asks_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    net = _fake_production(monkeypatch, tmp_path)
    result = runner.invoke(app, ["net", "push", str(FIXTURE), "--limit", "example-core1", "-y", "--json",
                                 "--verify-timeout", "0"])
    assert "Push to" not in result.output
    assert ("example-core1", "commit") in net.log
