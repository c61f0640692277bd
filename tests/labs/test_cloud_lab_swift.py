"""The cloud lab's Swift: its settings and configs without a lab, then the session's lab (tests/conftest.py:
openstack_lab) serving it: four processes up, object-store in every served region's catalog, and a container and an
object stored for real on the lab's one device (a plain directory under its state directory)."""
from __future__ import annotations

from pathlib import Path

import pytest

from govctl.labs.cloud import lab

SWIFT = ("swift-account", "swift-container", "swift-object", "swift-proxy")
DNS_PORTS = {53, 953, 5353, 5355}  # DNS, rndc, mDNS, LLMNR: what a machine's own resolvers may hold


def test_default_ports_are_distinct_and_leave_designate_its_own() -> None:
    ports = list(lab.DEFAULT_PORTS.values())
    assert len(ports) == len(set(ports))
    assert not set(ports) & DNS_PORTS
    designate = {lab.DEFAULT_PORTS[k] for k in ("designate", "mdns", "bind", "rndc")}
    assert not {lab.DEFAULT_PORTS[k] for k in ("swift", "swift_object", "swift_container", "swift_account")} & designate
    assert {k: lab.DEFAULT_PORTS[k] for k in ("swift", "swift_object", "swift_container", "swift_account")} == {
        "swift": 8880, "swift_object": 6200, "swift_container": 6201, "swift_account": 6202}


def test_swift_ports_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in lab.DEFAULT_PORTS:
        monkeypatch.delenv(f"GOVCTL_CLOUD_{name.upper()}_PORT", raising=False)
    monkeypatch.setenv("GOVCTL_CLOUD_SWIFT_PORT", "17880")
    monkeypatch.setenv("GOVCTL_CLOUD_SWIFT_OBJECT_PORT", "17800")
    ports = lab.ports_from_env()
    assert (ports["swift"], ports["swift_object"]) == (17880, 17800)
    monkeypatch.setenv("GOVCTL_CLOUD_SWIFT_ACCOUNT_PORT", "17800")
    with pytest.raises(lab.InputError, match="given to both swift_account and swift_object"):
        lab.ports_from_env()


def test_swift_configs_stay_in_the_lab_directory_and_keep_their_hash_suffix(tmp_path: Path) -> None:
    s = lab.LabSettings(directory=str(tmp_path), ports=dict(lab.DEFAULT_PORTS))
    confs = lab._write_configs(s)  # noqa: SLF001
    etc = tmp_path / "etc" / "swift"
    proxy = confs["swift-proxy"].read_text(encoding="utf-8")
    assert confs["swift-proxy"] == etc / "proxy-server.conf"
    for line in ("bind_ip = 127.0.0.1", "bind_port = 8880", "workers = 0", f"swift_dir = {etc}",
                 "include_service_catalog = false", "auth_url = http://127.0.0.1:5000", "username = svc",
                 "operator_roles = admin, member", "allow_object_versioning = true", "account_autocreate = true"):
        assert f"\n{line}\n" in proxy, line
    assert "[keystone_authtoken]" not in proxy and "${" not in proxy
    for ring, port in (("account", 6202), ("container", 6201), ("object", 6200)):
        text = confs[f"swift-{ring}"].read_text(encoding="utf-8")
        assert f"\nbind_port = {port}\n" in text and "\nmount_check = false\n" in text
        assert f"\ndevices = {tmp_path}/state/swift/node\n" in text and f"use = egg:swift#{ring}\n" in text
    assert (tmp_path / "state" / "swift" / "node" / "d1").is_dir()
    first = (etc / "swift.conf").read_text(encoding="utf-8")
    lab._write_configs(s)  # noqa: SLF001 - every `up` rewrites the configs: the suffix that places objects stays
    assert (etc / "swift.conf").read_text(encoding="utf-8") == first
    assert not [n for n, _p, _u in lab.LabSettings(directory=str(tmp_path), ports=dict(lab.DEFAULT_PORTS),
                                                   swift=False).services() if n.startswith("swift")]


@pytest.mark.openstack
def test_the_lab_serves_swift_and_stores_on_its_device(openstack_lab) -> None:  # noqa: ANN001
    from govctl.audit.cloud import Cloud

    root = Path(openstack_lab.directory)
    settings = lab.LabSettings.load(root)
    assert settings is not None and settings.swift
    rows = {s.name: s for s in lab.status(root).services}
    assert all(rows[n].running and rows[n].answering for n in SWIFT), [rows[n] for n in SWIFT]
    assert rows["swift-proxy"].port == settings.ports["swift"]
    print(f"cloud lab up (with Swift) in {openstack_lab.seconds} s")

    api = Cloud(openstack_lab.cloud)
    services = {s["id"]: s["type"] for s in api.call("identity", "GET", "/services")["services"]}
    urls = {(e["region_id"], e["interface"]): e["url"] for e in api.call("identity", "GET", "/endpoints")["endpoints"]
            if services[e["service_id"]] == "object-store"}
    want = f"http://127.0.0.1:{settings.ports['swift']}/v1/AUTH_%(project_id)s"
    assert urls == {(r, i): want for r in lab.served_regions()[0] for i in ("public", "internal", "admin")}

    name = "govctl-lab-swift-test"
    api.call("object-store", "PUT", f"/{name}", region="RegionDR")
    try:
        api.call("object-store", "PUT", f"/{name}/hello", region="RegionDR", body={"stored": "for real"})
        assert api.call("object-store", "GET", f"/{name}/hello", region="RegionDR") == {"stored": "for real"}
        assert [c["name"] for c in api.call("object-store", "GET", "?format=json", region="RegionDR")] == [name]
        assert list((root / "state" / "swift" / "node" / "d1" / "objects").rglob("*.data"))
    finally:
        api.call("object-store", "DELETE", f"/{name}/hello", region="RegionDR", ok=(204, 404))
        api.call("object-store", "DELETE", f"/{name}", region="RegionDR", ok=(204, 404))
    assert not api.call("object-store", "GET", "?format=json", region="RegionDR")
