"""Seed the example's provincial platform into the lab, audit (in sync), then tamper one case at a time.

Each tamper is undone before the next, and the audit must name the tampered resource in its class. The
inventory is the bundled example: a baseline the real cloud accepts completely (the contract tests prove it).
"""
from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govctl.cli import EXIT_CHANGES, EXIT_INPUT, EXIT_OK, EXIT_POLICY, app
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.audit.audit import Auditor
from govctl.audit.graph import capture, items_of
from govctl.audit.mapping import ContainerSpec, ZoneSpec
from govctl.audit.models import AuditReport, Profile
from govctl.audit.seed import Seeder

pytestmark = pytest.mark.openstack

REPO = Path(__file__).resolve().parents[2]
PROFILE = Profile.parse(["*=RegionOne"], ["strong-isolation=physnet1"], az_hints=False)
LAB_FLAGS = ["--cloud", "govctl-lab", "--region", "*=RegionOne", "--physnet", "strong-isolation=physnet1",
             "--no-az-hints"]


@pytest.fixture(scope="module")
def inventory_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("inv") / "example"
    shutil.copytree(REPO / "inventories" / "example", d, ignore=shutil.ignore_patterns(".govctl"))
    return d


class Lab:
    def __init__(self, api: Any, inventory_dir: Path) -> None:
        self.api = api
        self.inv = load_valid(inventory_dir).inventory
        self.items = items_of(capture(self.inv, plan(self.inv), ["prov"]), PROFILE)
        self.by_name = {i.name: i for i in self.items}
        self.seeder = Seeder(api, PROFILE)

    def audit(self) -> AuditReport:
        return Auditor(self.api, PROFILE, self.inv, ["prov"], "govctl-lab").run(self.items)

    def id(self, name: str) -> str:
        return self.seeder.result.ids[self.by_name[name].urn]

    def urn(self, name: str) -> str:
        return self.by_name[name].urn

    def forget(self, *names: str) -> None:
        for n in names:
            self.seeder.result.ids.pop(self.urn(n), None)

    def recreate(self, *names: str) -> None:
        out = self.seeder.create([self.by_name[n] for n in names])
        assert not out.rejected


@pytest.fixture(scope="module")
def lab(lab_api: Any, inventory_dir: Path) -> Iterator[Lab]:
    lab = Lab(lab_api, inventory_dir)
    result = lab.seeder.create(lab.items, bulk=True)
    try:
        assert result.rejected == [], result.rejected
        yield lab
    finally:
        lab.seeder.delete(lab.items, cascade=True)


def _find(report: AuditReport, cls: str, rule: str) -> list[Any]:
    return [f for f in report.findings if f.cls == cls and f.rule == rule]


def test_seeded_platform_audits_in_sync(lab: Lab) -> None:
    report = lab.audit()
    assert report.in_sync, [f.message for f in report.findings if f.cls != "unverifiable"]
    assert report.matched == len([i for i in lab.items if lab.api.has(i.spec.service or "")])
    # Designate and Swift are in the lab: the zone is matched, and the DR backup containers, in each tenant's own
    # account, with their metadata and versioning like everything else. Nothing is unverifiable.
    assert report.of("unverifiable") == []
    assert [i for i in lab.items if i.type == ZoneSpec.type and lab.id(i.name)]
    containers = [i for i in lab.items if i.type == ContainerSpec.type]
    assert len(containers) == 3 and all(lab.id(i.name) for i in containers)


def _container(lab: Lab, name: str) -> tuple[str, str, str]:
    """(project id, container name, live region) of a seeded container."""
    it = lab.by_name[name]
    project, _, container = lab.id(name).partition("/")
    return project, container, it.live_region


def test_deleted_container_is_missing_and_a_dr_violation(lab: Lab) -> None:
    name = "prov-gov-office-dr-backup-RegionDR"
    project, container, region = _container(lab, name)
    lab.api.call("object-store", "DELETE", f"/{container}", region=region, project=project)
    lab.forget(name)
    try:
        report = lab.audit()
        assert [f.resource for f in report.of("missing")] == [lab.urn(name)]
        assert "not found in the live cloud" in report.of("missing")[0].message
        dr = _find(report, "violation", "dr-placement")
        assert [(f.tenant, "remote-DR" in f.message, f"{name} (missing)" in f.message) for f in dr] == [
            ("prov-gov-office", True, True)]
    finally:
        lab.recreate(name)
    assert lab.audit().in_sync


