"""The runner's ``Executor`` on real devices: every step a driver transaction on the PEs it touches.

Per device step: load the step's rendered change as a merge candidate -> compare (the device
validates it) -> checkpoint the running config in the journal -> commit with a commit-confirm timer
where the platform has one -> a fresh login proves the device still answers -> confirm. A commit
that fails half-way is taken back on the spot (the driver's rollback to the config it saved at
commit time); the runner then undoes every begun step in reverse (the rendered reversal where the
driver's merge runs CLI negations, else a replace with the step's checkpoint) and restores each
device's saved config (a replace) if anything is left.

Probes run on devices too: each probe source (a department site, another department's VPN, the
public zone) is measured from a *probe point* named in the device overlay: a device and the
source address(es) it pings from, through the driver's ``ping`` getter. See ``load_overlay``.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from govctl.core.errors import InputError
from govctl.cutover.errors import CutoverFailed, DeviceAccessFailed
from govctl.cutover.journal import Journal
from govctl.cutover.models import CutoverPlan, Probe, Step
from govctl.network.drivers.base import DeviceDriver
from govctl.network.drivers.credentials import resolve
from govctl.network.errors import DeviceError
from govctl.network import platforms
from govctl.network.models import DeviceTarget
from govctl.network.platforms import Platform

TARGET_KEYS = {"host", "port", "platform", "username", "credentials", "known_hosts", "host_key"}
POINT_KEYS = {"device", "ipv4", "ipv6"}

Render = Callable[[Step, bool], list[tuple[str, str]]]  # (step, undo) -> [(device, config text)]


@dataclass(frozen=True)
class ProbePoint:
    """Where one probe source is measured from: a device and the addresses its pings leave from."""

    device: str
    ipv4: str | None = None
    ipv6: str | None = None


@dataclass(frozen=True)
class DeviceOverlay:
    """How this run reaches its devices, where it measures from, and what must not change."""

    path: Path
    targets: dict[str, DeviceTarget]
    probe_points: dict[str, ProbePoint]
    watch: tuple[str, ...] = ()
    probe_targets: dict[str, str] = field(default_factory=dict)  # prefix -> address to ping in it
    lab_rendering: str | None = None  # a cutover lab's network: push the lab's FRR variant (no kernel VRF)


def production_render(plan: CutoverPlan) -> Render:
    """A device step's change is its features' rendered configs; its undo, their reversals in reverse order."""
    def render(step: Step, undo: bool) -> list[tuple[str, str]]:
        if not step.node or step.manual:
            return []
        feats = list(reversed(step.features)) if undo else list(step.features)
        parts = [plan.change(step.node, f) for f in feats]
        return [(step.node, "".join(c.rollback if undo else c.apply for c in parts))]
    return render


# ---------------------------------------------------------------- the overlay file


def _where(path: Path, key: str) -> str:
    return f"{path}: {key}"


def load_overlay(path: Path, plan: CutoverPlan, inventory_targets: dict[str, DeviceTarget]) -> DeviceOverlay:
    """Read the device overlay (YAML) and check it against the plan. Bad input: ``InputError`` naming file and key.

    ``devices``: per device, any of host, port, platform, username, credentials (``env:VAR`` /
    ``file:PATH``), known_hosts, overriding the inventory's node (a device outside the inventory,
    e.g. a department CE used as a probe point, needs host, platform and credentials).
    ``probe_points``: probe source (``site:<name>``, ``other:<vpn>`` or ``other:`` for any, ``public``)
    -> {device, ipv4, ipv6}. ``watch``: devices whose configuration must not change.
    ``probe_targets``: prefix -> the address pinged in it (default: the prefix's first address).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--devices: cannot read {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise InputError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with devices, probe_points, watch")
    unknown = set(data) - {"devices", "probe_points", "watch", "probe_targets", "lab_rendering"}
    if unknown:
        raise InputError(_where(path, f"unknown key(s) {', '.join(sorted(unknown))}"))
    targets = {n: inventory_targets[n] for n in plan.touched_nodes if n in inventory_targets}
    missing_nodes = [n for n in plan.touched_nodes if n not in inventory_targets]
    devices = data.get("devices") or {}
    if not isinstance(devices, dict):
        raise InputError(_where(path, "devices: expected a mapping device -> {host, platform, credentials, ...}"))
    for name, fields in devices.items():
        key = f"devices.{name}"
        if not isinstance(fields, dict):
            raise InputError(_where(path, f"{key}: expected a mapping"))
        bad = set(fields) - TARGET_KEYS
        if bad:
            raise InputError(_where(path, f"{key}: unknown key(s) {', '.join(sorted(bad))} "
                                          f"(known: {', '.join(sorted(TARGET_KEYS))})"))
        base = targets.get(name) or inventory_targets.get(name)
        if base is None:
            need = {"host", "platform", "credentials"} - set(fields)
            if need:
                raise InputError(_where(path, f"{key}: not an inventory node, so it needs "
                                              f"{', '.join(sorted(need))}"))
            base = DeviceTarget(node=str(name), platform="", host="")
        upd: dict[str, Any] = {k: (int(v) if k == "port" else str(v)) for k, v in fields.items()}
        if "port" in upd and not 0 < upd["port"] < 65536:
            raise InputError(_where(path, f"{key}.port: not a TCP port ({fields['port']})"))
        targets[str(name)] = replace(base, **upd)
        if name in missing_nodes:
            missing_nodes.remove(name)
    if missing_nodes:
        raise InputError(_where(path, f"devices: no way to reach {', '.join(missing_nodes)} (not in the inventory "
                                      "and not in the overlay)"))
    points: dict[str, ProbePoint] = {}
    for src, fields in (data.get("probe_points") or {}).items():
        key = f"probe_points.{src}"
        if not isinstance(fields, dict) or "device" not in fields:
            raise InputError(_where(path, f"{key}: expected {{device, ipv4, ipv6}}"))
        bad = set(fields) - POINT_KEYS
        if bad:
            raise InputError(_where(path, f"{key}: unknown key(s) {', '.join(sorted(bad))}"))
        for fam, version in (("ipv4", 4), ("ipv6", 6)):
            if fields.get(fam) is not None:
                try:
                    if ipaddress.ip_address(str(fields[fam])).version != version:
                        raise ValueError
                except ValueError:
                    raise InputError(_where(path, f"{key}.{fam}: not an IPv{version} address "
                                                  f"({fields[fam]})")) from None
        if str(fields["device"]) not in targets:
            raise InputError(_where(path, f"{key}.device: '{fields['device']}' is not a device of the overlay "
                                          "or a PE of this cutover"))
        points[str(src)] = ProbePoint(str(fields["device"]), fields.get("ipv4") and str(fields["ipv4"]),
                                      fields.get("ipv6") and str(fields["ipv6"]))
    watch = tuple(str(w) for w in (data.get("watch") or []))
    for w in watch:
        if w not in targets:
            raise InputError(_where(path, f"watch: '{w}' is not a device of the overlay"))
    overlay = DeviceOverlay(path, targets, points, watch, {str(k): str(v) for k, v in
                                                         (data.get("probe_targets") or {}).items()},
                            data.get("lab_rendering"))
    lacking = sorted({p.source for p in (*plan.baseline, *plan.postchecks) if _point(overlay, p.source) is None})
    if lacking:
        raise InputError(_where(path, f"probe_points: no probe point for {', '.join(lacking)} (the baseline and the "
                                      "post-checks are measured from there)"))
    for name, t in targets.items():
        if platforms.get(t.platform) is None and name in plan.touched_nodes:
            raise InputError(_where(path, f"devices.{name}: platform '{t.platform}' has no config driver "
                                          f"({', '.join(platforms.names())} have)"))
    return overlay


def _platform(target: DeviceTarget) -> Platform:
    """The target's platform record (``load_overlay`` refused a touched device of an unknown platform)."""
    found = platforms.get(target.platform)
    if found is None:
        raise CutoverFailed(f"{target.node}: platform '{target.platform}' has no config driver")
    return found


def _point(overlay: DeviceOverlay, source: str) -> ProbePoint | None:
    if source in overlay.probe_points:
        return overlay.probe_points[source]
    if source.startswith("other:"):
        return overlay.probe_points.get("other:")
    return None


# ---------------------------------------------------------------- the executor


class DeviceExecutor:
    """Cutover steps on the real devices through ``network.drivers`` (one cached session per device)."""

    carries_out_manual_steps = False  # a carrier's circuit move is confirmed by a person (runner: Options.confirm)
    CONVERGE = 30.0  # seconds a must-reach probe keeps trying after the last commit

    def __init__(self, plan: CutoverPlan, overlay: DeviceOverlay, *, render: Render | None = None,
                 driver_for: Callable[[DeviceTarget], DeviceDriver] | None = None, revert_in: int = 300,
                 observe_seconds: float | None = None) -> None:
        from govctl.network.drivers.registry import driver_for as registry_driver_for

        self.plan, self.overlay = plan, overlay
        self.render = render or production_render(plan)
        self._driver_for = driver_for or registry_driver_for
        self.revert_in = revert_in
        self.observe_seconds = observe_seconds
        self.settled_at = 0.0
        self.journal: Journal | None = None  # where step checkpoints go (``attach``)
        self._sessions: dict[str, DeviceDriver] = {}
        self._locks: dict[str, threading.Lock] = {n: threading.Lock() for n in overlay.targets}

    def attach(self, journal: Journal) -> DeviceExecutor:
        """The run's journal: each device's config is checkpointed there before every step changes it."""
        self.journal = journal
        return self

    # -- sessions
    def preflight(self) -> None:
        """Resolve every credentials reference now (``CredentialsMissing``, exit 2) before any journal or login."""
        for name in sorted(self._reached()):
            t = self.overlay.targets[name]
            resolve(t.credentials, t.username, name)

    def _reached(self) -> set[str]:
        return set(self.devices()) | {p.device for p in self.overlay.probe_points.values()} | set(self.overlay.watch)

    @contextmanager
    def _session(self, name: str) -> Iterator[DeviceDriver]:
        with self._locks[name]:
            drv = self._sessions.get(name)
            if drv is None:
                drv = self._driver_for(self.overlay.targets[name])
                drv.open()
                self._sessions[name] = drv
            try:
                yield drv
            except DeviceError:
                # the session may be gone with the error: the next use logs in again
                drv.close()
                self._sessions.pop(name, None)
                raise

    def close(self) -> None:
        for drv in self._sessions.values():
            drv.close()
        self._sessions.clear()

    # -- the Executor contract
    def devices(self) -> list[str]:
        return list(self.plan.touched_nodes)

    def check_access(self) -> None:
        """Log in to every device the run will use (changed, probed from, watched); all problems at once."""
        names = sorted(self._reached())

        def one(name: str) -> str | None:
            drv = self._driver_for(self.overlay.targets[name])
            try:
                drv.open()
                drv.get_facts()
                return None
            except DeviceError as exc:
                return str(exc)
            finally:
                drv.close()

        with ThreadPoolExecutor(max_workers=8) as pool:
            problems = [p for p in pool.map(one, names) if p]
        if problems:
            raise DeviceAccessFailed("devices not usable, nothing was changed: " + "; ".join(problems))

    def running(self, device: str) -> str:
        try:
            with self._session(device) as drv:
                return drv.get_config()
        except DeviceError as exc:
            raise CutoverFailed(str(exc)) from None

    def do(self, step: Step, undo: bool) -> None:
        if step.manual:
            # a person just moved a circuit (confirmed by the runner): routing converges from now, not from our
            # last commit, which a resumed run may have made long ago (or in another process)
            self.settled_at = time.monotonic() + self.CONVERGE
        label = f"govctl cutover {self.plan.network} {'undo ' if undo else ''}{step.id}"
        for device, text in self.render(step, undo):
            if undo and not _platform(self.overlay.targets[device]).merge_runs_negations:
                before = self.journal.checkpoint(device, step.id) if self.journal else None
                if before is None:
                    continue  # the step never committed anything on this device
                self._replace(device, before, f"undo {step.id}")
            else:
                self._transaction(device, text, label, step=step.id, undo=undo)

    def _intent(self, device: str, step: str | None, kind: str, checkpoint: str, target: str) -> Any:
        return self.journal.intent(device, step, kind, checkpoint, target) if self.journal is not None else None

    def _settle(self, intent: Any, state: str, **detail: Any) -> None:
        if intent is not None and self.journal is not None:
            self.journal.settle(intent, state, **detail)

    def _transaction(self, device: str, text: str, label: str, *, step: str, undo: bool = False) -> None:
        t = self.overlay.targets[device]
        try:
            with self._session(device) as drv:
                drv.load_merge_candidate(text)
                if not drv.compare_config().strip():
                    drv.discard_config()  # already there (a resumed step): nothing to commit
                    return
                before = drv.get_config()
                if not undo and self.journal is not None:
                    # the undo of this step where the driver cannot merge a negation
                    self.journal.save_checkpoint(device, step, before)
                # write-ahead, fsync'd before anything is sent: a crash from here on leaves a device that
                # recovery reads and decides on (checkpoint, the change, or neither)
                intent = self._intent(device, f"undo {step}" if undo else step, "merge", before, text)
                try:
                    drv.commit_config(label, revert_in=self.revert_in if _platform(t).commit_confirm else None)
                except DeviceError as exc:
                    # a commit can stop half-way (FRR applies line by line): take it back before anything else
                    try:
                        drv.rollback()
                    except DeviceError as again:
                        # no outcome: the device is unknown, so the rollback's recovery reads it
                        raise CutoverFailed(f"{exc}; taking the partial commit back failed too: {again}") from None
                    self._settle(intent, "checkpoint", error=str(exc))
                    raise CutoverFailed(f"{exc} (the partial commit was taken back)") from None
                self.settled_at = time.monotonic() + self.CONVERGE
                if drv.has_pending_commit():
                    self._still_manageable(device)
                    drv.confirm_commit()
                self._settle(intent, "applied")
        except DeviceError as exc:
            raise CutoverFailed(str(exc)) from None

    def _still_manageable(self, device: str) -> None:
        """A fresh login after the commit: a change that cut management off is not confirmed (the device
        then restores its previous config when the commit-confirm timer runs out)."""
        drv = self._driver_for(self.overlay.targets[device])
        try:
            drv.open()
            drv.get_facts()
        except DeviceError as exc:
            raise CutoverFailed(f"{device}: not manageable after the commit, left unconfirmed (it reverts within "
                                f"{self.revert_in} s): {exc.message}") from None
        finally:
            drv.close()

    def restore(self, device: str, saved: str) -> str:
        """Back to the saved config exactly (no revert timer: this is the way back)."""
        return self._replace(device, saved, "restore")

    def _replace(self, device: str, config: str, why: str = "restore") -> str:
        """The driver's own exact way back where it has one (``restore``: FRR replaces and checks the result,
        huawei_vrp / h3c_comware roll back to the checkpoint file holding ``config``, ios uses configure
        replace), else a replace candidate. Announced in the journal like a commit (kind 'restore')."""
        try:
            with self._session(device) as drv:
                before = drv.get_config()
                if before == config:
                    return "already the config"
                intent = self._intent(device, why, "restore", before, config)
                drv.restore(config)
                self.settled_at = time.monotonic() + self.CONVERGE
                self._settle(intent, "applied")
                return "restored by the driver"
        except DeviceError as exc:
            raise CutoverFailed(str(exc)) from None

    def recover(self, intent: Any) -> str:
        """Settle a commit the journal announced but never saw end (the process died in between): read the
        device and decide. Its checkpoint -> nothing was applied; the change fully there (a merge the driver
        finds nothing left to commit of, or a restore's whole config) -> applied; neither -> a merge is taken
        back to its checkpoint (a resume then redoes the step, a rollback undoes from there), a restore is
        finished. A commit-confirm timer the dead process left armed is stopped first, so the device cannot
        change by itself after this. Returns what was found; ``CutoverFailed`` if the device cannot be read."""
        assert self.journal is not None
        device, kind = str(intent.detail["device"]), intent.detail.get("kind", "merge")
        checkpoint, target = self.journal.intent_texts(intent)
        try:
            with self._session(device) as drv:
                if _platform(self.overlay.targets[device]).commit_confirm:
                    try:
                        drv.confirm_commit()
                    except DeviceError:
                        pass  # nothing pending (the timer ran out, or the commit never arrived)
                running = drv.get_config()
                if running == checkpoint:
                    found = "checkpoint"
                elif kind == "restore":
                    found = "applied" if running == target else "neither"
                else:
                    drv.load_merge_candidate(target)
                    found = "neither" if drv.compare_config().strip() else "applied"
                    drv.discard_config()
        except DeviceError as exc:
            raise CutoverFailed(str(exc)) from None
        if found == "neither":
            back = target if kind == "restore" else checkpoint
            self._replace(device, back, f"recover {intent.step}")
            state = "applied" if kind == "restore" else "checkpoint"
            detail = ("held neither its checkpoint nor the whole change: "
                      + ("the restore was finished" if kind == "restore" else "restored to the checkpoint"))
        else:
            state = found
            detail = "holds the change: it was applied" if found == "applied" else \
                "holds its checkpoint: nothing was applied"
        self.journal.settle(intent, state, recovered=True, found=found, detail_text=f"{device} {detail}")
        return f"{device} {detail}"

    def drift(self, device: str, config: str) -> str:
        """How the device's running config differs from ``config``, read in a fresh login (not this run's
        sessions or anything remembered): '-' lines it lacks, '+' lines it has beyond it; '' when the text
        is exactly the same and the startup config holds it too (saved here when only it lags)."""
        drv = self._driver_for(self.overlay.targets[device])
        try:
            drv.open()
            left = line_drift(config, drv.get_config())
            if left:
                return left
            # running is right; a reboot must not bring the change back: the startup config too
            if drv.startup_drift(config):
                drv.save_config()
                lag = drv.startup_drift(config)
                if lag:
                    return "".join(f"startup {line}\n" for line in lag.splitlines())
            return ""
        except DeviceError as exc:
            raise CutoverFailed(str(exc)) from None
        finally:
            drv.close()

    def probe(self, probe: Probe) -> tuple[bool, str]:
        point = _point(self.overlay, probe.source)
        if point is None:  # load_overlay refuses this; kept for a hand-built overlay
            return False, f"no probe point for {probe.source}"
        net = ipaddress.ip_network(probe.target_prefix)
        src = point.ipv6 if net.version == 6 else point.ipv4
        if not src:
            return False, f"probe point {point.device} has no IPv{net.version} source address"
        # a host prefix (the PE end of a new circuit) is pinged itself; a network, at its first address
        dst = self.overlay.probe_targets.get(probe.target_prefix) or \
            str(net.network_address + (0 if net.num_addresses == 1 else 1))

        def ping() -> bool:
            with self._session(point.device) as drv:
                return bool(drv.ping(src, [dst]).get(dst))

        where = f"from {point.device} ({src}) to {dst}"
        try:
            return self._probe(probe, ping, where)
        except DeviceError as exc:
            # a probe point that cannot be asked is a failed check (data), not a crashed run
            return False, f"cannot probe {where}: {exc}"

    def _probe(self, probe: Probe, ping: Callable[[], bool], where: str) -> tuple[bool, str]:
        if probe.expect:
            t0 = time.monotonic()
            deadline = max(t0 + 3.0, self.settled_at)
            while True:
                if ping():
                    return True, f"reached {where}"
                if time.monotonic() > deadline:
                    return False, f"no reply {where} within {time.monotonic() - t0:.0f}s"
                time.sleep(0.5)
        reached = ping() or ping()
        return (not reached), (f"reached {where} (isolation broken)" if reached else f"no reply {where}, as required")

    def isolation(self) -> list[tuple[str, bool, str]]:
        # the must-not-reach probes are the isolation evidence on devices: no driver reads a VPN's table
        return []

    def converged(self) -> list[tuple[str, bool, str]]:
        # no driver reads a VPN's sessions or table (the getters see the global one): on devices the new path is
        # proven by the plan's readiness probes, from each site to its PE over the new circuit, alone
        return []

    def others(self) -> dict[str, str]:
        return {f"config:{d}": self.running(d) for d in self.overlay.watch}

    def observe(self, minutes: int) -> None:
        time.sleep(minutes * 60 if self.observe_seconds is None else self.observe_seconds)


def line_drift(expected: str, running: str) -> str:
    """'-' lines of ``expected`` the running config lacks, '+' lines it has beyond it (difflib, in order);
    '' when the texts are identical."""
    import difflib

    if expected == running:
        return ""
    lines = [ln for ln in difflib.ndiff(expected.splitlines(), running.splitlines()) if ln[:1] in "-+"]
    # text that differs only in trailing newlines or order still differs: say so rather than print nothing
    return "\n".join(lines) + "\n" if lines else "(same lines, different text: order or line endings)\n"


def overlay_summary(overlay: DeviceOverlay) -> dict[str, Any]:
    """What the journal records about the overlay: where it is and which devices, never a secret."""
    return {"devices": str(overlay.path.resolve()), "targets": {n: f"{t.platform} {t.host}:{t.port}"
                                                      for n, t in sorted(overlay.targets.items())}}


def device_executor(plan: CutoverPlan, loaded: Any, devices: Path,
                    observe_seconds: float | None = None) -> DeviceExecutor:
    """The production executor for ``govctl cutover`` and the playbook's module alike: the overlay checked and
    credentials resolved (exit 2 on bad input), then every device logged in to, all before any change."""
    from govctl.network.workflow import production_targets
    from govctl.source import plan_ipv6

    overlay = load_overlay(devices, plan, production_targets(loaded.inventory, plan_ipv6(loaded)))
    render = None
    if overlay.lab_rendering is not None:
        from govctl.cutover.lab import Lab, lab_render

        lab = Lab.attach(str(overlay.lab_rendering))
        if lab is None:
            raise InputError(f"{devices}: lab_rendering: no cutover lab is up for '{overlay.lab_rendering}'")
        render = lab_render(lab.st, plan)
    ex = DeviceExecutor(plan, overlay, render=render, observe_seconds=observe_seconds)
    ex.preflight()
    return ex
