"""Which platforms govctl serves: the platform folders, found where platforms live, never listed by hand.

A platform is a folder ``<root>/<name>/`` whose ``__init__.py`` holds its record (``PLATFORM``, see
``network/platforms/base.py``), beside its drivers, parsers and templates. The roots are govctl's own
``network/platforms/`` and then each folder named in ``$GOVCTL_PLATFORMS_PATH`` (``os.pathsep``-separated;
a site's own platform, the test suite's fixture platform), read once per process, like entry points.

This module lists folder names and imports none of them. It sits on the ground floor because two layers
read the same list: ``network.platforms`` loads each folder's record, and the inventory (which may not
import ``network``: [tool.importlinter] in pyproject.toml) accepts exactly these names as a node's
platform. The two cannot disagree, and a new platform is a new folder with nothing else to edit.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from govctl.core.errors import PlatformsPathInvalid

ENV = "GOVCTL_PLATFORMS_PATH"
# govctl's own platforms (this file is <govctl>/core/platforms.py)
BUILTIN = Path(__file__).resolve().parents[1] / "network" / "platforms"


def extra_roots() -> tuple[Path, ...]:
    """The folders of ``$GOVCTL_PLATFORMS_PATH`` in order, each checked to exist."""
    roots = []
    for entry in os.environ.get(ENV, "").split(os.pathsep):
        if not entry:
            continue
        root = Path(entry).expanduser().resolve()
        if not root.is_dir():
            raise PlatformsPathInvalid(f"{ENV}: '{entry}' is not a directory (it names folders holding "
                                       "platform folders)")
        roots.append(root)
    return tuple(r for i, r in enumerate(roots) if r not in roots[:i] and r != BUILTIN)


def _platform_folders(root: Path) -> list[Path]:
    """The platform folders directly under ``root``: a package whose name is a Python identifier, not private."""
    return sorted(d for d in root.iterdir()
                  if d.is_dir() and d.name.isidentifier() and not d.name.startswith("_")
                  and (d / "__init__.py").is_file())


@lru_cache(maxsize=1)
def folders() -> MappingProxyType[str, Path]:
    """Platform name -> its folder, govctl's own first, then those of ``$GOVCTL_PLATFORMS_PATH``.

    A name is one platform: a second folder of the same name (in another root) is refused, naming both."""
    found: dict[str, Path] = {}
    for root in (BUILTIN, *extra_roots()):
        for folder in _platform_folders(root):
            if folder.name in found:
                raise PlatformsPathInvalid(f"{ENV}: platform '{folder.name}' is in two places: "
                                           f"{found[folder.name]} and {folder}")
            found[folder.name] = folder
    return MappingProxyType(found)


def names() -> list[str]:
    """Every platform name, sorted."""
    return sorted(folders())
