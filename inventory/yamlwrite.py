"""Edits of the user's inventory files that keep the file: the one writer every command that changes an
inventory file goes through (`migrate waves --write`, `migrate import --write`, `ipv6 plan --write`, `init`).

A file is read with a round-trip YAML library (ruamel.yaml), changed in place and written back, so its
comments, key order, quoting, flow/block style and blank lines stay: a one-value change is a one-line
diff a reviewer can read. Writes are checked first (the whole inventory as it would be is loaded and
validated; any problem raises and nothing is written) and then made atomic per file (a temporary file
beside it, fsync, rename).
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from io import StringIO
from pathlib import Path
from typing import Any

from govctl.core.errors import InputError, Problem, RuntimeFailure
from govctl.inventory.errors import InventoryInvalid


def _yaml(text: str = "") -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.allow_unicode = True
    y.width = 4096  # never re-wrap a user's long line
    # the file's own indentation: ``load_yaml_guess_indent`` gives the sequence indent (dash offset
    # included) and the dash offset; mappings are indented by their difference (2 when it is 0)
    mapping, sequence, offset = 2, 4, 2
    if text.strip():
        guessed, dash = None, None
        # the guess parses what it is given: the first lines show the indentation, and a large file
        # (6,000 pinned prefixes) is not parsed twice; a prefix cut inside a structure falls back to all
        head = "".join(text.splitlines(keepends=True)[:200])
        for sample in (head, text) if len(head) < len(text) else (text,):
            try:
                _, guessed, dash = load_yaml_guess_indent(sample)
                break
            except Exception:  # noqa: BLE001 - the real load reports a malformed file with its line
                continue
        if guessed:
            offset = dash or 0
            sequence = guessed
            mapping = guessed - offset if guessed - offset > 0 else 2
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def load_text(text: str, shown: str, y: Any = None) -> Any:
    """A YAML document as round-trip data (mappings keep comments and order); empty -> None."""
    from ruamel.yaml.error import YAMLError

    try:
        return (y or _yaml(text)).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InventoryInvalid([Problem(shown, None if mark is None else mark.line + 1, "",
                                        f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]) from None


def dump_text(data: Any, like: str = "", header: str = "", y: Any = None) -> str:
    """Round-trip data back to text, indented like ``like`` (the file's original text)."""
    buf = StringIO()
    (y or _yaml(like)).dump(data, buf)
    return "".join(f"# {line}\n" for line in header.splitlines()) + buf.getvalue()


def edit_text(text: str, shown: str, change: Callable[[Any], Any]) -> str:
    """Apply ``change`` to the document in place (it may return a replacement) and give the new text.

    The round-trip library keeps nearly everything, but not all (a flow list the user wrapped over
    several lines comes back on one): so the change is taken as the difference between the dump of
    the file as read and the dump after the change, and only that difference is patched into the
    user's text. Unchanged data gives back the same text byte for byte."""
    y = _yaml(text)
    data = load_text(text, shown, y)
    before = dump_text(data, y=y)
    new = change(data)
    after = dump_text(data if new is None else new, y=y)
    return patch_lines(text, before, after)


def patch_lines(original: str, before: str, after: str) -> str:
    """``original`` with the line changes that turn ``before`` into ``after``; a change next to lines that
    differ between ``original`` and ``before`` takes those lines from ``after`` too (never a broken file)."""
    from difflib import SequenceMatcher

    o, b, a = original.splitlines(True), before.splitlines(True), after.splitlines(True)
    if b == o:
        return after
    b2o: dict[int, int] = {}
    for tag, i1, _i2, j1, j2 in SequenceMatcher(None, o, b, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(j2 - j1):
                b2o[j1 + k] = i1 + k
    edits: list[list[int]] = []  # [j1, j2, k1, k2]: b[j1:j2] becomes a[k1:k2]
    for tag, j1, j2, k1, k2 in SequenceMatcher(None, b, a, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        while j1 > 0 and (j1 - 1) not in b2o and not (edits and j1 <= edits[-1][1]):
            j1, k1 = j1 - 1, k1 - 1
        while j2 < len(b) and j2 not in b2o:
            j2, k2 = j2 + 1, k2 + 1
        if edits and j1 <= edits[-1][1]:
            j1, k1 = edits[-1][0], edits[-1][2]
            edits.pop()
        edits.append([j1, j2, k1, k2])
    out: list[str] = []
    pos = 0
    for j1, j2, k1, k2 in edits:
        start = b2o[j1 - 1] + 1 if j1 > 0 else 0
        end = b2o[j2] if j2 < len(b) else len(o)
        out += o[pos:start] + a[k1:k2]
        pos = end
    out += o[pos:]
    return "".join(out)


def merge_mapping(target: Any, new: Mapping[str, Any]) -> None:
    """Make ``target`` (a round-trip mapping) hold ``new``'s keys and values: changed values set where
    they are, missing keys removed, new keys inserted where they sort when the file is sorted, else
    after the key that precedes them in ``new``."""
    import bisect

    for k in [k for k in target if k not in new]:
        del target[k]
    previous: str | None = None
    for k, v in new.items():
        if k in target:
            if target[k] != v:
                target[k] = v
        else:
            keys = list(target)
            if all(isinstance(x, str) for x in keys) and keys == sorted(keys):
                at = bisect.bisect(keys, k)
            else:
                at = keys.index(previous) + 1 if previous in keys else (0 if previous is None else len(keys))
            target.insert(at, k, v)
        previous = k


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` whole or not at all: temporary file beside it, fsync, rename, fsync the directory."""
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write {path}: {exc.strerror or exc}") from None


def check_inventory(directory: Path, changed: Mapping[str, str], shown: str) -> None:
    """Load and validate the inventory as it would be with ``changed`` files; any problem raises
    ``InventoryInvalid`` naming ``shown``."""
    from govctl.inventory.loader import FILES
    from govctl.inventory.validate import load_valid

    with tempfile.TemporaryDirectory(prefix="govctl-candidate-") as tmp:
        for name in FILES:
            if name in changed:
                (Path(tmp) / name).write_text(changed[name], encoding="utf-8")
            elif (directory / name).exists():
                (Path(tmp) / name).write_bytes((directory / name).read_bytes())
        load_valid(tmp, shown)


def write_inventory_files(directory: Path, changed: Mapping[str, str], shown: str | None = None,
                          validate: bool = True) -> list[Path]:
    """Write changed inventory files after the whole inventory, as it would be, validated: nothing is
    written when it would not (``InventoryInvalid``). Files whose text is unchanged are not touched."""
    for name in changed:
        if "/" in name or name.startswith("."):
            raise InputError(f"not an inventory file name: {name}")
    todo = {n: t for n, t in changed.items()
            if not (directory / n).exists() or (directory / n).read_text(encoding="utf-8") != t}
    if validate and todo:
        check_inventory(directory, todo, shown or str(directory))
    written = []
    for name, text in todo.items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written
