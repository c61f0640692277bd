"""The bad-input corpus: broken inventories, each one small named mutation of the bundled example.

Every case is run through the real CLI (``govctl validate <dir>``, plain and ``--json``) and must:
exit 2 (0 for warning-only rules), print no Python traceback, name the file (and the exact line
where the mutation has one), the key path and what is wrong, never print a secret, and leave
every file in and around the inventory untouched. A handful also go through ``govctl ipv6 plan
--write`` and ``govctl ipv6 show``, which must refuse the same input without writing.

Expected lines are exact but not hard-coded: a string locates the first line of the *mutated*
file containing it, so comment edits in the example do not break the corpus while a problem
reported one line off still does. A mutation whose anchor text is missing from the example
fails loudly instead of silently testing nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest
import yaml
from capabilities import need_executable
from typer.testing import CliRunner, Result

from govctl import cli

EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

Mutation = Callable[[Path], None]



# ---------------------------------------------------------------- mutations


def sub(fname: str, old: str, new: str) -> Mutation:
    """Replace the one occurrence of ``old`` in ``fname`` by ``new``."""

    def apply(d: Path) -> None:
        p = d / fname
        text = p.read_text(encoding="utf-8")
        n = text.count(old)
        assert n == 1, f"mutation anchor {old!r} occurs {n} times in {fname}; the example changed"
        p.write_text(text.replace(old, new), encoding="utf-8")

    return apply


def append(fname: str, text: str) -> Mutation:
    def apply(d: Path) -> None:
        p = d / fname
        p.write_text(p.read_text(encoding="utf-8").rstrip("\n") + "\n" + text, encoding="utf-8")

    return apply


def raw_sub(fname: str, old: str, new: bytes) -> Mutation:
    """Replace text by raw bytes (to make a file that is not UTF-8 at a known line)."""

    def apply(d: Path) -> None:
        p = d / fname
        raw = p.read_bytes()
        assert raw.count(old.encode()) == 1, f"mutation anchor {old!r} not once in {fname}"
        p.write_bytes(raw.replace(old.encode(), new))

    return apply


def write(fname: str, content: str | bytes) -> Mutation:
    def apply(d: Path) -> None:
        p = d / fname
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")

    return apply


def remove(fname: str) -> Mutation:
    def apply(d: Path) -> None:
        (d / fname).unlink()

    return apply


def replace_with_directory(fname: str) -> Mutation:
    """An unreadable 'file' that stays unreadable for root too: a directory with the file's name."""

    def apply(d: Path) -> None:
        (d / fname).unlink()
        (d / fname).mkdir()
        (d / fname / "README").write_text("not a YAML file\n", encoding="utf-8")

    return apply


def chmod(fname: str, mode: int) -> Mutation:
    def apply(d: Path) -> None:
        (d / fname).chmod(mode)

    return apply


def yaml_edit(fname: str, edit: Callable[[Any], None]) -> Mutation:
    """Structural edit through a YAML round trip (comments are lost; lines move)."""

    def apply(d: Path) -> None:
        p = d / fname
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        edit(data)
        p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return apply


def recode(fname: str, encoding: str) -> Mutation:
    def apply(d: Path) -> None:
        p = d / fname
        p.write_bytes(p.read_text(encoding="utf-8").encode(encoding))

    return apply


def then(*steps: Mutation) -> Mutation:
    def apply(d: Path) -> None:
        for step in steps:
            step(d)

    return apply


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    id: str
    file: str  # the file the message must name (for path cases: the last part of the path given)
    mutate: Mutation
    message: str  # substring of the problem's message
    path: str = ""  # substring of the problem's key path
    line: int | str | None = None  # int: exact line; str: first line of the mutated file containing it
    exit_code: int = 2
    rule: str | None = None
    severity: str = "error"
    secret: str | None = None  # must never be printed
    value: str | None = None  # the offending value the problem quotes, where it matters
    target: str | None = None  # argument given to govctl, relative to the inventory dir (default: the dir)
    without_privilege: bool = False  # as root, govctl runs with no capabilities (see run_unprivileged)

    def expected_line(self, d: Path) -> int | None:
        if self.line is None or isinstance(self.line, int):
            return self.line
        text = (d / self.file).read_bytes().decode("utf-8", errors="replace")
        for n, row in enumerate(text.splitlines(), 1):
            if self.line in row:
                return n
        raise AssertionError(f"{self.id}: line locator {self.line!r} not in mutated {self.file}")


def warn(**kw: Any) -> Case:
    """A case breaking a warning rule: reported, exit 0."""
    return Case(exit_code=0, severity="warning", **kw)


CORE2_NODE = "  - id: example-core2\n    tier: province\n"
SPARE_TOWN_NODE = (
    "  - id: alpha-west-spare\n"
    "    tier: town\n"
    "    division: alpha/west/town01\n"
    "    platform: frr\n"
    "    credentials: vault:extranet/town\n"
    "node_groups:"
)
ALLOCATIONS = "ipv6-allocations.yaml"

