"""govctl installs as one package, `govctl`, with everything it needs beside its modules.

The wheel is built from the checkout and inspected; then it is installed, without the checkout on
any path, into a virtual environment that borrows the already installed dependencies, and the
installed `govctl` is run from another directory on an inventory given by path.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("cli", "inventory", "ipv6", "network", "stacks", "migration")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=300)
    (whl,) = out.glob("govctl-*.whl")
    return whl


def test_the_wheel_holds_one_top_level_name_and_every_module(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"govctl"}
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    product = {p for p in tracked if not p.startswith(("tests/", "benchmarks/", ".ci/", "tools/"))}
    assert product, "git ls-files found no modules"
    missing = sorted(p for p in product if f"govctl/{p}" not in names)
    assert not missing, f"modules left out of the wheel: {missing}"


@pytest.mark.parametrize("path", [
    "govctl/Pulumi.yaml", "govctl/stacks/__main__.py", "govctl/stacks/policypack/PulumiPolicy.yaml",
    "govctl/stacks/policypack/__main__.py", "govctl/inventories/example/province.yaml",
    "govctl/inventories/guangdong/extranet.yaml", "govctl/playbooks/ipv6-rollout.yml",
    "govctl/playbooks/tasks/cutover-step.yml",
    "govctl/collections/ansible_collections/govctl/extranet/plugins/modules/device.py",
    "govctl/collections/ansible_collections/govctl/extranet/plugins/inventory/inventory.py",
    "govctl/collections/ansible_collections/govctl/extranet/galaxy.yml",
    "govctl/collections/ansible_collections/govctl/extranet/meta/runtime.yml",
    "govctl/network/platforms/huawei_vrp/templates/rollout/interfaces.j2", "govctl/labs/labshell.sh",
    "govctl/migration/examples/systems.xlsx",
])
def test_the_wheel_carries_the_files_beside_the_modules(wheel: Path, path: str) -> None:
    assert path in zipfile.ZipFile(wheel).namelist()


def _is_sys_path(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name) \
        and node.value.id == "sys"


def test_no_module_imports_a_top_level_domain_name_or_patches_sys_path() -> None:
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    bad = []
    for rel in tracked:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"), rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bad += [f"{rel}:{node.lineno} import {a.name}" for a in node.names if a.name.split(".")[0] in DOMAINS]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.split(".")[0] in DOMAINS:
                bad.append(f"{rel}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("insert", "append", "extend") and _is_sys_path(node.func.value):
                bad.append(f"{rel}:{node.lineno} sys.path.{node.func.attr}")
            elif isinstance(node, (ast.Assign, ast.AugAssign)) and any(
                    _is_sys_path(t) for t in (node.targets if isinstance(node, ast.Assign) else [node.target])):
                bad.append(f"{rel}:{node.lineno} sys.path assigned")
    assert not bad, bad


def test_the_installed_package_works_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # The dependencies (Pulumi, NAPALM, Ansible, ...) are borrowed from this interpreter; govctl itself
    # comes only from the wheel, so nothing of the checkout can be found.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GOVCTL_INVENTORY")}
    env["GOVCTL_STATE_DIR"] = str(tmp_path / "state")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(py), *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)

    where = run("-c", "import govctl, sys; print(govctl.__file__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(env_dir)), where.stdout
    for name in DOMAINS:
        r = run("-c", f"import {name}")
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, f"`import {name}` works: {r.stdout}"
    inventory = run("-c", "import govctl, pathlib; print(pathlib.Path(govctl.__file__).parent / 'inventories')")
    example = str(Path(inventory.stdout.strip()) / "example")
    govctl = env_dir / "bin" / "govctl"
    for args in (["validate", example], ["net", "render", example, "--device", "example-core1"],
                 ["cutover", "doc", "finance-net", example], ["migrate", "waves", example]):
        r = subprocess.run([str(govctl), *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"govctl {' '.join(args)}: {r.stdout[-2000:]}{r.stderr[-2000:]}"
    r = subprocess.run([str(govctl), "plan", example], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 3), f"govctl plan: {r.stdout[-2000:]}{r.stderr[-2000:]}"
    # the playbooks find the collection govctl.extranet through the installed package's own ansible.cfg
    pkg = Path(inventory.stdout.strip()).parent
    r = subprocess.run([str(py), "-m", "ansible", "playbook", "-i", example, str(pkg / "playbooks" / "ipv6-rollout.yml"),
                        "--syntax-check"], cwd=work, env={**env, "ANSIBLE_CONFIG": str(pkg / "ansible.cfg")},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    # the Pulumi program and the policy pack import the installed package, not the checkout
    for entry in ("stacks/__main__.py", "stacks/policypack/__main__.py"):
        src = Path(inventory.stdout.strip()).parent / entry
        assert "govctl." in src.read_text()
    r = run("-c", "import govctl.stacks.policies, govctl.stacks.program")
    assert r.returncode == 0, r.stderr
