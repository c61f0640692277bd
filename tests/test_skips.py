"""Every skip in tests/ goes through tests/capabilities.py, which fails instead under CI=true: a CI run
that lacks root, FRR, the Ansible tools or Chromium cannot go green with those tests quietly skipped."""
from __future__ import annotations

import ast
from pathlib import Path

import capabilities
import pytest

TESTS = Path(__file__).resolve().parent
HELPER = TESTS / "capabilities.py"
# Dotted names that skip (or expect a failure, which hides one just as well).
FORBIDDEN = {"pytest.skip", "pytest.importorskip", "pytest.xfail", "pytest.mark.skip", "pytest.mark.skipif",
             "pytest.mark.xfail", "unittest.skip", "unittest.skipIf", "unittest.skipUnless", "unittest.SkipTest"}
FORBIDDEN_IMPORTS = {("pytest", "skip"), ("pytest", "importorskip"), ("pytest", "xfail"), ("pytest", "mark"),
                     ("unittest", "skip"), ("unittest", "skipIf"), ("unittest", "skipUnless"),
                     ("unittest", "SkipTest"), ("_pytest.outcomes", "skip"), ("_pytest.outcomes", "Skipped")}


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def skips_in(source: str, name: str) -> list[str]:
    """Every skip in ``source``, as 'name:line: what'."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            # pytest.mark.skipif(...).x is still pytest.mark.skipif: match on prefixes
            if dotted and any(dotted == f or dotted.startswith(f + ".") for f in FORBIDDEN):
                found.append(f"{name}:{node.lineno}: {dotted}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (node.module, alias.name) in FORBIDDEN_IMPORTS:
                    found.append(f"{name}:{node.lineno}: from {node.module} import {alias.name}")
    # an attribute chain is walked at every level: report each place once
    return sorted(set(found), key=lambda s: (int(s.split(":")[1]), s))


def test_no_skip_outside_the_capabilities_helper() -> None:
    files = sorted(p for p in TESTS.rglob("*.py") if p != HELPER)
    assert len(files) > 50  # the walk found the suite
    found = [hit for p in files for hit in skips_in(p.read_text(encoding="utf-8"), str(p.relative_to(TESTS)))]
    assert found == [], "skip only through tests/capabilities.py:\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    "import pytest\npytest.skip('x')\n",
    "import pytest\n@pytest.mark.skipif(True, reason='x')\ndef test(): pass\n",
    "import pytest\npytestmark = pytest.mark.skip\n",
    "import pytest\nmod = pytest.importorskip('x')\n",
    "from pytest import skip\n",
    "import unittest\n@unittest.skipIf(True, 'x')\ndef test(): pass\n",
])
def test_the_scan_finds_each_kind_of_skip(source: str) -> None:
    assert skips_in(source, "t.py")


def test_the_scan_passes_the_helper_s_calls() -> None:
    assert skips_in("from capabilities import need_root\nneed_root('x')\nimport pytest\npytest.fail('y')\n",
                    "t.py") == []


def test_a_missing_capability_skips_outside_ci_and_fails_in_ci_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(capabilities.SKIPPED, match="/no/such/frr/zebra"):
        capabilities.need_paths(["/no/such/frr/zebra"], "apt-get install frr")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(capabilities.FAILED, match="missing: /no/such/frr/zebra"):
        capabilities.need_paths(["/no/such/frr/zebra"], "apt-get install frr")
    with pytest.raises(capabilities.FAILED, match="missing: the program no-such-ansible-tool"):
        capabilities.need_executable("no-such-ansible-tool", "ansible-core")
    with pytest.raises(capabilities.FAILED, match="missing: the Python module no_such_module"):
        capabilities.need_module("no_such_module", "pip")
    monkeypatch.setattr(capabilities.os, "geteuid", lambda: 1000)
    with pytest.raises(capabilities.FAILED, match=r"missing: root \(network namespaces"):
        capabilities.need_router_lab(["/usr/sbin/sshd"])


def test_present_capabilities_pass_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    capabilities.need_paths([str(tmp_path)], "-")
    capabilities.need(True, "-")
    assert capabilities.need_module("json", "-").dumps([]) == "[]"


def test_platform_facts_have_reasons_and_only_they_skip_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    assert all(reason.strip() for reason in capabilities.PLATFORM_FACTS.values())
    monkeypatch.setenv("CI", "true")
    with pytest.raises(KeyError):
        capabilities.platform_fact("not a listed fact")
    monkeypatch.setitem(capabilities.PLATFORM_FACTS, "a fact", "never true on Linux")
    with pytest.raises(capabilities.SKIPPED, match="never true on Linux"):
        capabilities.platform_fact("a fact")


def test_goldens_cannot_update_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import goldens

    golden = tmp_path / "g.txt"
    golden.write_text("committed\n", encoding="utf-8")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv(goldens.ENV, "1")
    with pytest.raises(capabilities.FAILED, match="GOVCTL_UPDATE_GOLDEN=1 under CI=true"):
        goldens.check_golden(golden, "rendered\n")
    assert golden.read_text(encoding="utf-8") == "committed\n"  # not rewritten
    monkeypatch.setenv(goldens.ENV, "0")  # "0" is off: a plain comparison, which fails on a difference
    with pytest.raises(AssertionError, match="rendering differs"):
        goldens.check_golden(golden, "rendered\n")
    monkeypatch.delenv("CI")
    monkeypatch.setenv(goldens.ENV, "1")  # a developer's update
    goldens.check_golden(golden, "rendered\n")
    assert golden.read_text(encoding="utf-8") == "rendered\n"


def test_only_goldens_py_reads_the_update_variable() -> None:
    readers = sorted(str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                     if p.name not in ("goldens.py", "test_skips.py")
                     and '"GOVCTL_UPDATE_GOLDEN"' in p.read_text(encoding="utf-8"))
    assert readers == []


def test_a_ci_run_without_frr_fails_and_names_it(tmp_path: Path) -> None:
    """End to end, as .ci/run meets it: a lab module whose FRR is absent, run by pytest under CI=true, fails
    (the run's exit code) naming the missing file; outside CI the same run skips it and passes."""
    import os
    import subprocess
    import sys

    (tmp_path / "test_lab_module.py").write_text(
        "from capabilities import need_router_lab\n"
        "need_router_lab(['/no/such/frr/zebra'], module_level=True)\n\n"
        "def test_router() -> None:\n    pass\n", encoding="utf-8")

    def run(ci: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CI": ci, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    ci = run("true")
    assert ci.returncode != 0 and "missing: " in ci.stdout and "CI=true" in ci.stdout, ci.stdout
    # as root the name is FRR's file; elsewhere root itself is what is missing first
    assert ("/no/such/frr/zebra" if os.geteuid() == 0 else "root (") in ci.stdout, ci.stdout
    local = run("")
    # 5: pytest's "no tests ran" (a module skipped at import has no test left); not 1, a failure
    assert local.returncode == 5 and "1 skipped" in local.stdout, local.stdout
