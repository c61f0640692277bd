"""Ansible inventory plugin: a govctl inventory directory as an Ansible inventory.

`ansible-inventory -i inventories/example --graph` works from the repository root (ansible.cfg
there enables this plugin and skips the inventory's other YAML files): the plugin accepts a
directory's ``province.yaml`` and loads the whole directory through govctl's validated model,
so Ansible sees exactly the nodes, tiers and addresses govctl does.

Groups: extranet > tier_<tier>; cities > city_<city>; platform_<platform>; role_<role>.
Host vars: ansible_host, govctl_platform, govctl_tier, govctl_division, govctl_role,
govctl_credentials (a reference, never a secret), govctl_inventory.
With GOVCTL_LAB=1 in the environment the hosts are the running lab's routers (FRR, lab
management addresses) instead of production devices.
"""
from __future__ import annotations

import os
from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

DOCUMENTATION = r"""
name: govctl_extranet
short_description: the extranet nodes of a govctl inventory directory
description:
  - Reads a govctl inventory (the directory holding province.yaml and extranet.yaml) with govctl's
    own loader and validation, and adds every extranet node as a host.
  - Set GOVCTL_LAB=1 to address the routers of the running govctl lab instead.
options: {}
"""


class InventoryModule(BaseInventoryPlugin):
    NAME = "govctl_extranet"

    def verify_file(self, path: str) -> bool:
        p = Path(path)
        return p.name == "province.yaml" and (p.parent / "extranet.yaml").is_file()

    def parse(self, inventory, loader, path, cache=True):  # noqa: ANN001, ANN201
        super().parse(inventory, loader, path, cache)
        from govctl.inventory.errors import GovctlError
        from govctl.network.workflow import load

        directory = Path(path).parent
        lab = os.environ.get("GOVCTL_LAB") in ("1", "true", "yes")
        try:
            ctx = load(directory, str(directory), lab=lab)
        except GovctlError as exc:
            raise AnsibleParserError(f"govctl inventory {directory}: {exc}") from None
        self.inventory.add_group("extranet")
        for node_id, intent in ctx.intents.items():
            node = next(n for n in ctx.inventory.nodes if n.id == node_id)
            target = ctx.targets[node_id]
            tier_group = f"tier_{intent.tier}"
            self.inventory.add_group(tier_group)
            self.inventory.add_child("extranet", tier_group)
            self.inventory.add_host(node_id, group=tier_group)
            if intent.division:
                city_group = f"city_{intent.division.split('/')[0].replace('-', '_')}"
                self.inventory.add_group("cities")
                self.inventory.add_group(city_group)
                self.inventory.add_child("cities", city_group)
                self.inventory.add_host(node_id, group=city_group)
            for extra in (f"platform_{target.platform}", f"role_{intent.role}"):
                self.inventory.add_group(extra)
                self.inventory.add_host(node_id, group=extra)
            for key, value in {
                "ansible_host": target.host,
                "govctl_platform": target.platform,
                "govctl_tier": intent.tier,
                "govctl_division": intent.division,
                "govctl_role": intent.role,
                "govctl_credentials": node.credentials if not lab else target.credentials,
                "govctl_inventory": str(directory.resolve()),
                "govctl_lab": lab,
            }.items():
                self.inventory.set_variable(node_id, key, value)
