"""Capture, URNs, secrets, diff, policies, parallelism and the graph cache, on small programs and the example."""
from __future__ import annotations

import copy
import dataclasses
import asyncio
import json
import random
import stat
from pathlib import Path

import pulumi
import pulumi_openstack as openstack
from pulumi.resource import create_urn
import pytest

from govctl.inventory import models as m
from stackfixtures import planned
from govctl.stacks import engine
from govctl.stacks.capture import capture
from govctl.stacks.diff import diff
from govctl.stacks.errors import ProgramError
from govctl.stacks.models import SECRET, Resource, StackContext, StackGraph
from govctl.stacks.policies import evaluate
from govctl.stacks.render import markdown
from govctl.stacks.state import Store, graph_from_state


class Outer(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Outer", name, None, None)
        self.inner = Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions) -> None:
        super().__init__("test:index:Inner", name, None, opts)
        prov = openstack.Provider("p", auth_url="https://keystone.example.invalid/v3", region="R",
                                  password=pulumi.Output.secret("hunter2"), opts=pulumi.ResourceOptions(parent=self))
        net = openstack.networking.Network("n", name="n", opts=pulumi.ResourceOptions(parent=self, provider=prov))
        openstack.networking.Subnet("s", network_id=net.id, cidr="198.51.100.0/24", ip_version=4,
                                    opts=pulumi.ResourceOptions(parent=self, provider=prov))
        self.register_outputs({})


def _program() -> dict:
    Outer("o")
    return {"answer": 42, "token": pulumi.Output.secret("s3cret")}


def _sdk_urn(name: str, type_: str, parent: str | None = None, stack: str = "dev") -> str:
    """The URN the Pulumi SDK itself derives (pulumi.resource.create_urn): an oracle independent of
    govctl's capture, which derives URNs on its own."""
    async def resolve() -> str:
        return await create_urn(name, type_, parent, project="govctl", stack=stack).future()

    return asyncio.run(resolve())


def test_capture_derives_engine_urns_with_the_full_parent_type_chain() -> None:
    g = capture("dev", _program)
    outer = _sdk_urn("o", "test:index:Outer")
    inner = _sdk_urn("o-inner", "test:index:Inner", outer)
    subnet = g.resources[_sdk_urn("s", "openstack:networking/subnet:Subnet", inner)]
    assert subnet.parent == inner
    assert subnet.provider == _sdk_urn("p", "pulumi:providers:openstack", inner)
    net_urn = _sdk_urn("n", "openstack:networking/network:Network", inner)
    assert net_urn in subnet.dependencies
    assert subnet.inputs == {"cidr": "198.51.100.0/24", "ipVersion": 4, "networkId": f"<id:{net_urn}>"}
    assert g.resources[outer].parent is None
    # every URN the capture derived is the SDK's for its name, type and parent
    for urn, r in g.resources.items():
        if r.type != "pulumi:pulumi:Stack":
            assert urn == _sdk_urn(r.name, r.type, r.parent), urn


def test_secrets_are_redacted_in_inputs_and_outputs() -> None:
    g = capture("dev", _program)
    prov = next(r for r in g.resources.values() if r.type == "pulumi:providers:openstack")
    assert prov.inputs["password"] == SECRET
    assert g.outputs == {"answer": 42, "token": SECRET}
    assert "hunter2" not in json.dumps(g.as_dict()) and "s3cret" not in json.dumps(g.as_dict())


def test_runs_in_one_process_do_not_leak_into_each_other() -> None:
    a = capture("one", _program)
    b = capture("two", _program)
    assert len(a.resources) == len(b.resources) == 5  # Outer, Inner, provider, network, subnet
    assert set(b.resources) == {_sdk_urn(r.name, r.type, r.parent, stack="two") for r in b.resources.values()}
    assert not set(a.resources) & set(b.resources)


