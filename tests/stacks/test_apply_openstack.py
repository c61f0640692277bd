"""`govctl apply` through the real engine (pulumi CLI, Go language host, pulumi-resource-openstack) onto the
session's OpenStack lab (tests/conftest.py: openstack_lab), then the offline plan, a second apply and the
faults, on a copy of the bundled example.

The lab serves everything the hub stack declares. The DNS zone is created in the lab's Designate, reaches ACTIVE
and is served on 127.0.0.1 (asked for its SOA); the tenants' DR backup containers are created in the lab's Swift,
each in its tenant's own account; the anti-affinity server groups in each tenant's own project (the scoped providers
authenticate into it with the operator's role the stack grants, not with the clouds.yaml entry's project). They are
checked in the services themselves, `govctl audit` finds the stack in sync, and the teardown's destroy deletes them.
Then saved plans, the destroy guard, the plan-fidelity suite
(offline plan against `pulumi preview --json`) and the policy pack in the engine. Under CI=true a missing
engine fails the tests instead of skipping them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fidelity_edits import EDITS, apply_edit

pytestmark = pytest.mark.openstack

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
ENGINE = ("pulumi", "pulumi-language-python", "pulumi-resource-openstack")
STACK = "prov"
DR_TENANTS = ("prov-finance", "prov-gov-office", "prov-public-security")  # each with a backup container in RegionDR
CONTAINER = "openstack:objectstorage/container:Container"
SERVER_GROUP = "openstack:compute/serverGroup:ServerGroup"
ZONE = "example.egov.example."  # the hub stack's DNS zone (stacks/platform.py: <province>.egov.example.)


@pytest.fixture(scope="module")
def engine() -> None:
    from capabilities import need_executable

    for binary in ENGINE:  # under CI=true a missing engine fails (tests/capabilities.py)
        need_executable(binary, "tools/engine/build.sh, then eval \"$(tools/engine/build.sh --env)\"")


class Run:
    def __init__(self, proc: subprocess.CompletedProcess[str], seconds: float) -> None:
        self.code, self.out, self.err, self.seconds = proc.returncode, proc.stdout, proc.stderr, seconds

    @property
    def last_line(self) -> str:
        return [ln for ln in self.err.splitlines() if ln.strip()][-1]


def govctl(*args: str, env: dict[str, str] | None = None) -> Run:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "govctl.cli", *args], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, check=False)
    return Run(proc, time.monotonic() - t0)


@pytest.fixture(scope="module")
def world(openstack_lab, engine, tmp_path_factory):  # noqa: ANN001, ANN201
    base = tmp_path_factory.mktemp("apply")
    inv = base / "example"
    shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
    state = base / "state"
    first = govctl("--state-dir", str(state), "apply", str(inv), "-s", STACK, "--yes", "--continue-on-error")
    yield {"inv": inv, "state": state, "first": first, "lab": openstack_lab}
    # The lab is the session's: leave it as empty as it was for the tests after these (tests/audit seeds the
    # example into it). `pulumi destroy` through the engine, then what an interrupted run left behind.
    from govctl.audit.cloud import Cloud
    from govctl.stacks import live

    t0 = time.monotonic()
    projects = projects_of(checkpoint(state))  # their Swift accounts outlive them: checked after the destroy
    s = live.stack(STACK, inv, state / "stacks")
    s._run_pulumi_cmd_sync(["state", "unprotect", "--all", "--yes"], None)  # noqa: SLF001 - the tenant data too
    s.destroy(on_output=lambda _line: None)
    api = Cloud(openstack_lab.cloud)
    for net in api.call("network", "GET", "/networks")["networks"]:
        if net["name"].startswith("crash"):
            api.call("network", "DELETE", f"/networks/{net['id']}")
    print(f"destroy: {time.monotonic() - t0:.1f} s")
    # The destroy deleted the zone for real: gone from Designate (the provider waited for that) and from named.
    assert zones(api) == {}, zones(api)
    assert soa(openstack_lab) is None
    # ... and the (empty) DR backup containers, from each tenant's Swift account.
    left = {t: [c["name"] for c in api.call("object-store", "GET", "?format=json", region="RegionDR", project=p)
                or []] for t, p in projects.items()}
    for t, names in left.items():
        for name in names:
            api.call("object-store", "DELETE", f"/{name}", region="RegionDR", project=projects[t])
    assert not any(left.values()), f"the destroy left containers in Swift: {left}"


def zones(api) -> dict[str, str]:  # noqa: ANN001
    """Designate's zones, every project's: name -> status."""
    return {z["name"]: z["status"] for z in api.call("dns", "GET", "/zones?all_projects=True")["zones"]}


def soa(lab) -> str | None:  # noqa: ANN001
    """What the lab's named answers for the hub zone's SOA (None: not served)."""
    from govctl.labs.cloud.lab import soa as query

    return query(ZONE, next(s.port for s in lab.services if s.name == "bind"))


def checkpoint(state: Path) -> dict:
    doc = json.loads((state / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / f"{STACK}.json").read_text())
    return {r["urn"]: r for r in doc["checkpoint"]["latest"]["resources"]}


def planned(inv: Path, state: Path, *extra: str) -> dict:
    res = govctl("--state-dir", str(state), "plan", str(inv), "-s", STACK, "--json", "--no-cache", *extra)
    assert res.code == 0, res.err
    return json.loads(res.out)


def test_apply_creates_everything(world) -> None:  # noqa: ANN001
    first = world["first"]
    print(f"apply of '{STACK}': {first.seconds:.1f} s")
    assert first.code == 0, first.err
    assert "Traceback" not in first.err
    state = checkpoint(world["state"])
    names = {r["urn"].rsplit("::", 1)[1] for r in state.values()}
    # the operator's role in each DR tenant's project, which its scoped providers authenticate with
    assert {f"{t}-operator-member" for t in DR_TENANTS} <= names
    assert {f"{t}-dr-backup-RegionDR" for t in DR_TENANTS} <= names  # Swift: created
    # the zone: created through the engine (the provider waited for ACTIVE), and served by the lab's named
    zone = next(r for r in state.values() if r["urn"].endswith("::prov-zone"))
    assert zone["type"] == "openstack:dns/zone:Zone" and zone["outputs"]["name"] == ZONE
    from govctl.audit.cloud import Cloud

    assert zones(Cloud(world["lab"].cloud)) == {ZONE: "ACTIVE"}
    served = soa(world["lab"])
    assert served is not None and served.startswith(f"{ZONE} 3600 IN SOA ns1.govctl-lab.test. "
                                                    "hostmaster.prov.egov.example. "), served
    # the offline plan against the real state: nothing left to do
    plan = planned(world["inv"], world["state"])
    changes = plan["stacks"][0]["changes"]
    assert changes == [], changes
    assert len(state) > 100


def projects_of(state: dict) -> dict[str, str]:
    """The DR tenants' project ids, from the stack's state."""
    return {r["outputs"]["name"]: r["id"] for r in state.values()
            if r["type"] == "openstack:identity/project:Project" and r["outputs"].get("name") in DR_TENANTS}


def test_the_containers_are_in_the_tenants_swift_accounts_as_declared(world) -> None:  # noqa: ANN001
    """Each DR backup container is in the lab's Swift (RegionDR), in its tenant's own account (AUTH_<project id>),
    with the metadata and versioning of the state; the clouds.yaml entry's own account holds none."""
    from govctl.audit.cloud import Cloud

    api = Cloud(world["lab"].cloud)
    state = checkpoint(world["state"])
    held = {r["urn"].rsplit("::", 1)[1].split("-dr-backup-")[0]: r for r in state.values() if r["type"] == CONTAINER}
    assert sorted(held) == sorted(DR_TENANTS) and all(r["id"] == f"{t}-dr-backup" for t, r in held.items())
    assert not api.call("object-store", "GET", "?format=json", region="RegionDR")  # the admin account: empty
    projects = projects_of(state)
    for t, r in held.items():
        listed = {c["name"] for c in api.call("object-store", "GET", "?format=json", region="RegionDR",
                                              project=projects[t]) or []}
        assert listed == {r["id"]}, (t, listed)
        head = {k.lower(): v for k, v in api.head("object-store", f"/{r['id']}", region="RegionDR",
                                                  project=projects[t]).items()}
        meta = {k.removeprefix("x-container-meta-"): v for k, v in head.items() if k.startswith("x-container-meta-")}
        assert meta == r["inputs"]["metadata"], r["id"]
        assert head.get("x-versions-enabled", "false").lower() == str(r["inputs"]["versioning"]).lower(), r["id"]
        assert head["x-container-object-count"] == "0"


