"""The fifth platform, a fixture of the test suite: what adding a platform takes, shown on one that needs no
vendor. Its device is in memory (``device.py``: a network of such devices whose adjacencies, routes and
sessions follow from their running configs); its syntax is indentation-structured with ``!`` comments and
``exit`` closers, so govctl's scope rules (``network/platforms/scope.py``) apply as for FRR and IOS.

It is registered the way govctl's own platforms are, by its folder: the suite puts this folder's parent on
``$GOVCTL_PLATFORMS_PATH`` (tests/network/platforms/test_fixture_platform.py), and nothing else names it.
"""
from __future__ import annotations

import re

from govctl.network.platforms.base import Platform, block_scope, names_by

# its templates render no route-map, so none on its devices is govctl's
owned = block_scope(r"^router ospf6$", ("ipv6 ", "ospf6 "), ("address-family ipv6",), route_maps=False)
names = names_by(r"^ipv6 prefix-list (\S+) ", r"^route-map (\S+) ", r"^neighbor (\S+) peer-group$",
                 r"^(ipv6 route \S+ discard)$")


PLATFORM = Platform(
    name="fixture_platform", vendor="govctl test suite", loopback="lo0", data_port="port{n}", comment="!",
    trailer="", driver="govctl.network.platforms.fixture_platform.driver:FixtureDriver", commit_confirm=False,
    restore="the saved config made the running and startup config in one step, then read back: the result "
            "must equal it",
    owned=owned, names=names, ansible_network_os="govctl.fixture.fixture_platform",
    owned_summary="interfaces' `ipv6` and `ospf6` lines; `router ospf6`; in `router bgp`: IPv6 neighbours, the "
                  "peer groups the intent names, `address-family ipv6`; the `ipv6 prefix-list`s the intent names; "
                  "its `ipv6 route ... discard` routes",
    proven="in-memory devices of the test suite (tests/network/platforms/test_fixture_platform.py)",
    keys=tuple(re.compile(rx) for rx in (r"^description ", r"^hostname ", r"^router-id ")),
    device_wins=((re.compile(r"^router bgp \d+$"), re.compile(r"^router-id ")),),
)
