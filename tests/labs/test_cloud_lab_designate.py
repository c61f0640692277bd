"""The cloud lab's Designate on the session's lab (tests/conftest.py: openstack_lab): status lists it and its bus,
a zone made through the API reaches ACTIVE, is served by the lab's own named on 127.0.0.1 and leaves it when
deleted. That `down` stops Designate's processes and named with the rest is checked by the fixture's teardown."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.openstack

DESIGNATE = ["designate-api", "designate-central", "designate-worker", "designate-producer", "designate-mdns", "bind"]


def test_status_shows_designate_named_and_rabbitmq(openstack_lab) -> None:  # noqa: ANN001
    from govctl.labs.cloud import lab

    st = lab.status()
    rows = {s.name: s for s in st.services}
    assert st.up and st.flags["designate"], st.down_services
    assert set(DESIGNATE) | {"rabbitmq", "epmd"} <= set(rows)
    assert all(rows[n].running and rows[n].pid for n in DESIGNATE)
    assert rows["designate-api"].answering is True
    settings = lab.LabSettings.load(Path(st.directory))
    assert settings is not None
    ports = settings.ports
    assert (rows["designate-api"].port, rows["designate-mdns"].port, rows["bind"].port) == (
        ports["designate"], ports["mdns"], ports["bind"])


def test_a_zone_is_served_by_the_labs_named_until_deleted(openstack_lab) -> None:  # noqa: ANN001
    from govctl.audit.cloud import Cloud
    from govctl.audit.mapping import ZoneSpec
    from govctl.labs.cloud.lab import soa

    api, spec = Cloud(openstack_lab.cloud), ZoneSpec()
    port = next(s.port for s in openstack_lab.services if s.name == "bind")
    name = "lab-check.govctl.test."
    assert soa(name, port) is None
    t0 = time.monotonic()
    zone_id = spec.create(api, {"name": name, "email": "hostmaster@govctl.test", "ttl": 300}, None, None)
    try:
        status = ""
        while status != "ACTIVE" and time.monotonic() - t0 < 120:
            status = api.call("dns", "GET", f"/zones/{zone_id}")["status"]
            assert status in ("PENDING", "ACTIVE"), status
            time.sleep(0.5)
        print(f"zone ACTIVE in {time.monotonic() - t0:.1f} s")
        assert status == "ACTIVE"
        served = soa(name, port)
        assert served is not None and served.startswith(f"{name} 300 IN SOA ns1.govctl-lab.test. "
                                                        "hostmaster.govctl.test. "), served
        assert name in {z["name"] for z in spec.list(api, None, [])}
    finally:
        t1 = time.monotonic()
        spec.delete(api, zone_id, {}, None)  # returns once Designate dropped it
        print(f"zone deleted in {time.monotonic() - t1:.1f} s")
    assert soa(name, port) is None
    assert name not in {z["name"] for z in spec.list(api, None, [])}