def test_the_server_groups_are_in_the_tenants_projects(world) -> None:  # noqa: ANN001
    """Each anti-affinity server group is in its tenant's project, not in the clouds.yaml entry's."""
    from govctl.audit.cloud import Cloud

    api = Cloud(world["lab"].cloud)
    state = checkpoint(world["state"])
    projects = projects_of(state)
    held = {r["id"]: r["urn"].rsplit("::", 1)[1] for r in state.values() if r["type"] == SERVER_GROUP}
    assert len(held) == 2 * len(DR_TENANTS)
    for region in ("RegionMain", "RegionBackup"):
        live = api.call("compute", "GET", "/os-server-groups?all_projects=True", region=region)["server_groups"]
        for g in live:
            if g["id"] in held:
                tenant = held[g["id"]].split("-anti-affinity-")[0]
                assert g["project_id"] == projects[tenant], (held[g["id"]], g["project_id"])


def test_the_audit_finds_the_applied_stack_in_sync(world) -> None:  # noqa: ANN001
    """`govctl audit` after the apply matches every resource, the zone in Designate, the containers in each
    tenant's Swift account and the server groups in each tenant's project among them: exit 0, no finding."""
    res = govctl("audit", str(world["inv"]), "-s", STACK, "--cloud", world["lab"].cloud, "--json")
    print(f"audit after apply: {res.seconds:.1f} s")
    report = json.loads(res.out)
    assert res.code == 0 and report["findings"] == [], res.out
    assert report["matched"] == report["resources"]


