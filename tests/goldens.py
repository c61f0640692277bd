"""Golden files: the one reader of GOVCTL_UPDATE_GOLDEN. With it set (and not "0"), a golden check writes the
rendering over the file, for a developer to review in the diff; the comparison after that proves nothing. So
under CI=true it is an error: CI compares with the committed files, never with what it just wrote."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "GOVCTL_UPDATE_GOLDEN"


def updating() -> bool:
    value = os.environ.get(ENV, "")
    if value in ("", "0"):
        return False
    if os.environ.get("CI") == "true":
        pytest.fail(f"{ENV}={value} under CI=true: CI compares with the committed golden files and never rewrites "
                    "them; unset it", pytrace=False)
    return True


def check_golden(path: Path, text: str) -> None:
    """``text`` is the golden file ``path`` (UTF-8); with GOVCTL_UPDATE_GOLDEN, outside CI, it is written first."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"golden file {path} missing: run with {ENV}=1 (not in CI) and review the diff"
    assert text == path.read_text(encoding="utf-8"), f"rendering differs from {path} (review, then {ENV}=1)"
