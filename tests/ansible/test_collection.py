"""The collection govctl.extranet as AWX / Automation Controller take it: ansible-lint on playbooks/, ansible-test
sanity on the collection, a galaxy build installed elsewhere, and the execution environment's definition.

ansible-test sanity runs with --local (no container engine here): the sanity tests that need Python packages
(ansible-doc, import, pep8, pylint, runtime-metadata, validate-modules, yamllint) still run in ansible-test's
own virtual environments under ~/.ansible/test/venv, created on the first run (about 2.5 minutes, then cached;
a cached run takes about 40 s). Three of the 24 tests find nothing to check: changelog (the collection keeps no
changelogs/), pslint (no PowerShell) and shellcheck (no shell scripts).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from capabilities import need_executable, need_module

ROOT = Path(__file__).resolve().parents[2]
COLLECTION = ROOT / "collections" / "ansible_collections" / "govctl" / "extranet"
GALAXY = yaml.safe_load((COLLECTION / "galaxy.yml").read_text(encoding="utf-8"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SANITY_TESTS = ("action-plugin-docs", "ansible-doc", "compile", "empty-init", "ignores", "import", "line-endings",
                "no-assert", "no-get-exception", "no-illegal-filenames", "no-smart-quotes", "pep8", "pylint",
                "replace-urlopen", "runtime-metadata", "shebang", "symlinks", "use-argspec-type-path",
                "use-compat-six", "validate-modules", "yamllint")


def _tool(name: str) -> str:
    return need_executable(name, "ansible-core / the test extra: pip install -e '.[test]'", beside_python=True)


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**base, "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1", **(env or {})})


# ansible-lint ----------------------------------------------------------------------------------------------

def _lint(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return _run([_tool("ansible-lint"), "--nocolor", "--offline", "playbooks/"], cwd, env)


def _clean(proc: subprocess.CompletedProcess[str]) -> bool:
    # warnings count too: args[module] (a module's required argument missing) is only a warning
    return proc.returncode == 0 and "0 failure(s), 0 warning(s)" in proc.stdout + proc.stderr


def test_ansible_lint_passes_on_every_playbook() -> None:
    proc = _lint(ROOT)
    assert _clean(proc), proc.stdout + proc.stderr


@pytest.mark.parametrize(("path", "old", "new", "rule"), [
    # the read-only magic variable cutover.yml used to set
    ("playbooks/cutover.yml", "    govctl_inventory: ", "    inventory_dir: ", "var-naming[read-only]"),
    # a module by its short name
    ("playbooks/tasks/rollout-device.yml", "ansible.builtin.fail:", "fail:", "fqcn[action-core]"),
    # a required argument of the collection's module left out
    ("playbooks/tasks/cutover-step.yml", '    network: "{{ network }}"\n', "", "args[module]"),
])
def test_ansible_lint_fails_on_an_introduced_error(tmp_path: Path, path: str, old: str, new: str, rule: str) -> None:
    shutil.copytree(ROOT / "playbooks", tmp_path / "playbooks")
    target = tmp_path / path
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    proc = _lint(tmp_path, {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections")})
    assert not _clean(proc) and rule in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# ansible-test sanity ---------------------------------------------------------------------------------------

BOOTSTRAP = re.compile(r"saved to: (\S+/get_pip_(\d+(?:_\d+)+)\.py)")


def _provide_pip_bootstrap(script: Path, version: str) -> None:
    """ansible-test bootstraps pip into its environments with get-pip.py from ci-files.testing.ansible.com, a host
    this network does not resolve. The stand-in does what get-pip.py does (pip installing itself from its own
    wheel), with the pip wheel of the same version fetched from the package index pip uses anyway."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(script.parent),
                    f"pip=={version}"], check=True, capture_output=True, timeout=300)
    wheel = script.parent / f"pip-{version}-py3-none-any.whl"
    text = ("# stand-in for get-pip.py (written by govctl's tests/ansible/test_collection.py)\n"
            "import os\nimport sys\n\n"
            "args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]\n"
            f"os.execv(sys.executable, [sys.executable, {str(wheel / 'pip')!r}, 'install', *args])\n")
    tmp = script.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(script)


def _sanity(tmp_path: Path, *args: str, change: Callable[[Path], None] | None = None) -> str:
    """ansible-test needs the collection at .../ansible_collections/govctl/extranet: a copy (``change`` may edit
    it), so that its tests/output stays out of the checkout. Returns the output; raises unless it passed."""
    copy = tmp_path / "ansible_collections" / "govctl" / "extranet"
    shutil.copytree(COLLECTION, copy, ignore=shutil.ignore_patterns("output", "__pycache__"))
    if change:
        change(copy)
    command = [_tool("ansible-test"), "sanity", "--python", "3.11", "--local", "--color", "no", *args]
    proc = _run(command, copy, timeout=900)
    hint = BOOTSTRAP.search(proc.stdout + proc.stderr)
    if proc.returncode != 0 and hint and not Path(hint.group(1)).exists():
        _provide_pip_bootstrap(Path(hint.group(1)), hint.group(2).replace("_", "."))
        proc = _run(command, copy, timeout=900)
    out = proc.stdout + proc.stderr
    assert not BOOTSTRAP.search(out), out[-3000:]  # ansible-test could not set up its environments
    return out if proc.returncode == 0 else "FAILED\n" + out


@pytest.mark.index
def test_ansible_test_sanity_passes(tmp_path: Path) -> None:
    out = _sanity(tmp_path)
    assert not out.startswith("FAILED"), out[-6000:]
    ran = set(re.findall(r'Running sanity test "([\w-]+)"', out))
    assert set(SANITY_TESTS) <= ran, sorted(set(SANITY_TESTS) - ran)


