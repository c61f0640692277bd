"""The offline plan as a service: what `govctl plan` shows, `govctl plan --out` saves and `govctl apply` checks
before it lets the engine change anything. The command parses options and prints; this runs the stacks'
programs under the mock runtime and compares each graph with what the user chose (a git revision, a given
Pulumi state, or the stack's own state under the state directory).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from govctl.stacks import engine
from govctl.stacks.models import PlanResult
from govctl.stacks.state import Store, read_states

Progress = Callable[[str, int], AbstractContextManager[Callable[[str], None]]]


def _at_revision(src: engine.Source, directory: Path, base: str, stacks: list[str], store: Store | None,
                 workers: int | None, progress: Progress) -> dict[str, tuple[Any, str]]:
    from govctl.ipv6.planner import plan as plan6
    from govctl.source import check
    from govctl.stacks import gitrev

    bases: dict[str, tuple[Any, str]] = {}
    with gitrev.inventory_at(directory, base) as old_dir:
        if old_dir is not None:
            old_loaded = check(old_dir, f"{src.shown}@{base}").loaded
            old = engine.Source(old_loaded.inventory, plan6(old_loaded.inventory), f"{src.shown}@{base}")
            old_stacks = [s for s in stacks if s in {p.id for p in old.inventory.platforms}]
            with progress(f"plan {base}", len(old_stacks)) as step:
                for s, g in engine.graphs(old, old_stacks, store, workers, on_stack=step).items():
                    bases[s] = (g, f"git:{base}")
    for s in stacks:
        bases.setdefault(s, (None, f"git:{base} (stack absent there)"))
    return bases


def current_bases(state_dir: Path, inventory: str, stacks: list[str]) -> dict[str, tuple[Any, str]]:
    """Each stack's own state: the local backend's checkpoint, else govctl's last snapshot, else nothing."""
    lookup = Store(state_dir, inventory)
    bases: dict[str, tuple[Any, str]] = {}
    for s in stacks:
        cur = lookup.current(s)
        bases[s] = cur if cur is not None else (None, "nothing (no state yet)")
    return bases


def offline_plan(src: engine.Source, directory: Path, state_dir: Path, stacks: list[str], progress: Progress, *,
                 base: str | None = None, state: Path | None = None, no_cache: bool = False,
                 workers: int | None = None) -> PlanResult:
    """Plan ``stacks`` offline against ``base`` (a git revision), ``state`` (a Pulumi state file or directory), or
    else each stack's own state in ``state_dir``. Every input is read before anything runs, so bad input writes
    nothing."""
    started = time.perf_counter()
    given = read_states(state) if state is not None else None
    store = None if no_cache else Store(state_dir, src.inventory.name)
    bases: dict[str, tuple[Any, str]]
    if base is not None:
        bases = _at_revision(src, directory, base, stacks, store, workers, progress)
    elif given is not None:
        bases = {s: (given[s], f"state:{state}") if s in given else (None, f"state:{state} (stack absent)")
                 for s in stacks}
    else:
        bases = current_bases(state_dir, src.inventory.name, stacks)
    with progress("plan", len(stacks)) as step:
        planned = engine.graphs(src, stacks, store, workers, on_stack=step)
    return engine.compare(src, planned, bases, started, store)
