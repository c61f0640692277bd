"""`vault:` credentials: an Ansible-vault file encrypted here with ansible-core's VaultLib, resolved by
govctl itself; bad vault input stops `govctl net` with exit 2 and never shows a secret."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret
from net_helpers import FIXTURE
from typer.testing import CliRunner

from govctl.cli import app
from govctl.network.drivers.credentials import preflight, resolve
from govctl.network.errors import CredentialsMissing
from govctl.network.models import DeviceTarget

runner = CliRunner()
VAULT_PASSWORD = "correct horse battery"
SECRETS = {
    "extranet": {
        "county": {"username": "netops", "password": "Cty#pw-1"},
        "town": {"username": "netops", "password": "Twn#pw-2", "gamma-town02-r1": {"password": "Own#pw-3"}},
        "egress": {"key_file": "KEY"},
        "city": {"username": "netops"},
    }
}
ALL_SECRETS = ("Cty#pw-1", "Twn#pw-2", "Own#pw-3", VAULT_PASSWORD)


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    key = tmp_path / "egress_key"
    key.write_text("not a real key")
    data = json.loads(json.dumps(SECRETS).replace('"KEY"', json.dumps(str(key))))
    text = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))]).encrypt(yaml.safe_dump(data))
    vf = tmp_path / "vault.yml"
    vf.write_bytes(text)
    pw = tmp_path / "vault-pass"
    pw.write_text(VAULT_PASSWORD + "\n")
    monkeypatch.setenv("GOVCTL_VAULT_FILE", str(vf))
    monkeypatch.setenv("GOVCTL_VAULT_PASSWORD_FILE", str(pw))
    monkeypatch.delenv("ANSIBLE_VAULT_PASSWORD_FILE", raising=False)
    monkeypatch.setenv("GOVCTL_STATE_DIR", str(tmp_path / "state"))
    return vf


def test_group_entry_device_override_and_key_file(vault: Path):
    c = resolve("vault:extranet/county", "govctl", "alpha-east-r1")
    assert (c.username, c.password) == ("netops", "Cty#pw-1") and "Cty#pw-1" not in repr(c)
    assert resolve("vault:extranet/town", "govctl", "gamma-town01-r1").password == "Twn#pw-2"
    own = resolve("vault:extranet/town", "govctl", "gamma-town02-r1")
    assert (own.username, own.password) == ("netops", "Own#pw-3")
    k = resolve("ansible-vault:extranet/egress", "govctl", "example-egress1")
    assert (k.username, k.key_file, k.password) == ("govctl", str(vault.parent / "egress_key"), None)


def test_ansible_vault_password_file_is_honoured_too(vault: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GOVCTL_VAULT_PASSWORD_FILE")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(vault.parent / "vault-pass"))
    assert resolve("vault:extranet/county", "govctl", "r1").password == "Cty#pw-1"


def test_an_executable_password_file_is_run_as_a_vault_password_script(vault: Path, monkeypatch):
    script = vault.parent / "vault-pass.sh"
    script.write_text(f"#!/bin/sh\necho '{VAULT_PASSWORD}'\n")
    script.chmod(0o700)
    monkeypatch.setenv("GOVCTL_VAULT_PASSWORD_FILE", str(script))
    assert resolve("vault:extranet/county", "govctl", "r1").password == "Cty#pw-1"


def _error(ref: str, node: str = "alpha-east-r1") -> str:
    with pytest.raises(CredentialsMissing) as exc:
        resolve(ref, "govctl", node)
    text = str(exc.value)
    assert not any(s in text for s in ALL_SECRETS), text
    return text


def test_vault_errors_name_the_file_and_the_key(vault: Path, monkeypatch: pytest.MonkeyPatch):
    assert _error("vault:extranet/villages") == (
        f"alpha-east-r1: credentials vault:extranet/villages: vault file {vault} has no key 'villages' "
        "under 'extranet'")
    assert _error("vault:jx/extranet/core") == (
        f"alpha-east-r1: credentials vault:jx/extranet/core: vault file {vault} has no key 'jx'")
    assert _error("vault:extranet/city") == (
        f"alpha-east-r1: credentials vault:extranet/city: vault file {vault}: 'extranet/city' has no "
        "password (or key_file)")
    assert _error("vault:extranet/county/username").endswith("is not a mapping of username/password or key_file")

    (vault.parent / "vault-pass").write_text("not the password\n")
    assert _error("vault:extranet/county") == (
        f"alpha-east-r1: credentials vault:extranet/county: vault file {vault}: the vault password in "
        f"{vault.parent / 'vault-pass'} does not decrypt it")

    monkeypatch.delenv("GOVCTL_VAULT_PASSWORD_FILE")
    assert "no vault password is given: set GOVCTL_VAULT_PASSWORD_FILE or ANSIBLE_VAULT_PASSWORD_FILE" in \
        _error("vault:extranet/county")

    monkeypatch.delenv("GOVCTL_VAULT_FILE")
    assert _error("vault:extranet/county") == (
        "alpha-east-r1: credentials vault:extranet/county: set GOVCTL_VAULT_FILE to the Ansible-vault "
        "file that holds 'extranet/county'")


def test_a_vault_file_in_clear_is_refused(vault: Path):
    vault.write_text(yaml.safe_dump(SECRETS))
    assert "is not Ansible-vault encrypted" in _error("vault:extranet/county")


def test_preflight_checks_vault_references_only(vault: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GOVCTL_T_UNSET", raising=False)
    targets = [DeviceTarget(node="a", platform="frr", host="::1", credentials="env:GOVCTL_T_UNSET"),
               DeviceTarget(node="b", platform="frr", host="::1", credentials="vault:extranet/county")]
    preflight(targets)  # env: problems stay per device
    with pytest.raises(CredentialsMissing, match="c: credentials vault:extranet/nowhere"):
        preflight([*targets, DeviceTarget(node="c", platform="frr", host="::1", credentials="vault:extranet/nowhere")])


@pytest.mark.parametrize("command", ["diff", "push", "verify"])
def test_net_commands_stop_with_exit_2_on_a_wrong_vault_password(vault: Path, command: str):
    (vault.parent / "vault-pass").write_text("not the password\n")
    yes = ["--yes"] if command == "push" else []  # past the production prompt: the vault is what is checked
    result = runner.invoke(app, ["net", command, str(FIXTURE), "--limit", "alpha-east-r1", *yes])
    assert result.exit_code == 2, result.output
    assert f"vault file {vault}: the vault password in" in result.output
    assert "vault:extranet/county" in result.output
    assert not any(s in result.output for s in ALL_SECRETS)
    assert not (vault.parent / "state").exists()  # no journal: the run never started


def test_net_push_with_a_missing_vault_key_exits_2(vault: Path):
    data = dict(SECRETS["extranet"])
    del data["county"]
    vault.write_bytes(VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))]).encrypt(
        yaml.safe_dump({"extranet": data})))
    result = runner.invoke(app, ["net", "push", str(FIXTURE), "--limit", "alpha-east-r1", "--json", "--yes"])
    assert result.exit_code == 2, result.output
    assert f"vault file {vault} has no key 'county' under 'extranet'" in result.output
    assert not any(s in result.output for s in ALL_SECRETS)