def test_engine_output_is_line_by_line_and_the_settings_stay_in_the_state_dir(world) -> None:  # noqa: ANN001
    out = world["first"].out
    assert out.count("\n") > 100 and any(ln.lstrip().startswith("+  openstack:identity:Project") for ln in
                                         out.splitlines())
    work = world["state"] / "stacks" / "work"
    assert sorted(p.name for p in work.iterdir()) == ["Pulumi.prov.yaml", "Pulumi.yaml", "policy-config.json"]
    root = Path(__file__).resolve().parents[2]
    assert not list(root.glob("Pulumi.*.yaml")) and not list((root / "stacks").glob("Pulumi.*.yaml"))
    assert not list(world["inv"].glob("Pulumi*"))


def test_a_second_apply_changes_nothing(world) -> None:  # noqa: ANN001
    before = {u: r.get("id") for u, r in checkpoint(world["state"]).items()}
    again = govctl("--state-dir", str(world["state"]), "apply", str(world["inv"]), "-s", STACK, "--yes",
                   "--continue-on-error")
    print(f"second apply: {again.seconds:.1f} s")
    assert again.code == 0, again.err
    touched = [ln for ln in again.out.splitlines()
               if any(f" {w} (" in ln for w in ("created", "updated", "deleted", "replaced"))]
    assert touched == []
    assert {u: r.get("id") for u, r in checkpoint(world["state"]).items()} == before