def test_a_program_error_names_the_stack_and_the_tenant() -> None:
    src, _ = planned("example")
    inv = src.inventory
    bad_rule = inv.tenants[0].ingress[0].model_copy(update={"protocol": "icmpv6", "source": "198.51.100.0/24"})
    tenants = [inv.tenants[0].model_copy(update={"ingress": [bad_rule]}), *inv.tenants[1:]]
    bad = engine.Source(inv.model_copy(update={"tenants": tenants}), src.ipv6, "bad")
    with pytest.raises(ProgramError, match=r"stack 'prov'.*prov-gov-office.*icmpv6"):
        engine.graphs(bad, ["prov"], None, 1)


def test_parallel_and_serial_plans_are_identical() -> None:
    src, _ = planned("example")
    stacks = engine.select(src.inventory, None)
    serial = engine.graphs(src, stacks, None, 1)
    parallel = engine.graphs(src, stacks, None, 2)
    assert {s: g.as_dict() for s, g in serial.items()} == {s: g.as_dict() for s, g in parallel.items()}


def test_cache_reruns_only_the_stack_whose_inputs_changed(tmp_path: Path) -> None:
    src, _ = planned("example")
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    first = engine.graphs(src, stacks, store, 1)
    assert not any(g.cached for g in first.values())
    again = engine.graphs(src, stacks, store, 1)
    assert all(g.cached for g in again.values())
    assert {s: g.as_dict() for s, g in again.items()} == {s: g.as_dict() for s, g in first.items()}
    inv = src.inventory
    tenants = [t.model_copy(update={"quotas": t.quotas.model_copy(update={"cores": 7})})
               if t.id == "alpha-cloud-edu" else t for t in inv.tenants]
    changed = engine.Source(inv.model_copy(update={"tenants": tenants}), src.ipv6, "changed")
    third = engine.graphs(changed, stacks, store, 1)
    assert {s for s, g in third.items() if not g.cached} == {"alpha-cloud"}
    cache = list((tmp_path / ".govctl" / "cache").rglob("*"))
    assert cache and all(stat.S_IMODE(f.stat().st_mode) == (0o700 if f.is_dir() else 0o600) for f in cache)
    assert not [f for f in cache if f.name.startswith(".")]  # no temp file left behind
    assert stat.S_IMODE((tmp_path / ".govctl").stat().st_mode) == 0o700


def _graph(*resources: Resource) -> StackGraph:
    return StackGraph("s", "govctl", {r.urn: r for r in resources})


def _res(name: str, inputs: dict, id_: str | None = None, type_: str = "openstack:networking/subnet:Subnet") -> Resource:
    return Resource(f"urn:pulumi:s::govctl::{type_}::{name}", type_, name, True, None, None, (), inputs, id_)


def test_diff_maps_real_ids_to_references_and_ignores_provider_defaults() -> None:
    net_urn = "urn:pulumi:s::govctl::openstack:networking/network:Network::n"
    planned_g = _graph(_res("n", {"name": "n"}, type_="openstack:networking/network:Network"),
                       _res("a", {"networkId": f"<id:{net_urn}>", "cidr": "198.51.100.0/25", "ipVersion": 4,
                                  "roleId": "<lookup:getRole/member>"}),
                       _res("new", {"cidr": "203.0.113.0/24"}))
    base_g = _graph(_res("n", {"name": "n"}, "net-uuid", "openstack:networking/network:Network"),
                    _res("a", {"networkId": "net-uuid", "cidr": "198.51.100.0/24", "ipVersion": 4.0,
                               "roleId": "real-role-id", "enableDhcp": True, "__defaults": ["enableDhcp"]}, "s-uuid"),
                    _res("gone", {"cidr": "203.0.113.128/25"}, "g-uuid"))
    changes = diff(planned_g, base_g)
    # a subnet's cidr is ForceNew in the provider's schema: the engine replaces the subnet, and so does the plan
    assert [(c.kind, c.name) for c in changes] == [("create", "new"), ("replace", "a"), ("delete", "gone")]
    assert [(i.key, i.old, i.new, i.forces) for i in changes[1].inputs] == [
        ("cidr", "198.51.100.0/24", "198.51.100.0/25", "cidr")]
    assert diff(planned_g, planned_g) == []


