"""Cutover planner: the VPN on every PE per platform (golden files), refusals located and exit 2."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from goldens import check_golden
from typer.testing import CliRunner

from govctl.cli import app
from govctl.inventory.validate import load_valid
from govctl.ipv6.planner import plan as ipv6_plan
from govctl.cutover.errors import CutoverRefused, UnknownNetwork
from govctl.cutover.planner import plan_cutover
from govctl.cutover.render import PLATFORMS, render_pe

from cutover_fixtures import HERE, NOW, inv_dir, make_inventory  # noqa: F401 - inv_dir is a fixture

GOLDEN = HERE / "golden"
AT = ["--at", NOW.isoformat()]


def _plan(inv_dir: Path, network: str, **kw):  # noqa: ANN202
    loaded = load_valid(inv_dir)
    return plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), network, now=NOW, origins=loaded.origins, **kw)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    check_golden(path, text)


def _device_text(changes) -> str:  # noqa: ANN001
    parts = []
    for c in changes:
        parts.append(f"### {c.feature} (change)\n{c.apply}### {c.feature} (rollback)\n{c.rollback}")
    return "".join(parts)


@pytest.mark.parametrize("network", ["health-net", "finance-net"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_renders_the_golden_vpn(inv_dir: Path, network: str, platform: str) -> None:
    p = _plan(inv_dir, network)
    for pe in p.pes:
        as_platform = dataclasses.replace(pe, platform=platform)
        _golden(f"{platform}/{network}/{pe.node}.cfg", _device_text(render_pe(as_platform)))


def test_huawei_binds_before_addressing_and_vpn_carries_only_its_own_routes(inv_dir: Path) -> None:
    p = _plan(inv_dir, "health-net")
    access = p.change("alpha-r1", "access").apply.splitlines()
    bind = access.index(" ip binding vpn-instance vpn-health")
    assert bind < access.index(" ip address 203.0.113.96 255.255.255.254")  # binding clears the address
    vpn = p.change("alpha-r1", "vpn_instance").apply
    assert "route-distinguisher 64512:101" in vpn and "vpn-target 64512:101 import-extcommunity" in vpn
    assert "vpn-target 64512:1000 import-extcommunity" in vpn  # type D: the shared egress default route
    iso = p.change("alpha-r1", "isolation").apply
    assert "permit 198.51.100.224 28" in iso  # the cloud tenant subnet is allowed in
    assert "203.0.113.32" not in iso  # finance's sites are not
    bgp = p.change("alpha-r1", "bgp_vpn").apply
    assert "ipv4-family vpnv4" in bgp and "ipv6-family vpnv6" in bgp and "peer 2001:db8:ffff::10 enable" in bgp


def test_type_e_gets_its_own_egress_and_no_shared_egress(inv_dir: Path) -> None:
    p = _plan(inv_dir, "finance-net")
    assert all("64512:1000" not in pe.rt_import for pe in p.pes)
    hq = next(pe for pe in p.pes if pe.own_egress)
    assert hq.node == "alpha-r2"  # the first site's PE
    assert "0.0.0.0 0.0.0.0 203.0.113.103" in p.change("alpha-r2", "vpn_routing").apply


def test_links_never_collide_between_networks(inv_dir: Path) -> None:
    a, b = _plan(inv_dir, "health-net"), _plan(inv_dir, "finance-net")
    addrs = [lk.pe_ipv4 for p in (a, b) for pe in p.pes for lk in pe.links]
    ifs = [(pe.node, lk.interface) for p in (a, b) for pe in p.pes for lk in pe.links]
    assert len(addrs) == len(set(addrs)) and len(ifs) == len(set(ifs))


def test_steps_rollback_and_point_of_no_return(inv_dir: Path) -> None:
    p = _plan(inv_dir, "health-net")
    ids = [s.id for s in p.steps]
    assert ids.index("postcheck") < ids.index("observe") < ids.index(p.point_of_no_return)
    assert p.minutes_to_no_return == sum(s.minutes for s in p.steps[: ids.index(p.point_of_no_return)])
    prepared = [s.node for s in p.steps if s.node and s.phase.value == "prepare"]
    undone = [s.node for s in p.rollback if s.node]
    assert undone == list(reversed(prepared))  # rollback in reverse order of the change
    assert all(s.owner for s in p.steps) and all(s.minutes > 0 for s in p.steps)
    expect = {pr.id: pr.expect for pr in p.postchecks}
    assert any(k.startswith("isolated-") and not v for k, v in expect.items())
    assert any(k.startswith("cloud-") and v for k, v in expect.items())


@pytest.mark.parametrize("network", ["health-net", "finance-net"])
def test_the_steps_make_before_break(inv_dir: Path, network: str) -> None:
    p = _plan(inv_dir, network)
    ids = [s.id for s in p.steps]
    sites = sorted(name for name, _, _ in p.sites)
    circuits = [i for i in ids if i.startswith("circuit-")]
    swings = [i for i in ids if i.startswith("swing-")]
    assert sorted(c[len("circuit-"):] for c in circuits) == sites == sorted(s[len("swing-"):] for s in swings)
    assert all(p.step(i).manual for i in circuits + swings)
    pe_steps = [s.id for s in p.steps if s.node and s.phase.value == "prepare"]
    # every PE change and every new circuit before the check that the new path works, every traffic move after it
    assert max(map(ids.index, pe_steps + circuits)) < ids.index("converge") < min(map(ids.index, swings))
    # the old line is released only at the point of no return, after the post-checks and the observation
    assert max(map(ids.index, swings)) < ids.index("postcheck") < ids.index(p.point_of_no_return)
    # a rollback moves the traffic back to the old line before it releases any new circuit
    rb = [s.id for s in p.rollback]
    assert max(rb.index(f"rollback-{s}") for s in swings) < min(rb.index(f"rollback-{c}") for c in circuits)
    # the readiness probes: from each site, every family it has, to the PE end of its own new circuit
    link = {lk.name: lk for pe in p.pes for lk in pe.links if lk.kind == "site"}
    fams = {name: {"v6" if ":" in x else "v4" for x in px} for name, _, px in p.sites}
    assert sorted((pr.source, pr.target_prefix) for pr in p.readiness) == sorted(
        (f"site:{n}", (link[n].pe_ipv6.split("/")[0] + "/128") if f == "v6" else (link[n].pe_ipv4.split("/")[0] + "/32"))
        for n in sites for f in fams[n])
    assert all(pr.expect and pr.target == pr.source.replace("site:", "circuit:") for pr in p.readiness)


def test_the_labs_swing_adds_the_new_route_before_it_removes_the_old_one(inv_dir: Path) -> None:
    from govctl.cutover.lab import circuit_config, design, swing_config

    p = _plan(inv_dir, "health-net")
    st = design(p)  # pure: nothing is created
    lk = next(lk for pe in p.pes for lk in pe.links if lk.kind == "site" and ":" in "".join(lk.prefixes))
    old4, old6 = st.site_old[lk.name]
    new4, new6 = lk.pe_ipv4.split("/")[0], lk.pe_ipv6.split("/")[0]
    _, circuit = circuit_config(st, p, lk.name, undo=False)
    assert f" ip address {lk.ce_ipv4}/31" in circuit and "route" not in circuit  # nothing moves with the circuit
    for undo, (to4, to6), (fro4, fro6) in ((False, (new4, new6), (old4, old6)), (True, (old4, old6), (new4, new6))):
        _, text = swing_config(st, p, lk.name, undo=undo)
        lines = [ln.strip() for ln in text.splitlines()]
        assert lines.index(f"ip route 0.0.0.0/0 {to4}") < lines.index(f"no ip route 0.0.0.0/0 {fro4}"), text
        assert lines.index(f"ipv6 route ::/0 {to6}") < lines.index(f"no ipv6 route ::/0 {fro6}"), text
        assert "address" not in text  # a swing never touches either line's addresses


def test_rollback_of_a_pe_with_other_vpns_keeps_the_vpn_sessions(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("status: scheduled            #", "status: integrated  #", 1))
    p = _plan(inv, "finance-net")
    core = next(pe for pe in p.pes if pe.node == "example-core1")
    assert core.keep_vpn_peers and "vpn-health" in p.other_vpns
    assert "undo ipv4-family vpnv4" not in p.change("example-core1", "bgp_vpn").rollback
    beta = next(pe for pe in p.pes if pe.node == "beta-r1")
    assert not beta.keep_vpn_peers and "undo ipv4-family vpnv4" in p.change("beta-r1", "bgp_vpn").rollback


# ---------------------------------------------------------------- refusals


def _refused(inv: Path, network: str, *needles: str) -> None:
    with pytest.raises(CutoverRefused) as exc:
        _plan(inv, network)
    text = "\n".join(pr.render() for pr in exc.value.problems)
    for n in needles:
        assert n in text, text
    assert all(pr.line for pr in exc.value.problems), "every refusal names its line"
    r = CliRunner().invoke(app, ["cutover", "plan", network, str(inv), *AT])
    assert r.exit_code == 2, r.output
    assert "refused" in r.output


def test_unknown_network(inv_dir: Path) -> None:
    with pytest.raises(UnknownNetwork, match="known: health-net, finance-net"):
        _plan(inv_dir, "water-net")
    r = CliRunner().invoke(app, ["cutover", "plan", "water-net", str(inv_dir), *AT])
    assert r.exit_code == 2 and "no dedicated network 'water-net'" in r.output


def test_overlapping_prefixes_in_the_target_vpn(tmp_path: Path) -> None:
    # Two sites of one network overlapping is already an inventory error (ADDR-001); the cutover refuses it too.
    inv = make_inventory(tmp_path, lambda t: t.replace("[203.0.113.48/28, ", "[203.0.113.32/27, "))
    r = CliRunner().invoke(app, ["cutover", "plan", "finance-net", str(inv), *AT])
    assert r.exit_code == 2 and "overlaps 203.0.113.32/27" in r.output and "dedicated_networks.yaml:" in r.output
    # A second network in the same VPN is checked by the planner itself (it reads the loader's model directly).
    from govctl.inventory.loader import load

    loaded = load(make_inventory(tmp_path / "b", lambda t: t.replace(
        "vpn: vpn-finance", "vpn: vpn-health").replace("203.0.113.48/28", "203.0.113.0/27")))
    with pytest.raises(CutoverRefused) as exc:
        plan_cutover(loaded.inventory, ipv6_plan(loaded.inventory), "finance-net", now=NOW, origins=loaded.origins)
    assert "prefixes overlap inside VPN 'vpn-health'" in str([pr.render() for pr in exc.value.problems])


def test_overlap_with_the_cloud_tenant_subnet(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("[203.0.113.0/28]", "[198.51.100.224/27]"))
    _refused(inv, "health-net", "tenant health-commission/app")


def test_window_in_the_past(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("2036-12-05T", "2026-11-01T"))
    _refused(inv, "health-net", "window is in the past", "dedicated_networks.yaml:")


def test_window_inside_a_change_freeze(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("2036-12-12T", "2027-03-05T"))
    (inv / "province.yaml").write_text((inv / "province.yaml").read_text(encoding="utf-8").replace(
        "2026-03-01T00:00:00+08:00", "2027-03-01T00:00:00+08:00").replace(
        "2026-03-15T23:59:59+08:00", "2027-03-15T23:59:59+08:00"), encoding="utf-8")
    _refused(inv, "finance-net", "inside change freeze '全国两会'")


def test_target_node_not_a_pe(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("[beta-r1, alpha-r2]", "[beta-north-r1, alpha-r2]"))
    _refused(inv, "finance-net", "node 'beta-north-r1' is not a PE (tier county, role aggregation")


def test_department_with_a_classified_system(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("department: finance", "department: public-security"))
    _refused(inv, "finance-net", "classified (涉密) system(s) case-files")


def test_lab_rehearsal_ignores_the_window_but_says_so(tmp_path: Path) -> None:
    inv = make_inventory(tmp_path, lambda t: t.replace("2036-12-05T", "2026-11-01T"))
    p = _plan(inv, "health-net", check_window=False)
    assert any("window is in the past" in w for w in p.warnings)


def test_plan_json_is_the_same_data(inv_dir: Path) -> None:
    r = CliRunner().invoke(app, ["cutover", "plan", "finance-net", str(inv_dir), "--json", *AT])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["vpn"] == "vpn-finance" and data["point_of_no_return"] == "teardown-carrier"
    assert {pe["node"] for pe in data["pes"]} == {"alpha-r2", "beta-r1", "example-core1"}
