"""The kinds of edit the plan-fidelity suite makes to the example (tests/stacks/test_apply_openstack.py): per kind,
the file and the exact text replaced. Each leaves a valid inventory; together they cover creates, updates,
replacements (a forcing field, a renamed resource) and deletes on the hub stack."""
from __future__ import annotations

from pathlib import Path

EDITS: dict[str, tuple[str, str, str]] = {
    "quota": ("tenants.yaml", "      instances: 32\n", "      instances: 48\n"),
    "tenant-added": ("tenants.yaml", "  - id: health-commission\n",
                     "  - id: prov-audit\n    department: audit\n    platform: prov\n    security_level: 2\n"
                     "    access_type: E\n    networks:\n      - {name: app, ipv4: 203.0.113.0/26}\n"
                     "  - id: health-commission\n"),
    "tenant-removed": ("tenants.yaml", "  - id: prov-finance\n    department: finance\n    platform: prov\n"
                       "    security_level: 3\n    isolation: dedicated_hosts   # its own host aggregate and flavors\n"
                       "    access_type: B\n    networks:\n"
                       "      - {name: app, ipv4: 198.51.100.192/26}   # same range as another tenant's: fine behind "
                       "its own router\n"
                       "      - {name: legacy, ipv4: 198.51.100.128/26, ipv6: false}   # not yet dual-stack\n"
                       "    dr: {grade: 3, rto_minutes: 720, rpo_minutes: 240}\n", ""),
    "network-added": ("tenants.yaml", "      - {name: app, ipv4: 203.0.113.128/26}\n",
                      "      - {name: app, ipv4: 203.0.113.128/26}\n      - {name: files, ipv4: 203.0.113.64/26}\n"),
    "subnet-cidr": ("tenants.yaml", "      - {name: app, ipv4: 198.51.100.192/26}",
                    "      - {name: app, ipv4: 203.0.113.0/27}"),
    "rule-added": ("tenants.yaml", "      - {protocol: tcp, ports: \"443\", source: \"2001:db8::/32\", "
                                   "description: portal over IPv6}\n",
                   "      - {protocol: tcp, ports: \"443\", source: \"2001:db8::/32\", description: portal over IPv6}\n"
                   "      - {protocol: tcp, ports: \"8443\", source: 203.0.113.0/24, description: admin portal}\n"),
    "rule-ports": ("tenants.yaml", "{protocol: tcp, ports: \"443\", source: 198.51.100.0/24,",
                   "{protocol: tcp, ports: \"8443-8444\", source: 198.51.100.0/24,"),
    "forces-replacement": ("tenants.yaml", "    isolation: dedicated_hosts   # its own host aggregate and flavors\n",
                           "    isolation: dedicated_hosts   # its own host aggregate and flavors\n"
                           "    quotas: {ram_gb: 32}         # the dedicated flavor's RAM follows: a new flavor\n"),
    "platform-level": ("clouds.yaml", "    name: 示例省政务云             # platform name\n",
                       "    name: 示例省政务云平台         # platform name\n"),
    "dr-raised": ("tenants.yaml", "    dr: {grade: 3, rto_minutes: 720, rpo_minutes: 240}\n",
                  "    dr: {grade: 4, rto_minutes: 120, rpo_minutes: 15}\n"),
    "ipv6-added": ("tenants.yaml", "      - {name: legacy, ipv4: 198.51.100.128/26, ipv6: false}",
                   "      - {name: legacy, ipv4: 198.51.100.128/26, ipv6: true}"),
    "renamed": ("tenants.yaml", "      - {name: app, ipv4: 203.0.113.128/26}\n",
                "      - {name: apps, ipv4: 203.0.113.128/26}\n"),
}
EXTRA = {"tenant-added": ("departments.yaml", "  - id: finance\n",
                          "  - id: audit\n    name: 示例省审计厅\n    level: province\n  - id: finance\n")}


def apply_edit(inventory: Path, kind: str) -> None:
    """Make the edit ``kind`` in the inventory directory (AssertionError if its text is not there once)."""
    for name, old, new in [EDITS[kind], *([EXTRA[kind]] if kind in EXTRA else [])]:
        path = inventory / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{kind}: {old!r} is in {name} {text.count(old)} times"
        path.write_text(text.replace(old, new), encoding="utf-8")