def test_changed_container_metadata_and_versioning_are_drift(lab: Lab) -> None:
    name = "prov-gov-office-dr-backup-RegionDR"  # DR grade 5: versioned
    project, container, region = _container(lab, name)
    lab.api.call("object-store", "POST", f"/{container}", region=region, project=project,
                 headers={"X-Container-Meta-Dr-Grade": "1", "X-Versions-Enabled": "false"})
    try:
        drift = lab.audit().of("drifted")
        assert [f.resource for f in drift] == [lab.urn(name)]
        assert "metadata: model {" in drift[0].message and "'dr-grade': '1'" in drift[0].message
        assert "versioning: model True, live False" in drift[0].message
    finally:
        lab.api.call("object-store", "POST", f"/{container}", region=region, project=project,
                     headers={"X-Container-Meta-Dr-Grade": "5", "X-Versions-Enabled": "true"})
    assert lab.audit().in_sync


def test_cli_in_sync_exit_0_and_json(lab: Lab, inventory_dir: Path) -> None:
    r = CliRunner().invoke(app, ["audit", str(inventory_dir), "--platform", "prov", *LAB_FLAGS, "--json"])
    assert r.exit_code == EXIT_OK, r.output
    assert '"in_sync": true' in r.output


def test_ssh_open_to_world_is_a_violation(lab: Lab, inventory_dir: Path) -> None:
    sg = lab.id("prov-gov-office-default-deny")
    rule = lab.api.call("network", "POST", "/security-group-rules", body={"security_group_rule": {
        "security_group_id": sg, "direction": "ingress", "ethertype": "IPv6", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "::/0"}})["security_group_rule"]
    try:
        report = lab.audit()
        hits = _find(report, "violation", "mgmt-port-open")
        assert [f.resource for f in hits] == [f"security-group-rule {rule['id']}"]
        assert "22 (22/ssh)" in hits[0].message and "prov-gov-office" in hits[0].message
        assert [f.resource for f in _find(report, "drifted", "unmanaged-rule")] == [lab.urn("prov-gov-office-default-deny")]
        r = CliRunner().invoke(app, ["audit", str(inventory_dir), "--platform", "prov", *LAB_FLAGS, "--markdown"])
        assert r.exit_code == EXIT_POLICY, r.output
        assert "## Rule violations (1)" in r.output
    finally:
        lab.api.call("network", "DELETE", f"/security-group-rules/{rule['id']}")


def test_sharing_a_network_with_another_project_is_a_violation(lab: Lab) -> None:
    policy = lab.api.call("network", "POST", "/rbac-policies", body={"rbac_policy": {
        "object_type": "network", "object_id": lab.id("prov-gov-office-app"), "action": "access_as_shared",
        "target_tenant": lab.id("prov-finance")}})["rbac_policy"]
    try:
        hits = _find(lab.audit(), "violation", "undeclared-share")
        assert [f.resource for f in hits] == [f"rbac-policy {policy['id']}"]
        assert "prov-finance" in hits[0].message and hits[0].tenant == "prov-gov-office"
    finally:
        lab.api.call("network", "DELETE", f"/rbac-policies/{policy['id']}")


def test_deleted_ipv6_subnet_is_missing_and_a_violation(lab: Lab) -> None:
    router, subnet = lab.id("prov-gov-office-router"), lab.id("prov-gov-office-db-v6")
    lab.api.call("network", "PUT", f"/routers/{router}/remove_router_interface", body={"subnet_id": subnet})
    lab.api.call("network", "DELETE", f"/subnets/{subnet}")
    lab.forget("prov-gov-office-db-v6-if", "prov-gov-office-db-v6")
    try:
        report = lab.audit()
        missing = {f.resource for f in report.of("missing")}
        assert missing == {lab.urn("prov-gov-office-db-v6"), lab.urn("prov-gov-office-db-v6-if")}
        v6 = _find(report, "violation", "network-without-ipv6")
        assert [f.resource for f in v6] == [lab.urn("prov-gov-office-db")]
    finally:
        lab.recreate("prov-gov-office-db-v6", "prov-gov-office-db-v6-if")
    assert lab.audit().in_sync


