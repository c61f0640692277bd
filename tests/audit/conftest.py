"""One local OpenStack Zed lab per test session (govctl.labs.cloud.lab), started fresh and stopped at the end.

The lab's directory and ports follow GOVCTL_CLOUD_LAB_DIR and GOVCTL_CLOUD_<NAME>_PORT, so a second
lab (another checkout's CI) can run beside this one.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from capabilities import need_root

from govctl.labs.cloud import lab


@pytest.fixture(scope="session")
def openstack_lab() -> Iterator[lab.LabStatus]:
    need_root("the OpenStack lab; see `govctl lab cloud up --help`")
    missing = lab.missing_packages(lab.wanted_packages())
    if missing:
        pytest.fail(f"the OpenStack lab needs Debian packages {' '.join(missing)}: run tools/test, or "
                    "`govctl lab cloud install`")
    saved = {k: os.environ.get(k) for k in ("OS_CLIENT_CONFIG_FILE", "OS_CLOUD")}
    try:
        # fresh: every session starts from an empty cloud, so leftovers never fake a pass.
        try:
            st = lab.up(fresh=True)
        except lab.CloudLabError as exc:
            pytest.fail(f"the OpenStack lab did not start: {exc}")
        os.environ.update(st.env())
        yield st
    finally:
        lab.down()  # also after a failed up: stops what did start
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def lab_api(openstack_lab: lab.LabStatus):  # noqa: ANN201
    from govctl.audit.cloud import Cloud

    return Cloud(openstack_lab.cloud)
