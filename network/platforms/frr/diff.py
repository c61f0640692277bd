"""frr-reload's own diff, computed in the controller process instead of on the router.

``frr-reload.py --test`` on the router starts a Python interpreter and three vtysh processes for
every compare, on the same cores the routers run on. Here frr-reload.py (Debian's frr-pythontools)
is imported once as a module and its ``Config`` parser and ``compare_context_objects`` produce the
same lines ``--test`` prints, from the router's ``show running-config`` and the candidate. Both
texts are normalised ("marked") by the local ``vtysh -m``, exactly as frr-reload does through
``vtysh -m -f``; that step also rejects a candidate line vtysh does not know.

Where frr-reload.py or vtysh is missing on the controller, ``available()`` is False and the FRR
driver asks the router's own frr-reload instead.
"""
from __future__ import annotations

import functools
import importlib.util
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

RELOAD_PY = Path("/usr/lib/frr/frr-reload.py")
VTYSH = Path("/usr/bin/vtysh")


class Rejected(ValueError):
    """vtysh refused a line of the text (message: vtysh's own, e.g. 'line 13: % Unknown command: ...').
    ``which``: 'candidate' or 'running'."""

    def __init__(self, message: str, which: str = "candidate") -> None:
        super().__init__(message)
        self.which = which


@functools.cache
def _module() -> ModuleType | None:
    if not (RELOAD_PY.exists() and VTYSH.exists()):
        return None
    spec = importlib.util.spec_from_file_location("govctl_frr_reload", RELOAD_PY)
    if spec is None or spec.loader is None:
        return None
    mod = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        # its regular expressions are written as plain strings: Python warns while compiling it
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        spec.loader.exec_module(mod)
    return mod


def available() -> bool:
    return _module() is not None


@functools.lru_cache(maxsize=512)
def mark(text: str) -> str:
    """``vtysh -m``: the text with its contexts marked the way frr-reload's parser expects.
    Cached: one run marks the same candidate (and often the same running config) several times."""
    proc = subprocess.run([str(VTYSH), "-m", "-f", "-"], input=text.encode(), capture_output=True, timeout=30)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip() or proc.stdout.decode(errors="replace").strip()
        raise Rejected(" | ".join(dict.fromkeys(line.strip() for line in err.splitlines() if line.strip()))[:400]
                       or f"vtysh -m exited {proc.returncode}")
    return proc.stdout.decode(errors="replace")


class _Marked:
    """Stands in for frr-reload's Vtysh wrapper: ``Config.load_from_file`` only asks it to mark."""

    def mark_file(self, text: str, stdin: object = None) -> str:
        return mark(text)


@dataclass(frozen=True)
class Delta:
    """What turns the running config into the candidate, as frr-reload computes it: each entry is one
    command with its enclosing contexts, the way frr-reload applies it."""

    deletes: tuple[str, ...]
    adds: tuple[str, ...]
    # per entry of deletes + adds: True where the entry is a context itself (its last line enters it)
    contexts: tuple[bool, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.deletes or self.adds)

    def test_output(self) -> str:
        """The text ``frr-reload --test`` prints for this delta."""
        out = ""
        if self.deletes:
            out += "\nLines To Delete\n===============\n" + "".join(d + "\n" for d in self.deletes)
        if self.adds:
            out += "\nLines To Add\n============\n" + "".join(a + "\n" for a in self.adds)
        return out

    def script(self) -> str:
        """One vtysh file applying the delta: deletions first, as frr-reload does. frr-reload
        enters each command's contexts anew; where the previous command left vtysh in exactly
        those contexts, entering them again is left out (every context line is a round trip to
        the daemons). A command in a shallower context still re-enters its contexts from the top,
        since vtysh would otherwise try it in the deeper one first."""
        out: list[str] = []
        inside: list[str] = []  # the contexts vtysh is in after the previous entry
        entries = self.deletes + self.adds
        for entry, is_context in zip(entries, self.contexts or (False,) * len(entries)):
            lines = entry.split("\n")
            out += lines[-1:] if lines[:-1] and lines[:-1] == inside else lines
            inside = lines if is_context else lines[:-1]
        return "".join(line + "\n" for line in out)


def delta(candidate: str, running: str) -> Delta:
    """frr-reload's diff of two configs (both as ``show running-config`` / frr.conf text).
    Raises ``Rejected`` when vtysh does not accept a line of either."""
    mod = _module()
    if mod is None:
        raise RuntimeError("frr-reload.py is not installed on this machine")
    new, old = mod.Config(_Marked()), mod.Config(_Marked())
    new.load_from_file(candidate)
    try:
        old.load_from_file(running)
    except Rejected as exc:
        raise Rejected(str(exc), "running") from None
    to_add, to_del = mod.compare_context_objects(new, old)
    dels = [(keys, line) for keys, line in to_del if line != "!"]
    adds = [(keys, line) for keys, line in to_add if line != "!"]
    return Delta(tuple("\n".join(mod.lines_to_config(keys, line, True)) for keys, line in dels),
                 tuple("\n".join(mod.lines_to_config(keys, line, False)) for keys, line in adds),
                 # a deleted context ('no router ospf6') leaves vtysh where it was
                 tuple(False for _ in dels) + tuple(line is None for _, line in adds))
