"""H3C Comware V7 through govctl's own netmiko driver (napalm-h3c-comware has getters only)."""
from __future__ import annotations

import re

from govctl.network.platforms.base import Platform, leaf_scope, names_by

# Leaves only: comware_config's block remediation never removes a sub-view
owned = leaf_scope("ipv6 prefix-list ", "address-family ipv6 unicast")
names = names_by(r"^ipv6 prefix-list (\S+) ", r"^route-policy (\S+) ", r"^group (\S+) external$",
                 r"^(ipv6 route-static \S+ \d+ NULL0)$")


PLATFORM = Platform(
    name="h3c_comware", vendor="H3C", loopback="LoopBack0", data_port="GigabitEthernet1/0/{n}", comment="#",
    trailer="#\nreturn\n", driver="govctl.network.platforms.h3c_comware.driver:ComwareDriver", commit_confirm=True,
    restore="`configuration replace file` of the checkpoint saved before the commit, found again by content, "
            "when it holds the rollback target (the running config with govctl's part from the saved one); "
            "otherwise the exact remediation to the target, typed; the result must equal it",
    owned=owned, names=names, ansible_network_os="h3c_open.comware.comware",
    owned_summary="interfaces' `ipv6 address` and `ospfv3` lines; `ospfv3 N`; in `bgp N`: IPv6 peers, the groups "
                  "the intent names, `timer keepalive`, `address-family ipv6 unicast`; entries of the `ipv6 "
                  "prefix-list`s the intent names; its `ipv6 route-static ... NULL0` discard routes",
    proven="transcripts written from H3C's documentation (tests/network/fixtures/comware), not a real device",
    # single-valued lines: a rollback puts the saved value back in place of the rendered one
    keys=tuple(re.compile(rx) for rx in (r"^description ", r"^sysname ", r"^router-id ")),
    device_wins=((re.compile(r"^bgp \d+$"), re.compile(r"^router-id ")),),
)
