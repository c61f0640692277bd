"""Credentials references -> secrets, at the last moment, never logged.

``env:VAR``    password in $VAR (username in $VAR_USER, else the target's username)
``file:PATH``  an SSH private key file (the lab's own key, or an operator's)
``vault:A/B``  (or ``ansible-vault:A/B``) the entry A -> B of an Ansible-vault encrypted YAML file:
               $GOVCTL_VAULT_FILE, decrypted with ansible-core's VaultLib using the password in
               $GOVCTL_VAULT_PASSWORD_FILE or $ANSIBLE_VAULT_PASSWORD_FILE (an executable file is
               run as a vault password script, as Ansible does). The entry is a group's
               ``{username, password}`` or ``{key_file}``; a sub-entry named after the device
               overrides it for that device:

                   extranet:
                     county: {username: ops, password: "..."}
                     town:
                       username: ops
                       password: "..."
                       gamma-town02-r1: {password: "..."}   # this device only

The same file serves the Ansible playbook (``ansible-vault edit``), so there is one place for secrets.
Errors name the file and the entry, never a value from it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from govctl.network.errors import CredentialsMissing
from govctl.network.models import Credentials, DeviceTarget

VAULT_FILE_ENV = "GOVCTL_VAULT_FILE"
PASSWORD_FILE_ENVS = ("GOVCTL_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE")


def resolve(ref: str, username: str, node: str) -> Credentials:
    scheme, _, rest = ref.partition(":")
    if scheme == "env":
        value = os.environ.get(rest)
        if not value:
            raise CredentialsMissing(f"{node}: credentials {ref}: environment variable {rest} is not set")
        return Credentials(os.environ.get(f"{rest}_USER", username), password=value)
    if scheme == "file":
        return Credentials(username, key_file=_key_file(rest, f"{node}: credentials {ref}"))
    if scheme in ("vault", "ansible-vault"):
        return _from_vault(ref, rest, username, node)
    raise CredentialsMissing(f"{node}: credentials {ref}: unknown scheme '{scheme}' "
                             "(env:VAR, file:PATH, vault:PATH)")


def preflight(targets: Iterable[DeviceTarget]) -> None:
    """Resolve every vault reference before any device is touched. The vault is one input of the
    whole run (one file, one password), so a missing password, a wrong one or a missing entry stops
    the run as bad input (exit 2) rather than failing device after device. ``env:``/``file:``
    problems stay per device, as they always were."""
    for t in targets:
        if t.credentials.partition(":")[0] in ("vault", "ansible-vault"):
            resolve(t.credentials, t.username, t.node)


def _key_file(path: str, where: str) -> str:
    p = Path(path).expanduser()
    if not p.is_file() or not os.access(p, os.R_OK):
        raise CredentialsMissing(f"{where}: key file {p} is missing or unreadable")
    return str(p)


def _from_vault(ref: str, path: str, username: str, node: str) -> Credentials:
    where = f"{node}: credentials {ref}"
    vault_file = os.environ.get(VAULT_FILE_ENV)
    if not vault_file:
        raise CredentialsMissing(f"{where}: set {VAULT_FILE_ENV} to the Ansible-vault file that holds "
                                 f"'{path}'")
    vf = Path(vault_file).expanduser()
    try:
        data = _vault_data(str(vf), *_stamp(vf))
    except CredentialsMissing as exc:
        raise CredentialsMissing(f"{where}: {exc}") from None
    keys = [k for k in path.replace(":", "/").split("/") if k]
    node_entry: Any = data
    walked: list[str] = []
    for key in keys:
        if not isinstance(node_entry, dict) or key not in node_entry:
            under = f" under '{'/'.join(walked)}'" if walked else ""
            raise CredentialsMissing(f"{where}: vault file {vf} has no key '{key}'{under}")
        node_entry = node_entry[key]
        walked.append(key)
    if not isinstance(node_entry, dict):
        raise CredentialsMissing(f"{where}: vault file {vf}: '{path}' is not a mapping of "
                                 "username/password or key_file")
    entry = dict(node_entry)
    own = entry.pop(node, None)
    if isinstance(own, dict):
        entry.update(own)
    user = str(entry.get("username") or username)
    if entry.get("key_file"):
        return Credentials(user, key_file=_key_file(str(entry["key_file"]), f"{where} (vault file {vf})"))
    password = entry.get("password")
    if not isinstance(password, str) or not password:
        raise CredentialsMissing(f"{where}: vault file {vf}: '{path}' has no password (or key_file)"
                                 + (f" for {node}" if own is not None else ""))
    return Credentials(user, password=password)


def _stamp(vf: Path) -> tuple[int, str, int]:
    """What decides whether a cached decryption is still valid: the file's and the password's mtimes."""
    if not vf.is_file():
        raise CredentialsMissing(f"{VAULT_FILE_ENV}: vault file {vf} does not exist")
    pw = next((os.environ[e] for e in PASSWORD_FILE_ENVS if os.environ.get(e)), "")
    pw_mtime = Path(pw).stat().st_mtime_ns if pw and Path(pw).is_file() else 0
    return vf.stat().st_mtime_ns, pw, pw_mtime


@lru_cache(maxsize=4)
def _vault_data(vault_file: str, mtime: int, password_file: str, pw_mtime: int) -> Any:
    # Decrypting costs a key derivation; one run resolves hundreds of devices from the same file.
    import yaml
    from ansible.errors import AnsibleError
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultLib, get_file_vault_secret, is_encrypted

    raw = Path(vault_file).read_bytes()
    if not is_encrypted(raw):
        raise CredentialsMissing(f"vault file {vault_file} is not Ansible-vault encrypted "
                                 "(encrypt it with `ansible-vault encrypt`; secrets are never kept in clear)")
    if not password_file:
        raise CredentialsMissing(f"vault file {vault_file} is encrypted and no vault password is given: "
                                 f"set {' or '.join(PASSWORD_FILE_ENVS)}")
    try:
        secret = get_file_vault_secret(filename=password_file, vault_id="default", loader=DataLoader())
        secret.load()
        plain = VaultLib([("default", secret)]).decrypt(raw)
    except AnsibleError as exc:
        if "decrypt" in str(exc).lower() or "no vault secrets" in str(exc).lower():
            raise CredentialsMissing(f"vault file {vault_file}: the vault password in {password_file} "
                                     "does not decrypt it") from None
        # Ansible's message may quote a password script's stderr: name the file and the kind only
        raise CredentialsMissing(f"vault file {vault_file}: cannot read the vault password from "
                                 f"{password_file} ({type(exc).__name__})") from None
    try:
        return yaml.safe_load(plain) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1}" if mark is not None else ""
        # the decrypted text is secret: report where, never what
        raise CredentialsMissing(f"vault file {vault_file}: decrypted content is not valid YAML{at}") from None
