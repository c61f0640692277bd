"""Sealed plan files: a JSON document ``{"format", "version", "body_sha256", "body"}`` whose body carries its own
digest, so a damaged or hand-edited file is refused before anything acts on it. The network plan (``govctl net
plan --out``) and the cloud plan (``govctl plan --out``) are both sealed this way; each module owns its body.

Also here: the digest of the code that made a plan (a plan made by other code is refused), shared by both.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from govctl.core.durable import write_private
from govctl.core.errors import InputError

ROOT = Path(__file__).resolve().parent.parent  # the package: its code is what a plan is made and applied by


def sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def canonical(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def seal(path: Path, fmt: str, version: int, body: dict[str, Any]) -> str:
    """Write ``body`` sealed, atomically (0600; a crash leaves no half file); returns its digest."""
    digest = sha256(canonical(body))
    doc = {"format": fmt, "version": version, "body_sha256": digest, "body": body}
    write_private(Path(path), json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return digest


def unseal(path: Path, fmt: str, version: int, what: str, make: str,
           error: type[InputError] = InputError) -> tuple[dict[str, Any], str]:
    """(body, digest) of the sealed file ``path``; ``error`` naming the file when it is not a ``what`` of this
    format version, or its body does not match its digest. ``make`` says how to make one."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: not a {what} ({type(exc).__name__}: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise error(f"{path}: not a {what} (make one with `{make}`)")
    if doc.get("version") != version:
        raise error(f"{path}: plan format version {doc.get('version')!r}, this govctl reads {version}: "
                    "make the plan again with this govctl")
    body = doc.get("body")
    if not isinstance(body, dict) or sha256(canonical(body)) != doc.get("body_sha256"):
        raise error(f"{path}: the plan's body does not match its digest (body_sha256): the file was "
                    "damaged or edited; make the plan again")
    return body, str(doc["body_sha256"])


@lru_cache(maxsize=None)
def code_version(parts: tuple[str, ...]) -> str:
    """govctl's version and a digest of the code in ``parts`` (packages or modules under the package root; their
    .py, .j2 and .json files, by path and bytes), once per process: the code loaded is the code that acts."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("govctl")
    except PackageNotFoundError:
        release = "unknown"
    h = hashlib.sha256()
    for part in parts:
        top = ROOT / part
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.suffix in (".py", ".j2", ".json")
                                                    and p.is_file() and "__pycache__" not in p.parts)
        for path in paths:
            h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{release}+{h.hexdigest()[:16]}"
