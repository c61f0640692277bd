"""The command line's shared plumbing: consoles, the exit-code table, shared options, inventory loading.

Every domain's ``commands.py`` imports this module (and never ``govctl.cli``); ``cli.py`` only mounts
the domains' Typer apps. This is the only module that turns the project's exceptions into messages
and exit codes, and the only one that constructs ``typer.Exit``.

Exit codes: 0 success; 1 a runtime failure (device, cloud, filesystem); 2 invalid input or usage
(inventory, CSV, flags); 3 changes present; 4 policy violations.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from govctl.core.errors import (ChangesPresent, GovctlError, InputError, PolicyViolations, Problem, ProblemsFound,
                                RuntimeFailure)

EXIT_OK, EXIT_FAILURE, EXIT_INPUT, EXIT_CHANGES, EXIT_POLICY = 0, 1, 2, 3, 4

INVENTORY_ENV = "GOVCTL_INVENTORY"

out = Console(soft_wrap=True, emoji=False)  # ":cloud:" in a URN is text, never an emoji
err = Console(stderr=True, soft_wrap=True, emoji=False)


@dataclass(frozen=True)
class ExitRule:
    """One row of the table: an exception type, its exit code, and how its message is labelled."""

    error: type[GovctlError]
    code: int
    label: str
    style: str
    informational: bool = False  # a finding, not a failure: --quiet leaves only the exit code


# The one table, most specific first: the first row whose type matches decides.
EXIT_CODES: tuple[ExitRule, ...] = (
    ExitRule(InputError, EXIT_INPUT, "error", "bold red"),  # ProblemsFound too (its problems first)
    ExitRule(ChangesPresent, EXIT_CHANGES, "changes present", "yellow", informational=True),
    ExitRule(PolicyViolations, EXIT_POLICY, "policy violations", "bold red"),
    ExitRule(RuntimeFailure, EXIT_FAILURE, "failed", "bold red"),
    ExitRule(GovctlError, EXIT_FAILURE, "failed", "bold red"),
)


def exit_rule(exc: GovctlError) -> ExitRule:
    """The table's row for an exception (every GovctlError has one: the last row)."""
    return next(r for r in EXIT_CODES if isinstance(exc, r.error))


# ---------------------------------------------------------------- verbosity, JSON mode

_QUIET, _VERBOSE, _JSON = "govctl.quiet", "govctl.verbose", "govctl.json"


def _current_context() -> Any:
    """The running command's context. Typer >= 0.29 runs on its own vendored copy of click, whose context
    stack is not ``click``'s; earlier Typers use click itself."""
    import importlib

    for name in ("typer._click.globals", "click.globals"):
        try:
            getter = importlib.import_module(name).get_current_context
        except (ImportError, AttributeError):
            continue
        ctx = getter(silent=True)
        if ctx is not None:
            return ctx
    return None


def _meta() -> dict[str, Any]:
    """The invocation's shared metadata (click shares ``meta`` between a context and its children)."""
    ctx = _current_context()
    return ctx.meta if ctx is not None else {}


def set_verbosity(ctx: typer.Context, quiet: bool, verbose: int) -> None:
    """Recorded by the root callback for this invocation only: no module-level state."""
    ctx.meta[_QUIET], ctx.meta[_VERBOSE] = quiet, verbose


def is_quiet() -> bool:
    """--quiet, or --json (stdout is a document; stderr keeps only warnings and errors)."""
    meta = _meta()
    return bool(meta.get(_QUIET) or meta.get(_JSON))


def verbosity() -> int:
    return int(_meta().get(_VERBOSE, 0))


def info(message: str) -> None:
    """An informational line on stderr, e.g. which inventory was used; silent with --quiet or --json."""
    if not is_quiet():
        err.print(message, highlight=False, markup=False)


def _json_mode(ctx: typer.Context, value: bool) -> bool:
    if value:
        ctx.meta[_JSON] = True
    return value


