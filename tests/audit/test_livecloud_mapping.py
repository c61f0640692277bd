"""The type mapping and the audit's rules, without a cloud: every emitted type is mapped, bad input is caught."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import EXIT_FAILURE, EXIT_INPUT, app
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan
from govctl.audit.audit import _opens_management, _world
from govctl.audit.errors import UnmappedType
from govctl.audit.graph import capture, items_of
from govctl.audit.mapping import SPECS, mapped_types, rule_key, spec_for
from govctl.audit.models import Profile

REPO = Path(__file__).resolve().parents[2]
PROFILE = Profile.parse(["*=RegionOne"], ["strong-isolation=physnet1"], az_hints=False)


class FakeCtx:
    profile = PROFILE
    own_project = "admin-project"

    def resolve(self, value: str) -> str:
        return "id-of-" + value.rsplit("::", 1)[-1].rstrip(">")


@pytest.fixture(scope="module")
def example_items():  # noqa: ANN201
    inv = load_valid(REPO / "inventories" / "example").inventory
    return items_of(capture(inv, plan(inv), [p.id for p in inv.platforms]), PROFILE)


def test_every_type_the_example_emits_is_mapped(example_items) -> None:  # noqa: ANN001
    emitted = {i.type for i in example_items}
    assert emitted <= set(SPECS)
    # The example exercises (nearly) the whole mapping: a spec nobody emits is dead weight.
    assert set(mapped_types()) - emitted <= set()


def test_unmapped_type_is_an_error() -> None:
    with pytest.raises(UnmappedType, match="openstack:networking/floatingIp:FloatingIp"):
        spec_for("openstack:networking/floatingIp:FloatingIp")
    assert not spec_for("govctl:cloud:Tenant").api_object
    assert not spec_for("pulumi:providers:openstack").api_object
    assert spec_for("openstack:identity/project:Project", {"isDomain": True}).collection == "domains"


def test_items_are_levelled_after_what_they_need(example_items) -> None:  # noqa: ANN001
    level = {i.urn: i.level for i in example_items}
    for it in example_items:
        assert all(level[n] < it.level for n in it.needs), it.urn
    names = {i.name: i for i in example_items}
    sg = names["prov-gov-office-anti-affinity-same-city"]
    assert sg.region == "RegionBackup" and sg.live_region == "RegionOne"
    assert sg.inputs["_project"].endswith("Project::prov-gov-office>")


def test_inputs_translate_to_api_fields(example_items) -> None:  # noqa: ANN001
    names = {i.name: i for i in example_items}
    ctx = FakeCtx()
    from govctl.audit.mapping import resolve_all

    def body(name: str) -> dict:
        it = names[name]
        return it.spec.body(resolve_all(it.inputs, ctx), ctx)

    v6 = body("prov-gov-office-app-v6")
    assert v6["ip_version"] == 6 and v6["ipv6_ra_mode"] == v6["ipv6_address_mode"] == "slaac"
    assert v6["network_id"] == "id-of-prov-gov-office-app" and v6["project_id"] == "id-of-prov-gov-office"
    ext = body("prov-public-security-strong-external")
    assert ext["router:external"] is False and ext["provider:physical_network"] == "physnet1"
    assert "availability_zone_hints" not in body("prov-gov-office-app")  # the profile drops them
    router = body("prov-gov-office-router")
    assert router["external_gateway_info"] == {"network_id": "id-of-prov-extranet", "enable_snat": False}
    quota = body("prov-gov-office-compute-quota-RegionMain")
    assert quota["limits"] == {"cores": 64, "ram": 256 * 1024, "instances": 32}
    extranet = body("prov-extranet")
    assert extranet["project_id"] == "admin-project"  # no tenant: the credentials' own project


def test_drift_compares_only_owned_fields() -> None:
    spec = SPECS["openstack:networking/subnet:Subnet"]
    model = {"cidr": "2001:db8::/64", "gateway_ip": "2001:db8::1", "enable_dhcp": True, "name": "x",
             "allocation_pools": [{"start": "198.51.100.2", "end": "198.51.100.126"}]}
    live = {"cidr": "2001:db8:0::/64", "gateway_ip": "2001:db8:0::1", "enable_dhcp": True, "name": "renamed",
            "allocation_pools": [{"start": "198.51.100.2", "end": "198.51.100.126"}], "revision_number": 9}
    assert spec.drift(model, live) == []  # same addresses spelled differently; name is the key's business
    live["enable_dhcp"] = False
    assert spec.drift(model, live) == [("enable_dhcp", True, False)]


def test_rule_keys_match_neutron_spellings() -> None:
    assert rule_key("sg", "ingress", "IPv6", "icmp", None, None, "::/0") == \
        rule_key("sg", "ingress", "IPv6", "ipv6-icmp", None, None, None)
    assert rule_key("sg", "ingress", "IPv4", "tcp", 443.0, 443, "198.51.100.0/24") == \
        rule_key("sg", "ingress", "IPv4", "tcp", 443, 443, "198.51.100.0/24")


@pytest.mark.parametrize(("rule", "bad"), [
    ({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "::/0"}, True),
    ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 1024, "remote_ip_prefix": "0.0.0.0/0"}, True),
    ({"protocol": None, "port_range_min": None, "remote_ip_prefix": None, "remote_group_id": None}, True),
    ({"protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "2001:db8::/32"}, False),
    ({"protocol": "tcp", "port_range_min": 443, "port_range_max": 443, "remote_ip_prefix": "::/0"}, False),
    ({"protocol": "icmp", "port_range_min": None, "remote_ip_prefix": "0.0.0.0/0"}, False),
    ({"protocol": None, "port_range_min": None, "remote_ip_prefix": None, "remote_group_id": "sg-1"}, False),
])
def test_management_port_rule(rule: dict, bad: bool) -> None:
    assert (_world(rule) and _opens_management(rule)) is bad


def test_profile_parse() -> None:
    p = Profile.parse(["RegionDR=DR1", "*=RegionOne"], ["extranet=physnet2"])
    assert p.region("RegionDR") == "DR1" and p.region("RegionMain") == "RegionOne"
    assert p.physnet("extranet") == "physnet2" and p.physnet("other") == "other"
    with pytest.raises(ValueError, match="MODEL=LIVE"):
        Profile.parse(["RegionOne"])


# ---------------------------------------------------------------- bad input: exit 2 or 1, nothing written


def _audit(args: list[str], monkeypatch: pytest.MonkeyPatch, clouds: Path | None) -> object:
    if clouds is not None:
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    return CliRunner().invoke(app, ["audit", *args])


def _clouds(tmp_path: Path, auth_url: str = "http://127.0.0.1:9/v3") -> Path:
    f = tmp_path / "clouds.yaml"
    f.write_text("clouds:\n  lab:\n    auth:\n      auth_url: " + auth_url + "\n      username: u\n"
                 "      password: Sup3r-s3cret-value\n      project_name: p\n      user_domain_name: Default\n"
                 "      project_domain_name: Default\n    region_name: RegionOne\n", encoding="utf-8")
    return f


def test_unknown_cloud_name_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = _audit(["--cloud", "nope"], monkeypatch, _clouds(tmp_path))
    assert r.exit_code == EXIT_INPUT, r.output
    assert "cloud 'nope'" in r.output


def test_clouds_yaml_that_does_not_parse_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "clouds.yaml"
    f.write_text("clouds:\n  lab: [unclosed\n", encoding="utf-8")
    r = _audit(["--cloud", "lab"], monkeypatch, f)
    assert r.exit_code == EXIT_INPUT, r.output
    assert "clouds.yaml" in r.output


def test_unreachable_auth_url_exit_1_and_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    r = _audit(["--cloud", "lab", "--platform", "prov", "--region", "*=RegionOne"], monkeypatch, _clouds(tmp_path))
    assert r.exit_code == EXIT_FAILURE, r.output
    assert "does not answer" in r.output
    assert "Sup3r-s3cret-value" not in r.output


def test_unknown_platform_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = _audit(["--cloud", "lab", "--platform", "mars"], monkeypatch, _clouds(tmp_path))
    assert r.exit_code == EXIT_INPUT, r.output
    assert "mars" in r.output and "prov" in r.output


def test_no_cloud_and_bad_flags_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _audit([], monkeypatch, _clouds(tmp_path)).exit_code == EXIT_INPUT
    assert _audit(["--cloud", "lab", "--region", "RegionOne"], monkeypatch, _clouds(tmp_path)).exit_code == EXIT_INPUT
    assert _audit(["--cloud", "lab", "--json", "--markdown"], monkeypatch, _clouds(tmp_path)).exit_code == EXIT_INPUT