def test_an_edited_quota_is_previewed_then_applied_exactly(world) -> None:  # noqa: ANN001
    inv = world["inv"]
    tenants = inv / "tenants.yaml"
    tenants.write_text(tenants.read_text(encoding="utf-8").replace("      cores: 64\n", "      cores: 96\n", 1),
                       encoding="utf-8")
    plan = planned(inv, world["state"])
    updates = [(c["name"], [(x["key"], x["old"], x["new"]) for x in c["changes"]])
               for c in plan["stacks"][0]["changes"] if c["kind"] == "update"]
    assert updates == [("prov-gov-office-compute-quota-RegionBackup", [("cores", 64, 96)]),
                       ("prov-gov-office-compute-quota-RegionMain", [("cores", 64, 96)])], updates
    res = govctl("--state-dir", str(world["state"]), "apply", str(inv), "-s", STACK, "--yes", "--continue-on-error")
    done = sorted(ln.split()[2] for ln in res.out.splitlines() if " updated (" in ln)
    assert done == [name for name, _ in updates], res.out
    after = planned(inv, world["state"])["stacks"][0]["changes"]
    assert after == []


def test_tenant_data_carries_protect_in_the_state(world) -> None:  # noqa: ANN001
    from govctl.stacks.models import PROTECTED_TYPES

    held = [r for r in checkpoint(world["state"]).values() if r["type"] in PROTECTED_TYPES]
    assert len(held) >= 5 and all(r.get("protect") is True for r in held), [r["urn"] for r in held]
    assert not [r["urn"] for r in checkpoint(world["state"]).values()
                if r.get("protect") and r["type"] not in PROTECTED_TYPES]


def test_a_saved_plan_is_applied_exactly_then_refused_once_the_state_moved(world, tmp_path: Path) -> None:  # noqa: ANN001
    inv, state = world["inv"], world["state"]
    tenants = inv / "tenants.yaml"
    tenants.write_text(tenants.read_text(encoding="utf-8").replace("      ram_gb: 256\n", "      ram_gb: 384\n", 1),
                       encoding="utf-8")
    saved = tmp_path / "ram.plan"
    res = govctl("--state-dir", str(state), "plan", str(inv), "-s", STACK, "--out", str(saved))
    assert res.code == 0, res.err
    body = json.loads(saved.read_text(encoding="utf-8"))["body"]
    updates = sorted(c["urn"].rsplit("::", 1)[1] for c in body["stacks"][0]["changes"] if c["kind"] == "update")
    assert updates == ["prov-gov-office-compute-quota-RegionBackup", "prov-gov-office-compute-quota-RegionMain"]
    before = checkpoint(state)
    res = govctl("--state-dir", str(state), "apply", str(saved))
    print(f"apply FILE: {res.seconds:.1f} s")
    assert res.code == 0, res.err
    done = sorted(ln.split()[2] for ln in res.out.splitlines() if " updated (" in ln)
    assert done == updates, res.out
    after = checkpoint(state)
    def held(r: dict) -> tuple:  # what a resource is, not the engine's bookkeeping (timestamps)
        return r.get("id"), r.get("inputs"), r.get("outputs")

    # the cloud's resources (the components and the stack record no inputs of their own)
    assert {u for u in after if after[u].get("custom") and held(after[u]) != held(before[u])} == {
        u for u in after if u.rsplit("::", 1)[1] in updates}
    assert all(after[u]["outputs"]["ram"] == 384 * 1024 for u in after if u.rsplit("::", 1)[1] in updates)
    again = govctl("--state-dir", str(state), "apply", str(saved))
    assert again.code == 2 and "the state of stack 'prov'" in again.last_line, again.err
    assert checkpoint(state) == after