CASES: list[Case] = [
    # --- YAML syntax and file shape
    Case("yaml-tab-indentation", "province.yaml", sub("province.yaml", "    name: 东区", "\tname: 东区"),
         "YAML syntax error", line="\tname: 东区"),
    Case("yaml-unclosed-bracket", "sites.yaml",
         sub("sites.yaml", "{a: alpha-main, b: alpha-backup,", "[a: alpha-main, b: alpha-backup,"),
         "YAML syntax error", line="[a: alpha-main"),
    Case("yaml-unterminated-quote", "province.yaml",
         sub("province.yaml", "name: 示例省 ", "name: '示例省 "), "YAML syntax error", line="name: '示例省"),
    Case("yaml-two-documents", "departments.yaml",
         sub("departments.yaml", "department_sets:", "---\ndepartment_sets:"), "another document", line="---"),
    Case("yaml-unknown-tag", "province.yaml",
         sub("province.yaml", "plan: 示例省", "plan: !vendor 示例省"), "could not determine a constructor",
         line="plan: !vendor"),
    Case("yaml-recursive-alias", "province.yaml",
         sub("province.yaml", "plan: 示例省数字政府建设总体规划(2024-2026年)", "plan: &loop [*loop]"),
         "alias", line="plan: &loop"),
    Case("yaml-duplicate-key", "province.yaml", sub("province.yaml", "name: 示例省 ", "name: 示例省\nname: 另一省 "),
         "duplicate key", path="name", line="name: 另一省"),
    Case("yaml-duplicate-key-nested", "tenants.yaml", sub("tenants.yaml", "      cores: 64", "      cores: 64\n      cores: 8"),
         "duplicate key", path="tenants[0].quotas.cores", line="cores: 8"),
    Case("file-empty", "sites.yaml", write("sites.yaml", ""), "empty", line=1),
    Case("file-only-comments", "clouds.yaml", write("clouds.yaml", "# platforms go here\n"), "empty"),
    Case("file-only-a-list", "departments.yaml", write("departments.yaml", "- gov-office\n- finance\n"),
         "expected a mapping", line=1),
    Case("file-only-a-scalar", "ipv6.yaml", write("ipv6.yaml", "2001:db8::/32\n"), "expected a mapping", line=1),
    Case("file-missing-required", "clouds.yaml", remove("clouds.yaml"), "required file is missing"),
    Case("file-is-a-directory", "tenants.yaml", replace_with_directory("tenants.yaml"), "found a directory"),
    Case("file-unreadable", "tenants.yaml", chmod("tenants.yaml", 0), "permission denied", without_privilege=True),
    Case("file-not-utf8-latin1", "systems.yaml", raw_sub("systems.yaml", "name: 旧版门户网站", b"name: caf\xe9"),
         "not UTF-8", line="name: caf"),
    Case("file-gbk-encoded", "departments.yaml", recode("departments.yaml", "gbk"), "not UTF-8"),
    Case("path-is-a-file", "province.yaml", lambda d: None, "found a file", target="province.yaml"),
    Case("path-does-not-exist", "no-such-inventory", lambda d: None, "does not exist", target="no-such-inventory"),
    # --- wrong types
    Case("type-string-for-int", "province.yaml", sub("province.yaml", "year: 2026", "year: twenty-six"),
         "valid integer", path="targets.year", line="year: twenty-six"),
    Case("type-list-for-mapping", "tenants.yaml",
         sub("tenants.yaml", "dr: {grade: 4, rto_minutes: 120, rpo_minutes: 15}", "dr: [4, 120, 15]"),
         "valid dictionary", path="tenants[1].dr", line="dr: [4, 120, 15]"),
    Case("type-mapping-for-list", "clouds.yaml",
         sub("clouds.yaml", "    federates_with: [prov]\n    external_ipv4: 203.0.113.0/29",
             "    federates_with: {prov: yes}\n    external_ipv4: 203.0.113.0/29"),
         "valid list", path="platforms[1].federates_with", line="federates_with: {prov: yes}"),
    Case("type-string-for-list", "ipv6.yaml", yaml_edit("ipv6.yaml", lambda d: d.update(pools="2001:db8::/32")),
         "valid list", path="pools", line="pools:"),
    Case("type-bool-for-string", "departments.yaml", sub("departments.yaml", "name: 示例省财政厅", "name: yes"),
         "valid string", path="departments[3].name", line="name: yes"),
    Case("type-int-for-id", "sites.yaml", sub("sites.yaml", "- id: beta-dc", "- id: 42"),
         "valid string", path="sites[3].id", line="- id: 42"),
    Case("bad-enum-value", "sites.yaml", sub("sites.yaml", "role: primary ", "role: main "),
         "'primary', 'same_city', 'remote_dr' or 'regional'", path="sites[0].role", line="role: main"),
    Case("bad-date", "systems.yaml", sub("systems.yaml", "last_used: 2026-11-20", "last_used: 2026-02-30"),
         "valid date", path="systems[0].last_used", line="2026-02-30"),
    Case("bad-datetime", "province.yaml",
         sub("province.yaml", "start: 2026-03-01T00:00:00+08:00", "start: soon"),
         "valid datetime", path="change_freezes[0].start", line="start: soon"),
    Case("town-count-above-range", "province.yaml", sub("province.yaml", "towns: {count: 3}", "towns: {count: 1000}"),
         "less than or equal to 999", path="cities[0].counties[1].towns.count", line="count: 1000"),
    Case("town-count-negative", "province.yaml", sub("province.yaml", "towns: {count: 2,", "towns: {count: -2,"),
         "greater than or equal to 0", path="cities[1].counties[0].towns.count", line="count: -2"),
    Case("share-above-one", "province.yaml",
         sub("province.yaml", "dedicated_networks_integrated: 0.95", "dedicated_networks_integrated: 1.5"),
         "less than or equal to 1", path="targets.dedicated_networks_integrated", line="integrated: 1.5"),
    Case("site-link-count-zero", "sites.yaml",
         sub("sites.yaml", "b: beta-dr, count: 1,", "b: beta-dr, count: 0,"),
         "greater than or equal to 1", path="links[1].count", line="count: 0"),
    Case("port-out-of-range", "tenants.yaml",
         sub("tenants.yaml", 'ports: "443", source: 198.51.100.0/24', 'ports: "70000", source: 198.51.100.0/24'),
         "1-65535", path="tenants[0].ingress[0].ports", line='"70000"'),
    Case("tcp-rule-without-ports", "tenants.yaml",
         sub("tenants.yaml", '{protocol: tcp, ports: "443", source: "2001:db8::/32"',
             '{protocol: tcp, source: "2001:db8::/32"'),
         "name their ports", path="tenants[0].ingress[1].ports", line='{protocol: tcp, source: "2001'),
    Case("required-key-missing", "sites.yaml", sub("sites.yaml", "    latitude: 24.30\n", ""),
         "required key is missing", path="sites[3].latitude", line="- id: beta-dc"),
    Case("rules-tier-bandwidth-negative", "province.yaml", sub("province.yaml", "    city: 10000", "    city: -1"),
         "greater than 0", path="rules.tier_bandwidth_mbps.city", line="city: -1"),
    # --- unknown keys at several depths
    Case("unknown-key-top-level", "province.yaml", append("province.yaml", "colour: red\n"),
         "unknown key 'colour'", path="colour", line="colour: red"),
    Case("unknown-key-misspelled", "tenants.yaml",
         sub("tenants.yaml", "    security_level: 3            # the tenant's", "    securty_level: 3  # the tenant's"),
         "unknown key 'securty_level'", path="tenants[0].securty_level", line="securty_level"),
    Case("unknown-key-nested-quotas", "tenants.yaml", sub("tenants.yaml", "      cores: 64", "      cores: 64\n      gpus: 8"),
         "unknown key 'gpus'", path="tenants[0].quotas.gpus", line="gpus: 8"),
    Case("unknown-key-node-group-body", "extranet.yaml",
         sub("extranet.yaml", "credentials: vault:extranet/town}", "credentials: vault:extranet/town, colour: red}"),
         "unknown key 'colour'", path="node_groups[2].body.colour", line="colour: red"),
    Case("unknown-key-openstack-region", "clouds.yaml",
         sub("clouds.yaml", "availability_zones: [az-health-1]}", "availability_zones: [az-health-1], zone: x}"),
         "unknown key 'zone'", path="platforms[1].openstack.regions[0].zone", line="zone: x"),
    # --- ids, prefixes, addresses, credentials
    Case("bad-id-syntax", "tenants.yaml", sub("tenants.yaml", "- id: prov-finance", "- id: Prov_Finance"),
         "lower-case", path="tenants[2].id", line="Prov_Finance"),
    Case("bad-ipv4-prefix-length", "tenants.yaml",
         sub("tenants.yaml", "        ipv4: 198.51.100.128/26", "        ipv4: 198.51.100.0/33"),
         "not a valid prefix", path="tenants[0].networks[0].ipv4", line="198.51.100.0/33"),
    Case("ipv4-prefix-host-bits-set", "tenants.yaml",
         sub("tenants.yaml", "ipv4: 198.51.100.192/26\n", "ipv4: 198.51.100.193/26\n"),
         "host bits", path="tenants[0].networks[1].ipv4", line="198.51.100.193/26"),
    Case("bad-ipv6-prefix-length", "ipv6.yaml", sub("ipv6.yaml", '"2001:db8::/34"', '"2001:db8::/129"'),
         "not a valid prefix", path="pools[0].prefix", line="/129"),
    Case("ipv6-prefix-host-bits-set", "ipv6.yaml", sub("ipv6.yaml", '"2001:db8:4000::/34"', '"2001:db8:4001::/34"'),
         "host bits", path="pools[1].prefix", line="2001:db8:4001::/34"),
    Case("bad-ipv6-prefix-syntax", "extranet.yaml",
         sub("extranet.yaml", 'announce_ipv6: ["2001:db8::/32"]', 'announce_ipv6: ["2001:db8::g/32"]'),
         "not a valid prefix", path="egress[0].announce_ipv6[0]", line="2001:db8::g/32"),
    Case("bad-address", "extranet.yaml", sub("extranet.yaml", "mgmt: 198.51.100.11 ", "mgmt: 198.51.100.300 "),
         "not a valid IPv4 or IPv6 address", path="nodes[0].mgmt", line="198.51.100.300"),
    Case("ipv4-prefix-as-ipv6-pool", "ipv6.yaml", sub("ipv6.yaml", '"2001:db8:ffff::/48"', '"198.51.100.0/24"'),
         "needs an IPv6 prefix", path="pools[2].prefix", line="198.51.100.0/24"),
    Case("ipv6-pools-overlap", "ipv6.yaml", sub("ipv6.yaml", 'prefix: "2001:db8:fffd::/48"', 'prefix: "2001:db8:fffe::/48"'),
         "overlaps pool", path="pools[4].prefix", line="use: management"),
    Case("ipv6-prefix-on-ipv4-link", "extranet.yaml",
         sub("extranet.yaml", "ipv4: 203.0.113.252/30", 'ipv4: "2001:db8:ee::/127"'),
         "expected an IPv4 prefix", path="links[4].ipv4", line="2001:db8:ee::/127"),
    Case("ipv6-prefix-in-tenant-ipv4-field", "tenants.yaml",
         sub("tenants.yaml", "ipv4: 198.51.100.192/26\n", 'ipv4: "2001:db8:1::/64"\n'),
         "IPv4", path="tenants[0].networks[1].ipv4", line="2001:db8:1::/64"),
    Case("ipv4-prefix-in-announce-ipv6", "extranet.yaml",
         sub("extranet.yaml", 'announce_ipv6: ["2001:db8::/32"]', "announce_ipv6: [203.0.113.0/24]"),
         "IPv6", path="egress[0].announce_ipv6[0]", line="announce_ipv6: [203"),
    Case("plaintext-password-as-credentials", "extranet.yaml",
         sub("extranet.yaml", "credentials: vault:extranet/egress", "credentials: Admin@123"),
         "never the secret itself", path="nodes[2].credentials", line="Admin@123", secret="Admin@123"),
    Case("plaintext-password-in-node-group", "extranet.yaml",
         sub("extranet.yaml", "credentials: vault:extranet/town}", 'credentials: "Huawei@12#$"}'),
         "never the secret itself", path="node_groups[2].body.credentials", line="Huawei@12", secret="Huawei@12#$"),
    Case("credentials-as-mapping-with-password", "extranet.yaml",
         sub("extranet.yaml", "credentials: vault:extranet/county}", "credentials: {user: admin, password: H3c-S3cret}}"),
         "valid string", path="node_groups[1].body.credentials", line="H3c-S3cret", secret="H3c-S3cret"),
    # --- duplicate ids
    Case("duplicate-city-id", "province.yaml", sub("province.yaml", "  - id: beta\n", "  - id: alpha  # was beta\n"),
         "duplicate city id", path="cities[1].id", line="# was beta"),
    Case("duplicate-county-id", "province.yaml", sub("province.yaml", "      - id: west\n", "      - id: east  # was west\n"),
         "duplicate county", path="cities[0].counties[1].id", line="# was west"),
    Case("duplicate-site-id", "sites.yaml", sub("sites.yaml", "  - id: alpha-backup\n", "  - id: alpha-main  # was alpha-backup\n"),
         "duplicate site id", path="sites[1].id", line="# was alpha-backup"),
    Case("duplicate-platform-id", "clouds.yaml", sub("clouds.yaml", "  - id: health\n", "  - id: prov  # was health\n"),
         "duplicate platform id", path="platforms[1].id", line="# was health"),
    Case("duplicate-tenant-id", "tenants.yaml",
         sub("tenants.yaml", "  - id: prov-finance\n", "  - id: prov-gov-office  # was prov-finance\n"),
         "duplicate tenant id", path="tenants[2].id", line="# was prov-finance"),
    Case("duplicate-node-id", "extranet.yaml",
         sub("extranet.yaml", "  - id: example-core2\n", "  - id: example-core1  # was example-core2\n"),
         "duplicate node id", path="nodes[1].id", line="# was example-core2"),
    Case("generated-tenant-collides-with-explicit", "tenants.yaml",
         sub("tenants.yaml", "  - id: health-commission", "  - id: alpha-cloud-edu"),
         # either place is fine (the explicit one or the tenant set), as long as the id is named
         "duplicate tenant id", value="alpha-cloud-edu"),
    Case("generated-node-collides-with-explicit", "extranet.yaml",
         sub("extranet.yaml", "  - id: alpha-east-legacy", "  - id: alpha-east-r1"),
         "duplicate node id", value="alpha-east-r1"),
    Case("generated-department-collides-with-explicit", "departments.yaml",
         sub("departments.yaml", "  - id: gov-office", "  - id: alpha-edu"),
         "duplicate department id", value="alpha-edu"),
    Case("duplicate-system-id", "systems.yaml", sub("systems.yaml", "  - id: old-portal\n", "  - id: oa  # was old-portal\n"),
         "duplicate system id", path="systems[4].id", line="# was old-portal"),
    # --- dangling references
    Case("dangling-site-city", "sites.yaml", sub("sites.yaml", "city: beta\n    role: regional", "city: atlantis\n    role: regional"),
         "no such city", path="sites[3].city", line="city: atlantis"),
    Case("dangling-region-site", "clouds.yaml", sub("clouds.yaml", "site: beta-dr", "site: atlantis-dr"),
         "no such site", path="platforms[0].openstack.regions[2].site", line="site: atlantis-dr"),
    Case("dangling-federates-with", "clouds.yaml",
         sub("clouds.yaml", "    federates_with: [prov]\n    external_ipv4: 203.0.113.0/29",
             "    federates_with: [prov, nowhere]\n    external_ipv4: 203.0.113.0/29"),
         "no such platform", path="platforms[1].federates_with[1]", line="nowhere"),
    Case("platform-federates-with-itself", "clouds.yaml",
         sub("clouds.yaml", "    federates_with: [prov]\n    external_ipv4: 203.0.113.0/29",
             "    federates_with: [prov, health]\n    external_ipv4: 203.0.113.0/29"),
         "cannot federate with itself", path="platforms[1].federates_with[1]", line="[prov, health]"),
    Case("municipal-platform-without-city", "clouds.yaml", sub("clouds.yaml", "    city: beta\n", ""),
         "names the city it serves", path="platforms[3].city", line="- id: beta-cloud"),
    Case("dangling-tenant-department", "tenants.yaml", sub("tenants.yaml", "department: finance", "department: treasury"),
         "no such department", path="tenants[2].department", line="treasury"),
    Case("dangling-tenant-platform", "tenants.yaml", sub("tenants.yaml", "platform: health", "platform: wellness"),
         "no such platform", path="tenants[3].platform", line="wellness"),
    Case("dangling-tenant-shared-with", "tenants.yaml",
         sub("tenants.yaml", "shared_with: [prov-gov-office]", "shared_with: [nobody]"),
         "no such other tenant", path="tenants[3].shared_with[0]", line="[nobody]"),
    Case("dangling-department-set-city", "departments.yaml",
         sub("departments.yaml", "  - cities: all ", "  - cities: [alpha, atlantis] "),
         "no such city", path="department_sets[0].cities[1]", line="atlantis"),
    Case("dangling-node-division", "extranet.yaml", sub("extranet.yaml", "division: alpha/east\n", "division: alpha/south\n"),
         "no such division", path="nodes[3].division", line="alpha/south"),
    Case("dangling-dedicated-site-division", "dedicated_networks.yaml",
         sub("dedicated_networks.yaml", "        division: beta/north", "        division: atlantis"),
         "no such division", path="dedicated_networks[1].sites[1].division", line="atlantis"),
    Case("node-tier-mismatches-division", "extranet.yaml",
         sub("extranet.yaml", "tier: county\n    division: alpha/east", "tier: city\n    division: alpha/east"),
         "is a county", path="nodes[3].tier", line="tier: city"),
    Case("dangling-node-site", "extranet.yaml",
         sub("extranet.yaml", "platform: ios\n    site: alpha-main", "platform: ios\n    site: atlantis-main"),
         "no such site", path="nodes[2].site", line="atlantis-main"),
    Case("dangling-node-group-city", "extranet.yaml", sub("extranet.yaml", "    cities: all ", "    cities: [atlantis] "),
         "no such city", path="node_groups[2].cities[0]", line="[atlantis]"),
    Case("node-group-without-parent-nodes", "extranet.yaml",
         sub("extranet.yaml", "    count: 2                     # dual core",
             "    cities: [alpha]\n    count: 2                     # dual core"),
         "division(s) of tier county have no nodes in their parent division to uplink to", path="node_groups[1]", line="  - tier: county"),
    Case("dangling-link-end", "extranet.yaml",
         sub("extranet.yaml", "{a: example-core1, b: example-core2, mbps: 100000}",
             "{a: example-core1, b: example-core9, mbps: 100000}"),
         "no such extranet node", path="links[0].b", line="example-core9"),
    Case("link-joins-a-node-to-itself", "extranet.yaml",
         sub("extranet.yaml", "{a: example-core1, b: example-core2, mbps: 100000}",
             "{a: example-core1, b: example-core1, mbps: 100000}"),
         "two different nodes", path="links[0]", line="b: example-core1, mbps: 100000"),
    Case("dangling-egress-node", "extranet.yaml", sub("extranet.yaml", "node: example-egress1", "node: example-egress9"),
         "no such extranet node", path="egress[0].node", line="example-egress9"),
    Case("dangling-dedicated-network-target-node", "dedicated_networks.yaml",
         sub("dedicated_networks.yaml", "target_nodes: [alpha-r1, alpha-r2]", "target_nodes: [alpha-r1, alpha-r7]"),
         "no such extranet node", path="dedicated_networks[0].target_nodes[1]", line="alpha-r7"),
    Case("dangling-dedicated-network-department", "dedicated_networks.yaml",
         sub("dedicated_networks.yaml", "department: health-comm", "department: health-bureau"),
         "no such department", path="dedicated_networks[0].department", line="health-bureau"),
    Case("dangling-system-depends-on", "systems.yaml", sub("systems.yaml", "depends_on: [idm]            #", "depends_on: [sso]  #"),
         "no such system", path="systems[0].depends_on[0]", line="[sso]"),
    Case("dangling-system-target-platform", "systems.yaml", sub("systems.yaml", "target_platform: prov", "target_platform: cloudx"),
         "no such platform", path="systems[0].target_platform", line="cloudx"),
    Case("freeze-ends-before-it-starts", "province.yaml",
         sub("province.yaml", "end: 2026-03-15T23:59:59+08:00", "end: 2026-02-15T23:59:59+08:00"),
         "freeze", path="change_freezes[0].end", line="end: 2026-02-15"),
    Case("window-ends-before-it-starts", "dedicated_networks.yaml",
         sub("dedicated_networks.yaml", "end: 2036-12-05T04:00:00+08:00", "end: 2036-12-04T04:00:00+08:00"),
         "window", path="dedicated_networks[0].window.end", line="end: 2036-12-04"),
    # --- the plans' rules, each violated once (errors exit 2)
    Case("DR-001-no-remote-dr-site", "sites.yaml",
         sub("sites.yaml", "role: remote_dr              #", "role: regional              #"),
         "no remote disaster-recovery site", rule="DR-001", path="sites", line="sites:"),
    Case("DR-002-same-city-in-another-city", "sites.yaml",
         sub("sites.yaml", "city: alpha\n    role: same_city", "city: beta  # moved\n    role: same_city"),
         "in the primary's city", rule="DR-002", path="sites[1].city", line="# moved"),
    Case("DR-003-remote-dr-too-close", "sites.yaml",
         sub("sites.yaml", "latitude: 24.29              # about 267 km from alpha-main\n    longitude: 115.56",
             "latitude: 23.50              # ~55 km from alpha-main\n    longitude: 113.60"),
         "expected at least 200 km", rule="DR-003", path="sites[2].latitude", line="latitude: 23.50"),
    Case("DR-004-one-link-to-same-city", "sites.yaml",
         sub("sites.yaml", "b: alpha-backup, count: 2,", "b: alpha-backup, count: 1,"),
         "has 1 link(s)", rule="DR-004", path="sites[1]", line="- id: alpha-backup"),
    Case("DR-005-dr-grade-without-dr-regions", "tenants.yaml",
         sub("tenants.yaml", "    shared_with: [prov-gov-office]",
             "    shared_with: [prov-gov-office]\n    dr: {grade: 2, rto_minutes: 240, rpo_minutes: 60}"),
         "needs platform 'health'", rule="DR-005", path="tenants[3].dr.grade", line="dr: {grade: 2"),
    Case("PLAT-001-two-provincial-platforms", "clouds.yaml",
         sub("clouds.yaml", "    kind: industry", "    kind: provincial"),
         "exactly one provincial platform, found 2", rule="PLAT-001", path="platforms", line="platforms:"),
    Case("PLAT-002-municipal-not-federated", "clouds.yaml",
         sub("clouds.yaml", "    federates_with: [prov]\n    external_ipv4: 203.0.113.16/29",
             "    federates_with: []  # left the federation\n    external_ipv4: 203.0.113.16/29"),
         "must federate with the provincial platform", rule="PLAT-002", path="platforms[3].federates_with",
         line="# left the federation"),
    Case("SEC-001-tenant-above-platform-level", "tenants.yaml",
         sub("tenants.yaml", "    platform: health\n    security_level: 3", "    platform: health\n    security_level: 4  # raised"),
         "above its platform", rule="SEC-001", path="tenants[3].security_level", line="# raised"),
    Case("SEC-002-classified-tenant", "tenants.yaml",
         sub("tenants.yaml", "    isolation: dedicated_hosts", "    classification: classified\n    isolation: dedicated_hosts"),
         "classified tenant", rule="SEC-002", path="tenants[2].classification", line="classification: classified"),
    Case("SEC-002-classified-system-targets-cloud", "systems.yaml",
         sub("systems.yaml", "classification: classified   # stays on the intranet",
             "classification: classified\n    target_platform: prov  # moved"),
         "stays on the intranet", rule="SEC-002", path="systems[3].target_platform", line="target_platform: prov  # moved"),
    Case("SEC-003-level-4-system-targets-cloud", "systems.yaml",
         sub("systems.yaml", "security_level: 3            # its", "security_level: 4            # its"),
         "cannot target the shared cloud", rule="SEC-003", path="systems[0].target_platform", line="target_platform: prov"),
    Case("SEC-004-sensitive-tenant-standard-isolation", "tenants.yaml",
         sub("tenants.yaml", "    isolation: strong\n", "    isolation: standard  # lowered\n"),
         "needs isolation 'strong'", rule="SEC-004", path="tenants[1].isolation", line="# lowered"),
    Case("SEC-005-ssh-open-to-internet", "tenants.yaml",
         sub("tenants.yaml", '{protocol: tcp, ports: "443", source: 198.51.100.0/24',
             '{protocol: tcp, ports: "20-23", source: 0.0.0.0/0'),
         "management port(s) [22, 23]", rule="SEC-005", path="tenants[0].ingress[0]", line='"20-23"'),
    Case("NET-001-uplink-below-tier-bandwidth", "extranet.yaml",
         sub("extranet.yaml", "{a: alpha-east-legacy, b: alpha-r1, mbps: 1000}", "{a: alpha-east-legacy, b: alpha-r1, mbps: 100}"),
         "below 1000 Mbps", rule="NET-001", path="links[3].mbps", line="b: alpha-r1, mbps: 100}"),
    Case("NET-002-dual-links-to-one-node", "extranet.yaml",
         sub("extranet.yaml", "{a: alpha-east-legacy, b: alpha-r2, mbps: 1000,", "{a: alpha-east-legacy, b: alpha-r1, mbps: 1000,"),
         "two different nodes, has 1", rule="NET-002", path="nodes[3]", line="- id: alpha-east-legacy"),
    Case("NET-003-no-city-egress", "extranet.yaml",
         sub("province.yaml", "egress_levels: [province]", "egress_levels: [province, city]"),
         "alpha (city) needs exactly one Internet egress, has 0", rule="NET-003", path="egress", line="egress:"),
    Case("NET-004-one-carrier-at-province", "extranet.yaml",
         sub("extranet.yaml", "{name: 中国联通, asn: 64497,", "{name: 中国联通, asn: 64496,"),
         "at least 2 carriers", rule="NET-004", path="egress[0].carriers", line="carriers:"),
    Case("NET-005-isolated-node", "extranet.yaml", sub("extranet.yaml", "node_groups:", SPARE_TOWN_NODE),
         "not connected", rule="NET-005", path="nodes[4]", line="- id: alpha-west-spare"),
    Case("ADDR-001-extranet-overlap", "tenants.yaml",
         sub("tenants.yaml", "ipv4: 198.51.100.224/28, routing_domain: extranet", "ipv4: 203.0.113.8/30, routing_domain: extranet"),
         "overlaps 203.0.113.8/29", rule="ADDR-001", path="tenants[3].networks[0].ipv4", line="203.0.113.8/30"),
    Case("ADDR-001-nested-in-one-tenant", "tenants.yaml",
         sub("tenants.yaml", "ipv4: 198.51.100.192/26\n", "ipv4: 198.51.100.160/27\n"),
         "overlaps 198.51.100.128/26", rule="ADDR-001", path="tenants[0].networks[1].ipv4", line="198.51.100.160/27"),
    Case("ADDR-003-tenant-inside-its-gateway-range", "tenants.yaml",
         sub("tenants.yaml", "ipv4: 198.51.100.128/26  # IPv4", "ipv4: 198.51.100.0/26  # IPv4"),
         "overlaps 198.51.100.0/25, the external_ipv4 of platform 'prov'", rule="ADDR-003",
         path="tenants[0].networks[0].ipv4", line="198.51.100.0/26  # IPv4"),
    Case("ADDR-001-dedicated-network-vpn-overlap", "dedicated_networks.yaml",
         sub("dedicated_networks.yaml", "prefixes: [203.0.113.16/28,", "prefixes: [203.0.113.8/29,"),
         "overlaps 203.0.113.0/28", rule="ADDR-001", path="dedicated_networks[0].sites[1].prefixes[0]",
         line="203.0.113.8/29"),
    Case("ADDR-002-duplicate-management-address", "extranet.yaml",
         sub("extranet.yaml", "mgmt: 198.51.100.12", "mgmt: 198.51.100.11  # copy-paste"),
         "same management address", rule="ADDR-002", path="nodes[1].mgmt", line="# copy-paste"),
    Case("QUOTA-001-more-networks-than-the-quota", "tenants.yaml",
         sub("tenants.yaml", "      volume_gb: 4000\n", "      volume_gb: 4000\n      networks: 1  # too few\n"),
         "quota networks 1 is below the 2 the tenant's networks need", rule="QUOTA-001",
         path="tenants[0].quotas.networks", line="# too few"),
    Case("rules-disable-unknown-rule-id", "province.yaml", sub("province.yaml", "disabled: []", "disabled: [NET-02]"),
         "no such rule", value="NET-02", path="rules.disabled[0]", line="disabled: [NET-02]"),
    # --- warning rules: reported, exit 0
    warn(id="NET-006-towns-without-nodes", file="extranet.yaml",
         mutate=sub("extranet.yaml", "    cities: all ", "    cities: [alpha] "),
         message="division(s) have no extranet node: beta/north/town01", rule="NET-006"),
    warn(id="ADDR-004-external-range-too-small", file="clouds.yaml",
         mutate=sub("clouds.yaml", "external_ipv4: 203.0.113.8/29", "external_ipv4: 203.0.113.8/31  # tiny"),
         message="2 tenant routers need a gateway address but the range holds 0", rule="ADDR-004",
         path="platforms[2].external_ipv4", line="# tiny"),
    warn(id="V6-001-core-not-dual-stack", file="extranet.yaml", mutate=sub("extranet.yaml", CORE2_NODE, CORE2_NODE + "    ipv6: false  # legacy line card\n"),
         message="not yet dual-stack", rule="V6-001", path="nodes[1].ipv6", line="# legacy line card"),
    warn(id="V6-002-network-not-dual-stack", file="tenants.yaml",
         mutate=sub("tenants.yaml", "ipv4: 198.51.100.224/28, routing_domain: extranet}", "ipv4: 198.51.100.224/28, routing_domain: extranet, ipv6: false}"),
         message="network 'app' not yet dual-stack", rule="V6-002", path="tenants[3].networks[0].ipv6",
         line="routing_domain: extranet, ipv6: false"),
    warn(id="stale-pin-is-reported", file=ALLOCATIONS,
         mutate=append(ALLOCATIONS, "  loopback/ghost-r1: 2001:db8:ffff::99/128\n"),
         message="no longer in the inventory", path="allocations.loopback/ghost-r1", line="ghost-r1"),
    # --- the IPv6 plan
    Case("ipv6-pool-too-small", "ipv6.yaml",
         then(remove(ALLOCATIONS), sub("ipv6.yaml", '"2001:db8::/34"', '"2001:db8::/39"')),
         "pool 'extranet' (2001:db8::/39) has room for 2 x /40 (city) but", path="pools", line="pools:"),
    Case("ipv6-county-shorter-than-city", "ipv6.yaml", then(remove(ALLOCATIONS), sub("ipv6.yaml", "  county: 44 ", "  county: 36 ")),
         "has room for 0 x /36 (county)", path="pools", line="pools:"),
    Case("ipv6-loopback-pool-of-one-address", "ipv6.yaml",
         then(remove(ALLOCATIONS), sub("ipv6.yaml", '"2001:db8:ffff::/48"', '"2001:db8:ffff::/128"')),
         "pool 'loopbacks' (2001:db8:ffff::/128) has room for 0 x /128", path="pools", line="pools:"),
    Case("ipv6-pinned-outside-parent", ALLOCATIONS,
         sub(ALLOCATIONS, "extranet/alpha/east: 2001:db8::/44", "extranet/alpha/east: 2001:db8:100::/44"),
         "outside its parent extranet/alpha", path="allocations.extranet/alpha/east", line="2001:db8:100::/44"),
    Case("ipv6-pinned-wrong-length", ALLOCATIONS, sub("ipv6.yaml", "  county: 44 ", "  county: 46 "),
         "the plan gives a county a /46", path="allocations.extranet/alpha/east", line="extranet/alpha/east:"),
    Case("ipv6-pinned-overlap", ALLOCATIONS,
         sub(ALLOCATIONS, "loopback/alpha-r2: 2001:db8:ffff::6/128", "loopback/alpha-r2: 2001:db8:ffff::5/128"),
         "overlaps another pinned allocation", path="allocations.loopback/alpha-r", line=None),
    Case("ipv6-pinned-not-a-prefix", ALLOCATIONS,
         sub(ALLOCATIONS, "loopback/alpha-r1: 2001:db8:ffff::5/128", "loopback/alpha-r1: 2001:db8:ffff::5/129"),
         "not a valid prefix", path="allocations.loopback/alpha-r1", line="::5/129"),
]


