"""The one place a test may skip: a capability of this machine is missing (root, FRR/sshd, the Ansible tools,
Chromium, a CJK font, the cloud lab). Outside CI the test skips, saying what is missing and how to install it;
under CI=true it fails with the same words, because the CI machine must have everything tools/test installs
and a green run must mean every test ran. tests/test_skips.py checks that no other file in tests/ skips.

Imported as ``capabilities`` (tests/ is on sys.path through tests/conftest.py's rootdir).
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

# Facts of a platform that can never hold on a machine the suite runs on, so that skipping for them is
# right even under CI: name -> why. None today; a future entry needs its reason here, nowhere else.
PLATFORM_FACTS: dict[str, str] = {}

FRR_PACKAGES = "apt-get install -y frr frr-pythontools openssh-server iputils-ping"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(what: str, *, module_level: bool = False) -> NoReturn:
    """The test cannot run here because ``what`` is missing: skip it, or under CI fail it naming ``what``."""
    if in_ci():
        pytest.fail(f"missing: {what} (CI=true: the CI machine must have it; tools/test installs it)",
                    pytrace=False)
    pytest.skip(f"missing: {what}", allow_module_level=module_level)


def platform_fact(name: str) -> NoReturn:
    """Skip, also under CI, for one of PLATFORM_FACTS (a KeyError for anything not listed there)."""
    pytest.skip(f"{name}: {PLATFORM_FACTS[name]}")


def need_root(why: str, *, module_level: bool = False) -> None:
    if os.geteuid() != 0:
        missing(f"root ({why})", module_level=module_level)


def need_paths(paths: list[str], install: str, *, module_level: bool = False) -> None:
    absent = [p for p in paths if not Path(p).exists()]
    if absent:
        missing(f"{', '.join(absent)} ({install})", module_level=module_level)


def need_router_lab(paths: list[str], *, module_level: bool = False) -> None:
    """The FRR router lab (and the cutover lab built on it): root for network namespaces, and FRR/sshd."""
    need_root("network namespaces, FRR, sshd", module_level=module_level)
    need_paths(paths, FRR_PACKAGES, module_level=module_level)


def need_executable(name: str, install: str, *, beside_python: bool = False) -> str:
    """The path of program ``name`` on PATH (or, with beside_python, in this interpreter's bin/)."""
    exe = shutil.which(name)
    if exe is None and beside_python and (Path(sys.executable).parent / name).exists():
        exe = str(Path(sys.executable).parent / name)
    if exe is None:
        missing(f"the program {name} ({install})")
    return exe


def need_module(name: str, install: str) -> ModuleType:
    if importlib.util.find_spec(name) is None:
        missing(f"the Python module {name} ({install})")
    return importlib.import_module(name)


def need(present: bool, what: str) -> None:
    """For a capability with its own probe (FRR's diff tools, a CJK font): ``what`` names it and its install."""
    if not present:
        missing(what)


# What the helper raises, for tests/test_skips.py (which may not name pytest.skip itself).
SKIPPED = pytest.skip.Exception
FAILED = pytest.fail.Exception
