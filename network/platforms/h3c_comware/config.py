"""H3C Comware's transaction as exact CLI sequences: checkpoint, commit (with its confirm timer), confirm,
rollback, and how their answers are read. Pure functions: the session (``driver.py``) only sends what these
return. The configuration tree and the remediation are the block dialect's, shared with VRP
(``network.platforms.blocks``).
"""
from __future__ import annotations

import math
import re

from govctl.network.platforms import blocks
from govctl.network.platforms.blocks import (Change, Mode, Node, canonical, commands, diff_text, drift, drift_text,
                                              parse, same_config)
from govctl.network.platforms.h3c_comware import PLATFORM

__all__ = ["Change", "Mode", "Node", "canonical", "commands", "diff_text", "drift", "drift_text", "parse",
           "remediation", "same_config", "checkpoint_name", "checkpoint_files", "save_checkpoint", "commit_sequence",
           "confirm_sequence", "rollback_sequence", "saved", "refused", "transcript", "SAVE_STARTUP",
           "SAVED_CONFIG", "CHECKPOINT_DIR"]


def remediation(running: str, intended: str, mode: Mode = "merge") -> list[Change]:
    """The block remediation within Comware's owned scope (``network.platforms.h3c_comware``)."""
    return blocks.remediation(running, intended, mode, PLATFORM)


# ---------------------------------------------------------------- the transaction, as CLI sequences

CHECKPOINT_DIR = "flash:/"


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", text)


def checkpoint_name(node: str, stamp: str) -> str:
    """Where the pre-commit running config is saved (one per commit, so a rollback is exact).
    ``stamp``: UTC YYYYmmddTHHMMSS, so names sort by time."""
    return f"{CHECKPOINT_DIR}govctl-{_file_safe(node)}-{stamp}.cfg"


def checkpoint_files(dir_output: str, node: str) -> list[str]:
    """This node's checkpoints in a ``dir flash:/`` listing, newest first (the stamp sorts)."""
    names = set(re.findall(rf"(?<![\w-])(govctl-{_file_safe(node)}-\d{{8}}T\d{{6}}\.cfg)\b", dir_output))
    return [CHECKPOINT_DIR + n for n in sorted(names, reverse=True)]


def save_checkpoint(name: str) -> list[str]:
    """User view. ``save <file>`` writes the running config to a file without touching the
    startup configuration; Comware asks for confirmation (answered by the session)."""
    return [f"save {name}"]


def commit_sequence(changes: list[Change], revert_in: int | None = None) -> list[str]:
    """System view. With ``revert_in`` (seconds), Comware V7's ``configuration commit delay``
    (minutes, 1..65535) rolls everything typed after it back unless ``configuration commit``
    follows in time: commit-confirm, rounded up to whole minutes."""
    head = [f"configuration commit delay {max(1, math.ceil(revert_in / 60))}"] if revert_in else []
    return head + commands(changes)


def confirm_sequence() -> list[str]:
    """System view: keep what was typed after ``configuration commit delay``."""
    return ["configuration commit"]


def rollback_sequence(name: str) -> list[str]:
    """System view. ``configuration replace file`` makes the running config equal to the file: it
    undoes what is not in it and applies what is missing (Comware's configuration rollback)."""
    return [f"configuration replace file {name}"]


# User view. ``save force`` writes the running config to the main next-startup configuration file
# without asking ("Saved the current configuration to mainboard device successfully."); the
# startup configuration is what ``display saved-configuration`` shows (that file's content).
SAVE_STARTUP = "save force"
SAVED_CONFIG = "display saved-configuration"


def saved(output: str) -> bool:
    """``save`` succeeded: Comware reports '... successfully.' for the main board (and each IRF
    member); a refused command or a failure line means it did not."""
    return (bool(re.search(r"successful", output, re.I)) and not refused(output)
            and not re.search(r"\bfail(ed|ure)?\b", output, re.I))


REFUSED = re.compile(r"^\s*% ?(Unrecognized command|Incomplete command|Wrong parameter|Too many parameters|"
                     r"Ambiguous command|Unknown command)[^\n]*", re.M)


def refused(output: str) -> list[str]:
    """The error lines Comware prints for a command it does not accept."""
    return [m.group(0).strip() for m in REFUSED.finditer(output)]


def transcript(changes: list[Change], checkpoint: str, revert_in: int | None = None) -> str:
    """Every line a govctl transaction types on the device, view by view, for review (the golden
    files hold these): checkpoint, commit, confirm (with ``revert_in``) and, should verification
    fail, the rollback."""
    parts = ["# checkpoint (user view; confirmations answered Y)", *save_checkpoint(checkpoint),
             "# commit (system view)", "system-view", *commit_sequence(changes, revert_in), "return"]
    if revert_in:
        parts += ["# confirm, once verified (system view)", "system-view", *confirm_sequence(), "return"]
    parts += ["# rollback, if verification fails (system view; running config then compared with the checkpoint)",
              "system-view", *rollback_sequence(checkpoint), "return"]
    return "\n".join(parts) + "\n"
