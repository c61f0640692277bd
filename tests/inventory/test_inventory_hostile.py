"""Hostile input fails fast and cleanly (issue 12, item 9).

Each case copies the bundled example, writes one hostile file into it and runs the real CLI
(``govctl validate <dir>``): exit 2, a problem naming the file and the line (the file alone for a
file that is too big to read), no traceback, and no hang. The goal (under a second) is a speed goal:
``benchmarks/hostile_bench.py`` measures it on these same cases; the bound here is ten times it, so a
loaded machine cannot fail the test and a hang still does.
Limits are counted while the YAML is composed, so a bomb is refused by arithmetic, not by a timeout.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from govctl import cli
from govctl.inventory import yamlsrc
from govctl.inventory.loader import FILES, MAX_SHAPE_PROBLEMS
from govctl.inventory.references import RESERVED_IDS
from govctl.inventory.validate import validate
from govctl.inventory.yamlsrc import MAX_DEPTH, MAX_FILE_BYTES, MAX_LINE_CHARS, MAX_NODES, read_yaml
from govctl.ipv6.models import EXTERNAL

EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"
HANG_LIMIT_S = 10.0  # ten times the 1 s goal of benchmarks/hostile_bench.py: catches a hang, not a slow machine


# ---------------------------------------------------------------- hostile files


def deep_flow_list(levels: int) -> str:
    return "tenants: " + "[" * levels + "]" * levels + "\n"


def deep_block_list(levels: int) -> str:
    """``tenants:`` then one dash per line, each one deeper: line n + 1 opens level n + 1."""
    return "tenants:\n" + "".join(" " * i + "-\n" for i in range(levels)) + " " * levels + "x\n"


def deep_compact_list(levels: int) -> str:
    """Block sequences in compact form, all on line 2: ``- - - ... x``."""
    return "tenants:\n" + "- " * levels + "x\n"


def deep_flow_mapping(levels: int) -> str:
    return "tenants: " + "{k: " * levels + "x" + "}" * levels + "\n"


def deep_block_mapping(levels: int) -> str:
    """``tenants:`` then one key per line, each one space deeper: line n + 1 holds the n-th nested mapping."""
    return "tenants:\n" + "".join(" " * (i + 1) + "k:\n" for i in range(levels)) + " " * (levels + 1) + "x\n"


def merge_bomb(levels: int = 7, width: int = 10) -> str:
    """Each level merges the one below ten times: 10**levels copies, the builder used to do them all."""
    rows = ["m0: &m0 {" + ", ".join(f"k{j}: v" for j in range(width)) + "}"]
    rows += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * width)}]}}" for i in range(1, levels + 1)]
    return "\n".join(rows) + "\ntenants: []\n"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: 9**10 leaves once expanded."""
    rows = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(rows) + "\ntenants: []\n"


def alias_ladder(rungs: int) -> str:
    """Each anchor wraps the previous one: two levels as written, ``rungs`` levels once expanded."""
    return "".join(f"a{i}: &a{i} [{f'*a{i - 1}' if i else 'x'}]\n" for i in range(rungs)) + "tenants: []\n"


def huge_line(d: Path) -> None:
    p = d / "tenants.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "note: '" + "x" * (MAX_LINE_CHARS + 10) + "'\n", encoding="utf-8")