def test_deleted_dns_zone_is_missing(lab: Lab) -> None:
    from govctl.audit.mapping import SPECS, ZoneSpec

    zone = lab.by_name["prov-zone"]
    assert zone.type == ZoneSpec.type and lab.api.has("dns")
    SPECS[ZoneSpec.type].delete(lab.api, lab.id("prov-zone"), {}, zone.live_region)  # once Designate dropped it
    lab.forget("prov-zone")
    try:
        report = lab.audit()
        assert {f.resource for f in report.of("missing")} == {zone.urn}
        assert not report.of("drifted") and not report.of("violation")
    finally:
        lab.recreate("prov-zone")
    assert lab.audit().in_sync


def test_changed_quota_is_drift(lab: Lab, inventory_dir: Path) -> None:
    project = lab.id("prov-gov-office")
    lab.api.call("compute", "PUT", f"/os-quota-sets/{project}", body={"quota_set": {"cores": 999}})
    try:
        report = lab.audit()
        drift = report.of("drifted")
        # The lab has one region: the primary's and the same-city centre's quota (DR grade 5) are one object.
        assert sorted(f.resource for f in drift) == sorted(
            lab.urn(f"prov-gov-office-compute-quota-{r}") for r in ("RegionMain", "RegionBackup"))
        assert {f.fields for f in drift} == {(("cores", 64, 999),)}
        assert not report.of("violation")
        r = CliRunner().invoke(app, ["audit", str(inventory_dir), "--platform", "prov", *LAB_FLAGS])
        assert r.exit_code == EXIT_CHANGES, r.output
    finally:
        lab.api.call("compute", "PUT", f"/os-quota-sets/{project}", body={"quota_set": {"cores": 64}})


def test_project_created_by_hand_is_a_violation(lab: Lab) -> None:
    domain = lab.id("prov-domain")
    project = lab.api.call("identity", "POST", "/projects", body={"project": {
        "name": "shadow-it", "domain_id": domain}})["project"]
    try:
        hits = _find(lab.audit(), "violation", "unknown-project")
        assert [f.resource for f in hits] == [f"project {project['id']}"]
        assert "shadow-it" in hits[0].message
    finally:
        lab.api.call("identity", "DELETE", f"/projects/{project['id']}")


def test_dr_tenant_without_its_same_city_resources_is_a_violation(lab: Lab) -> None:
    name = "prov-gov-office-anti-affinity-same-city"
    lab.api.call("compute", "DELETE", f"/os-server-groups/{lab.id(name)}")
    lab.forget(name)
    try:
        report = lab.audit()
        dr = _find(report, "violation", "dr-placement")
        assert [(f.resource, f.tenant) for f in dr] == [("tenant prov-gov-office", "prov-gov-office")]
        assert "same-city" in dr[0].message and f"{name} (missing)" in dr[0].message
        assert lab.urn(name) in {f.resource for f in report.of("missing")}
    finally:
        lab.recreate(name)