def test_corpus_is_big_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 45


def test_every_rule_is_broken_by_some_case() -> None:
    from govctl.inventory.rules import RULES

    broken = {c.rule for c in CASES if c.rule}
    assert {r.id for r in RULES} <= broken, f"rules without a corpus case: {sorted({r.id for r in RULES} - broken)}"
    severities = {r.id: r.severity for r in RULES}
    for c in CASES:
        if c.rule:
            assert c.severity == severities[c.rule], c.id
            assert c.exit_code == (2 if c.severity == "error" else 0), c.id


# ---------------------------------------------------------------- running a case


Snapshot = dict[str, tuple[str, int, int, str | None]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under root: kind, size, mtime (ns) and content hash."""
    out: Snapshot = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        if p.is_dir():
            out[str(p.relative_to(root))] = ("dir", 0, st.st_mtime_ns, None)
            continue
        try:
            digest: str | None = hashlib.sha256(p.read_bytes()).hexdigest()
        except PermissionError:
            digest = None
        out[str(p.relative_to(root))] = ("file", st.st_size, st.st_mtime_ns, digest)
    return out


@dataclass
class Outcome:
    case: Case
    inventory: Path
    plain: Result | ProcessResult
    as_json: Result | ProcessResult
    before: Snapshot
    after: Snapshot


def prepare(case: Case, root: Path) -> tuple[Path, Path]:
    inv = root / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    case.mutate(inv)
    target = inv / case.target if case.target else inv
    return inv, target


@dataclass(frozen=True)
class ProcessResult:
    """What the checks read of a click Result, from govctl run as a separate process."""
    stdout: str
    stderr: str
    exit_code: int
    exception: BaseException | None = None  # a crash shows as a Traceback on stderr, which the checks refuse


def run_unprivileged(args: list[str], cwd: Path) -> ProcessResult:
    """govctl as a process that file modes bind. Root ignores them through its capabilities
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so as root the child keeps uid 0 but has none (setpriv drops the
    bounding set): chmod 000 then stops it as it stops any user. Not `nobody`: the interpreter and its
    site-packages live under /root (mode 0700) here, out of nobody's reach."""
    setpriv = need_executable("setpriv", "util-linux")
    p = subprocess.run([setpriv, "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", sys.executable, "-c",
                        "from govctl.cli import main; main()", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=120)
    return ProcessResult(p.stdout, p.stderr, p.returncode)


def invoke(args: list[str], cwd: Path) -> Result:
    """Run govctl in-process from ``cwd`` so that a stray relative write lands where we look."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli.app, args)
    finally:
        os.chdir(old)


_OUTCOMES: dict[str, Outcome] = {}


@pytest.fixture(scope="session")
def outcome_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Outcome]:
    """Each case is prepared and run once per session; the checks below share the result."""

    def run(case: Case) -> Outcome:
        if case.id not in _OUTCOMES:
            root = tmp_path_factory.mktemp(case.id)
            inv, target = prepare(case, root)
            before = snapshot(root)
            # as a user, chmod 000 binds the test process itself: in-process is enough
            call = run_unprivileged if case.without_privilege and IS_ROOT else invoke
            plain = call(["validate", str(target)], root)
            as_json = call(["validate", str(target), "--json"], root)
            _OUTCOMES[case.id] = Outcome(case, inv, plain, as_json, before, snapshot(root))
            for f in inv.rglob("*"):  # let pytest clean up after the unreadable case
                if f.is_file() and not f.stat().st_mode & 0o400:
                    f.chmod(0o644)
        return _OUTCOMES[case.id]

    return run


def params(check: str) -> list[Any]:
    out = []
    for c in CASES:
        out.append(pytest.param(c, id=c.id))
    return out


def crashed(result: Result | ProcessResult) -> bool:
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def text_of(result: Result | ProcessResult) -> str:
    return result.stdout + result.stderr


# ---------------------------------------------------------------- the checks


@pytest.mark.parametrize("case", params("exit"))
def test_bad_input_exits_with_its_code_and_no_traceback(case: Case, outcome_of: Callable[[Case], Outcome]) -> None:
    o = outcome_of(case)
    for result in (o.plain, o.as_json):
        assert not crashed(result), f"{case.id}: crashed with {result.exception!r}"
        assert "Traceback" not in text_of(result)
        assert result.exit_code == case.exit_code, text_of(result)


@pytest.mark.parametrize("case", params("nothing-written"))
def test_bad_input_writes_nothing(case: Case, outcome_of: Callable[[Case], Outcome]) -> None:
    o = outcome_of(case)
    assert o.after == o.before
    assert not crashed(o.plain)


@pytest.mark.parametrize("case", params("located"))
def test_bad_input_problem_names_file_line_key_and_reason(case: Case, outcome_of: Callable[[Case], Outcome]) -> None:
    o = outcome_of(case)
    assert not crashed(o.as_json), f"crashed with {o.as_json.exception!r}"
    report = json.loads(o.as_json.stdout)
    assert report["valid"] is (case.exit_code == 0)
    line = case.expected_line(o.inventory)
    wanted = {"file": f"/{case.file}", "line": line, "path": case.path, "message": case.message,
              "severity": case.severity, "rule": case.rule}

    def matches(p: dict[str, Any]) -> bool:
        return (p["file"].endswith(wanted["file"]) and (line is None or p["line"] == line)
                and case.path in p["path"] and case.message in p["message"] and p["severity"] == case.severity
                and (case.rule is None or p["rule"] == case.rule) and (case.value is None or p["value"] == case.value))

    found = [p for p in report["problems"] if matches(p)]
    assert found, f"no problem like {wanted} in:\n" + json.dumps(report["problems"], ensure_ascii=False, indent=1)
    # the same problem, rendered for a human: file[:line]: severity ... path: message
    where = f"{case.file}:{line}:" if line is not None else f"{case.file}"
    rows = text_of(o.plain).splitlines()
    # a problem is its row plus indented continuation rows (multi-line messages)
    blocks = ["\n".join([row, *takewhile(lambda r: r.startswith(" "), rows[i + 1:])]) for i, row in enumerate(rows)]
    rendered = [b for b in blocks if where in b.split("\n")[0] and case.path in b and case.message in b
                and case.severity in b]
    assert rendered, f"no line with {where!r}, {case.path!r} and {case.message!r} in:\n{text_of(o.plain)}"
    if case.rule:
        assert f"[{case.rule}]" in rendered[0] and "[source: " in rendered[0]


@pytest.mark.parametrize("case", [p for p in params("secret") if p.values[0].secret])
def test_bad_input_never_prints_the_secret(case: Case, outcome_of: Callable[[Case], Outcome]) -> None:
    o = outcome_of(case)
    assert case.secret
    for result in (o.plain, o.as_json):
        assert case.secret not in text_of(result)


# The downstream commands refuse the same inputs and write nothing (ipv6 plan --write above all).
DOWNSTREAM = [
    "yaml-tab-indentation", "file-missing-required", "path-is-a-file", "dangling-tenant-platform",
    "SEC-001-tenant-above-platform-level", "ADDR-001-extranet-overlap", "ipv6-pool-too-small",
    "ipv6-pinned-outside-parent", "plaintext-password-as-credentials",
]
COMMANDS = {"plan-write": ["ipv6", "plan", "--write"], "show": ["ipv6", "show"],
            "export": ["ipv6", "export", "--format", "json"]}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", [p for p in params("secret") if p.values[0].id in DOWNSTREAM])
def test_ipv6_commands_refuse_bad_input_without_writing(case: Case, command: str, tmp_path: Path) -> None:
    inv, target = prepare(case, tmp_path)
    before = snapshot(tmp_path)
    result = invoke([*COMMANDS[command], str(target)], tmp_path)
    assert not crashed(result), repr(result.exception)
    assert "Traceback" not in text_of(result)
    assert result.exit_code == 2, text_of(result)
    assert case.file in result.stderr
    assert result.stdout == ""  # nothing half-printed as data
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.rglob(".ipv6-allocations.*"))
    if case.secret:
        assert case.secret not in text_of(result)


def test_downstream_selection_exists() -> None:
    assert {c.id for c in CASES} >= set(DOWNSTREAM)
    assert len(DOWNSTREAM) >= 5


def test_unmutated_example_is_valid_and_is_the_baseline(tmp_path: Path) -> None:
    """Guard against a corpus that 'passes' because the baseline itself is already broken."""
    inv = tmp_path / "inv"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    before = snapshot(tmp_path)
    result = invoke(["validate", str(inv), "--json"], tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert not [p for p in report["problems"] if p["severity"] == "error"]
    assert snapshot(tmp_path) == before


def test_partial_tier_bandwidth_settings_do_not_crash(tmp_path: Path) -> None:
    """A province that states only some tiers' bandwidth: either the seeds' default fills in or it is a
    located error, never a traceback."""
    case = Case("partial-tier-bandwidth", "province.yaml", sub("province.yaml", "    county: 1000\n", ""), "")
    inv, target = prepare(case, tmp_path)
    before = snapshot(tmp_path)
    result = invoke(["validate", str(target)], tmp_path)
    assert not crashed(result), repr(result.exception)
    assert result.exit_code in (0, 2) and "Traceback" not in text_of(result)
    assert snapshot(tmp_path) == before
