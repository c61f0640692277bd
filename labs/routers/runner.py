"""Build, inspect and remove the router lab: FRR in network namespaces, SSH on a management bridge.

Everything created is recorded in the lab's state file *before* it is created, so ``down``
removes exactly that (also after a failed ``up``) and nothing else: processes are stopped by
the pids in their own pid files, and only if the process still belongs to this lab.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from govctl.inventory import models as m
from govctl.ipv6.models import Ipv6Plan
from govctl.labs import core
from govctl.labs.routers.baseline import EDGE_PORT, edge_prefixes as plan_edges
from govctl.labs.routers.topology import LabTopology, build_topology
from govctl.network.errors import LabError, LabNotRunning
from govctl.network.models import DeviceTarget, LabNode, LabState

DAEMONS = ("zebra", "staticd", "ospfd", "ospf6d", "bgpd")  # ospfd: the IPv4 baseline
LAB_USER = "root"  # key-only, ForceCommand to the router's vtysh, reachable only on the lab bridge
LOCAL_USER = "netops"  # the router's own local user (vtysh.conf), as production routers carry one
EDGES_FILE = "edges.json"  # edge router -> its departments' prefixes (what the probes dial)
IGMP_MEMBERSHIPS = 1024  # per socket: well above any lab router's interface count


def state_root() -> Path:
    """Host-wide, not per inventory (namespaces and bridges are the host's): ``govctl.core.statedir.lab_dir``."""
    from govctl.core import statedir

    return statedir.lab_dir()


def state_path(name: str) -> Path:
    return state_root() / name / "state.json"


def preflight() -> None:
    """Fail early, saying what to install, when the lab cannot run here."""
    core.preflight(DAEMONS, sshd=True)


def load_state(name: str) -> LabState:
    path = state_path(name)
    if not path.exists():
        raise LabNotRunning(f"no lab is up for inventory '{name}' (looked for {path}); run `govctl lab up` first")
    return LabState.from_dict(json.loads(path.read_text()))


def edge_prefixes(state: LabState) -> dict[str, str]:
    """Edge router -> its departments' IPv4 prefix on ``dept0`` ({} for a lab built before edges existed)."""
    path = Path(state.directory) / EDGES_FILE
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text())["ipv4"])


def _save(state: LabState) -> None:
    path = state_path(state.name)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state.as_dict(), indent=1))
    os.replace(tmp, path)


def _parallel(fn: Callable[[LabNode], None], nodes: Iterable[LabNode], workers: int = 8) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(fn, nodes):
            pass


def up(inv: m.Inventory, plan: Ipv6Plan, baseline: dict[str, str], inventory_dir: Path,
       max_nodes: int | None = None, ospf_hello: int = 1, ospf_dead: int = 4,
       on_node: Callable[[str], None] | None = None) -> LabState:
    """Build the lab; ``baseline`` maps node -> its starting FRR config (today's IPv4-only network).

    ``on_node(name)`` is called as each router has started (a progress bar)."""
    preflight()
    topo = build_topology(inv, plan, max_nodes)
    if state_path(topo.name).exists():
        raise LabError(f"a lab for '{topo.name}' is already up ({state_path(topo.name)}); "
                       "`govctl lab down` it first")
    _clear_remains(topo)
    on_link = core.run(["ip", "-6", "route", "show", topo.prefix], check=False).strip()
    if on_link:
        raise LabError(f"the lab's management prefix {topo.prefix} is already on-link here ({on_link}); "
                       "is another lab up? `govctl lab down` it first")
    labdir = state_root() / topo.name
    labdir.mkdir(parents=True, exist_ok=True)
    os.chmod(labdir, 0o700)
    state = LabState(
        inventory=str(inventory_dir.resolve()), name=topo.name, directory=str(labdir), bridge="",
        bridge_address=topo.bridge_address, prefix=topo.prefix, nodes=[], links=[], created_dirs=[],
        started=time.time(), ipv4_links=topo.ipv4_links, ipv4_loopbacks=topo.ipv4_loopbacks,
        ipv4_unnumbered=topo.ipv4_unnumbered,
        ospf_hello=ospf_hello, ospf_dead=ospf_dead, unused_address=topo.unused_address,
    )
    _save(state)
    try:
        _build(topo, state, baseline, labdir, on_node)
    except BaseException:
        down(topo.name)
        raise
    state.started = time.time()
    _save(state)
    return state