def test_a_value_equal_to_some_id_is_still_that_value() -> None:
    """Swift names a container by its name (its id) and Nova numbers aggregates "3", "4", ...: a DR grade of "3" in a
    container's metadata, or its name, is the value itself, not a reference to the resource with that id; a real
    reference (and a changed value) still reads as one."""
    container, aggregate = "openstack:objectstorage/container:Container", "openstack:compute/aggregateV2:AggregateV2"
    agg_urn = f"urn:pulumi:s::govctl::{aggregate}::agg"
    inputs = {"name": "t-dr-backup", "metadata": {"dr-grade": "3", "standard": "x"}, "versioning": False}
    base_g = _graph(_res("agg", {"name": "agg"}, "3", aggregate), _res("c", inputs, "t-dr-backup", container),
                    _res("a", {"networkId": "3", "cidr": "198.51.100.0/24"}, "s-uuid"))
    planned_g = _graph(_res("agg", {"name": "agg"}, type_=aggregate), _res("c", inputs, type_=container),
                       _res("a", {"networkId": f"<id:{agg_urn}>", "cidr": "198.51.100.0/24"}))
    assert diff(planned_g, base_g) == []
    graded = _graph(*(r for r in planned_g.resources.values() if r.name != "c"),
                    _res("c", {**inputs, "metadata": {"dr-grade": "4", "standard": "x"}}, type_=container))
    assert [(c.kind, c.name, [i.key for i in c.inputs]) for c in diff(graded, base_g)] == [
        ("update", "c", ["metadata"])]


def test_an_input_the_provider_updates_in_place_is_an_update_and_a_forcing_one_a_replace() -> None:
    subnet = "openstack:networking/subnet:Subnet"
    base_g = _graph(_res("a", {"name": "old", "cidr": "198.51.100.0/24"}, "s-uuid", subnet))
    renamed = diff(_graph(_res("a", {"name": "new", "cidr": "198.51.100.0/24"}, type_=subnet)), base_g)
    assert [(c.kind, [(i.key, i.forces) for i in c.inputs]) for c in renamed] == [("update", [("name", None)])]
    volume = "openstack:blockstorage/volume:Volume"  # schedulerHints is a block: only its listed attributes force
    hints = {"schedulerHints": [{"sameHost": ["x"], "additionalProperties": {}}]}
    base_v = _graph(_res("v", {"size": 10, **hints}, "v-uuid", volume))
    grown = diff(_graph(_res("v", {"size": 20, **hints}, type_=volume)), base_v)
    assert [c.kind for c in grown] == ["update"]
    moved = diff(_graph(_res("v", {"size": 10, "schedulerHints": [{"sameHost": ["y"], "additionalProperties": {}}]},
                             type_=volume)), base_v)
    assert [(c.kind, c.inputs[0].forces) for c in moved] == [("replace", "schedulerHints.sameHost")]


def test_state_reader_takes_pulumi_export_format() -> None:
    doc = {"version": 3, "deployment": {"manifest": {}, "resources": [
        {"urn": "urn:pulumi:prov::govctl::pulumi:pulumi:Stack::govctl-prov", "custom": False,
         "type": "pulumi:pulumi:Stack", "outputs": {"k": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                                          "ciphertext": "v1:abc"}}},
        {"urn": "urn:pulumi:prov::govctl::pulumi:providers:openstack::p", "custom": True, "id": "pid",
         "type": "pulumi:providers:openstack", "inputs": {"authUrl": "x"},
         "parent": "urn:pulumi:prov::govctl::pulumi:pulumi:Stack::govctl-prov"},
        {"urn": "urn:pulumi:prov::govctl::openstack:networking/network:Network::n", "custom": True, "id": "nid",
         "type": "openstack:networking/network:Network", "inputs": {"name": "n", "mtu": 1500.0},
         "provider": "urn:pulumi:prov::govctl::pulumi:providers:openstack::p::pid"}]}}
    g = graph_from_state(doc, "x.json")
    assert g.stack == "prov" and g.outputs == {"k": SECRET}
    n = g.resources["urn:pulumi:prov::govctl::openstack:networking/network:Network::n"]
    assert n.provider == "urn:pulumi:prov::govctl::pulumi:providers:openstack::p" and n.inputs["mtu"] == 1500
    assert g.resources["urn:pulumi:prov::govctl::pulumi:providers:openstack::p"].parent is None


