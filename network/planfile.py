"""The network plan file: what `govctl net plan --out FILE` records and `govctl net push FILE` consumes.

Modelled on Terraform's ``internal/plans/planfile``: this module alone knows the format (write, read,
validate); the planning and the push live elsewhere (``network.planning``). A plan holds, per device,
the intended config that push loads, the scoped change it makes on the running config it was computed
from (and that change read backwards), and a SHA-256 digest of that running config; beside them a digest
of each inventory file, of govctl's code, and the options. The body has its own digest, so a damaged or
hand-edited file is refused. The file is also what an approval signs (the team-operation work).

Never in the file: a running config (it carries hashed secrets; only its digest is kept), credentials
(targets are not recorded; the inventory holds only references), and no secret a change line carries
(``redact``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from govctl.core import sealed
from govctl.core.errors import InputError
from govctl.source import inventory_digests as source_digests
from govctl.source import moved_files as source_moved

FORMAT = "govctl-net-plan"
VERSION = 1
# the packages whose code decides what a push loads and how: a plan made by other code is refused
CODE_PACKAGES = ("core", "source.py", "inventory", "ipv6", "network", "labs/routers")


class PlanFileError(InputError):
    """A file given as a plan is not one, is damaged or edited, or is of another format version."""


class PlanStale(InputError):
    """The world moved since the plan: a device's running config, the inventory, the lab, or govctl's code.
    ``moved`` names each device or file."""

    def __init__(self, message: str, moved: list[str]) -> None:
        super().__init__(message)
        self.moved = moved


@dataclass(frozen=True)
class DevicePlan:
    node: str
    platform: str
    running_sha256: str  # of the running config the change was computed from, as the driver read it
    intended: str  # what push loads as the replace candidate (rendered; no secrets: references only)
    change: str  # '-'/'+' lines of the scoped change, as `net diff` shows them ('' = unchanged)
    reversal: str  # the change read backwards (what a rollback gives back within govctl's scope)

    @property
    def changes(self) -> bool:
        return bool(self.change)


@dataclass(frozen=True)
class Plan:
    inventory: str  # the directory, resolved
    inventory_files: dict[str, str]  # file name -> sha256 of its bytes ("absent" for an optional one)
    code: str  # ``code_version()``
    options: dict[str, object]  # lab, limit, devices
    devices: list[DevicePlan]
    created: str = ""  # UTC, for display only: nothing compares it
    body_sha256: str = field(default="", compare=False)  # set by ``read``

    def device(self, node: str) -> DevicePlan:
        return next(d for d in self.devices if d.node == node)

    @property
    def changing(self) -> list[DevicePlan]:
        return [d for d in self.devices if d.changes]

    def body(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("body_sha256")
        return data


sha256 = sealed.sha256


def inventory_digests(directory: Path) -> dict[str, str]:
    return source_digests(directory)


def code_version() -> str:
    """govctl's version and a digest of the code a push runs (``CODE_PACKAGES``)."""
    return sealed.code_version(CODE_PACKAGES)


# a line that sets a secret: keep the command, replace what follows the keyword by its digest
_SECRET = re.compile(r"(?i)\b(password|secret|key-string|authentication-key|cipher|community|pre-shared-key)"
                     r"(\s+(?:\d\s+|simple\s+|irreversible-cipher\s+)?)(\S+)")


def redact(diff: str) -> str:
    """``diff`` with each secret a line sets replaced by ``<redacted sha256:...>``: a stale BGP peer with
    a password in the owned scope shows as a line to remove, never with its password."""
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}<redacted sha256:{sha256(m.group(3))[:12]}>", diff)


def reversal(change: str) -> str:
    """The change read backwards: last line first, added lines removed and removed lines added; other
    lines (a header comment, a context) as they are."""
    flip = {"+": "-", "-": "+"}
    return "".join(flip.get(line[:1], line[:1]) + line[1:] + "\n" for line in reversed(change.splitlines()))


def device_plan(node: str, platform: str, running: str, intended: str, diff: str) -> DevicePlan:
    change = redact(diff)
    return DevicePlan(node, platform, sha256(running), intended, change, reversal(change))


def write(path: Path, plan: Plan) -> str:
    """Write ``plan`` atomically (0600; a crash leaves no half file); returns its body digest."""
    return sealed.seal(Path(path), FORMAT, VERSION, plan.body())


def read(path: Path) -> Plan:
    """The plan in ``path``; ``PlanFileError`` naming the file when it is not a plan of this format
    version, or its body does not match its digest (damaged, or edited by hand)."""
    body, digest = sealed.unseal(Path(path), FORMAT, VERSION, "govctl network plan", "govctl net plan --out FILE",
                                 PlanFileError)
    try:
        devices = [DevicePlan(**d) for d in body["devices"]]
        return Plan(**{**body, "devices": devices, "body_sha256": digest})
    except (TypeError, KeyError) as exc:
        raise PlanFileError(f"{path}: a plan with an unexpected shape ({exc})") from None


def moved_files(plan: Plan, now: dict[str, str]) -> list[str]:
    """Inventory files whose bytes differ from the plan's (or appeared, or went)."""
    return source_moved(plan.inventory_files, now)


def summary_rows(devices: Iterable[DevicePlan]) -> list[tuple[str, int, int]]:
    """(device, lines added, lines removed) of each changing device."""
    rows = []
    for d in devices:
        if d.changes:
            lines = d.change.splitlines()
            added, removed = (sum(1 for x in lines if x.startswith(sign)) for sign in "+-")
            rows.append((d.node, added, removed))
    return rows
