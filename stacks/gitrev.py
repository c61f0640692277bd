"""An inventory directory as it was at another git revision, extracted to a temp dir (working tree untouched)."""
from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from govctl.stacks.errors import BaseRevisionError


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, timeout=60, check=False)
    except FileNotFoundError as exc:
        raise BaseRevisionError("--base needs git, which is not installed") from exc


@contextmanager
def inventory_at(directory: Path, revision: str) -> Iterator[Path | None]:
    """Yield the inventory directory at ``revision`` (None when it did not exist there yet)."""
    directory = directory.resolve()
    top = _git(directory, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaseRevisionError(f"--base {revision}: {directory} is not inside a git repository")
    if revision.startswith("-"):
        raise BaseRevisionError(f"--base {revision}: not a revision")
    commit = _git(directory, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if commit.returncode != 0:
        raise BaseRevisionError(f"--base {revision}: no such revision in {top.stdout.decode().strip()}")
    sha = commit.stdout.decode().strip()
    prefix = _git(directory, "rev-parse", "--show-prefix").stdout.decode().strip()
    # Pathspecs are relative to the working directory: archive from the top level.
    archive = _git(Path(top.stdout.decode().strip()), "archive", "--format=tar", sha, "--", prefix or ".")
    with tempfile.TemporaryDirectory(prefix="govctl-base-") as tmp:
        if archive.returncode != 0:
            yield None  # the inventory is new since that revision: everything is a create
            return
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        target = Path(tmp) / prefix if prefix else Path(tmp)
        yield target if target.is_dir() else None
