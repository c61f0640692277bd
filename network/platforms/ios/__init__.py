"""Cisco IOS / IOS-XE through NAPALM's ios driver (``configure replace`` with archive)."""
from __future__ import annotations

import re

from govctl.network.platforms.base import Platform, block_scope, names_by

owned = block_scope(r"^(ipv6 router ospf \d+|router ospfv3 \d+)$", ("ipv6 ",),
                    ("address-family ipv6 unicast", "address-family ipv6"))
names = names_by(r"^ipv6 prefix-list (\S+) ", r"^route-map (\S+) ", r"^neighbor (\S+) peer-group$",
                 r"^(ipv6 route \S+ Null0)$")


PLATFORM = Platform(
    name="ios", vendor="Cisco", loopback="Loopback0", data_port="GigabitEthernet0/{n}", comment="!",
    trailer="!\nend\n", driver="govctl.network.drivers.napalm_adapter:NapalmAdapter", commit_confirm=True,
    merge_runs_negations=True,
    restore="napalm's archive-based rollback in the session of the commit; from `net rollback`, `configure "
            "replace` of the rollback target (the running config with govctl's part from the saved one); the "
            "result must equal it",
    owned=owned, names=names, ansible_network_os="cisco.ios.ios",
    owned_summary="interfaces' `ipv6` lines; `ipv6 router ospf N`; in `router bgp`: IPv6 neighbours, the peer "
                  "groups the intent names, `address-family ipv6 unicast`; the `ipv6 prefix-list`s and "
                  "`route-map`s the intent names; its `ipv6 route ... Null0` discard routes",
    proven="transcripts written from Cisco's documentation (tests/network/fixtures/ios), not a real device",
    keys=tuple(re.compile(rx) for rx in (r"^description ", r"^hostname ", r"^bgp router-id ", r"^timers bgp ",
                                         r"^router-id ", r"^ip address (?!.*secondary)")),
    aliases=(("address-family ipv6 unicast", "address-family ipv6"),),
    device_wins=((re.compile(r"^router bgp \d+$"), re.compile(r"^bgp router-id ")),),
)