def _mutated(graph: StackGraph, name: str, **inputs: object) -> StackGraph:
    g = copy.deepcopy(graph)
    urn = next(u for u, r in g.resources.items() if r.name == name)
    r = g.resources[urn]
    g.resources[urn] = dataclasses.replace(r, inputs={**r.inputs, **inputs})
    return g


@pytest.mark.parametrize("name,inputs,policy", [
    ("prov-gov-office-in-tcp-443-443-198-51-100-0-24", {"remoteIpPrefix": "0.0.0.0/0", "portRangeMin": 20,
                                                         "portRangeMax": 25}, "no-management-port-to-any"),
    ("prov-gov-office-in-tcp-443-443-2001-db8-32", {"ethertype": "IPv4"}, "rule-ethertype-matches-prefix"),
    ("prov-gov-office-app-v6", {"ipv6AddressMode": "dhcpv6-stateful"}, "ipv6-subnet-modes"),
    ("prov-gov-office-app", {"shared": True}, "no-network-shared-with-all"),
    ("prov-public-security-strong-external", {"external": True}, "tenant-external-network-private"),
])
def test_policies_catch_what_neutron_or_the_isolation_rules_reject(name: str, inputs: dict, policy: str) -> None:
    _, graphs = planned("example")
    assert [v for v in evaluate(graphs["prov"]) if v[1] == "mandatory"] == []
    found = [v for v in evaluate(_mutated(graphs["prov"], name, **inputs)) if v[1] == "mandatory"]
    assert [v[0] for v in found] == [policy]


def test_policies_catch_undeclared_sharing_and_missing_dr_and_default_providers() -> None:
    src, graphs = planned("example")
    conf = engine.policy_config(src.inventory)
    health = graphs["health"]
    assert [v for v in evaluate(health, conf) if v[1] == "mandatory"] == []
    assert [v[0] for v in evaluate(health, {}) if v[1] == "mandatory"] == ["sharing-declared"]
    prov = copy.deepcopy(graphs["prov"])
    for urn in [u for u, r in prov.resources.items() if r.name == "prov-gov-office-dr-backup-RegionDR"
                or r.name.startswith("prov-gov-office-anti-affinity-same-city")
                or r.name.endswith("-quota-RegionBackup") and "gov-office" in r.name]:
        del prov.resources[urn]
    assert "dr-grade-coverage" in [v[0] for v in evaluate(prov, conf)]
    net = next(u for u, r in prov.resources.items() if r.name == "prov-gov-office-app")
    prov.resources[net] = dataclasses.replace(prov.resources[net], provider=None)
    assert "explicit-provider" in [v[0] for v in evaluate(prov, conf)]


def test_markdown_stays_under_the_limit_and_says_it_truncated() -> None:
    src, graphs = planned("example")
    result = engine.compare(src, graphs, {})
    full = markdown(result)
    short = markdown(result, limit=3000)
    assert len(full) > 3000 and len(short) <= 3000
    assert "truncated" in short and short.count("```") % 2 == 0 and short.count("<details>") == short.count("</details>")


def test_the_pulumi_entry_point_registers_the_same_graph() -> None:
    """stacks/__main__.py (what `pulumi up` runs), driven by stack config, equals the planner's graph."""
    import runpy

    from pulumi.runtime import config as pconfig
    from stackfixtures import ROOT

    _, graphs = planned("example")
    token = pconfig.CONFIG.set({"govctl:inventory": "inventories/example", "govctl:platform": "health"})
    refs = {"organization/govctl/prov": graphs["prov"].outputs}
    try:
        g = capture("health", lambda: runpy.run_path(str(ROOT / "stacks" / "__main__.py")) and {}, refs)
    finally:
        pconfig.CONFIG.reset(token)
    assert g.as_dict()["resources"] == graphs["health"].as_dict()["resources"]


# ---------------------------------------------------------------- per-tenant incremental replan


