"""The govctl command line: help with examples, JSON shapes, exports, flag errors, the default inventory,
the plumbing (no import cycle, one exit-code table), global options and one spelling per option."""
from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from govctl import cli
from govctl.core import clikit
from govctl.inventory.loader import load
from govctl.inventory.rules import RULES
from govctl.ipv6.planner import plan

ROOT = Path(cli.__file__).resolve().parent
EXAMPLE = ROOT / "inventories" / "example"
DOC_V6 = ipaddress.ip_network("2001:db8::/32")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def ok(result: Result) -> Result:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.stdout + result.stderr
    return result


def tree(root: Path) -> dict[str, tuple[int, str]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def example_untouched() -> Iterator[None]:
    """The bundled example must come out of every read-only command byte for byte unchanged."""
    before = tree(EXAMPLE)
    yield
    assert tree(EXAMPLE) == before


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    return d


def leaf_commands() -> list[tuple[str, ...]]:
    def walk(c: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        if hasattr(c, "commands"):
            for name, sub in c.commands.items():
                yield from walk(sub, path + (name,))
        else:
            yield path, c

    return [p for p, _ in walk(typer.main.get_command(cli.app), ())]


def command(path: tuple[str, ...]) -> Any:
    c = typer.main.get_command(cli.app)
    for part in path:
        c = c.commands[part]
    return c


# ---------------------------------------------------------------- help


def test_top_level_help_lists_the_commands_and_the_exit_codes() -> None:
    out = " ".join(ok(run("--help")).stdout.split())  # rich wraps the help to the terminal width
    for name in ("validate", "rules", "ipv6"):
        assert name in out
    for code in ("0 ok", "1 runtime failure", "2 invalid input or usage", "3 changes present", "4 policy"):
        assert code in out


def test_the_core_commands_exist() -> None:
    assert {("validate",), ("rules",), ("ipv6", "plan"), ("ipv6", "show"), ("ipv6", "export")} <= set(leaf_commands())


@pytest.mark.parametrize("path", leaf_commands(), ids=" ".join)
def test_every_command_help_has_an_example(path: tuple[str, ...]) -> None:
    out = " ".join(ok(run(*path, "--help")).stdout.split())
    assert "Example" in out
    assert f"govctl {' '.join(path)}" in out, "the example shows the command itself"


@pytest.mark.parametrize("path", [p for p in leaf_commands()
                                  if any(x.name == "inventory" for x in command(p).params)], ids=" ".join)
def test_every_inventory_argument_is_optional(path: tuple[str, ...]) -> None:
    [param] = [x for x in command(path).params if x.name == "inventory"]
    assert not param.required and param.default is None


# ---------------------------------------------------------------- validate


def test_validate_json_shape(example_untouched: None) -> None:
    report = json.loads(ok(run("validate", str(EXAMPLE), "--json")).stdout)
    assert set(report) == {"inventory", "valid", "stats", "problems"}
    assert report["valid"] is True
    inv = load(EXAMPLE).inventory
    stats = report["stats"]
    assert stats["tenants"] == len(inv.tenants) and stats["extranet_nodes"] == len(inv.nodes)
    assert stats["ipv6_allocations"] == len(plan(inv).allocations)
    assert all(isinstance(v, int) and v >= 0 for v in stats.values())
    assert report["problems"], "the example keeps its not-yet-dual-stack warnings on purpose"
    for p in report["problems"]:
        assert set(p) >= {"file", "line", "path", "message", "value", "severity", "rule", "source"}
        assert p["file"].startswith(str(EXAMPLE)) and isinstance(p["line"], int)
        assert p["severity"] == "warning" and p["rule"] and p["source"]


def test_validate_json_reports_errors_with_exit_2(inv: Path) -> None:
    text = (inv / "tenants.yaml").read_text(encoding="utf-8")
    (inv / "tenants.yaml").write_text(text.replace("platform: health", "platform: wellness"), encoding="utf-8")
    result = run("validate", str(inv), "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    assert [(Path(p["file"]).name, p["path"], p["value"]) for p in errors] == [
        ("tenants.yaml", "tenants[3].platform", "wellness")]


def test_validate_plain_output_summarises(example_untouched: None) -> None:
    result = ok(run("validate"))
    assert "inventories/example: valid" in result.stdout
    assert "warning [V6-00" in result.stderr


def test_validate_errors_are_listed_then_summarised_with_exit_2(inv: Path) -> None:
    text = (inv / "tenants.yaml").read_text(encoding="utf-8")
    (inv / "tenants.yaml").write_text(text.replace("platform: health", "platform: wellness"), encoding="utf-8")
    result = run("validate", str(inv))
    assert result.exit_code == 2 and result.stdout == ""
    assert "tenants.yaml" in result.stderr and "wellness" in result.stderr and "inventory invalid: 1 error" in result.stderr


# ---------------------------------------------------------------- which inventory (no hidden default)


def test_no_inventory_anywhere_is_a_usage_error_saying_how_to_give_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVCTL_INVENTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    for args in (["validate"], ["ipv6", "show"], ["net", "render"], ["stacks"], ["migrate", "assess"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stdout + result.stderr)
        said = " ".join(result.stderr.split())
        assert "no inventory given" in said and "GOVCTL_INVENTORY" in said and "province.yaml" in said
        assert "Traceback" not in result.stderr


def test_the_current_directory_comes_first_and_is_announced(inv: Path, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(EXAMPLE, other, ignore=shutil.ignore_patterns(".govctl"))
    monkeypatch.setenv("GOVCTL_INVENTORY", str(other))
    monkeypatch.chdir(inv)
    result = ok(run("validate"))
    assert f"using inventory {inv} (the current directory)" in " ".join(result.stderr.split())
    assert ". : valid" not in result.stdout and ".: valid" in result.stdout
    quiet = ok(run("--quiet", "validate"))
    assert "using inventory" not in quiet.stderr
    as_json = ok(run("validate", "--json"))
    assert "using inventory" not in as_json.stderr and json.loads(as_json.stdout)["inventory"] == "."


def test_govctl_inventory_is_used_and_announced(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                example_untouched: None) -> None:
    monkeypatch.chdir(tmp_path)
    result = ok(run("ipv6", "export"))
    assert f"using inventory {EXAMPLE} (from $GOVCTL_INVENTORY)" in " ".join(result.stderr.split())
    assert result.stdout == ok(run("ipv6", "export", str(EXAMPLE))).stdout
    monkeypatch.setenv("GOVCTL_INVENTORY", str(tmp_path))
    bad = run("validate")
    assert bad.exit_code == 2 and "no province.yaml there" in bad.stderr


def test_nothing_points_at_an_inventory_inside_the_install_directory() -> None:
    sources = [ROOT / "cli.py", ROOT / "core/clikit.py", *ROOT.glob("*/commands.py"), *ROOT.glob("*/*/commands.py")]
    for f in sources:
        lines = [line for line in f.read_text(encoding="utf-8").splitlines()
                 if not line.startswith("INIT_TEMPLATE = ")]  # what `govctl init` copies, not a default
        assert not [line for line in lines if "DEFAULT_INVENTORY" in line or '"inventories" / "example"' in line], f


# ---------------------------------------------------------------- rules


def test_rules_json_lists_every_rule_with_its_source() -> None:
    rows = json.loads(ok(run("rules", "--json")).stdout)
    assert [r["id"] for r in rows] == [r.id for r in RULES]
    for row in rows:
        assert set(row) == {"id", "severity", "title", "source"}
        assert row["source"] and row["title"] and row["severity"] in ("error", "warning")


def test_rules_table_shows_every_id() -> None:
    out = ok(run("rules")).stdout
    assert all(r.id in out for r in RULES)


# ---------------------------------------------------------------- ipv6 export / show / plan


def test_export_csv_to_stdout_is_the_whole_plan(example_untouched: None) -> None:
    text = ok(run("ipv6", "export", "--format", "csv")).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == "key,kind,prefix,parent,pinned"
    p = plan(load(EXAMPLE).inventory)
    assert [r["key"] for r in rows] == list(p.allocations)
    for r in rows:
        a = p.allocations[r["key"]]
        assert (r["kind"], r["prefix"], r["parent"]) == (a.kind.value, a.prefix, a.parent)
        assert r["pinned"] == ("yes" if a.pinned else "no")
        assert ipaddress.ip_network(r["prefix"]).subnet_of(DOC_V6)


def test_export_json_matches_csv(example_untouched: None) -> None:
    doc = json.loads(ok(run("ipv6", "export", "--format", "json")).stdout)
    assert set(doc) == {"inventory", "allocations", "stale"}
    assert doc["inventory"] == str(EXAMPLE)  # as given ($GOVCTL_INVENTORY in the tests)
    rows = list(csv.DictReader(io.StringIO(ok(run("ipv6", "export")).stdout)))
    assert [(a["key"], a["prefix"], a["pinned"]) for a in doc["allocations"]] == \
        [(r["key"], r["prefix"], r["pinned"] == "yes") for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_out_writes_what_stdout_would_show(tmp_path: Path, fmt: str, example_untouched: None) -> None:
    target = tmp_path / f"plan.{fmt}"
    result = ok(run("ipv6", "export", "--format", fmt, "--out", str(target)))
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == ok(run("ipv6", "export", "--format", fmt)).stdout
    assert f"to {target}" in result.stderr and "wrote" in result.stderr


def test_export_out_to_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = run("ipv6", "export", "--out", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_out_where_it_cannot_write_is_a_runtime_failure(tmp_path: Path) -> None:
    result = run("ipv6", "export", "--out", str(tmp_path / "no" / "such" / "dir.csv"))
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_show_filters_by_kind_and_match(example_untouched: None) -> None:
    cities = json.loads(ok(run("ipv6", "show", "--kind", "city", "--json")).stdout)
    assert cities and {a["kind"] for a in cities} == {"city"}
    assert {a["key"] for a in cities} == {f"extranet/{c.id}" for c in load(EXAMPLE).inventory.province.cities}
    alpha = json.loads(ok(run("ipv6", "show", "--match", "extranet/alpha/", "--json")).stdout)
    assert alpha and all("extranet/alpha/" in a["key"] for a in alpha)
    table = ok(run("ipv6", "show", "--rows", "3")).stdout
    assert "more (use --rows 0" in table
    old = ok(run("ipv6", "show", "--limit", "3"))  # the old spelling still works, with a warning
    assert old.stdout == table and "--limit is deprecated; use --rows" in old.stderr


def test_plan_write_pins_new_allocations_only_once(inv: Path) -> None:
    data = yaml.safe_load((inv / "province.yaml").read_text(encoding="utf-8"))
    data["cities"].append({"id": "zeta-new", "name": "新市", "counties": [{"id": "south", "name": "南县",
                                                                          "towns": {"count": 2}}]})
    (inv / "province.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    before = (inv / "ipv6-allocations.yaml").read_text(encoding="utf-8")
    others = {k: v for k, v in tree(inv).items() if k != "ipv6-allocations.yaml"}
    assert run("ipv6", "plan", str(inv), "--detailed-exitcode").exit_code == 3
    assert (inv / "ipv6-allocations.yaml").read_text(encoding="utf-8") == before  # no --write, nothing written
    ok(run("ipv6", "plan", str(inv), "--write"))
    after = yaml.safe_load((inv / "ipv6-allocations.yaml").read_text(encoding="utf-8"))["allocations"]
    pinned = yaml.safe_load(before)["allocations"]
    assert {k: after[k] for k in pinned} == pinned  # nothing renumbered
    assert {"extranet/zeta-new", "extranet/zeta-new/south", "extranet/zeta-new/south/town02"} <= set(after)
    assert {k: v for k, v in tree(inv).items() if k != "ipv6-allocations.yaml"} == others
    assert not list(inv.glob(".ipv6-allocations.*"))  # no temp file left behind
    # the second run finds nothing new and writes the same bytes
    first = (inv / "ipv6-allocations.yaml").read_bytes()
    assert ok(run("ipv6", "plan", str(inv), "--detailed-exitcode")).exit_code == 0
    ok(run("ipv6", "plan", str(inv), "--write"))
    assert (inv / "ipv6-allocations.yaml").read_bytes() == first


# ---------------------------------------------------------------- bad flags


@pytest.mark.parametrize(("args", "says"), [
    (("ipv6", "export", "--format", "xml"), "expected csv or json"),
    (("ipv6", "show", "--kind", "nonsense"), "unknown kind 'nonsense'"),
    (("ipv6", "plan", "--prune"), "--prune only makes sense with --write"),
    (("ipv6", "show", "--rows", "-1"), "--rows"),
    (("ipv6", "show", "--limit", "-1"), "--limit"),
    (("validate", "--frobnicate"), "No such option"),
    (("validate", "a", "b"), "unexpected extra argument"),
    (("ipv6", "nonsense"), "No such command"),
])
def test_bad_flags_exit_2_and_write_nothing(args: tuple[str, ...], says: str, example_untouched: None) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""


def test_kind_error_lists_the_kinds() -> None:
    result = run("ipv6", "show", "--kind", "nonsense")
    assert "city" in result.stderr and "loopback" in result.stderr and "p2p" in result.stderr


BUNDLED = sorted(p.name for p in EXAMPLE.parent.iterdir() if (p / "province.yaml").is_file())


@pytest.mark.slow
@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_inventory_is_valid_and_fully_pinned(name: str) -> None:
    d = EXAMPLE.parent / name
    before = tree(d)
    report = json.loads(ok(run("validate", str(d), "--json")).stdout)
    assert report["valid"] is True
    assert not [p for p in report["problems"] if p["severity"] == "error"]
    # every allocation is pinned, so nothing would be renumbered or added by `ipv6 plan --write`
    assert ok(run("ipv6", "plan", str(d), "--detailed-exitcode")).exit_code == 0
    assert tree(d) == before


# ---------------------------------------------------------------- plumbing: no import cycle, one exit-code table

DOMAIN_CLI_MODULES = ["govctl.inventory.commands", "govctl.ipv6.commands", "govctl.stacks.commands",
                      "govctl.audit.commands", "govctl.labs.cloud.lab", "govctl.network.commands",
                      "govctl.cutover.commands", "govctl.migration.commands"]


@pytest.mark.parametrize("module", DOMAIN_CLI_MODULES)
def test_a_domain_cli_module_imports_alone_without_govctl_cli(module: str) -> None:
    code = (f"import sys, importlib; m = importlib.import_module({module!r}); "
            "assert 'govctl.cli' not in sys.modules, 'imports govctl.cli'; "
            "import typer; assert any(isinstance(v, typer.Typer) for v in vars(m).values()), 'no Typer app'")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr


def test_only_the_plumbing_constructs_typer_exit() -> None:
    offenders = []
    for f in ROOT.rglob("*.py"):
        rel = f.relative_to(ROOT)
        if rel.parts[0] in ("tests", "build", ".ci") or rel == Path("core/clikit.py") or "site-packages" in rel.parts:
            continue
        text = f.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{rel}:{i}" for i, line in enumerate(text.splitlines(), 1) if re.search(r"typer\.Exit\(", line)]
    assert offenders == []


@pytest.mark.parametrize(("error", "code"), [
    (clikit.InputError("bad"), 2), (clikit.ProblemsFound([]), 2), (clikit.RuntimeFailure("down"), 1),
    (clikit.ChangesPresent("3 to create"), 3), (clikit.PolicyViolations("ssh open"), 4),
    (clikit.GovctlError("other"), 1)])
def test_the_one_table_maps_each_exception_to_its_exit_code(error: Exception, code: int) -> None:
    app = typer.Typer()

    @app.command()
    @clikit.handle_errors
    def boom() -> None:
        raise error

    result = CliRunner().invoke(app, [])
    assert result.exit_code == code and "Traceback" not in result.stderr


def test_exit_codes_in_the_readme_match_the_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in {r.code for r in clikit.EXIT_CODES} | {0}:
        assert re.search(rf"^\| {code} \|", readme, re.M), code


# ---------------------------------------------------------------- global options, help


def test_version() -> None:
    from importlib.metadata import version

    assert ok(run("--version")).stdout.strip() == f"govctl {version('govctl')}"


def test_shell_completion_is_offered() -> None:
    names = {o for p in typer.main.get_command(cli.app).params for o in p.opts}
    assert {"--install-completion", "--show-completion", "--version", "--verbose", "-v", "--quiet", "-q"} <= names


def test_verbose_counts_and_quiet_silences_information(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert ok(run("-vv", "rules", "--json")).stdout == ok(run("rules", "--json")).stdout
    loud = ok(run("ipv6", "export", "--out", str(tmp_path / "a.csv")))
    assert "using inventory" in loud.stderr and "wrote" in loud.stderr
    quiet = ok(run("--quiet", "ipv6", "export", "--out", str(tmp_path / "b.csv")))
    assert "using inventory" not in quiet.stderr


@pytest.mark.parametrize("path", leaf_commands(), ids=" ".join)
def test_help_renders_literally(path: tuple[str, ...]) -> None:
    text = ok(run(*path, "--help")).stdout
    assert "<bool>" not in text
    for param in command(path).params:
        if param.help and not getattr(param, "hidden", False):
            words = re.findall(r"<[a-z ]+>", param.help)
            assert all(w in " ".join(text.split()) for w in words), (param.name, words)


def test_inventory_placeholder_shows_in_help() -> None:
    assert "<inventory>/ipv6-allocations.yaml" in " ".join(ok(run("ipv6", "plan", "--help")).stdout.split())


def test_the_cloud_lab_is_mounted_under_lab() -> None:
    assert {("lab", "cloud", "up"), ("lab", "cloud", "down"), ("lab", "cloud", "status")} <= set(leaf_commands())


# ---------------------------------------------------------------- one spelling per option

SPELLINGS = {"--limit": "GLOBS", "--device": "DEVICE", "--stack": "STACK", "--as-of": "WHEN"}


def test_one_spelling_per_concept_across_commands() -> None:
    """A concept has one visible spelling (and one metavar) everywhere; old ones are hidden aliases."""
    seen: dict[str, set[str]] = {}
    for path in leaf_commands():
        for p in command(path).params:
            if getattr(p, "hidden", False) or not getattr(p, "opts", None):
                continue
            for o in p.opts:
                if o in SPELLINGS:
                    seen.setdefault(o, set()).add(p.metavar or "")
            assert not {"--platform", "-p", "--at"} & set(p.opts) or path == ("net", "render") and \
                p.opts == ["--platform"] or path == ("migrate", "record"), (path, p.opts)
    assert {k: {v} for k, v in SPELLINGS.items()} == seen
    stack_like = {path for path in leaf_commands()
                  if any("--stack" in getattr(p, "opts", []) for p in command(path).params)}
    assert {("plan",), ("apply",), ("audit",)} <= stack_like
    short = {tuple(p.opts) for path in stack_like for p in command(path).params if "--stack" in getattr(p, "opts", [])}
    assert short == {("--stack", "-s")}


def test_old_spellings_still_work_with_a_warning(tmp_path: Path) -> None:
    old = run("cutover", "plan", "health-net", "--at", "2036-12-05T01:00:00+08:00", "--json")
    new = run("cutover", "plan", "health-net", "--as-of", "2036-12-05T01:00:00+08:00", "--json")
    assert old.exit_code == new.exit_code and old.stdout == new.stdout
    assert "--at is deprecated; use --as-of" in old.stderr
    both = run("cutover", "plan", "health-net", "--at", "2036-12-05T01:00:00+08:00", "--as-of", "2026-12-05")
    assert both.exit_code == 2 and "the same option twice" in both.stderr
    audit = run("audit", "-p", "mars", "--cloud", "nowhere")
    assert audit.exit_code == 2 and "-p is deprecated; use --stack/-s" in audit.stderr and "mars" in audit.stderr


# ---------------------------------------------------------------- schema


def test_schema_writes_one_json_schema_per_inventory_file(tmp_path: Path) -> None:
    from govctl.inventory.loader import FILES

    ok(run("schema", "--out", str(tmp_path / "s")))
    written = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert written == sorted(n.replace(".yaml", ".schema.json") for n in FILES)
    tenants = json.loads((tmp_path / "s" / "tenants.schema.json").read_text(encoding="utf-8"))
    assert tenants["type"] == "object" and "tenants" in tenants["properties"]
    assert tenants.get("additionalProperties") is False  # unknown keys are flagged in the editor too


def test_init_scaffolds_an_inventory_that_validates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "hubei"
    ok(run("init", "hubei", str(target), "--name", "湖北省"))
    province = (target / "province.yaml").read_text()
    assert province.startswith("# The province")  # the example's comments come along
    assert "\nid: hubei " in province and "\nname: 湖北省 " in province and "plan: 湖北省" in province
    assert not (target / "ipv6-allocations.yaml").exists()
    report = json.loads(ok(run("validate", str(target), "--json")).stdout)
    assert report["valid"] and report["stats"]["extranet_nodes"] > 0
    before = tree(target)
    again = run("init", "hubei", str(target))
    assert again.exit_code == 2 and "not an empty directory" in again.stderr
    assert tree(target) == before
    bad = run("init", "Hubei", str(tmp_path / "x"))
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["hubei"]  # no staging directory left behind