def huge_file(d: Path) -> None:
    p = d / "systems.yaml"
    with p.open("a", encoding="utf-8") as f:
        row = "# " + "x" * 1000 + "\n"
        f.write(row * (MAX_FILE_BYTES // len(row) + 10))


def write(fname: str, text: str) -> Callable[[Path], None]:
    def apply(d: Path) -> None:
        (d / fname).write_text(text, encoding="utf-8")

    return apply


@dataclass(frozen=True)
class Hostile:
    id: str
    file: str
    mutate: Callable[[Path], None]
    message: str
    line: int | Callable[[Path], int] | None  # None: the file is refused before it is read


def tenants_lines(d: Path) -> int:
    return len((d / "tenants.yaml").read_text(encoding="utf-8").splitlines())


DEPTH = f"nesting deeper than {MAX_DEPTH} levels"
NODES = f"more than {MAX_NODES:,} values once aliases and merge keys"
# The root mapping is level 1 and the value of `tenants` level 2, so level MAX_DEPTH + 1 is the
# (MAX_DEPTH - 1)-th nested collection: line MAX_DEPTH + 1 in the block styles.
HOSTILE = [
    Hostile("deep-flow-list-300", "tenants.yaml", write("tenants.yaml", deep_flow_list(300)), DEPTH, 1),
    Hostile("deep-flow-list-5000", "tenants.yaml", write("tenants.yaml", deep_flow_list(5000)), DEPTH, 1),
    Hostile("deep-block-list-300", "tenants.yaml", write("tenants.yaml", deep_block_list(300)), DEPTH,
            MAX_DEPTH + 1),
    Hostile("deep-compact-list-5000", "tenants.yaml", write("tenants.yaml", deep_compact_list(5000)), DEPTH, 2),
    Hostile("deep-flow-mapping-300", "tenants.yaml", write("tenants.yaml", deep_flow_mapping(300)), DEPTH, 1),
    Hostile("deep-flow-mapping-5000", "tenants.yaml", write("tenants.yaml", deep_flow_mapping(5000)), DEPTH, 1),
    Hostile("deep-block-mapping-300", "tenants.yaml", write("tenants.yaml", deep_block_mapping(300)), DEPTH,
            MAX_DEPTH + 1),
    # 5000 levels of block mapping need 12 MB of indentation (one more space per level): the size limit
    # refuses it before the parser sees it
    Hostile("deep-block-mapping-5000", "tenants.yaml", write("tenants.yaml", deep_block_mapping(5000)),
            "over the limit of 8.0 MB", None),
    # m5 (line 6) is the first level over the limit: ~21 * 10**5 values
    Hostile("merge-key-bomb", "tenants.yaml", write("tenants.yaml", merge_bomb()), NODES, 6),
    Hostile("alias-bomb", "tenants.yaml", write("tenants.yaml", alias_bomb()), NODES, 7),
    Hostile("alias-ladder", "tenants.yaml", write("tenants.yaml", alias_ladder(300)),
            f"{DEPTH} once the alias *a{MAX_DEPTH - 2} is expanded", MAX_DEPTH),
    Hostile("huge-line", "tenants.yaml", huge_line, f"line longer than {MAX_LINE_CHARS:,} characters", tenants_lines),
    Hostile("huge-file", "systems.yaml", huge_file, "over the limit of 8.0 MB", None),
]


def test_hostile_files_are_small_where_the_issue_says_so() -> None:
    assert 500 <= len(merge_bomb()) <= 700  # "a YAML merge-key bomb of about 600 bytes"
    assert len(alias_bomb()) < 700


@pytest.fixture(scope="module")
def warm() -> None:
    """Imports and first-call costs are not the hostile file's: pay them once, untimed."""
    CliRunner().invoke(cli.app, ["validate", str(EXAMPLE)])


def run_validate(d: Path) -> tuple[Result, float]:
    start = time.perf_counter()
    result = CliRunner().invoke(cli.app, ["validate", str(d)])
    return result, time.perf_counter() - start


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in HOSTILE])
def test_hostile_input_fails_fast_and_cleanly(case: Hostile, tmp_path: Path, warm: None) -> None:
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    case.mutate(d)
    result, elapsed = run_validate(d)
    text = result.stdout + result.stderr
    assert result.exit_code == 2, text[-2000:]
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in text and "RecursionError" not in text
    assert len(text) < 5000  # a few lines, not a 200 KB traceback
    line = case.line(d) if callable(case.line) else case.line
    where = f"{d}/{case.file}" + (f":{line}" if line is not None else "")
    [hit] = [row for row in text.splitlines() if case.message in row]
    assert hit.startswith(f"{where}: error: "), hit
    assert elapsed < HANG_LIMIT_S, f"{case.id}: {elapsed:.2f} s"