@pytest.mark.index
def test_ansible_test_sanity_fails_on_an_introduced_error(tmp_path: Path) -> None:
    def change(copy: Path) -> None:
        # the documented default of verify_timeout no longer matches the argument spec
        module = copy / "plugins" / "modules" / "device.py"
        text = module.read_text(encoding="utf-8")
        assert "    type: float\n    default: 60\n" in text
        module.write_text(text.replace("    type: float\n    default: 60\n", "    type: float\n    default: 30\n"),
                          encoding="utf-8")

    out = _sanity(tmp_path, "--test", "validate-modules", change=change)
    assert out.startswith("FAILED"), out[-3000:]
    assert "plugins/modules/device.py:0:0: doc-default-does-not-match-spec" in out, out[-3000:]


# galaxy build, install elsewhere, ansible-doc ----------------------------------------------------------------

def test_galaxy_build_installs_elsewhere_and_documents_itself(tmp_path: Path) -> None:
    assert GALAXY["namespace"] == "govctl" and GALAXY["name"] == "extranet"
    assert GALAXY["version"] == PROJECT["version"]  # one version for govctl and its collection
    built = _run([_tool("ansible-galaxy"), "collection", "build", str(COLLECTION), "--output-path",
                  str(tmp_path / "dist")], tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = tmp_path / "dist" / f"govctl-extranet-{GALAXY['version']}.tar.gz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        files = json.load(tar.extractfile("FILES.json"))["files"]  # type: ignore[arg-type]
    assert {"plugins/modules/device.py", "plugins/modules/cutover.py", "plugins/inventory/inventory.py",
            "meta/runtime.yml", "README.md", "MANIFEST.json"} <= names
    assert not [n for n in names if "__pycache__" in n or "tests/output" in n], names
    assert {f["name"] for f in files if f["ftype"] == "file"} <= names

    colls = tmp_path / "colls"
    installed = _run([_tool("ansible-galaxy"), "collection", "install", str(tarball), "-p", str(colls)], tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # from a directory without the repository's ansible.cfg: only the installed copy can answer
    env = {"ANSIBLE_COLLECTIONS_PATH": str(colls)}
    doc = _run([_tool("ansible-doc"), "govctl.extranet.device"], tmp_path, env)
    assert doc.returncode == 0, doc.stderr
    assert str(colls / "ansible_collections" / "govctl" / "extranet" / "plugins" / "modules" / "device.py") in doc.stdout
    assert "check_against" in doc.stdout and "run_id" in doc.stdout
    inv_doc = _run([_tool("ansible-doc"), "-t", "inventory", "govctl.extranet.inventory"], tmp_path, env)
    assert inv_doc.returncode == 0 and "keyed_groups" in inv_doc.stdout, inv_doc.stderr

    # the installed module runs, on the installed govctl (a cutover plan reads only the inventory)
    state = tmp_path / "state"
    plan = _run([_tool("ansible"), "localhost", "-c", "local", "-m", "govctl.extranet.cutover", "-a",
                 f"network=health-net inventory={ROOT / 'inventories' / 'example'} action=plan",
                 "-e", f"ansible_python_interpreter={sys.executable}"], tmp_path,
                {**env, "GOVCTL_STATE_DIR": str(state)}, timeout=180)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert '"point_of_no_return"' in plan.stdout and '"changed": false' in plan.stdout


# the execution environment ---------------------------------------------------------------------------------

def test_the_execution_environment_definition_names_govctl_and_the_collection(tmp_path: Path) -> None:
    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text(encoding="utf-8"))
    assert ee["version"] == 3
    deps = ee["dependencies"]
    core_pin = next(d for d in PROJECT["dependencies"] if d.startswith("ansible-core"))
    assert deps["ansible_core"]["package_pip"] == core_pin
    assert deps["python_interpreter"]["python_path"].endswith("python3.11")
    wheel = f"govctl-{PROJECT['version']}-py3-none-any.whl"
    tarball = f"govctl-extranet-{GALAXY['version']}.tar.gz"
    assert {f["src"] for f in ee["additional_build_files"]} == {f"dist/{wheel}", f"dist/{tarball}"}
    assert deps["galaxy"]["collections"] == [{"name": f"govctl/{tarball}", "type": "file"}]
    # never from an index: "govctl" on PyPI is another project
    assert "python" not in deps
    assert not [n for n in ("requirements.txt", "meta/execution-environment.yml") if (COLLECTION / n).exists()]

    need_module("ansible_builder", "ansible-builder, the test extra: pip install -e '.[test]'")
    (tmp_path / "dist").mkdir()
    shutil.copy(ROOT / "execution-environment.yml", tmp_path)
    built = _run([_tool("ansible-galaxy"), "collection", "build", str(COLLECTION), "--output-path",
                  str(tmp_path / "dist")], tmp_path)
    assert built.returncode == 0, built.stderr
    (tmp_path / "dist" / wheel).write_bytes(b"")  # the definition, not the wheel, is under test here
    made = _run([_tool("ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
                 "--output-filename", "Containerfile"], tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert f"RUN $PYCMD -m pip install --no-cache-dir /tmp/{wheel}" in containerfile
    assert f'ARG ANSIBLE_INSTALL_REFS="{core_pin} ansible-runner"' in containerfile
    assert 'RUN $PYCMD -c "import govctl.network.push" && ansible-doc govctl.extranet.device' in containerfile
    assert (context / "_build" / "govctl" / wheel).exists() and (context / "_build" / "govctl" / tarball).exists()
    galaxy_reqs = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert galaxy_reqs == {"collections": [{"name": f"govctl/{tarball}", "type": "file"}]}