def _source(base: engine.Source, tenants: list, platforms: list | None = None) -> engine.Source:
    from govctl.ipv6.planner import plan as plan6

    update: dict = {"tenants": tenants}
    if platforms is not None:
        update["clouds"] = base.inventory.clouds.model_copy(update={"platforms": platforms})
    inv = base.inventory.model_copy(update=update)
    return engine.Source(inv, plan6(inv), "edited")


def _with_local_share(src: engine.Source) -> engine.Source:
    """The example plus one same-platform share, so that re-running a tenant needs another one registered."""
    tenants = [t.model_copy(update={"shared_with": ["prov-gov-office"]}) if t.id == "prov-public-security" else t
               for t in src.inventory.tenants]
    return _source(src, tenants)


def _quota(src: engine.Source, rng: random.Random) -> tuple[engine.Source, str]:
    t = rng.choice(src.inventory.tenants)
    q = t.quotas.model_copy(update={"cores": t.quotas.cores + rng.randint(1, 9)})
    return _source(src, [x.model_copy(update={"quotas": q}) if x.id == t.id else x
                         for x in src.inventory.tenants]), t.id


def _network(src: engine.Source, rng: random.Random) -> tuple[engine.Source, str]:
    t = rng.choice(src.inventory.tenants)
    net = t.networks[0].model_copy(update={"name": f"extra{rng.randint(1, 99)}", "ipv4": "203.0.113.240/28"})
    return _source(src, [x.model_copy(update={"networks": [*x.networks, net]}) if x.id == t.id else x
                         for x in src.inventory.tenants]), t.id


def _added(src: engine.Source, rng: random.Random) -> tuple[engine.Source, str]:
    t = rng.choice([x for x in src.inventory.tenants if x.isolation != m.Isolation.strong])
    new = t.model_copy(update={"id": f"{t.platform}-added", "department": "added", "shared_with": [],
                               "networks": [t.networks[0].model_copy(update={"ipv4": "203.0.113.224/28"})]})
    return _source(src, [*src.inventory.tenants, new]), new.id


def _removed(src: engine.Source, rng: random.Random) -> tuple[engine.Source, str]:
    # Not a tenant others share with: the inventory's rules would reject the dangling reference.
    shared = {s for t in src.inventory.tenants for s in t.shared_with}
    t = rng.choice([x for x in src.inventory.tenants if x.id not in shared])
    return _source(src, [x for x in src.inventory.tenants if x.id != t.id]), t.id


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, frozenset[str] | None]]:
    """Every program run of engine.graphs (workers=1 keeps them in this process): (stack, only)."""
    seen: list[tuple[str, frozenset[str] | None]] = []
    real = engine.run_stack

    def recording(inv, ipv6, stack, references, only=None):  # type: ignore[no-untyped-def]
        seen.append((stack, only))
        return real(inv, ipv6, stack, references, only)

    monkeypatch.setattr(engine, "run_stack", recording)
    return seen


