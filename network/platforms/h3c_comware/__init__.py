"""H3C Comware V7 through govctl's own netmiko driver (napalm-h3c-comware has getters only)."""
from __future__ import annotations

from govctl.network.platforms.base import Platform, view_syntax

PLATFORM = Platform(
    # leaves only in the owned scope: comware_config's block remediation never removes a sub-view
    **view_syntax("ipv6 prefix-list ", "address-family ipv6 unicast"),
    name="h3c_comware", vendor="H3C", loopback="LoopBack0", data_port="GigabitEthernet1/0/{n}",
    driver="govctl.network.platforms.h3c_comware.driver:ComwareDriver", commit_confirm=True,
    restore="`configuration replace file` of the checkpoint saved before the commit, found again by content, "
            "when it holds the rollback target (the running config with govctl's part from the saved one); "
            "otherwise the exact remediation to the target, typed; the result must equal it",
    ansible_network_os="h3c_open.comware.comware",
    owned_summary="interfaces' `ipv6 address` and `ospfv3` lines; `ospfv3 N`; in `bgp N`: IPv6 peers, the groups "
                  "the intent names, `timer keepalive`, `address-family ipv6 unicast`; entries of the `ipv6 "
                  "prefix-list`s the intent names; its `ipv6 route-static ... NULL0` discard routes",
    proven="transcripts written from H3C's documentation (tests/network/fixtures/comware), not a real device",
)
