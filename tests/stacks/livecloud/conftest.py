"""One local OpenStack Zed lab per test session (../shared/openstack), started fresh and stopped at the end."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def lab_scripts() -> Path:
    """The lab's scripts: $GOVCTL_SHARED/openstack, else shared/openstack above the repo, else /work/shared."""
    env = os.environ.get("GOVCTL_SHARED")
    if env and (Path(env) / "openstack" / "up.sh").is_file():
        return Path(env) / "openstack"
    for parent in REPO.parents:
        if (parent / "shared" / "openstack" / "up.sh").is_file():
            return parent / "shared" / "openstack"
    return Path("/work/shared/openstack")


@pytest.fixture(scope="session")
def openstack_lab() -> Iterator[Path]:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":  # CI must exercise the real cloud, never skip silently
            pytest.fail("CI=true but not root: the OpenStack lab cannot start")
        pytest.skip("the OpenStack lab needs root; see shared/openstack/README.md")
    lab = lab_scripts()
    if not (lab / "up.sh").is_file():
        pytest.fail(f"OpenStack lab scripts not found at {lab} (set GOVCTL_SHARED)")
    base = Path(os.environ.get("GOVCTL_OPENSTACK_DIR", "/tmp/govctl-openstack"))
    saved = {k: os.environ.get(k) for k in ("OS_CLIENT_CONFIG_FILE", "OS_CLOUD")}
    try:
        # --fresh: every session starts from an empty cloud, so leftovers never fake a pass.
        up = subprocess.run([str(lab / "up.sh"), "--fresh"], capture_output=True, text=True, timeout=600)
        if up.returncode != 0:
            pytest.fail(f"{lab}/up.sh --fresh failed (exit {up.returncode}):\n{(up.stdout + up.stderr)[-2000:]}")
        os.environ.update(OS_CLIENT_CONFIG_FILE=str(base / "clouds.yaml"), OS_CLOUD="govctl-lab")
        yield base
    finally:
        subprocess.run([str(lab / "down.sh")], check=False, stdout=subprocess.DEVNULL, timeout=120)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def lab_api(openstack_lab: Path):  # noqa: ANN201
    from govctl.stacks.livecloud.cloud import Cloud

    return Cloud("govctl-lab")
