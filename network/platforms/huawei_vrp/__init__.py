"""Huawei VRP V5/V8 through napalm-huawei-vrp (merge only) plus govctl's scoped block remediation."""
from __future__ import annotations

from govctl.network.platforms.base import Platform, view_syntax

PLATFORM = Platform(
    # leaves only in the owned scope: the adapter's block remediation never removes a sub-view
    **view_syntax("ip ipv6-prefix ", "ipv6-family unicast"),
    name="huawei_vrp", vendor="Huawei", loopback="LoopBack0", data_port="GigabitEthernet0/0/{n}",
    driver="govctl.network.drivers.napalm_adapter:NapalmAdapter", commit_confirm=False,
    restore="`rollback configuration to file` of the checkpoint saved before the commit, found again by "
            "content, when it holds the rollback target (the running config with govctl's part from the saved "
            "one); otherwise the exact remediation to the target as a merge; the result must equal it",
    ansible_network_os="community.network.ce",
    owned_summary="interfaces' `ipv6 address` and `ospfv3` lines; `ospfv3 N`; in `bgp N`: IPv6 peers, the groups "
                  "the intent names, `timer keepalive`, `ipv6-family unicast`; entries of the `ip ipv6-prefix` "
                  "lists the intent names; its `ipv6 route-static ... NULL0` discard routes",
    proven="transcripts written from Huawei's documentation (tests/network/fixtures/vrp), not a real device",
)
