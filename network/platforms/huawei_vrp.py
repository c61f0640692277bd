"""Huawei VRP V5/V8 through napalm-huawei-vrp (merge only) plus govctl's scoped block remediation."""
from __future__ import annotations

import re

from govctl.network.platforms.base import IPV6_ADDRESS, Names, Path, Platform, first_word_after, names_from

_IPV6_PEER = re.compile(rf"^peer {IPV6_ADDRESS} ")


def owned(path: Path, line: str, names: Names) -> bool:
    """Leaves only, as for Comware (same block remediation)."""
    if not path:
        if line.startswith("ip ipv6-prefix "):
            return first_word_after(line, "ip ipv6-prefix ") in names.prefix_lists
        return line in names.discard_routes
    if any(v.startswith("ospfv3 ") for v in path) or "ipv6-family unicast" in path:
        return True
    if path[0].startswith("interface "):
        return line.startswith(("ipv6 address ", "ospfv3 "))
    if len(path) == 1 and path[0].startswith("bgp "):
        return bool(_IPV6_PEER.match(line)) or line.startswith("timer keepalive ") or (
            line.startswith("peer ") and first_word_after(line, "peer ") in names.peer_groups)
    return False


def names(text: str) -> Names:
    return names_from(text, r"^ip ipv6-prefix (\S+) ", r"^route-policy (\S+) ", r"^group (\S+) external$",
                      r"^(ipv6 route-static \S+ \d+ NULL0)$")


PLATFORM = Platform(
    name="huawei_vrp", vendor="Huawei", loopback="LoopBack0", data_port="GigabitEthernet0/0/{n}", comment="#",
    trailer="#\nreturn\n", driver="napalm_adapter:NapalmAdapter", commit_confirm=False,
    restore="`rollback configuration to file` of the checkpoint saved before the commit, found again by "
            "content; the result must equal it",
    owned=owned, names=names,
    owned_summary="interfaces' `ipv6 address` and `ospfv3` lines; `ospfv3 N`; in `bgp N`: IPv6 peers, the groups "
                  "the intent names, `timer keepalive`, `ipv6-family unicast`; entries of the `ip ipv6-prefix` "
                  "lists the intent names; its `ipv6 route-static ... NULL0` discard routes",
    proven="transcripts written from Huawei's documentation (tests/network/fixtures/vrp), not a real device",
)