def _clear_remains(topo: LabTopology) -> None:
    """Remove what a lab of this name left behind when its run was killed before ``down`` (its state file
    went with its lab directory, so ``down`` cannot find it): namespaces named for this lab with no process
    left in them, their veths and the lab's bridge. A namespace with a live process in it is another run's
    lab, which is refused and left alone."""
    mine = [ns for ns in core.namespaces() if ns.startswith(f"gl{topo.tag}-")]
    alive = {ns: pids for ns in mine if (pids := core.namespace_pids(ns))}
    if alive:
        ns, pids = sorted(alive.items())[0]
        raise LabError(f"a lab for '{topo.name}' is running here from another lab directory ({len(alive)} "
                       f"namespaces with processes in them, e.g. {ns}: pids {' '.join(pids[:5])}); "
                       "`govctl lab down` it there first")
    ours = [name for name in core.link_names() if re.fullmatch(rf"m{topo.tag}\d{{4}}", name) or name == topo.bridge]
    core.teardown([], mine, ours, [])


def _build(topo: LabTopology, state: LabState, baseline: dict[str, str], labdir: Path,
           on_node: Callable[[str], None] | None = None) -> None:
    """Create the lab ``state`` records, recording each thing before it exists (``down`` reads the record)."""
    depts = plan_edges(topo)
    (labdir / EDGES_FILE).write_text(json.dumps({"ipv4": depts}, indent=1))
    core.client_key(labdir, f"govctl-lab-{topo.name}")
    state.bridge = topo.bridge
    _save(state)
    core.add_bridge(topo.bridge, topo.bridge_address)
    for i, plan_node in enumerate(topo.nodes):
        ns = plan_node.netns
        state.nodes.append(LabNode(plan_node.node, ns, plan_node.mgmt, ns))
        state.root_links.append(f"m{topo.tag}{i:04d}")  # the router's management veth, on the bridge
        state.created_dirs += [*map(str, core.frr_dirs(ns)), str(labdir / ns)]
    _save(state)
    root_end = dict(zip((n.node for n in state.nodes), state.root_links))
    _parallel(lambda node: _make_namespace(node, root_end[node.node], topo.bridge, depts), state.nodes)
    _link_routers(topo, state)
    _save(state)
    known_hosts: list[str] = []

    def start(node: LabNode) -> None:
        known_hosts.append(_start_router(node, labdir, baseline[node.node]))
        if on_node is not None:
            on_node(node.node)

    _parallel(start, state.nodes, workers=4)
    (labdir / "known_hosts").write_text("\n".join(sorted(known_hosts)) + "\n")
    _save(state)


def _make_namespace(node: LabNode, root_end: str, bridge: str, depts: dict[str, str]) -> None:
    """A router's namespace, its management port on the lab's bridge, and an edge router's departments' LAN."""
    ns = node.netns
    # ospfd joins AllSPFRouters on every interface through one socket, and Linux allows 20 joins per
    # socket by default: a province core with more links had no OSPFv2 adjacency on the 21st and later ones.
    core.add_namespace(ns, (*core.ROUTER_SYSCTLS, f"net.ipv4.igmp_max_memberships={IGMP_MEMBERSHIPS}"))
    core.add_veth(root_end, "mgmt0", b_ns=ns, up=False)
    core.run(["ip", "link", "set", root_end, "master", bridge, "up"])
    core.run(["ip", "-n", ns, "-6", "addr", "add", f"{node.mgmt}/64", "dev", "mgmt0", "nodad"])
    core.run(["ip", "-n", ns, "link", "set", "mgmt0", "up"])
    if node.node in depts:
        # the departments' LAN behind an edge router (addressed by its FRR config): a veth pair
        # inside the namespace, as the kernel may lack the dummy driver and a portless bridge
        # has no carrier
        core.add_veth(EDGE_PORT, f"{EDGE_PORT}-lan", a_ns=ns)