# ---------------------------------------------------------------- within the limits


def test_nesting_at_the_limit_is_read_and_one_more_level_is_not(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    # the root mapping is level 1
    p.write_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", encoding="utf-8")
    src, problems = read_yaml(p, "x.yaml")
    assert src is not None and problems == []
    p.write_text("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", encoding="utf-8")
    src, [problem] = read_yaml(p, "x.yaml")
    assert src is None and (problem.line, problem.message) == (1, DEPTH)


@pytest.mark.parametrize("fname", list(FILES))
def test_a_value_nested_to_the_limit_is_a_shape_error_not_a_recursion_error(fname: str, tmp_path: Path) -> None:
    """No later stage (pydantic, the builder, the rules) can recurse deeper than the composer allowed."""
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    p = d / fname
    deep = "{k: " * (MAX_DEPTH - 1) + "x" + "}" * (MAX_DEPTH - 1)
    text = p.read_text(encoding="utf-8") if p.exists() else ""
    p.write_text(text + f"\nzz_deep: {deep}\n", encoding="utf-8")
    report = validate(d, "inv")  # raises nothing: a RecursionError would fail the test here
    [problem] = [q for q in report.errors if q.path.startswith("zz_deep")]
    assert problem.file == f"inv/{fname}" and problem.line == len(text.splitlines()) + 2
    assert "unknown key 'zz_deep'" in problem.message


def test_an_expanded_size_just_under_the_limit_is_read(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_text(alias_bomb(levels=4, width=9), encoding="utf-8")  # ~66,000 values once expanded
    src, problems = read_yaml(p, "x.yaml")
    assert src is not None and problems == []
    assert src.data["l4"][8][8][8][8] == ["lol"] * 9


def test_merged_keys_are_built_once_per_mapping(tmp_path: Path) -> None:
    p = tmp_path / "x.yaml"
    p.write_text(merge_bomb(levels=4), encoding="utf-8")  # 10,000 copies counted, 10 keys built
    src, problems = read_yaml(p, "x.yaml")
    assert src is not None and problems == []
    assert src.data["m4"] == {f"k{j}": "v" for j in range(10)}


def test_the_composer_builds_the_same_tree_as_pyyaml() -> None:
    """Our counting composer replaced yaml.compose: same nodes, tags, styles and marks."""

    def same(a: yaml.Node, b: yaml.Node) -> bool:
        if type(a) is not type(b) or a.tag != b.tag or a.start_mark.line != b.start_mark.line \
                or a.start_mark.column != b.start_mark.column or a.end_mark.line != b.end_mark.line:
            return False
        if isinstance(a, yaml.ScalarNode):
            return a.value == b.value and a.style == b.style
        if len(a.value) != len(b.value):
            return False
        if isinstance(a, yaml.MappingNode):
            return all(same(k1, k2) and same(v1, v2) for (k1, v1), (k2, v2) in zip(a.value, b.value))
        return all(same(x, y) for x, y in zip(a.value, b.value))

    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLE.glob("*.yaml"))]
    texts.append("base: &b {x: 1, 'q': \"2\", t: !!str 3}\ntop: {<<: *b, y: [*b, &s s, *s]}\nnone: ~\n")
    for text in texts:
        ours, theirs = yamlsrc._Composer(text).single_node(), yaml.compose(text, Loader=yamlsrc._Loader)
        assert ours is not None and theirs is not None and same(ours, theirs)


@pytest.mark.parametrize(("text", "line", "what"), [
    ("a: *nowhere\n", 1, "undefined alias"),
    ("a: &x 1\nb: &x 2\n", 2, "second occurrence"),
])
def test_alias_errors_are_located_syntax_errors(tmp_path: Path, text: str, line: int, what: str) -> None:
    p = tmp_path / "x.yaml"
    p.write_text(text, encoding="utf-8")
    src, [problem] = read_yaml(p, "x.yaml")
    assert src is None and problem.line == line and what in problem.message


