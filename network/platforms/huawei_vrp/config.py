"""Huawei VRP exact rollback: the checkpoint file, the CLI sequences and how their answers are read.

napalm-huawei-vrp 1.2 keeps its backup file name only in the driver object (so a later session,
``govctl net rollback RUN_ID``, cannot find it) and names it by the minute. govctl therefore keeps
its own checkpoint, with VRP's own facilities (user view):

- checkpoint: ``save govctl-<node>-<UTC stamp>.cfg`` writes the running configuration to a file
  (the startup configuration is not touched) before napalm's commit;
- rollback: ``rollback configuration to file <checkpoint>`` makes the running configuration equal to
  the file: VRP works out and applies the difference, removing what the rollout added (a merge of the
  saved config could not). Documented for VRP V8 (NetEngine, CloudEngine, in two-stage commit mode,
  the rollback commits itself); a release without it refuses the command and the rollback fails;
- proof: the running configuration must then equal the checkpoint (``same_config``), or the rollback
  fails loudly; only then ``save`` writes it as the startup configuration again (napalm's commit had
  saved the rolled-out config there);
- startup configuration (crash recovery): ``save`` persists the running config (its question
  answered y), ``display saved-configuration`` shows what a reboot brings back; both configs are
  compared with ``same_config`` and their difference shown with ``drift``.
Pure functions: the adapter only sends what these return and reads its answers with them.
"""
from __future__ import annotations

import hashlib
import re

from govctl.network.platforms import blocks

# VRP's `rollback configuration to file` takes 5..64 characters, *.cfg/*.zip/*.dat
MAX_NAME = 64


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", text)


def checkpoint_name(node: str, stamp: str) -> str:
    """``govctl-<node>-<stamp>.cfg`` in the device's default file system; ``stamp``: UTC
    YYYYmmddTHHMMSS, so names sort by time. A node name too long for VRP's 64 characters is cut and
    keeps a hash of the whole name, so two long names never share checkpoints."""
    safe = _file_safe(node)
    room = MAX_NAME - len(f"govctl--{stamp}.cfg")
    if len(safe) > room:
        safe = safe[:room - 7] + "-" + hashlib.sha256(node.encode()).hexdigest()[:6]
    return f"govctl-{safe}-{stamp}.cfg"


def checkpoint_files(dir_output: str, node: str) -> list[str]:
    """This node's checkpoints in a ``dir`` listing, newest first (the stamp sorts)."""
    sample = "00000000T000000"  # the stamp's length decides how much of a long node name is kept
    prefix = re.escape(checkpoint_name(node, sample)[:-len(f"{sample}.cfg")])
    names = set(re.findall(rf"(?<![\w-])({prefix}\d{{8}}T\d{{6}}\.cfg)\b", dir_output))
    return sorted(names, reverse=True)


LIST_FILES = "dir"


def show_file(name: str) -> str:
    return f"more {name}"


def save_checkpoint(name: str) -> str:
    return f"save {name}"


def rollback_command(name: str) -> str:
    return f"rollback configuration to file {name}"


SAVE_STARTUP = "save"  # asks "Are you sure to continue?[Y/N]" (V5) / "Continue? [Y/N]:" (V8): y
SAVED_CONFIG = "display saved-configuration"  # the startup configuration file's content


# what ends the device's answer: the user-view prompt or a question
EXPECT = r"(<[^<>\n]+>|\[Y/N\]:?|\(y/n\)(\[[yn]\])?:?)\s*$"


def prompt_answer(output: str) -> str | None:
    """The answer to the confirmation VRP ends ``output`` with, if any: V8 asks ``[Y/N]:``, V5
    ``(y/n)[n]:``. Every question these commands ask (save to the file? continue the rollback?
    clear the rollback information?) is answered yes, except overwriting an existing file: checkpoint
    names are unique, so that question means something else owns the name."""
    tail = output.rstrip().splitlines()[-1] if output.strip() else ""
    if not re.search(r"(\[Y/N\]|\(y/n\)(\[[yn]\])?):?\s*$", tail, re.I):
        return None
    return "n" if re.search(r"overwrit|exists", tail, re.I) else "y"


ERROR = re.compile(r"^\s*Error:[^\n]*", re.M)


def refused(output: str) -> list[str]:
    """The ``Error: ...`` lines VRP prints for a command it does not accept or cannot carry out."""
    return [m.group(0).strip() for m in ERROR.finditer(output)]


def saved(output: str) -> bool:
    """``save`` succeeded ('Info: Save the configuration successfully.' on V8, 'Configuration file
    had been saved successfully' on V5)."""
    return bool(re.search(r"successfully", output, re.I)) and not refused(output)


def rolled_back(output: str) -> bool:
    """``rollback configuration`` succeeded ('Configuration rollback succeeded.')."""
    return bool(re.search(r"rollback (succeeded|finished)", output, re.I)) and not refused(output)


def _body(text: str) -> str:
    # "!Software Version ...", "!Last configuration was updated/saved at ..." head both the running
    # config and the saved file and change with every commit: comments, not configuration
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("!"))


def same_config(a: str, b: str) -> bool:
    """Equal as VRP configurations: views, commands and address spelling; comments, blank lines and
    '#' separators aside."""
    return blocks.same_config(_body(a), _body(b))


def drift(expected: str, actual: str) -> str:
    """How ``actual`` differs from ``expected`` as a VRP configuration ('-'/'+' lines under their
    views, see ``blocks.drift_text``); '' exactly when ``same_config``."""
    return blocks.drift(_body(expected), _body(actual))
