# -*- coding: utf-8 -*-
"""A govctl inventory directory as an Ansible inventory (govctl.extranet.inventory)."""
from __future__ import annotations

DOCUMENTATION = r"""
name: inventory
short_description: The extranet nodes of a govctl inventory directory
version_added: 0.1.0
author:
  - govctl maintainers (@govctl)
description:
  - Reads a govctl inventory (the directory holding C(province.yaml) and C(extranet.yaml)) with govctl's
    own loader and validation, and adds every extranet node as a host, so Ansible sees exactly the
    nodes, tiers and addresses govctl does.
  - "Two ways in: a configuration file whose name ends in C(govctl.yml) or C(govctl.yaml) with
    C(plugin: govctl.extranet.inventory) (what an AWX / Automation Controller inventory source points at),
    or the inventory directory itself (C(ansible-inventory -i inventories/example) with this plugin enabled
    and the directory's other YAML files ignored, as the repository's C(ansible.cfg) does)."
  - "Groups: C(extranet) > C(tier_<tier>); C(cities) > C(city_<city>); C(platform_<platform>); C(role_<role>);
    then whatever O(keyed_groups), O(groups) and O(compose) add."
  - "Host variables: C(ansible_host), C(ansible_network_os) (the platform's Ansible network OS, see
    O(network_os)), C(govctl_platform), C(govctl_tier), C(govctl_division), C(govctl_role),
    C(govctl_credentials) (a reference, never a secret), C(govctl_inventory), C(govctl_lab)."
  - Needs the Python package C(govctl) on the controller (the collection's execution environment carries it).
extends_documentation_fragment:
  - ansible.builtin.constructed
options:
  plugin:
    description: The name of this plugin; it makes a configuration file this plugin's.
    required: true
    type: str
    choices: [govctl.extranet.inventory]
  inventory:
    description:
      - The govctl inventory directory; a relative path is taken from the configuration file's directory
        (not from the directory ansible-inventory runs in).
    type: str
    default: "."
  lab:
    description: The hosts are the running govctl lab's routers (FRR, lab management addresses).
    type: bool
    default: false
    env:
      - name: GOVCTL_LAB
  network_os:
    description:
      - C(ansible_network_os) per govctl platform (what Ansible's network modules would use for the device).
      - Merged over the defaults, which each govctl platform's record gives (C(ansible_network_os) in
        C(network/platforms/<platform>/__init__.py)); a platform mapped to an empty string gets no
        C(ansible_network_os).
    type: dict
    default: {}
"""

EXAMPLES = r"""
# inventories/guangdong.govctl.yml, an AWX inventory source ("Sourced from a project")
plugin: govctl.extranet.inventory
inventory: guangdong
keyed_groups:
  # division_guangzhou, division_shenzhen, ...
  - key: govctl_division.split('/')[0] if govctl_division else 'province'
    prefix: division
  - key: ansible_network_os
    prefix: os
groups:
  egress: govctl_role == 'egress'
"""

import os
from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

TRUE = ("1", "true", "yes", "on")


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "govctl.extranet.inventory"

    def verify_file(self, path):
        p = Path(path)
        if p.name == "province.yaml":
            return (p.parent / "extranet.yaml").is_file()
        return super().verify_file(path) and p.name.endswith(("govctl.yml", "govctl.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        p = Path(path)
        if p.name == "province.yaml":
            self.set_options(direct={"plugin": self.NAME})
            directory = p.parent
        else:
            self._read_config_data(path)
            # a str option, not a path one: Ansible would make a relative path absolute from the working directory
            directory = p.parent / os.path.expanduser(self.get_option("inventory"))
        try:
            from govctl.core.errors import GovctlError
            from govctl.network.platforms import PLATFORMS
            from govctl.network.workflow import load
        except ImportError as exc:
            raise AnsibleParserError(
                f"govctl.extranet.inventory needs the Python package govctl: {to_native(exc)}") from None
        lab = self.get_option("lab")
        if isinstance(lab, str):  # from the environment
            lab = lab.lower() in TRUE
        try:
            ctx = load(directory, str(directory), lab=lab)
        except GovctlError as exc:
            # each problem names its file and line (InventoryInvalid's own str() only counts them)
            problems = getattr(exc, "problems", None)
            detail = "; ".join(pr.render() for pr in problems) if problems else to_native(exc)
            raise AnsibleParserError(f"govctl inventory {directory}: {detail}") from None
        # what Ansible's own network collections call each platform: each platform's record says
        network_os = {name: p.ansible_network_os for name, p in PLATFORMS.items()}
        network_os.update(self.get_option("network_os") or {})
        strict = self.get_option("strict")
        nodes = {n.id: n for n in ctx.inventory.nodes}
        self.inventory.add_group("extranet")
        for node_id, intent in ctx.intents.items():
            target = ctx.targets[node_id]
            tier_group = self.inventory.add_group(f"tier_{intent.tier}")
            self.inventory.add_child("extranet", tier_group)
            self.inventory.add_host(node_id, group=tier_group)
            if intent.division:
                self.inventory.add_group("cities")
                city_group = self.inventory.add_group(f"city_{intent.division.split('/')[0].replace('-', '_')}")
                self.inventory.add_child("cities", city_group)
                self.inventory.add_host(node_id, group=city_group)
            for extra in (f"platform_{target.platform}", f"role_{intent.role}"):
                self.inventory.add_host(node_id, group=self.inventory.add_group(extra))
            hostvars = {
                "ansible_host": target.host,
                "govctl_platform": target.platform,
                "govctl_tier": intent.tier,
                "govctl_division": intent.division,
                "govctl_role": intent.role,
                "govctl_credentials": nodes[node_id].credentials if not lab else target.credentials,
                "govctl_inventory": str(directory.resolve()),
                "govctl_lab": lab,
            }
            if network_os.get(target.platform):
                hostvars["ansible_network_os"] = network_os[target.platform]
            for key, value in hostvars.items():
                self.inventory.set_variable(node_id, key, value)
            self._set_composite_vars(self.get_option("compose"), hostvars, node_id, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, node_id, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, node_id, strict=strict)