def pulumi_preview_json(world, edited: Path, tmp: Path) -> set[tuple[str, str]]:  # noqa: ANN001
    """(op, URN) of each step `pulumi preview --json` plans for ``edited`` against the stack's state, run by the CLI
    itself on private copies of the backend and the stack settings (the state is not touched; protect is lifted in
    the copy so that deletes and replacements of tenant data are previewed rather than refused)."""
    state = world["state"]
    backend, work = tmp / "backend", tmp / "work"
    shutil.copytree(state / "stacks" / "backend", backend)
    shutil.copytree(state / "stacks" / "work", work)
    from govctl.stacks.credentials import engine_env

    # the clouds.yaml entry as govctl hands it to the engine (its OS_* variables, OS_CLOUD cleared)
    env = {**os.environ, **engine_env(), "PULUMI_BACKEND_URL": f"file://{backend}", "PULUMI_SKIP_UPDATE_CHECK": "true",
           "PULUMI_CONFIG_PASSPHRASE_FILE": str(state / "secrets" / "pulumi-passphrase"),
           "PULUMI_PYTHON_CMD": sys.executable}

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["pulumi", *args, "--stack", STACK, "--cwd", str(work), "--non-interactive"],
                              capture_output=True, text=True, env=env, timeout=600, check=False)

    for args in (["config", "set", "govctl:inventory", str(edited)], ["state", "unprotect", "--all", "--yes"]):
        done = pulumi(*args)
        assert done.returncode == 0, done.stderr
    done = pulumi("preview", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    steps = json.loads(done.stdout).get("steps") or []
    return {(s["op"], s["urn"]) for s in steps
            if s["op"] in ("create", "update", "delete", "replace") and "::pulumi:pulumi:Stack::" not in s["urn"]}


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_the_offline_plan_is_what_pulumi_preview_plans(world, kind: str, tmp_path: Path) -> None:  # noqa: ANN001
    """Plan fidelity: for each kind of edit, the (kind, URN) set of the offline `govctl plan` equals that of
    `pulumi preview --json` on the same stack and state."""
    edited = tmp_path / "example"
    shutil.copytree(world["inv"], edited)
    apply_edit(edited, kind)
    t0 = time.monotonic()
    offline = {(c["kind"], c["urn"]) for c in planned(edited, world["state"])["stacks"][0]["changes"]}
    t1 = time.monotonic()
    engine = pulumi_preview_json(world, edited, tmp_path)
    print(f"{kind}: govctl plan {t1 - t0:.1f} s, pulumi preview {time.monotonic() - t1:.1f} s, "
          f"{len(offline)} changes")
    assert offline != set(), "the edit changes nothing"
    assert offline == engine, {"only offline": sorted(offline - engine), "only engine": sorted(engine - offline)}


@pytest.mark.parametrize("stack", [STACK, "health"])
def test_the_policy_pack_in_the_engine_gives_the_offline_verdicts(world, stack: str) -> None:  # noqa: ANN001
    """`pulumi preview --policy-pack` with the pack's configuration, on the applied hub stack (values known from the
    state) and on a federated stack never applied (values the cloud assigns are unknown in the preview): the same
    (policy, level, resource) verdicts as the offline plan's evaluation, among them the example's advisory
    ipv6-twin violation (prov-finance's IPv4-only legacy network)."""
    from govctl.source import check
    from govctl.stacks import engine, live

    inv, state = world["inv"], world["state"]
    res = govctl("--state-dir", str(state), "plan", str(inv), "-s", stack, "--json", "--no-cache")
    assert res.code == 0, res.err
    offline = {(v["policy"], v["level"], v["urn"]) for v in json.loads(res.out)["violations"]}
    if stack == STACK:
        assert ("ipv6-twin", "advisory", "urn:pulumi:prov::govctl::govctl:cloud:Tenant$openstack:networking/network:"
                                         "Network::prov-finance-legacy") in offline
    lines: list[str] = []
    seen = live.preview(stack, inv, state / "stacks", lines.append,
                        policy_config=engine.policy_config(check(inv).inventory))
    assert seen.verdicts == offline, "\n".join(ln for ln in lines if "policy" in ln.lower())
    assert not [ln for ln in lines if "can't run policy" in ln]


def test_deleting_tenant_data_needs_allow_destroy_and_lifts_only_its_protect(world) -> None:  # noqa: ANN001
    inv, state = world["inv"], world["state"]
    tenants = inv / "tenants.yaml"
    db = "      - name: db\n        ipv4: 198.51.100.192/26\n"
    text = tenants.read_text(encoding="utf-8")
    assert db in text
    tenants.write_text(text.replace(db, "", 1), encoding="utf-8")
    before = checkpoint(state)
    refused = govctl("--state-dir", str(state), "apply", str(inv), "-s", STACK, "--yes")
    assert refused.code == 2, refused.err
    assert "holding tenant data (delete urn:pulumi:prov::govctl::govctl:cloud:Tenant$openstack:networking/network:" \
           "Network::prov-gov-office-db)" in refused.last_line
    assert checkpoint(state) == before
    res = govctl("--state-dir", str(state), "apply", str(inv), "-s", STACK, "--yes", "--allow-destroy",)
    assert res.code == 0, res.err
    gone = sorted(u.rsplit("::", 1)[1] for u in set(before) - set(checkpoint(state)))
    assert gone == ["prov-gov-office-db", "prov-gov-office-db-v4", "prov-gov-office-db-v4-if", "prov-gov-office-db-v6",
                    "prov-gov-office-db-v6-if"], gone
    from govctl.stacks.models import PROTECTED_TYPES

    assert all(r.get("protect") for r in checkpoint(state).values() if r["type"] in PROTECTED_TYPES)


def test_the_passphrase_appears_nowhere(world) -> None:  # noqa: ANN001
    phrase_file = world["state"] / "secrets" / "pulumi-passphrase"
    phrase = phrase_file.read_text(encoding="utf-8").strip()
    assert oct(phrase_file.stat().st_mode & 0o777) == "0o600"
    assert phrase not in world["first"].out + world["first"].err
    for path in (world["state"] / "stacks").rglob("*"):
        if path.is_file():
            assert phrase.encode() not in path.read_bytes(), path


def _clouds(lab, tmp_path: Path, **auth: str) -> dict[str, str]:  # noqa: ANN001
    import yaml

    doc = yaml.safe_load(Path(lab.clouds_yaml).read_text(encoding="utf-8"))
    doc["clouds"][lab.cloud]["auth"].update(auth)
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return {"OS_CLIENT_CONFIG_FILE": str(path), "OS_CLOUD": lab.cloud}


def test_a_wrong_password_is_one_line_and_exit_2(world, tmp_path: Path) -> None:  # noqa: ANN001
    res = govctl("--state-dir", str(world["state"]), "apply", str(world["inv"]), "-s", STACK, "--yes",
                 env=_clouds(world["lab"], tmp_path, password="not-the-password-7f3e"))
    assert res.code == 2, res.err
    assert "refused the credentials" in res.last_line and "not-the-password-7f3e" not in res.out + res.err


def test_an_unreachable_keystone_is_one_line_and_exit_1(world, tmp_path: Path) -> None:  # noqa: ANN001
    res = govctl("--state-dir", str(world["state"]), "apply", str(world["inv"]), "-s", STACK, "--yes",
                 env=_clouds(world["lab"], tmp_path, auth_url="http://127.0.0.1:9/v3"))
    assert res.code == 1, res.err
    assert "the cloud does not answer" in res.last_line


def test_a_quota_exhausted_mid_apply_is_one_line_and_exit_1(world) -> None:  # noqa: ANN001
    """The project's network quota, lowered in the cloud behind govctl's back to what the tenant uses, refuses the
    network an edit adds, half-way through the update: one line naming it and Neutron's reason, exit 1, the state
    without it. With the quota back, the plan has nothing left to do once the edit is undone."""
    from govctl.audit.cloud import Cloud

    inv, state = world["inv"], world["state"]
    api = Cloud(world["lab"].cloud)
    project = projects_of(checkpoint(state))["prov-finance"]
    used = len(api.call("network", "GET", f"/networks?project_id={project}")["networks"])
    quota = api.call("network", "GET", f"/quotas/{project}")["quota"]["network"]
    assert used < quota
    tenants = inv / "tenants.yaml"
    text = tenants.read_text(encoding="utf-8")
    legacy = "      - {name: legacy, ipv4: 198.51.100.128/26, ipv6: false}   # not yet dual-stack\n"
    assert legacy in text
    tenants.write_text(text.replace(legacy, legacy + "      - {name: over, ipv4: 203.0.113.96/27}\n", 1),
                       encoding="utf-8")
    api.call("network", "PUT", f"/quotas/{project}", body={"quota": {"network": used}})
    try:
        res = govctl("--state-dir", str(state), "apply", str(inv), "-s", STACK, "--yes")
    finally:
        api.call("network", "PUT", f"/quotas/{project}", body={"quota": {"network": quota}})
        tenants.write_text(text, encoding="utf-8")
    assert res.code == 1, res.err
    assert "Traceback" not in res.err
    assert res.last_line.startswith("failed: stack 'prov': the cloud refused creating prov-finance-over: Quota "
                                    "exceeded for resources: ['network']; "), res.last_line
    assert not [u for u in checkpoint(state) if u.endswith("::prov-finance-over")]
    assert len(api.call("network", "GET", f"/networks?project_id={project}")["networks"]) == used
    assert planned(inv, state)["stacks"][0]["changes"] == []


def test_kill_9_half_way_then_apply_again_converges(world) -> None:  # noqa: ANN001
    """The next apply removes the dead run's lock, adopts the creates that reached the cloud (no second copy),
    creates the rest, and ends in sync: the audit finds nothing missing or unmanaged, the plan nothing to do."""
    import signal

    from govctl.audit.cloud import Cloud

    inv = world["inv"]
    tenants = inv / "tenants.yaml"
    legacy = "      - {name: legacy, ipv4: 198.51.100.128/26, ipv6: false}   # not yet dual-stack\n"
    added = "".join(f"      - {{name: crash{i}, ipv4: 203.0.113.{32 * i}/27}}\n" for i in range(3))
    tenants.write_text(tenants.read_text(encoding="utf-8").replace(legacy, legacy + added, 1), encoding="utf-8")
    cmd = [sys.executable, "-m", "govctl.cli", "--state-dir", str(world["state"]), "apply", str(inv), "-s", STACK,
           "--yes", "--continue-on-error"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "prov-finance-crash" in line and "creating" in line:
            break
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)  # govctl, the engine and the provider: a crash, mid-create
    proc.wait()
    pending = [op["resource"]["urn"].rsplit("::", 1)[1] for op in json.loads(
        (world["state"] / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / f"{STACK}.json").read_text()
    )["checkpoint"]["latest"].get("pending_operations") or []]
    assert pending, "the kill came after the run had finished: nothing was interrupted"
    again = govctl(*cmd[3:])
    assert "Traceback" not in again.err
    assert again.code == 0, again.err
    print("\n".join(ln for ln in again.out.splitlines() if any(w in ln for w in ("resolving", "adopting", "dropped"))))
    assert "removed the lock of an interrupted run" in again.out
    assert f"resolving {len(pending)} pending operation(s) of an interrupted run" in again.out, again.out
    state = checkpoint(world["state"])
    assert not json.loads((world["state"] / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / f"{STACK}.json")
                          .read_text())["checkpoint"]["latest"].get("pending_operations")
    assert not list((world["state"] / "stacks" / "backend" / ".pulumi" / "locks").rglob("*.json"))
    # one copy of each network in the cloud, and it is the one the state holds
    nets = Cloud(world["lab"].cloud).call("network", "GET", "/networks")["networks"]
    for i in range(3):
        ids = [n["id"] for n in nets if n["name"] == f"crash{i}"]  # only prov-finance has them
        held = [r["id"] for r in state.values() if r["urn"].endswith(f"::prov-finance-crash{i}")]
        assert len(ids) == 1 and ids == held, (i, ids, held)
    # converged: nothing left to do, and the audit finds the cloud in sync (nothing unmanaged, nothing missing)
    after = planned(inv, world["state"])["stacks"][0]["changes"]
    assert after == [], "\n".join([*(f"{c['kind']} {c['name']}" for c in after), again.out[-4000:],
                                    again.err[-2000:]])
    audit = govctl("audit", str(inv), "-s", STACK, "--json")
    found = json.loads(audit.out)
    assert audit.code == 0 and found["findings"] == [], audit.out
    assert found["matched"] == found["resources"], audit.out