def _as_dicts(graphs: dict[str, StackGraph]) -> dict[str, dict]:
    return {s: g.as_dict() for s, g in graphs.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("edit", [_quota, _network, _added, _removed])
def test_incremental_replan_equals_a_full_run(tmp_path: Path, runs: list, seed: int, edit) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    src = _with_local_share(planned("example")[0])
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    engine.graphs(src, stacks, store, 1)
    edited, who = edit(src, rng)
    platform = next(t.platform for t in [*src.inventory.tenants, *edited.inventory.tenants] if t.id == who)
    runs.clear()
    incremental = engine.graphs(edited, stacks, store, 1)
    partial = [(s, only) for s, only in runs if s == platform]
    expected = set() if edit is _removed else {who} | ({"prov-gov-office"} if who == "prov-public-security" else set())
    assert partial == [(platform, frozenset(expected))], runs
    runs.clear()
    full = engine.graphs(edited, stacks, None, 1)
    assert all(only is None for _, only in runs)
    assert _as_dicts(incremental) == _as_dicts(full)
    # The spliced graph is now the cache entry of these inputs.
    runs.clear()
    again = engine.graphs(edited, stacks, store, 1)
    assert runs == [] and all(g.cached for g in again.values()) and _as_dicts(again) == _as_dicts(full)


def test_a_platform_level_change_reruns_the_whole_stack(tmp_path: Path, runs: list) -> None:
    src, _ = planned("example")
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    engine.graphs(src, stacks, store, 1)
    platforms = [p.model_copy(update={"openstack": p.openstack.model_copy(
        update={"auth_url": "https://keystone2.alpha.example.invalid:5000/v3"})}) if p.id == "alpha-cloud" else p
        for p in src.inventory.platforms]
    edited = _source(src, list(src.inventory.tenants), platforms)
    runs.clear()
    incremental = engine.graphs(edited, stacks, store, 1)
    assert runs == [("alpha-cloud", None)]
    assert _as_dicts(incremental) == _as_dicts(engine.graphs(edited, stacks, None, 1))


def test_a_changed_platform_level_ipv6_allocation_reruns_the_whole_stack(tmp_path: Path, runs: list) -> None:
    src, _ = planned("example")
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    engine.graphs(src, stacks, store, 1)
    allocations = dict(src.ipv6.allocations)
    key = "cloud/alpha-cloud/external/extranet"
    allocations[key] = dataclasses.replace(allocations[key], prefix="2001:db8:ffff::/64")
    edited = engine.Source(src.inventory, dataclasses.replace(src.ipv6, allocations=allocations), "edited")
    runs.clear()
    incremental = engine.graphs(edited, stacks, store, 1)
    assert runs == [("alpha-cloud", None)]
    assert _as_dicts(incremental) == _as_dicts(engine.graphs(edited, stacks, None, 1))
    assert any(r.inputs.get("cidr") == "2001:db8:ffff::/64" for r in incremental["alpha-cloud"].resources.values())


def test_changed_hub_outputs_rerun_the_stacks_that_read_them(tmp_path: Path, runs: list) -> None:
    src, _ = planned("example")
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    engine.graphs(src, stacks, store, 1)
    hub_tenant = next(t for t in src.inventory.tenants if t.platform == "prov" and t.isolation == m.Isolation.standard)
    new = hub_tenant.model_copy(update={"id": "prov-added", "department": "added", "shared_with": []})
    edited = _source(src, [*src.inventory.tenants, new])
    runs.clear()
    incremental = engine.graphs(edited, stacks, store, 1)
    # The hub's "projects" output gained a tenant: every federated stack reads it through its StackReference.
    assert runs[0] == ("prov", frozenset({"prov-added"}))
    assert sorted(runs[1:]) == sorted((s, None) for s in stacks if s != "prov")
    assert "prov-added" in incremental["prov"].outputs["projects"]
    assert _as_dicts(incremental) == _as_dicts(engine.graphs(edited, stacks, None, 1))


def test_a_partial_run_that_disagrees_on_platform_resources_falls_back_to_a_whole_run() -> None:
    from govctl.stacks.incremental import splice

    _, graphs = planned("example")
    g = graphs["prov"]
    tenant_free = copy.deepcopy(g)
    tenant_free.resources = {u: r for u, r in g.resources.items() if g.tenant_of(u) is None}
    assert splice(g, tenant_free, frozenset(), frozenset()) is not None
    bent = copy.deepcopy(tenant_free)
    zone = next(u for u, r in bent.resources.items() if r.type == "openstack:dns/zone:Zone")
    bent.resources[zone] = dataclasses.replace(bent.resources[zone], inputs={**bent.resources[zone].inputs,
                                                                            "ttl": 60})
    assert splice(g, bent, frozenset(), frozenset()) is None
    stray = copy.deepcopy(g)  # a tenant the partial run was not asked for
    assert splice(g, stray, frozenset({"prov-gov-office"}), frozenset()) is None


def test_a_tenant_sharing_on_its_platform_reruns_with_the_tenant_it_shares_with(tmp_path: Path, runs: list) -> None:
    src = _with_local_share(planned("example")[0])
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    engine.graphs(src, stacks, store, 1)
    tenants = [t.model_copy(update={"quotas": t.quotas.model_copy(update={"cores": 3})})
               if t.id == "prov-public-security" else t for t in src.inventory.tenants]
    edited = _source(src, tenants)
    runs.clear()
    incremental = engine.graphs(edited, stacks, store, 1)
    # Its RBAC policies need the other project: both are registered, only the sharer's slice changed.
    assert runs == [("prov", frozenset({"prov-public-security", "prov-gov-office"}))]
    shares = [r for r in incremental["prov"].resources.values() if r.name.startswith("prov-public-security-app-shared")]
    assert shares and all(any("prov-gov-office" in d for d in r.dependencies) for r in shares)
    assert _as_dicts(incremental) == _as_dicts(engine.graphs(edited, stacks, None, 1))


def test_policy_results_are_cached_per_graph_and_policy_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, _ = planned("example")
    stacks = engine.select(src.inventory, None)
    store = Store(tmp_path / ".govctl", "example")
    graphs = engine.graphs(src, stacks, store, 1)
    calls: list[str] = []
    real = engine.evaluate
    monkeypatch.setattr(engine, "evaluate", lambda g, conf: calls.append(g.stack) or real(g, conf))
    first = engine.violations(src.inventory, graphs, store)
    assert sorted(calls) == sorted(stacks)
    calls.clear()
    assert engine.violations(src.inventory, graphs, store) == first and calls == []
    # Another declared share changes what sharing-declared accepts: every stack is evaluated again.
    tenants = [t.model_copy(update={"shared_with": ["prov-finance"]}) if t.id == "prov-gov-office" else t
               for t in src.inventory.tenants]
    engine.violations(src.inventory.model_copy(update={"tenants": tenants}), graphs, store)
    assert sorted(calls) == sorted(stacks)
    files = list((tmp_path / ".govctl" / "cache" / "policies").iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


@pytest.mark.parametrize("workers", [2, 3])
def test_the_hub_run_in_parallel_chunks_equals_one_whole_run(workers: int) -> None:
    src = _with_local_share(planned("example")[0])
    plans = engine.tenant_plans(StackContext(inventory=src.inventory, ipv6=src.ipv6, platform="prov"))
    chunked = engine._in_chunks(src.inventory, src.ipv6, "prov", plans, workers)
    whole = engine.run_stack(src.inventory, src.ipv6, "prov", {})
    assert chunked is not None
    assert chunked.as_dict() == whole.as_dict() and chunked.outputs["projects"] == whole.outputs["projects"]


@pytest.mark.slow
def test_a_province_sized_hub_planned_in_chunks_equals_one_whole_run() -> None:
    src, graphs = planned("guangdong")
    hub = engine.hub_of(src.inventory).id
    plans = engine.tenant_plans(StackContext(inventory=src.inventory, ipv6=src.ipv6, platform=hub))
    chunked = engine._in_chunks(src.inventory, src.ipv6, hub, plans, 2)
    whole = engine.run_stack(src.inventory, src.ipv6, hub, {})
    assert chunked is not None and chunked.as_dict() == whole.as_dict() and chunked.outputs == whole.outputs
    assert graphs[hub].as_dict()["resources"] == whole.as_dict()["resources"]  # what graphs() gave (workers=2)


def test_a_run_leaves_no_event_loop_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's executor threads need event loops; one left open is closed by the garbage collector's
    finalizer, which can fail at exit and print "Invalid file descriptor: -1" tracebacks after a
    successful `govctl plan` (seen on a new machine). Every loop made during a run is closed by its end."""
    import asyncio

    made: list[asyncio.AbstractEventLoop] = []  # held here, so the collector cannot close them instead
    real = asyncio.new_event_loop

    def recording() -> asyncio.AbstractEventLoop:
        made.append(real())
        return made[-1]

    monkeypatch.setattr(asyncio, "new_event_loop", recording)
    capture("dev", _program)
    capture("dev", _program)  # the SDK's threads are reused: a closed loop found in one is replaced
    assert len(made) >= 2 and [lp for lp in made if not lp.is_closed()] == []
