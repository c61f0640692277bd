"""inventory/yamlsrc.py: YAML that remembers lines, refuses duplicate keys and honours merge keys."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from govctl.inventory.yamlsrc import SourceFile, format_path, read_yaml


def parse(tmp_path: Path, text: str | bytes, name: str = "x.yaml"):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return read_yaml(p, f"inv/{name}")


NESTED = """\
# a comment first, so that nothing sits on line 1
province:
  cities:
    - id: alpha
      counties:
        - id: east
          towns: {count: 3}
    - id: beta
"""


def test_line_map_records_every_key_and_list_item(tmp_path: Path) -> None:
    src, problems = parse(tmp_path, NESTED)
    assert problems == []
    assert src is not None and src.name == "inv/x.yaml"
    assert src.data == {"province": {"cities": [
        {"id": "alpha", "counties": [{"id": "east", "towns": {"count": 3}}]}, {"id": "beta"}]}}
    assert src.lines[("province",)] == 2
    assert src.lines[("province", "cities")] == 3
    assert src.lines[("province", "cities", 0)] == 4
    assert src.lines[("province", "cities", 0, "counties", 0, "towns", "count")] == 7
    assert src.lines[("province", "cities", 1, "id")] == 8


def test_line_of_falls_back_to_the_nearest_written_ancestor(tmp_path: Path) -> None:
    src, _ = parse(tmp_path, NESTED)
    assert src is not None
    # a key that is missing (e.g. a required key) is reported at its parent's line
    assert src.line_of(("province", "cities", 1, "counties")) == 8
    assert src.line_of(("province", "cities", 0, "counties", 0, "towns", "name_prefix")) == 7
    assert src.line_of(("nowhere", "at", "all")) == 2  # the document itself starts at line 2


def test_line_of_an_empty_source_defaults_to_line_1() -> None:
    assert SourceFile("f.yaml", {}, {}).line_of(("a", 0)) == 1


@pytest.mark.parametrize(("path", "shown"), [
    (("tenants", 0, "quotas", "cores"), "tenants[0].quotas.cores"),
    ((0,), "[0]"),
    (("allocations", "cloud/prov/prov-gov-office"), "allocations.cloud/prov/prov-gov-office"),
    ((), ""),
])
def test_format_path_reads_like_the_yaml(path: tuple, shown: str) -> None:
    assert format_path(path) == shown


def test_duplicate_key_is_an_error_at_the_second_key_and_the_first_value_is_kept(tmp_path: Path) -> None:
    src, problems = parse(tmp_path, "sites:\n  - id: a\n    role: primary\n    role: remote_dr\n")
    assert src is not None
    assert src.data["sites"][0]["role"] == "primary"
    [p] = problems
    assert (p.file, p.line, p.path, p.value, p.severity) == ("inv/x.yaml", 4, "sites[0].role", "role", "error")
    assert "duplicate key" in p.message


def test_duplicate_top_level_key_is_found_even_far_apart(tmp_path: Path) -> None:
    text = "id: example\nname: a\n" + "".join(f"k{i}: {i}\n" for i in range(50)) + "id: again\n"
    _, problems = parse(tmp_path, text)
    assert [(p.line, p.path) for p in problems] == [(53, "id")]


def test_same_key_in_sibling_mappings_is_not_a_duplicate(tmp_path: Path) -> None:
    _, problems = parse(tmp_path, "a: {id: 1}\nb: {id: 1}\nc:\n  - {id: 1}\n  - {id: 1}\n")
    assert problems == []


MERGE = """\
defaults: &node
  platform: huawei_vrp
  role: access
  credentials: vault:extranet/town
nodes:
  - id: n1
    <<: *node
    role: core
