"""govctl: the command line. Creates the root app and mounts each domain's Typer app; nothing else.

The shared plumbing (consoles, options, inventory loading, JSON output, the one table turning
exceptions into exit codes) is in ``core/clikit.py``; each domain's commands are in its ``commands.py``.

Exit codes: 0 success; 1 a runtime failure (device, cloud, filesystem); 2 invalid input or usage
(inventory, CSV, flags); 3 changes present (with --detailed-exitcode); 4 policy violations.
"""
from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer

from govctl.core import clikit
# kept importable from here for scripts and tests written against earlier versions
from govctl.core.clikit import EXIT_CHANGES, EXIT_FAILURE, EXIT_INPUT, EXIT_OK, EXIT_POLICY  # noqa: F401
from govctl.inventory import commands as inventory_commands
from govctl.ipv6 import commands as ipv6_commands
from govctl.migration import commands as migration_commands
from govctl.ci import commands as ci_commands
from govctl.network import commands as network_commands
from govctl.cutover import commands as cutover_commands
from govctl.report import commands as report_commands
from govctl.stacks import commands as stacks_commands
from govctl.audit import commands as livecloud_commands
from govctl.labs.cloud.lab import cloud_app

app = typer.Typer(name="govctl", no_args_is_help=True, add_completion=True,
                  # help renders literally: `<inventory>` stays, no markup to escape, no per-flag `<bool>`
                  rich_markup_mode=None,
                  help="Infrastructure as code for a provincial e-government cloud and extranet.\n\n"
                       "Exit codes: 0 ok, 1 runtime failure, 2 invalid input or usage, 3 changes present "
                       "(--detailed-exitcode), 4 policy violations.\n\n"
                       "Example: `govctl validate inventories/example && govctl plan inventories/example`")

# ---------------------------------------------------------------- the mounts: one line per domain
app.add_typer(inventory_commands.app)                      # validate, rules, init, schema
app.add_typer(ipv6_commands.app, name="ipv6")
app.add_typer(stacks_commands.app)                         # plan, apply, stacks
app.add_typer(livecloud_commands.app)                      # audit
app.add_typer(network_commands.net_app, name="net")
app.add_typer(network_commands.lab_app, name="lab")
network_commands.lab_app.add_typer(cloud_app, name="cloud")  # govctl lab cloud ...
app.add_typer(cutover_commands.cutover_app, name="cutover")
app.add_typer(migration_commands.migrate_app, name="migrate")
app.add_typer(report_commands.app)                         # report
app.add_typer(ci_commands.app, name="ci")                   # ci comment, ci template


@app.callback()
def root(
    ctx: typer.Context,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="More detail on stderr: -v info and library warnings, -vv debug.",
                                         show_default=False)] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only results, warnings and errors: no informational "
                                                              "lines, no progress bars.")] = False,
    state_dir: Annotated[Path | None, typer.Option("--state-dir", metavar="DIR", show_default=False,
                                                   help="govctl's state directory (runs, journals, locks, stack "
                                                        "state) for every inventory; default: <inventory>/.govctl, "
                                                        "or $GOVCTL_STATE_DIR.")] = None,
    version: Annotated[bool, typer.Option("--version", callback=clikit.print_version, is_eager=True,
                                          help="Print govctl's version and exit.")] = False,
) -> None:
    """Infrastructure as code for a provincial e-government cloud and extranet."""
    from govctl.core import statedir

    clikit.set_verbosity(ctx, quiet, verbose)
    statedir.set_override(state_dir)  # set (or cleared) for this invocation
    _logging(verbose)


def _logging(verbose: int) -> None:
    """-v: info and every library's warnings on stderr; -vv: debug. Default: warnings of govctl only."""
    if verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
        logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger().setLevel(level)
        for name in ("paramiko", "netmiko"):
            logging.getLogger(name).propagate = True
        logging.captureWarnings(True)
        warnings.simplefilter("default")
    else:
        warnings.filterwarnings("ignore", module=r"(?!govctl)")


def _quiet_library_threads() -> None:
    """paramiko's transport thread logs a lost or refused connection as a traceback through its
    logger (printed by Python's last-resort handler) besides the device's one-line DeviceError;
    a library thread dying of an exception would print another. Neither reaches the terminal
    (unless -v lets the libraries' log through)."""
    import threading

    for name in ("paramiko", "netmiko"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False

    def one_line(args: threading.ExceptHookArgs) -> None:
        first = (str(args.exc_value).strip().splitlines() or [""])[0]
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(f"govctl: thread {name}: {args.exc_type.__name__}{': ' + first if first else ''}\n")

    threading.excepthook = one_line


def main() -> None:
    _quiet_library_threads()
    app()


if __name__ == "__main__":
    main()