def test_a_pipe_is_refused_without_reading(tmp_path: Path) -> None:
    import os

    p = tmp_path / "x.yaml"
    os.mkfifo(p)  # reading would block forever
    src, [problem] = read_yaml(p, "x.yaml")
    assert src is None and "pipe or device" in problem.message


def test_a_file_with_a_flood_of_shape_errors_reports_the_first_ones(tmp_path: Path) -> None:
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    p = d / "tenants.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "\nzz: [" + ", ".join(["1"] * 500) + "]\n"
                 + "".join(f"zz{i}: 1\n" for i in range(300)), encoding="utf-8")
    report = validate(d, "inv")
    mine = [q for q in report.errors if q.file == "inv/tenants.yaml"]
    assert len(mine) == MAX_SHAPE_PROBLEMS + 1
    [head] = [q for q in mine if q.line is None]
    assert head.message == f"301 problems in this file; only the first {MAX_SHAPE_PROBLEMS} are shown"


# ---------------------------------------------------------------- reserved ids: every run, where written


def test_the_planner_and_the_inventory_reserve_the_same_tenant_id() -> None:
    assert EXTERNAL in RESERVED_IDS["tenants.yaml"][2]


def test_reserved_tenant_id_is_reported_with_other_errors_at_the_tenant(tmp_path: Path) -> None:
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    tenants = (d / "tenants.yaml").read_text(encoding="utf-8")
    assert tenants.count("  - id: prov-finance") == 1
    (d / "tenants.yaml").write_text(tenants.replace("  - id: prov-finance", "  - id: external"), encoding="utf-8")
    sites = (d / "sites.yaml").read_text(encoding="utf-8")
    assert sites.count("latitude: 23.13 ") == 1
    (d / "sites.yaml").write_text(sites.replace("latitude: 23.13 ", "latitude: 923.13"), encoding="utf-8")
    line = next(n for n, row in enumerate((d / "tenants.yaml").read_text().splitlines(), 1) if "id: external" in row)
    site_line = next(n for n, row in enumerate((d / "sites.yaml").read_text().splitlines(), 1) if "923.13" in row)
    for args in (["validate", str(d)], ["ipv6", "plan", str(d)]):
        result = CliRunner().invoke(cli.app, args)
        text = result.stdout + result.stderr
        assert result.exit_code == 2 and "Traceback" not in text
        assert f"{d}/tenants.yaml:{line}: error: tenants[2].id: tenant id 'external' is reserved" in text
        assert f"{d}/sites.yaml:{site_line}: error: sites[0].latitude" in text
        assert "ipv6-allocations.yaml" not in text


def test_reserved_tenant_id_alone_is_reported_at_the_tenant_not_the_allocations(tmp_path: Path) -> None:
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    p = d / "tenants.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  - id: prov-finance", "  - id: external"), encoding="utf-8")
    report = validate(d, "inv")
    [problem] = report.errors
    assert (problem.file, problem.path, problem.value) == ("inv/tenants.yaml", "tenants[2].id", "external")


def test_a_city_cannot_take_the_province_block_id(tmp_path: Path) -> None:
    """A city 'province' would be keyed extranet/province, the province's own block, and silently replace it."""
    d = tmp_path / "inv"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
    p = d / "province.yaml"
    text = p.read_text(encoding="utf-8")
    assert text.count("  - id: alpha ") == 1
    p.write_text(text.replace("  - id: alpha ", "  - id: province "), encoding="utf-8")
    line = next(n for n, row in enumerate(p.read_text().splitlines(), 1) if "id: province " in row)
    report = validate(d, "inv")
    [problem] = [q for q in report.errors if "reserved" in q.message]
    assert (problem.file, problem.line, problem.path) == ("inv/province.yaml", line, "cities[0].id")
