"""Every platform govctl serves, one folder each (``frr``, ``ios``, ``huawei_vrp``, ``h3c_comware``): its
record in the folder's ``__init__.py`` (names, ports, syntax, driver, capabilities, owned scope: see
``base.Platform``), its drivers, parsers and templates beside it.

The folders are found, not listed (``core.platforms``): this package's own, then those of
``$GOVCTL_PLATFORMS_PATH``, whose roots extend this package's ``__path__`` so that an outside platform
imports as ``govctl.network.platforms.<name>`` like a built-in one (its record names its driver that way).
Everything else that knows platforms (the driver registry, the renderers, the inventory's platform names,
the Ansible inventory's network OS, the cutover's access ports) reads this registry.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import MappingProxyType

from govctl.core import platforms as folders
from govctl.network.errors import PlatformInvalid
from govctl.network.platforms.base import Names, Platform

__path__ += [str(root) for root in folders.extra_roots() if str(root) not in __path__]


def _record(name: str) -> Platform:
    """The record of the platform folder ``name``, checked to be a ``Platform`` of that name."""
    module = importlib.import_module(f"{__name__}.{name}")
    record = getattr(module, "PLATFORM", None)
    where = folders.folders()[name] / "__init__.py"
    if not isinstance(record, Platform):
        raise PlatformInvalid(f"{where}: a platform folder's __init__.py defines PLATFORM, a "
                              f"govctl.network.platforms.base.Platform (got {type(record).__name__})")
    if record.name != name:
        raise PlatformInvalid(f"{where}: PLATFORM.name is '{record.name}', not its folder's name '{name}'")
    return record


PLATFORMS: MappingProxyType[str, Platform] = MappingProxyType({name: _record(name) for name in folders.names()})


def names() -> list[str]:
    return sorted(PLATFORMS)


def get(name: str) -> Platform | None:
    return PLATFORMS.get(name)


def folder(name: str) -> Path:
    """The platform's folder (its templates are under ``templates/``)."""
    return folders.folders()[name]


def roots() -> list[Path]:
    """The folders holding platform folders, govctl's own first (template loaders search them in order)."""
    return [Path(p) for p in __path__]


__all__ = ["PLATFORMS", "Names", "Platform", "folder", "get", "names", "roots"]
