"""`govctl apply` through the real engine (pulumi CLI, Go language host, pulumi-resource-openstack) onto the
session's OpenStack lab (tests/conftest.py: openstack_lab), then the offline plan, a second apply and the
faults, on a copy of the bundled example.

The lab has no Designate and no Swift (they are not part of `govctl lab cloud` yet), so the hub stack's DNS
zone and its tenants' DR backup containers cannot be created: the tests pin exactly those resources as the
ones that fail, with the provider's own error, and everything else as applied. Under CI=true a missing
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

pytestmark = pytest.mark.openstack

EXAMPLE = Path(__file__).resolve().parents[2] / "inventories" / "example"
ENGINE = ("pulumi", "pulumi-language-python", "pulumi-resource-openstack")
STACK = "prov"
# Designate and Swift are not in the lab: these are the resources of the hub stack that need them.
UNSERVED = {"prov-zone": "Error creating OpenStack DNS client: No suitable endpoint could be found in the service "
                         "catalog.",
            **{f"{t}-dr-backup-RegionDR": "error creating OpenStack object storage client: No suitable endpoint could "
                                          "be found in the service catalog."
               for t in ("prov-gov-office", "prov-public-security", "prov-finance")}}


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
    live.stack(STACK, inv, state / "stacks").destroy(on_output=lambda _line: None)
    api = Cloud(openstack_lab.cloud)
    for net in api.call("network", "GET", "/networks")["networks"]:
        if net["name"].startswith("crash"):
            api.call("network", "DELETE", f"/networks/{net['id']}")
    print(f"destroy: {time.monotonic() - t0:.1f} s")


def checkpoint(state: Path) -> dict:
    doc = json.loads((state / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / f"{STACK}.json").read_text())
    return {r["urn"]: r for r in doc["checkpoint"]["latest"]["resources"]}


def planned(inv: Path, state: Path, *extra: str) -> dict:
    res = govctl("--state-dir", str(state), "plan", str(inv), "-s", STACK, "--json", "--no-cache", *extra)
    assert res.code == 0, res.err
    return json.loads(res.out)


def test_apply_creates_everything_the_lab_serves_and_names_what_it_cannot(world) -> None:  # noqa: ANN001
    first = world["first"]
    print(f"apply of '{STACK}': {first.seconds:.1f} s")
    assert first.code == 1, first.err
    assert first.last_line.startswith("failed: stack 'prov': update failed: ") and \
        first.last_line.split("update failed: ", 1)[1] in UNSERVED.values()
    assert "Traceback" not in first.err
    state = checkpoint(world["state"])
    names = {r["urn"].rsplit("::", 1)[1] for r in state.values()}
    assert not names & set(UNSERVED)
    # the offline plan against the real state: exactly the unserved resources left to create, nothing else
    plan = planned(world["inv"], world["state"])
    changes = plan["stacks"][0]["changes"]
    assert sorted((c["kind"], c["name"]) for c in changes) == sorted(("create", n) for n in UNSERVED), changes
    assert len(state) > 100


def test_engine_output_is_line_by_line_and_the_settings_stay_in_the_state_dir(world) -> None:  # noqa: ANN001
    out = world["first"].out
    assert out.count("\n") > 100 and any(ln.lstrip().startswith("+  openstack:identity:Project") for ln in
                                         out.splitlines())
    work = world["state"] / "stacks" / "work"
    assert sorted(p.name for p in work.iterdir()) == ["Pulumi.prov.yaml", "Pulumi.yaml"]
    root = Path(__file__).resolve().parents[2]
    assert not list(root.glob("Pulumi.*.yaml")) and not list((root / "stacks").glob("Pulumi.*.yaml"))
    assert not list(world["inv"].glob("Pulumi*"))


def test_a_second_apply_changes_nothing(world) -> None:  # noqa: ANN001
    before = {u: r.get("id") for u, r in checkpoint(world["state"]).items()}
    again = govctl("--state-dir", str(world["state"]), "apply", str(world["inv"]), "-s", STACK, "--yes",
                   "--continue-on-error")
    print(f"second apply: {again.seconds:.1f} s")
    assert again.code == 1 and again.last_line.split("update failed: ", 1)[1] in UNSERVED.values()
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
    assert [c["kind"] for c in after] == ["create"] * len(UNSERVED)


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


def test_kill_9_half_way_then_apply_again_resolves_the_interrupted_run(world) -> None:  # noqa: ANN001
    """The next apply removes the dead run's lock and the pending operations and runs, ending in one line.

    It does not converge yet (measured, see README "govctl apply"): the refresh that resolves the pending operations
    records the strong-isolation network's allocated VLAN in its segments, and the update that follows tries to
    change them, which Neutron refuses; pending creates found in the cloud are not kept by pulumi 3.259's
    refresh --import-pending-creates, so a Neutron network can end up twice. Not asserted here: not a pass."""
    import signal

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
    again = govctl(*cmd[3:])
    assert again.code == 1 and "Traceback" not in again.err
    assert again.last_line.startswith("failed: stack 'prov': update failed: ") and "\n" not in again.last_line
    assert "resolving" in again.out and "pending operation(s) of an interrupted run" in again.out
    assert "removed the lock of an interrupted run" in again.out
    doc = json.loads((world["state"] / "stacks" / "backend" / ".pulumi" / "stacks" / "govctl" / f"{STACK}.json")
                     .read_text())
    assert not doc["checkpoint"]["latest"].get("pending_operations")
    assert not list((world["state"] / "stacks" / "backend" / ".pulumi" / "locks").rglob("*.json"))
