"""Credentials references -> secrets, at the last moment, never logged.

``env:VAR``    password in $VAR (username in $VAR_USER, else the target's username)
``file:PATH``  an SSH private key file (the lab's own key, or an operator's)
``vault:`` / ``ansible-vault:`` are resolved by Ansible (the playbook passes them in as
``env:``), so govctl itself refuses them with a clear message instead of guessing.
"""
from __future__ import annotations

import os
from pathlib import Path

from network.errors import CredentialsMissing
from network.models import Credentials


def resolve(ref: str, username: str, node: str) -> Credentials:
    scheme, _, rest = ref.partition(":")
    if scheme == "env":
        value = os.environ.get(rest)
        if not value:
            raise CredentialsMissing(f"{node}: credentials {ref}: environment variable {rest} is not set")
        return Credentials(os.environ.get(f"{rest}_USER", username), password=value)
    if scheme == "file":
        path = Path(rest)
        if not path.is_file() or not os.access(path, os.R_OK):
            raise CredentialsMissing(f"{node}: credentials {ref}: key file is missing or unreadable")
        return Credentials(username, key_file=str(path))
    raise CredentialsMissing(
        f"{node}: credentials {ref}: govctl resolves env: and file: references; run vault-backed "
        "inventories through playbooks/ipv6-rollout.yml, or export the secret as env:VAR")
