"""Glue for the commands: inventory -> plan -> intent -> configs and targets, for production or the lab.

The lab is an *overlay*: the same inventory and plan, restricted to the routers the lab runs,
rendered for FRR, with lab-only IPv4 on links (today's network), fast OSPF timers, and targets
that point at the lab's management bridge with the lab's own key and known_hosts.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

from govctl.inventory import models as m
from govctl.inventory.validate import load_valid
from govctl.ipv6.models import Ipv6Plan
from govctl.ipv6.planner import plan as ipv6_plan
from govctl.network.errors import LabError, UnknownDevice
from govctl.network.intent import IntentOptions, build
from govctl.network.models import DeviceIntent, DeviceTarget, LabState
from govctl.network.render import render


@dataclass
class Context:
    inventory: m.Inventory
    directory: Path
    plan: Ipv6Plan
    intents: dict[str, DeviceIntent]
    targets: dict[str, DeviceTarget]
    platform: str | None  # render override ("frr" in the lab)
    lab: LabState | None = None

    def configs(self) -> dict[str, str]:
        return {n: render(i, self.platform).text for n, i in self.intents.items()}

    def select(self, limit: str | None) -> list[str]:
        """Node ids matching a glob (comma-separated globs allowed), in inventory order."""
        if not limit:
            return list(self.intents)
        pats = [p.strip() for p in limit.split(",") if p.strip()]
        picked = [n for n in self.intents if any(fnmatch.fnmatch(n, p) for p in pats)]
        if not picked:
            raise UnknownDevice(f"--limit {limit!r} matches no device of this "
                                f"{'lab' if self.lab else 'inventory'}")
        return picked


def lab_options(state: LabState, stage: str = "dual-stack") -> IntentOptions:
    return IntentOptions(ospf_hello=state.ospf_hello, ospf_dead=state.ospf_dead, stage=stage, bgp_connect_retry=2,
                         bgp_timers=(3, 9),
                         extra_ipv4_links=state.ipv4_links, extra_ipv4_loopbacks=state.ipv4_loopbacks,
                         ipv4_unnumbered=state.ipv4_unnumbered)


def production_targets(inv: m.Inventory, plan: Ipv6Plan) -> dict[str, DeviceTarget]:
    user = os.environ.get("GOVCTL_USERNAME", "govctl")
    out = {}
    for n in inv.nodes:
        host = n.mgmt or str(plan.management(n.id))
        out[n.id] = DeviceTarget(node=n.id, platform=n.platform.value, host=host, username=user,
                                 credentials=n.credentials, tier=n.tier.value, role=n.role.value)
    return out


def load(directory: Path, shown: str | None = None, lab: bool = False) -> Context:
    loaded = load_valid(directory, shown)
    inv = loaded.inventory
    plan = ipv6_plan(inv)
    if not lab:
        return Context(inv, Path(directory), plan, build(inv, plan), production_targets(inv, plan), None)
    from govctl.labs.routers import runner

    state = runner.load_state(inv.name)
    keep = {n.node for n in state.nodes}
    gone = keep - {n.id for n in inv.nodes}
    if gone:
        raise LabError(f"the lab was built from an older inventory ({', '.join(sorted(gone))} no longer "
                       "exist): `govctl lab down` and `govctl lab up` again")
    sub = inv.model_copy(update={
        "nodes": [n for n in inv.nodes if n.id in keep],
        "links": [k for k in inv.links if k.a in keep and k.b in keep],
        "egress": [e for e in inv.egress if e.node in keep],
    })
    intents = build(sub, plan, lab_options(state))
    targets = runner.targets(state)
    for n in sub.nodes:
        t = targets[n.id]
        targets[n.id] = DeviceTarget(**{**t.__dict__, "tier": n.tier.value, "role": n.role.value})
    return Context(sub, Path(directory), plan, intents, targets, "frr", state)


@dataclass
class Slim:
    """What a per-device worker (the Ansible module) needs, cheap to load many times."""

    intents: dict[str, DeviceIntent]
    targets: dict[str, DeviceTarget]
    configs: dict[str, str]
    platform: str | None


def load_slim(directory: Path, lab: bool, cache_dir: Path) -> Slim:
    """``load`` once per run (``cache_dir`` is the run's journal directory); every later call (one per
    device and step in an Ansible play) reads the pickled result instead of re-validating a
    1,700-node inventory."""
    import fcntl
    import hashlib
    import pickle

    # one run pushes one version of the inventory: the first call of the run decides, so an edit
    # made while a play is running cannot make its push and verify steps disagree
    stamp = [str(Path(directory).resolve()), str(lab)]
    key = hashlib.sha256("|".join(stamp).encode()).hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"context-{key}.pickle"
    with open(cache_dir / "context.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())  # noqa: S301 - written by us, 0600, in our state dir
        ctx = load(directory, lab=lab)
        slim = Slim(ctx.intents, ctx.targets, ctx.configs(), ctx.platform)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pickle.dumps(slim))
        os.replace(tmp, path)
        return slim
