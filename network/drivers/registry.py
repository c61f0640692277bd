"""Platform name -> driver, from each platform's record (``network.platforms``: the one place that
knows which class serves which platform).

Every driver handed out here verifies the device's SSH host key before its own ``open`` runs
(``hostkeys.verify_host_key``: key exchange only, closed before any authentication), so no
driver, present or future, can send a credential to a host whose key is not trusted, whatever
its SSH library would do by default. The drivers' own connections are strict as well.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from types import MappingProxyType
from typing import TypeVar

from govctl.network.drivers import hostkeys
from govctl.network.drivers.base import DeviceDriver
from govctl.network.drivers.credentials import resolve
from govctl.network.errors import DeviceError
from govctl.network.models import DeviceTarget
from govctl.network.platforms import PLATFORMS

D = TypeVar("D", bound=DeviceDriver)

def _driver_class(spec: str) -> Callable[[DeviceTarget], DeviceDriver]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


# platform -> driver class, as each platform's record in ``network.platforms`` names it
DRIVERS: MappingProxyType[str, Callable[[DeviceTarget], DeviceDriver]] = MappingProxyType(
    {name: _driver_class(p.driver) for name, p in PLATFORMS.items()})


def platforms() -> list[str]:
    """Every platform a config driver serves."""
    return sorted(DRIVERS)


def verified_open(driver: D, target: DeviceTarget) -> D:
    """``driver`` whose ``open`` first checks the device's host key (one line, no traceback, when
    it is unknown or changed). Set on the instance, so the driver's own ``__enter__`` goes through it."""
    own_open = driver.open

    def open_verified() -> None:
        # a missing secret is the device's error before anything is dialled, as in every driver's open
        resolve(target.credentials, target.username, target.node)
        hostkeys.verify_host_key(target)
        own_open()

    driver.open = open_verified  # type: ignore[method-assign]
    return driver


def driver_for(target: DeviceTarget) -> DeviceDriver:
    make = DRIVERS.get(target.platform)
    if make is None:
        raise DeviceError(target.node, "open", f"no config driver for platform '{target.platform}'")
    return verified_open(make(target), target)
