"""A platform is registered once, by its folder, and every list of platforms is derived from that.

The inventory's platform names, the registry's records and drivers, the cutover's platforms and access ports
are the folders of ``network/platforms/``; what pyproject.toml cannot compute (it lists packages one by one)
is checked against the folders here, so a new platform that misses its line fails this test, not an install.
A broken ``$GOVCTL_PLATFORMS_PATH`` or a platform folder whose record is wrong stops govctl with one line
naming the folder.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from govctl.core import platforms as folders
from govctl.core.errors import PlatformsPathInvalid
from govctl.cutover.models import CutoverSettings
from govctl.cutover.render import PLATFORMS as CUTOVER_PLATFORMS
from govctl.inventory.models import DevicePlatform
from govctl.network.drivers.registry import DRIVERS
from govctl.network.platforms import PLATFORMS

ROOT = Path(__file__).resolve().parents[3]
BUILTIN = ROOT / "network" / "platforms"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_list_of_platforms_is_the_folders():
    found = sorted(d.name for d in BUILTIN.iterdir() if (d / "__init__.py").is_file())
    assert found and folders.names() == found
    assert sorted(PLATFORMS) == found and all(PLATFORMS[n].name == n for n in found)
    assert sorted(p.value for p in DevicePlatform) == found
    assert sorted(DRIVERS) == found
    assert sorted(CUTOVER_PLATFORMS) == found and sorted(CutoverSettings().access_port) == found
    assert all(PLATFORMS[n].ansible_network_os for n in found), "each platform says what Ansible calls it"


def _packages_under(folder: Path) -> list[str]:
    """The package names of ``folder`` and every package folder below it (``govctl`` is the repository root)."""
    return sorted("govctl." + ".".join(d.relative_to(ROOT).parts)
                  for d in (folder, *folder.rglob("*")) if d.is_dir() and (d / "__init__.py").is_file())


@pytest.mark.parametrize("platform", folders.names())
def test_pyproject_installs_each_platform_package(platform: str):
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    missing = [p for p in _packages_under(BUILTIN / platform) if p not in listed]
    assert not missing, f"pyproject.toml [tool.setuptools] packages lacks {missing} (setuptools lists each package)"


@pytest.mark.parametrize("platform", folders.names())
def test_pyproject_ships_every_template_of_each_platform(platform: str):
    shipped: set[Path] = set()
    for package, patterns in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        where = ROOT.joinpath(*package.split(".")[1:])
        for pattern in patterns:
            shipped.update(where.glob(pattern))  # setuptools globs each pattern in its package's folder
    templates = sorted((BUILTIN / platform / "templates").rglob("*.j2"))
    assert templates and not [t for t in templates if t not in shipped]


def _expression(expr: str) -> re.Pattern[str]:
    """An import-linter module expression: ``*`` one name, ``**`` one or more."""
    parts = [r"[^.]+(\.[^.]+)*" if p == "**" else "[^.]+" if p == "*" else re.escape(p) for p in expr.split(".")]
    return re.compile(r"\.".join(parts) + "$")


def test_the_independence_contract_covers_each_platform():
    (contract,) = [c for c in PYPROJECT["tool"]["importlinter"]["contracts"] if c["type"] == "independence"]
    for name in folders.names():
        assert any(_expression(e).match(f"govctl.network.platforms.{name}") for e in contract["modules"]), name


def test_a_platforms_path_that_is_no_folder_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(folders.ENV, str(tmp_path / "nowhere"))
    with pytest.raises(PlatformsPathInvalid, match=f"{folders.ENV}: '.*nowhere' is not a directory"):
        folders.extra_roots()


def test_two_folders_of_one_name_are_refused_naming_both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "frr").mkdir()
    (tmp_path / "frr" / "__init__.py").write_text("")
    monkeypatch.setenv(folders.ENV, str(tmp_path))
    with pytest.raises(PlatformsPathInvalid) as info:
        folders.folders.__wrapped__()  # the uncached discovery: this process's platforms stay as they are
    assert str(info.value) == (f"{folders.ENV}: platform 'frr' is in two places: {BUILTIN / 'frr'} and "
                               f"{tmp_path / 'frr'}")


@pytest.mark.parametrize("record, message", [
    ("from govctl.network.platforms.frr import PLATFORM as FRR\nPLATFORM = dataclasses.replace(FRR, name='other')",
     "PLATFORM.name is 'other', not its folder's name 'rogue'"),
    ("PLATFORM = {'name': 'rogue'}", "a platform folder's __init__.py defines PLATFORM, a govctl.network.platforms.base.Platform (got dict)"),
])
def test_a_folder_whose_record_is_wrong_stops_govctl_naming_it(tmp_path: Path, record: str, message: str):
    (tmp_path / "rogue").mkdir()
    (tmp_path / "rogue" / "__init__.py").write_text(f"import dataclasses\n{record}\n")
    env = {**os.environ, folders.ENV: str(tmp_path), "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run([sys.executable, "-m", "govctl.cli", "net", "render", str(ROOT / "inventories" / "example")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{tmp_path / 'rogue' / '__init__.py'}: {message}" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
