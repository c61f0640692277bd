"""A fifth platform is one folder: ``fixture_platform/`` (its record, a driver honouring the driver contract
against in-memory devices, templates) becomes a platform of a govctl process by its folder alone, found
through ``$GOVCTL_PLATFORMS_PATH`` as govctl's own are found under ``network/platforms/``.

That process runs the shared driver contract (test_net_contract.py, the cases every platform's driver
meets) and the render check of every platform on it, and fixture_platform_suite.py: the inventory accepts
its name, it renders, pushes, finds nothing to do the second time and rolls back, and a cutover plans and
renders its VPN on the platform's PEs. This process, without the
variable, does not know the platform: the inventory refuses the name, listing the platforms there are.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govctl.core import platforms as folders
from govctl.inventory.errors import InventoryInvalid
from govctl.inventory.validate import load_valid

HERE = Path(__file__).resolve().parent
NETWORK_TESTS = HERE.parent
ROOT = HERE.parents[2]
NAME = "fixture_platform"
# the shared contract's cases that every platform meets, run on the new one (ids as pytest parametrizes them)
CONTRACT = [
    "tests/network/platforms/test_net_contract.py::test_every_platform_has_a_driver_and_every_driver_a_platform",
    f"tests/network/platforms/test_net_contract.py::test_driver_implements_the_whole_contract_with_its_signatures[{NAME}]",
    f"tests/network/platforms/test_net_contract.py::test_platform_record_is_complete[{NAME}]",
    "tests/network/test_net_render.py::test_every_platform_has_every_feature_template",
]
SUITE = "tests/network/platforms/fixture_platform_suite.py"
FIXTURE = NETWORK_TESTS / "fixtures" / "extranet"  # the network tests' frozen inventory, the suite's too
SUITE_TESTS = 6


def test_a_folder_on_the_platforms_path_is_a_platform_everywhere_and_passes_the_contract(tmp_path: Path):
    env = {**os.environ, folders.ENV: str(HERE),
           # the suite imports the network tests' helpers (net_helpers, test_net_hostkeys' stand-in SSH server)
           "PYTHONPATH": os.pathsep.join([*(p for p in sys.path if p), str(ROOT / "tests"),
                                          str(NETWORK_TESTS / "drivers")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"--basetemp={tmp_path / 'pytest'}", SUITE, *CONTRACT],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    # every case ran (a node id that matched nothing, or a parametrization without the platform, fails here)
    ran = re.search(r"(\d+) passed", proc.stdout)
    assert ran and int(ran.group(1)) == SUITE_TESTS + len(CONTRACT), tail
    assert not re.search(r"\d+ (skipped|deselected|xfailed|error)", proc.stdout), tail


def test_without_the_path_the_platform_does_not_exist_and_the_inventory_says_which_do(tmp_path: Path):
    assert NAME not in folders.names()
    inv = tmp_path / "extranet"
    shutil.copytree(FIXTURE, inv, ignore=shutil.ignore_patterns(".govctl"))
    text = (inv / "extranet.yaml").read_text(encoding="utf-8")
    (inv / "extranet.yaml").write_text(text.replace("platform: ios", f"platform: {NAME}", 1), encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "platform: ios" in x)
    with pytest.raises(InventoryInvalid) as info:
        load_valid(inv)
    (problem,) = info.value.errors
    allowed = " or ".join([", ".join(f"'{n}'" for n in folders.names()[:-1]), f"'{folders.names()[-1]}'"])
    assert problem.render() == (f"{inv / 'extranet.yaml'}:{line}: error: {problem.path}: "
                                f"Input should be {allowed} (got {NAME})")
    assert problem.path.endswith(".platform")