"""


def test_merge_key_brings_in_the_anchor_and_own_keys_win(tmp_path: Path) -> None:
    src, problems = parse(tmp_path, MERGE)
    assert problems == []
    assert src is not None
    assert src.data["nodes"][0] == {"id": "n1", "platform": "huawei_vrp", "role": "core",
                                    "credentials": "vault:extranet/town"}
    assert "<<" not in src.data["nodes"][0]
    # own key: its own line; merged key: the line where the anchor wrote it
    assert src.lines[("nodes", 0, "role")] == 8
    assert src.lines[("nodes", 0, "platform")] == 2


def test_merge_of_nested_merges(tmp_path: Path) -> None:
    text = "base: &b {x: 1}\nmid: &m {<<: *b, y: 2}\ntop: {<<: *m, z: 3}\n"
    src, problems = parse(tmp_path, text)
    assert problems == []
    assert src is not None and src.data["top"] == {"x": 1, "y": 2, "z": 3}


def test_merge_list_with_overlapping_keys_takes_the_first_as_yaml_says(tmp_path: Path) -> None:
    text = "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  <<: [*a, *b]\n  w: 5\n"
    src, problems = parse(tmp_path, text)
    assert problems == []
    assert src is not None and src.data["c"] == {"x": 1, "y": 2, "z": 4, "w": 5}  # as PyYAML's own loader


def test_merge_of_a_scalar_is_an_error(tmp_path: Path) -> None:
    _, problems = parse(tmp_path, "c:\n  <<: 1\n  x: 9\n")
    assert [p.line for p in problems] == [2]


def test_dates_and_timestamps_stay_strings_for_pydantic(tmp_path: Path) -> None:
    src, problems = parse(tmp_path, "start: 2026-03-01T00:00:00+08:00\nday: 2026-02-30\nn: 3\nok: true\nnone: null\n")
    assert problems == []
    assert src is not None
    assert src.data == {"start": "2026-03-01T00:00:00+08:00", "day": "2026-02-30", "n": 3, "ok": True, "none": None}


def test_bad_tagged_scalar_is_a_located_problem(tmp_path: Path) -> None:
    _, problems = parse(tmp_path, "a: 1\nb: !!int abc\n")
    assert [(p.line, p.severity) for p in problems] == [(2, "error")]
    assert "bad scalar" in problems[0].message


def test_recursive_alias_is_a_located_problem(tmp_path: Path) -> None:
    _, problems = parse(tmp_path, "a: 1\nb: &x [*x]\n")
    assert [p.line for p in problems] == [2]


@pytest.mark.parametrize(("text", "line", "what"), [
    ("a:\n\tb: 1\n", 2, "cannot start any token"),
    ("a: [1, 2\nb: 3\n", 2, "expected ',' or ']'"),
    ("a: 'open\nb: 2\n", None, "YAML syntax error"),
    ("a: 1\n---\nb: 2\n", 2, "another document"),
    ("a: b: c\n", 1, "mapping values are not allowed"),
])
def test_syntax_errors_name_the_line_and_the_reason(tmp_path: Path, text: str, line: int | None, what: str) -> None:
    src, [p] = parse(tmp_path, text)
    assert src is None
    assert p.file == "inv/x.yaml" and p.message.startswith("YAML syntax error")
    assert what in p.message
    if line is not None:
        assert p.line == line
    else:
        assert p.line is not None


@pytest.mark.parametrize(("text", "what"), [
    ("", "empty"), ("# only a comment\n", "empty"), ("- a\n- b\n", "mapping"), ("just words\n", "mapping"),
])
def test_a_file_must_hold_a_mapping(tmp_path: Path, text: str, what: str) -> None:
    src, [p] = parse(tmp_path, text)
    assert src is None and p.line == 1 and what in p.message


def test_directory_instead_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").mkdir()
    src, [p] = read_yaml(tmp_path / "d.yaml", "inv/d.yaml")
    assert src is None and p.file == "inv/d.yaml" and "directory" in p.message


def test_not_utf8_names_the_file_and_offset(tmp_path: Path) -> None:
    src, [p] = parse(tmp_path, "a: 1\nname: caf\xe9\n".encode("latin-1"))
    assert src is None and p.file == "inv/x.yaml" and "not UTF-8" in p.message and "byte 14" in p.message


@pytest.mark.parametrize(("exc", "what"), [
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    (OSError(errno.EIO, "Input/output error"), "Input/output error"),
])
def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  exc: OSError, what: str) -> None:
    # simulated: CI runs as root, where chmod 000 does not stop a read
    p = tmp_path / "x.yaml"
    p.write_text("a: 1\n", encoding="utf-8")

    def refuse(self: Path, *a: object, **k: object) -> str:
        raise exc

    monkeypatch.setattr(Path, "read_text", refuse)  # whichever way the reader reads
    monkeypatch.setattr(Path, "read_bytes", refuse)
    src, [problem] = read_yaml(p, "inv/x.yaml")
    assert src is None and problem.file == "inv/x.yaml" and what in problem.message


def alias_bomb(width: int, levels: int) -> str:
    rows = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(rows) + "\n"


def test_alias_bomb_is_not_expanded_node_by_node(tmp_path: Path) -> None:
    import yaml

    text = alias_bomb(6, 5)  # 222 bytes, 6**6 = 46,656 leaves once expanded
    src, problems = parse(tmp_path, text)
    assert src is not None and src.data == yaml.safe_load(text)  # same data as PyYAML (which shares aliased nodes)
    assert len(src.lines) < 100  # one line entry per written node, not per expanded one
