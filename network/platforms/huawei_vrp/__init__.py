"""Huawei VRP V5/V8 through napalm-huawei-vrp (merge only) plus govctl's scoped block remediation."""
from __future__ import annotations

import re

from govctl.network.platforms.base import Platform, leaf_scope, names_by

# Leaves only, as for Comware (same block remediation)
owned = leaf_scope("ip ipv6-prefix ", "ipv6-family unicast")
names = names_by(r"^ip ipv6-prefix (\S+) ", r"^route-policy (\S+) ", r"^group (\S+) external$",
                 r"^(ipv6 route-static \S+ \d+ NULL0)$")


PLATFORM = Platform(
    name="huawei_vrp", vendor="Huawei", loopback="LoopBack0", data_port="GigabitEthernet0/0/{n}", comment="#",
    trailer="#\nreturn\n", driver="govctl.network.drivers.napalm_adapter:NapalmAdapter", commit_confirm=False,
    restore="`rollback configuration to file` of the checkpoint saved before the commit, found again by "
            "content, when it holds the rollback target (the running config with govctl's part from the saved "
            "one); otherwise the exact remediation to the target as a merge; the result must equal it",
    owned=owned, names=names, ansible_network_os="community.network.ce",
    owned_summary="interfaces' `ipv6 address` and `ospfv3` lines; `ospfv3 N`; in `bgp N`: IPv6 peers, the groups "
                  "the intent names, `timer keepalive`, `ipv6-family unicast`; entries of the `ip ipv6-prefix` "
                  "lists the intent names; its `ipv6 route-static ... NULL0` discard routes",
    proven="transcripts written from Huawei's documentation (tests/network/fixtures/vrp), not a real device",
    # single-valued lines: a rollback puts the saved value back in place of the rendered one
    keys=tuple(re.compile(rx) for rx in (r"^description ", r"^sysname ", r"^router-id ")),
    device_wins=((re.compile(r"^bgp \d+$"), re.compile(r"^router-id ")),),
)