def test_dr_tenant_without_its_remote_dr_resources_is_a_violation(lab: Lab, inventory_dir: Path) -> None:
    # The remote-DR centre's resources of a DR tenant: the grant of the centre's DR target volume type and
    # the Cinder quota there that failover needs. Removed here: the grant revoked, the quota set to 0.
    grant, quota = "prov-finance-dr-target-RegionDR", "prov-finance-volume-quota-RegionDR"
    vtype, project = lab.id("prov-dr-target-RegionDR"), lab.id("prov-finance")
    lab.api.call("block-storage", "POST", f"/types/{vtype}/action",
                 body={"removeProjectAccess": {"project": project}})
    lab.forget(grant)
    lab.api.call("block-storage", "PUT", f"/os-quota-sets/{project}",
                 body={"quota_set": {"volumes": 0, "gigabytes": 0}})
    try:
        report = lab.audit()
        assert {f.resource for f in report.of("missing")} == {lab.urn(grant)}
        dr = {f.message.split(" resources ")[0].rsplit(" ", 1)[-1]: f
              for f in _find(report, "violation", "dr-placement")}
        remote = dr.pop("remote-DR")
        assert (remote.resource, remote.tenant) == ("tenant prov-finance", "prov-finance")
        assert f"{grant} (missing)" in remote.message
        assert f"{quota} (quota short: gigabytes 0 < 1000, volumes 0 < 10)" in remote.message
        # The lab's one region stands in for all three centres: the tenant's primary and same-city volume
        # quotas are that same object, so they drift too and the same-city centre falls short as well.
        assert list(dr) == ["same-city"] and dr["same-city"].tenant == "prov-finance"
        assert {f.resource for f in report.of("drifted")} == {
            lab.urn(f"prov-finance-volume-quota-{r}") for r in ("RegionMain", "RegionBackup", "RegionDR")}
        r = CliRunner().invoke(app, ["audit", str(inventory_dir), "--platform", "prov", *LAB_FLAGS, "--json"])
        assert r.exit_code == EXIT_POLICY, r.output
        assert lab.urn(grant) in r.output
    finally:
        lab.api.call("block-storage", "PUT", f"/os-quota-sets/{project}",
                     body={"quota_set": {"volumes": 10, "gigabytes": 1000}})
        lab.recreate(grant)
    assert lab.audit().in_sync


def test_wrong_password_exit_2_and_secret_never_printed(lab: Lab, openstack_lab, tmp_path: Path,  # noqa: ANN001
                                                        monkeypatch) -> None:  # noqa: ANN001
    import yaml

    secret = "Wr0ng-govctl-s3cret-7781"
    # the lab's own Keystone, on whatever port it was given (GOVCTL_CLOUD_KEYSTONE_PORT), never a fixed one
    auth_url = yaml.safe_load(Path(openstack_lab.clouds_yaml).read_text())["clouds"][openstack_lab.cloud]["auth"][
        "auth_url"]
    cfg = tmp_path / "clouds.yaml"
    cfg.write_text(f"clouds:\n  bad:\n    auth:\n      auth_url: {auth_url}\n      username: admin\n"
                   f"      password: {secret}\n      project_name: admin\n      user_domain_name: Default\n"
                   "      project_domain_name: Default\n    region_name: RegionOne\n", encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(cfg))
    r = CliRunner().invoke(app, ["audit", "--platform", "prov", "--cloud", "bad", "--region", "*=RegionOne"])
    assert r.exit_code == EXIT_INPUT, r.output
    assert "refused the credentials" in r.output
    assert secret not in r.output


def test_tenant_router_gateways_are_dual_stack_from_the_plans_external_subnets(lab: Lab) -> None:
    # What the stacks promise about external networks, as the real Neutron built it: every tenant router's
    # gateway port holds an IPv6 address from its external network's /64 in the IPv6 plan.
    ipv6 = plan(lab.inv)
    for tenant, external in (("prov-gov-office", "extranet"),
                             ("prov-public-security", "prov-public-security-strong-external")):
        router = lab.api.call("network", "GET", f"/routers/{lab.id(f'{tenant}-router')}")["router"]
        ips = [ipaddress.ip_address(ip["ip_address"]) for ip in router["external_gateway_info"]["external_fixed_ips"]]
        assert {ip.version for ip in ips} == {4, 6}, (tenant, ips)
        assert [ip for ip in ips if ip.version == 6][0] in ipv6.external("prov", external), tenant


def test_strong_isolation_external_network_is_external_to_its_tenant_only(lab: Lab) -> None:
    net = lab.id("prov-public-security-strong-external")
    rbac = lab.api.call("network", "GET", f"/rbac-policies?object_id={net}")["rbac_policies"]
    targets = {p["target_tenant"] for p in rbac if p["action"] == "access_as_external"}
    assert targets == {lab.id("prov-public-security")}
