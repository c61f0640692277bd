"""The govctl command line: help with examples, JSON shapes, exports, flag errors, the default inventory."""
from __future__ import annotations

import csv
import hashlib
import io
import ipaddress
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from govctl import cli
from govctl.inventory.loader import load
from govctl.inventory.rules import RULES
from govctl.ipv6.planner import plan

EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"
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
    shutil.copytree(EXAMPLE, d)
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


def test_default_inventory_is_the_bundled_example(example_untouched: None) -> None:
    default = json.loads(ok(run("validate", "--json")).stdout)
    explicit = json.loads(ok(run("validate", str(EXAMPLE), "--json")).stdout)
    assert default["inventory"] == "inventories/example"
    assert default["stats"] == explicit["stats"]
    assert json.loads(ok(run("ipv6", "show", "--json")).stdout) == \
        json.loads(ok(run("ipv6", "show", str(EXAMPLE), "--json")).stdout)
    assert ok(run("ipv6", "export")).stdout == ok(run("ipv6", "export", str(EXAMPLE))).stdout


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
    assert doc["inventory"] == "inventories/example"
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
    table = ok(run("ipv6", "show", "--limit", "3")).stdout
    assert "more (use --limit 0" in table


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
