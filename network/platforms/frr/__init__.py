"""FRR (the lab's routers, and FRR boxes in production): vtysh syntax, frr-reload semantics."""
from __future__ import annotations

import re

from govctl.network.platforms.base import Platform, block_scope, names_by

owned = block_scope(r"^router ospf6$", ("ipv6 ",), ("address-family ipv6 unicast",))
names = names_by(r"^ipv6 prefix-list (\S+) ", r"^route-map (\S+) ", r"^neighbor (\S+) peer-group$",
                 r"^(ipv6 route \S+ blackhole)$")


PLATFORM = Platform(
    name="frr", vendor="FRRouting", loopback="lo", data_port="eth{n}", comment="!", trailer="",
    driver="govctl.network.platforms.frr.driver:FrrDriver", commit_confirm=True,
    restore="frr-reload's diff from the running config to the rollback target (the running config with "
            "govctl's part from the saved one), applied in one vtysh session, then re-read: the result must "
            "equal the target",
    owned=owned, names=names, ansible_network_os="frr.frr.frr",
    owned_summary="interfaces' `ipv6` lines; `router ospf6`; in `router bgp`: IPv6 neighbours, the peer groups "
                  "the intent names, `address-family ipv6 unicast`; the `ipv6 prefix-list`s and `route-map`s "
                  "the intent names; its `ipv6 route ... blackhole` discard routes",
    proven="real FRR 8.4 routers in the lab holding IPv4 BGP with its own peer, family and route-map, IPv4 "
           "and IPv6 static routes, an access list, IPv4/IPv6 prefix lists govctl does not name, syslog and "
           "vty lines: push and rollback keep each byte for byte (test_net_ownership_lab.py)",
    keys=tuple(re.compile(rx) for rx in (r"^description ", r"^hostname ", r"^bgp router-id ", r"^timers bgp ",
                                         r"^frr defaults ", r"^ospf6 router-id ")),
    device_wins=((re.compile(r"^router bgp \d+$"), re.compile(r"^bgp router-id ")),),
)
