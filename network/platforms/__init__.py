"""Every platform govctl serves, one module each (``frr``, ``ios``, ``huawei_vrp``, ``h3c_comware``):
names, ports, syntax, driver, capabilities, owned scope. See ``base.Platform``."""
from __future__ import annotations

from types import MappingProxyType

from govctl.network.platforms import frr, h3c_comware, huawei_vrp, ios
from govctl.network.platforms.base import Names, Platform

PLATFORMS: MappingProxyType[str, Platform] = MappingProxyType(
    {m.PLATFORM.name: m.PLATFORM for m in (frr, h3c_comware, huawei_vrp, ios)})


def names() -> list[str]:
    return sorted(PLATFORMS)


def get(name: str) -> Platform | None:
    return PLATFORMS.get(name)


__all__ = ["PLATFORMS", "Names", "Platform", "get", "names"]