def _link_routers(topo: LabTopology, state: LabState) -> None:
    """The topology's links: a veth pair per link, its ends named for the routers' ports."""
    by_node = {n.node: n for n in state.nodes}
    for link in topo.links:
        a, b = by_node[link.a], by_node[link.b]
        an, bn = f"eth{link.a_port}", f"eth{link.b_port}"
        core.add_veth(an, bn, a_ns=a.netns, b_ns=b.netns)
        a.ports[link.a_port] = an
        b.ports[link.b_port] = bn
        state.links.append((f"{a.netns}:{an}", f"{b.netns}:{bn}"))


def _start_router(node: LabNode, labdir: Path, config: str) -> str:
    """Start one router: FRR with its baseline ``config``, then its sshd. Its known_hosts line."""
    ns = node.netns
    own = labdir / ns
    own.mkdir(parents=True, exist_ok=True)
    node.pids.update(core.start_frr(ns, node.node, DAEMONS, config,
                                    vtysh_conf=f"username {LOCAL_USER} nopassword\n"))
    node.pids["sshd"], known = core.start_sshd(ns, own, node.mgmt, labdir / "authorized_keys", core.labshell(ns))
    return known


def _pidfiles(state: LabState, node: LabNode) -> list[tuple[Path, str]]:
    """A router's processes: its daemons, its commit-confirm timer and its sshd (pid file, marker)."""
    rundir, own = core.frr_dirs(node.netns)[1], Path(state.directory) / node.netns
    return ([(rundir / f"{d}.pid", core.frr_marker(node.netns)) for d in DAEMONS]
            + [(rundir / "revert.pid", core.shell_marker(node.netns)), (own / "sshd.pid", core.sshd_marker(own))])


def down(name: str) -> dict[str, int]:
    """Remove the lab named ``name``: exactly what its state file lists. Safe to run twice."""
    path = state_path(name)
    if not path.exists():
        return {"namespaces": 0, "processes": 0}
    state = LabState.from_dict(json.loads(path.read_text()))
    killed, removed = core.teardown(
        [p for node in state.nodes for p in _pidfiles(state, node)], [n.netns for n in state.nodes],
        [*state.root_links, *([state.bridge] if state.bridge else [])], [*state.created_dirs, state.directory])
    return {"namespaces": removed, "processes": killed}


def status(name: str) -> list[dict[str, object]]:
    """Per router: namespace present, which daemons run, OSPFv3 neighbours Full (read locally via vtysh)."""
    state = load_state(name)
    existing = set(core.namespaces())
    rows: list[dict[str, object]] = []
    for node in state.nodes:
        alive = []
        for pidfile, marker in _pidfiles(state, node):
            pid = core.read_pid(pidfile)
            if pid is not None and core.ours(pid, marker):
                alive.append(pidfile.stem)
        full = 0
        if node.netns in existing and "ospf6d" in alive:
            out = core.vtysh(node.netns, "show ipv6 ospf6 neighbor json", check=False)
            try:
                full = sum(1 for n in json.loads(out or "{}").get("neighbors", []) if n.get("state") == "Full")
            except json.JSONDecodeError:
                full = 0
        rows.append({"node": node.node, "netns": node.netns, "mgmt": node.mgmt,
                     "up": node.netns in existing, "daemons": sorted(alive), "ospf6_full": full})
    return rows


def targets(state: LabState) -> dict[str, DeviceTarget]:
    """The lab's inventory overlay: how to reach each router (FRR driver, lab key, lab known_hosts)."""
    labdir = Path(state.directory)
    return {n.node: DeviceTarget(node=n.node, platform="frr", host=n.mgmt, port=22, username=LAB_USER,
                                 credentials=f"file:{labdir / 'id_ed25519'}",
                                 known_hosts=str(labdir / "known_hosts"))
            for n in state.nodes}


def ospf_maxage(name: str) -> dict[str, int]:
    """Per router, OSPFv3 LSAs at MaxAge (being flushed). Re-adding a router's OSPFv3 before its
    flushed LSAs are gone everywhere can leave the new ones unflooded in FRR 8.4 (same sequence
    number as the flushed copy), so callers wait for zero after a rollback before pushing again."""
    state = load_state(name)
    out: dict[str, int] = {}
    for node in state.nodes:
        text = core.vtysh(node.netns, "show ipv6 ospf6 database", check=False)
        out[node.node] = sum(1 for line in text.splitlines() if len(line.split()) > 4 and line.split()[3] == "3600")
    return out
