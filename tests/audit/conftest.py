"""The audit tests' client of the session's OpenStack lab (``openstack_lab``, tests/conftest.py)."""
from __future__ import annotations

import pytest

from govctl.labs.cloud import lab


@pytest.fixture(scope="session")
def lab_api(openstack_lab: lab.LabStatus):  # noqa: ANN201
    from govctl.audit.cloud import Cloud

    return Cloud(openstack_lab.cloud)
