"""Where `plan --live`/`apply` keep the engine's settings, which interpreter runs the program, the order of the
stacks, and the one line each engine failure ends with. No engine and no cloud needed."""
from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app
from govctl.core.clikit import exit_rule
from govctl.stacks import live
from govctl.stacks.commands import hub_first
from govctl.inventory.validate import load_valid

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"


def test_the_project_and_stack_settings_live_in_the_state_directory(tmp_path: Path) -> None:
    state = tmp_path / ".govctl" / "stacks"
    work = live.work_dir(state)
    assert work == state / "work"
    project = (work / "Pulumi.yaml").read_text(encoding="utf-8")
    assert f'main: "{live.ROOT / "stacks"}"' in project  # the installed package's program, by absolute path
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert stat.S_IMODE((work / "Pulumi.yaml").stat().st_mode) == 0o600


def test_the_engine_runs_govctls_interpreter_with_a_passphrase_file_outside_the_backend(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    state = tmp_path / ".govctl" / "stacks"
    env = live.env(state)
    assert env["PULUMI_PYTHON_CMD"] == sys.executable
    assert env["PULUMI_BACKEND_URL"] == f"file://{(state / 'backend').resolve()}"
    phrase = Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"])
    assert phrase == tmp_path / ".govctl" / "secrets" / "pulumi-passphrase"
    assert stat.S_IMODE(phrase.stat().st_mode) == 0o600 and stat.S_IMODE(phrase.parent.stat().st_mode) == 0o700
    secret = phrase.read_text(encoding="utf-8").strip()
    assert len(secret) >= 40 and secret not in "".join(env.values())  # the engine gets the path, not the value
    assert live.env(state)["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(phrase)
    assert phrase.read_text(encoding="utf-8").strip() == secret  # made once, then kept
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-user")
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in live.env(state)


def test_the_hub_goes_first_and_a_federated_stack_alone_needs_an_applied_hub(tmp_path: Path) -> None:
    inv = load_valid(EXAMPLE, str(EXAMPLE)).inventory
    state = tmp_path / "stacks"
    assert hub_first(inv, ["health", "alpha-cloud", "prov"], EXAMPLE, state) == ["prov", "health", "alpha-cloud"]
    with pytest.raises(live.HubNotApplied) as err:
        hub_first(inv, ["health"], EXAMPLE, state)
    assert str(err.value).count("\n") == 0 and "apply the hub stack first (govctl apply --stack prov)" in str(err.value)
    assert exit_rule(err.value).code == 2


def test_apply_of_a_federated_stack_before_its_hub_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    from capabilities import need_executable

    need_executable("pulumi", "tools/engine/build.sh; apply checks the CLI before the hub")
    res = CliRunner().invoke(app, ["--state-dir", str(tmp_path / "st"), "apply", str(EXAMPLE), "-s", "health", "--yes"])
    assert res.exit_code == 2, res.output
    assert "apply the hub stack first" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "st" / "stacks" / "work").exists()


class _Fake(Exception):
    pass


@pytest.mark.parametrize(("text", "kind", "code", "says"), [
    ("stderr: error: 1 error occurred:\n    * Error creating OpenStack identity client: Authentication failed\n",
     live.AuthFailed, 2, "refused the credentials"),
    ("    * Error creating OpenStack identity client: Post \"http://127.0.0.1:1/v3/auth/tokens\": OpenStack connection "
     "error, retries exhausted. Aborting. Last error was: dial tcp 127.0.0.1:1: connect: connection refused\n",
     live.CloudUnreachable, 1, "does not answer"),
    ("    error: stack 'health' reads tenant 'prov-gov-office' from the hub stack 'prov', whose state has no such "
     "output yet: apply the hub stack first (govctl apply --stack prov)\n", live.HubNotApplied, 2, "apply the hub"),
    ("    error: 1 error occurred:\n    * Error creating OpenStack DNS client: No suitable endpoint could be found in "
     "the service catalog.\n", live.LiveFailure, 1, "DNS client: No suitable endpoint"),
    # Neutron's answer to a create beyond the project's quota, as the provider passes it on
    ("    error: 1 error occurred:\n    * creating urn:pulumi:prov::govctl::govctl:cloud:Tenant$openstack:networking/"
     "network:Network::prov-finance-over: 1 error occurred:\n    * Error creating openstack_networking_network_v2: "
     "Expected HTTP response code [201 202] when accessing [POST http://127.0.0.1:9696/v2.0/networks], but got 409 "
     "instead: {\"NeutronError\": {\"type\": \"OverQuota\", \"message\": \"Quota exceeded for resources: "
     "['network'].\", \"detail\": \"\"}}\n", live.QuotaExhausted, 1,
     "the cloud refused creating prov-finance-over: Quota exceeded for resources: ['network']; "),
    ("    * Error creating openstack_compute_servergroup_v2: Quota exceeded, too many server groups.\n",
     live.QuotaExhausted, 1, "refused: Quota exceeded, too many server groups;"),
    # the same as the engine's diagnostics block shows it: the resource in the header
    ("stdout: Updating (prov):\n\nDiagnostics:\n  openstack:networking:Network (prov-finance-over):\n    error: 1 "
     "error occurred:\n    \t* Error creating openstack_networking_network_v2: ... got 409 instead: {\"NeutronError\": "
     "{\"type\": \"OverQuota\", \"message\": \"Quota exceeded for resources: ['network'].\"}}\n",
     live.QuotaExhausted, 1, "refused creating prov-finance-over: Quota exceeded for resources: ['network'];"),
])
def test_each_engine_failure_ends_in_one_line_with_its_exit_code(text: str, kind: type, code: int, says: str) -> None:
    err = live.classify("prov", "update", _Fake("code: 255\n stdout: ...\n stderr: " + text))
    assert isinstance(err, kind) and exit_rule(err).code == code
    assert says in str(err) and "\n" not in str(err)