def print_version(value: bool) -> None:
    """--version: the installed package's version (importlib.metadata), then exit 0."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("govctl")
        except PackageNotFoundError:  # a checkout on sys.path that was never installed
            v = "unknown (not installed)"
        out.print(f"govctl {v}", highlight=False, markup=False)
        raise typer.Exit(EXIT_OK)


# ---------------------------------------------------------------- shared options

InventoryArg = Annotated[
    Path | None,
    typer.Argument(metavar="[INVENTORY]", show_default=False,
                   help=f"Inventory directory (default: the current directory if it holds province.yaml, "
                        f"else ${INVENTORY_ENV})."),
]
# For commands whose positional arguments name something else (a run, a network): the same inventory,
# as an option (`-i`, as ansible-playbook spells it).
InventoryOpt = Annotated[
    Path | None,
    typer.Option("--inventory", "-i", metavar="DIR", show_default=False,
                 help=f"Inventory directory whose state to read (default: the current directory if it holds "
                      f"province.yaml, else ${INVENTORY_ENV})."),
]
JsonOpt = Annotated[bool, typer.Option("--json", callback=_json_mode,
                                       help="Print machine-readable JSON on stdout.")]
LimitOpt = Annotated[str | None, typer.Option("--limit", metavar="GLOBS",
                                              help="Only devices whose id matches these globs (comma-separated), "
                                                   "e.g. 'alpha-*'.")]
DeviceOpt = Annotated[list[str] | None, typer.Option("--device", "-d", metavar="DEVICE",
                                                     help="Only this device, by exact id (repeatable).")]
StackOpt = Annotated[list[str] | None, typer.Option("--stack", "-s", metavar="STACK",
                                                    help="Only this stack (platform id); repeat for several.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", metavar="WHEN",
                                             help="Judge as if it were this date or time (ISO 8601, e.g. 2026-11-25 "
                                                  "or 2026-12-01T09:00:00+08:00); default: now.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def detailed_exitcode_opt(when: str) -> Any:
    """``--detailed-exitcode``: exit with EXIT_CHANGES ``when`` (a clause: "any device would change")."""
    return typer.Option("--detailed-exitcode", help=f"Exit {EXIT_CHANGES} when {when}.")


def plan_or_inventory(plan_out: str, verb: str) -> Any:
    """The positional argument of a command that carries out a saved plan or plans afresh: a plan file written by
    ``plan_out`` (``verb`` exactly that plan), or the inventory directory."""
    return typer.Argument(
        metavar="[PLAN_FILE|INVENTORY]", show_default=False,
        help=f"A plan file from `{plan_out}` ({verb} exactly that plan), or the inventory directory "
             f"(default: the current directory if it holds province.yaml, else ${INVENTORY_ENV}).")
RowsOpt = Annotated[int, typer.Option("--rows", min=0, metavar="N", help="Show at most this many rows (0: all).")]


def deprecated(*names: str, use: str, metavar: str | None = None) -> Any:
    """A hidden, deprecated spelling of an option (kept for scripts); using it prints a warning."""

    def warn(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
        if value not in (None, [], (), False):
            err.print(f"warning: {'/'.join(names)} is deprecated; use {use}", highlight=False, markup=False)
        return value

    return typer.Option(*names, hidden=True, callback=warn, metavar=metavar)


def either(new: Any, old: Any, new_name: str, old_name: str) -> Any:
    """The value of an option given under its new or its deprecated spelling (not both)."""
    if old not in (None, [], ()) and new not in (None, [], ()):
        raise InputError(f"{new_name} and {old_name}: the same option twice; give {new_name} only")
    return new if new not in (None, [], ()) else old


def as_of_time(value: str | None, flag: str = "--as-of") -> datetime:
    """The moment to judge by: the option's date or time (UTC when no zone is given), else now."""
    if value is None:
        return datetime.now(timezone.utc)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{flag}: not an ISO 8601 date or time: '{value}' (e.g. 2026-11-25 or "
                         "2026-12-01T09:00:00+08:00)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- errors -> exit codes

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn the project's exceptions into a message on stderr and the exit code of the table."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GovctlError as exc:
            rule = exit_rule(exc)
            if isinstance(exc, ProblemsFound):
                print_problems(exc.problems)
                err.print(f"[{rule.style}]{escape(exc.summary())}[/]", highlight=False)
            elif not (rule.informational and is_quiet()):
                err.print(f"[{rule.style}]{rule.label}:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(rule.code) from None

    return wrapper  # type: ignore[return-value]


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        err.print(f"[{colour}]{escape(p.render())}[/]", highlight=False)


def escape(text: str) -> str:
    """Text printed through rich markup: a '[' in a value must not start a style."""
    return text.replace("[", "\\[")


# ---------------------------------------------------------------- inventory

def resolve_inventory(path: Path | None) -> tuple[Path, str]:
    """The inventory directory to use and how to show it.

    Given: that. Else the current directory if it holds province.yaml, else $GOVCTL_INVENTORY; never a
    copy inside the install directory. A defaulted choice is announced on stderr (not with --quiet/--json).
    """
    if path is not None:
        return path, str(path)
    here = Path.cwd()
    if (here / "province.yaml").is_file():
        info(f"using inventory {here} (the current directory)")
        return Path("."), "."
    env = os.environ.get(INVENTORY_ENV, "").strip()
    if env:
        chosen = Path(env).expanduser()
        if not (chosen / "province.yaml").is_file():
            raise InputError(f"${INVENTORY_ENV}={env}: not an inventory directory (no province.yaml there)")
        info(f"using inventory {env} (from ${INVENTORY_ENV})")
        return chosen, env
    raise InputError("no inventory given: name its directory (e.g. `govctl validate inventories/example`), run "
                     f"govctl inside it (a directory holding province.yaml), or set {INVENTORY_ENV}=DIR")




# ---------------------------------------------------------------- output

def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


class _Step:
    """Advances a progress bar by one item (or does nothing when there is no bar)."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar, self._task = bar, task

    def __call__(self, label: str | None = None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, **({"item": label} if label else {}))


def progress_enabled() -> bool:
    return not is_quiet() and err.is_terminal


@contextmanager
def progress(description: str, total: int | None) -> Iterator[_Step]:
    """A progress bar on stderr for long work (per device, per stack, ...): ``step(label)`` per item done.

    Off with --quiet or --json, and when stderr is not a terminal (CI logs, pipes).
    """
    if not progress_enabled():
        yield _Step()
        return
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn)

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("[dim]{task.fields[item]}"), console=err,
                  transient=True) as bar:
        yield _Step(bar, bar.add_task(description, total=total, item=""))
