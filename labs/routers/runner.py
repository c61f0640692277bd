"""Build, inspect and remove the router lab: FRR in network namespaces, SSH on a management bridge.

Everything created is recorded in the lab's state file *before* it is created, so ``down``
removes exactly that (also after a failed ``up``) and nothing else: processes are stopped by
the pids in their own pid files, and only if the process still belongs to this lab.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from govctl.inventory import models as m
from govctl.ipv6.models import Ipv6Plan
from govctl.network.errors import LabError, LabNotRunning
from govctl.labs.routers.topology import LabTopology, build_topology
from govctl.network.models import DeviceTarget, LabNode, LabState

FRR_BIN = Path("/usr/lib/frr")
RELOAD = FRR_BIN / "frr-reload.py"
SSHD = Path("/usr/sbin/sshd")
DAEMONS = ("zebra", "staticd", "ospfd", "ospf6d", "bgpd")  # ospfd: the IPv4 baseline
SHELL = Path(__file__).resolve().parent / "labshell.sh"
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


def _run(args: list[str], *, check: bool = True, input: str | None = None, timeout: float = 30) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"timed out after {timeout:.0f} s: {' '.join(args)}") from None
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(args)} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def preflight() -> None:
    """Fail early, saying what to install, when the lab cannot run here."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, FRR daemons, sshd)")
    needed = (FRR_BIN / "zebra", FRR_BIN / "ospfd", FRR_BIN / "ospf6d", RELOAD, SSHD, Path("/usr/bin/vtysh"))
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise LabError(f"missing {', '.join(missing)}: apt-get install -y frr frr-pythontools openssh-server")


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
    on_link = _run(["ip", "-6", "route", "show", topo.prefix], check=False).strip()
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
    mine = [ns for ns in _run(["ip", "netns", "list"], check=False).split() if ns.startswith(f"gl{topo.tag}-")]
    alive = {ns: pids for ns in mine if (pids := _run(["ip", "netns", "pids", ns], check=False).split())}
    if alive:
        ns, pids = sorted(alive.items())[0]
        raise LabError(f"a lab for '{topo.name}' is running here from another lab directory ({len(alive)} "
                       f"namespaces with processes in them, e.g. {ns}: pids {' '.join(pids[:5])}); "
                       "`govctl lab down` it there first")
    for ns in mine:
        _run(["ip", "netns", "del", ns], check=False)
    links = _run(["ip", "-o", "link", "show"], check=False)
    ours = re.findall(rf"^\d+: (m{topo.tag}\d{{4}}|{re.escape(topo.bridge)})[@:]", links, re.MULTILINE)
    for name in ours:
        _run(["ip", "link", "del", name], check=False)


def _build(topo: LabTopology, state: LabState, baseline: dict[str, str], labdir: Path,
           on_node: Callable[[str], None] | None = None) -> None:
    from govctl.labs.routers.baseline import EDGE_PORT, edge_prefixes as plan_edges

    depts = plan_edges(topo)
    (labdir / EDGES_FILE).write_text(json.dumps({"ipv4": depts}, indent=1))
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"govctl-lab-{topo.name}",
          "-f", str(labdir / "id_ed25519")])
    (labdir / "authorized_keys").write_text((labdir / "id_ed25519.pub").read_text())
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory

    state.bridge = topo.bridge
    _save(state)
    _run(["ip", "link", "add", topo.bridge, "type", "bridge"])
    _run(["sysctl", "-qw", f"net.ipv6.conf.{topo.bridge}.accept_dad=0"])
    _run(["ip", "link", "set", topo.bridge, "up"])
    _run(["ip", "-6", "addr", "add", f"{topo.bridge_address}/64", "dev", topo.bridge, "nodad"])

    index = {n.node: i for i, n in enumerate(topo.nodes)}

    def root_end(node: LabNode) -> str:
        return f"m{topo.tag}{index[node.node]:04d}"

    for plan_node in topo.nodes:
        ns = plan_node.netns
        state.nodes.append(LabNode(plan_node.node, ns, plan_node.mgmt, ns))
        state.root_links.append(root_end(state.nodes[-1]))
        state.created_dirs += [f"/etc/frr/{ns}", f"/var/run/frr/{ns}", str(labdir / ns)]
    _save(state)

    def make_ns(node: LabNode) -> None:
        ns = node.netns
        _run(["ip", "netns", "add", ns])
        # before any link exists: no DAD delay on lab addresses, and route between ports. ospfd joins
        # AllSPFRouters on every interface through one socket, and Linux allows 20 joins per socket by
        # default: a province core with more links had no OSPFv2 adjacency on the 21st and later ones.
        _run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
              "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.forwarding=1",
              "net.ipv4.ip_forward=1", "net.ipv6.conf.all.keep_addr_on_down=1",
              f"net.ipv4.igmp_max_memberships={IGMP_MEMBERSHIPS}"])
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        _run(["ip", "link", "add", root_end(node), "type", "veth", "peer", "name", "mgmt0", "netns", ns])
        _run(["ip", "link", "set", root_end(node), "master", topo.bridge, "up"])
        _run(["ip", "-n", ns, "-6", "addr", "add", f"{node.mgmt}/64", "dev", "mgmt0", "nodad"])
        _run(["ip", "-n", ns, "link", "set", "mgmt0", "up"])
        if node.node in depts:
            # the departments' LAN behind an edge router (addressed by its FRR config): a veth pair
            # inside the namespace, as the kernel may lack the dummy driver and a portless bridge
            # has no carrier
            _run(["ip", "-n", ns, "link", "add", EDGE_PORT, "type", "veth", "peer", "name", f"{EDGE_PORT}-lan"])
            _run(["ip", "-n", ns, "link", "set", f"{EDGE_PORT}-lan", "up"])
            _run(["ip", "-n", ns, "link", "set", EDGE_PORT, "up"])

    _parallel(make_ns, state.nodes)
    by_node = {n.node: n for n in state.nodes}
    for link in topo.links:
        a, b = by_node[link.a], by_node[link.b]
        an, bn = f"eth{link.a_port}", f"eth{link.b_port}"
        _run(["ip", "-n", a.netns, "link", "add", an, "type", "veth", "peer", "name", bn, "netns", b.netns])
        _run(["ip", "-n", a.netns, "link", "set", an, "up"])
        _run(["ip", "-n", b.netns, "link", "set", bn, "up"])
        a.ports[link.a_port] = an
        b.ports[link.b_port] = bn
        state.links.append((f"{a.netns}:{an}", f"{b.netns}:{bn}"))
    _save(state)

    known_hosts: list[str] = []

    def start(node: LabNode) -> None:
        ns = node.netns
        etc, run, own = Path(f"/etc/frr/{ns}"), Path(f"/var/run/frr/{ns}"), labdir / ns
        for d in (etc, run, own):
            d.mkdir(parents=True, exist_ok=True)
        (etc / "vtysh.conf").write_text(f"service integrated-vtysh-config\nhostname {node.node}\n"
                                        f"username {LOCAL_USER} nopassword\n")
        (etc / "frr.conf").write_text(baseline[node.node])
        for d in (etc, run):
            shutil.chown(d, "frr", "frr")
            for f in d.iterdir():
                shutil.chown(f, "frr", "frr")
        for daemon in DAEMONS:
            extra = " -s 90000000" if daemon == "zebra" else ""
            # own UTS namespace: FRR 8.4 daemons take their hostname from the kernel
            _run(["ip", "netns", "exec", ns, "unshare", "--uts", "sh", "-c",
                  f"hostname {node.node} && exec {FRR_BIN / daemon} -d -N {ns} -f /dev/null -P 0{extra}"])
        for daemon in DAEMONS:
            node.pids[daemon] = _wait_pid(run / f"{daemon}.pid")
        _run(["ip", "netns", "exec", ns, "vtysh", "-N", ns, "-b"], timeout=60)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(own / "ssh_host_ed25519_key")])
        cfg = own / "sshd_config"
        cfg.write_text("\n".join([
            f"ListenAddress {node.mgmt}",
            f"HostKey {own / 'ssh_host_ed25519_key'}",
            f"PidFile {own / 'sshd.pid'}",
            f"AuthorizedKeysFile {labdir / 'authorized_keys'}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxStartups 200",
            "MaxSessions 100",
            "LogLevel ERROR",
            # sshd runs the forced command through the login user's shell; bash run by sshd reads
            # ~/.bashrc unless it is a nested shell (SHLVL >= 2 after its own increment). A router's
            # management account does not run this host's root dotfiles (here: pyenv init, two
            # shell scripts and a rehash per command, more CPU than the vtysh call itself, and
            # stray stderr when two rehashes race)
            "SetEnv SHLVL=1",
            f"ForceCommand /bin/sh {SHELL} {ns}",
            "",
        ]))
        _run(["ip", "netns", "exec", ns, str(SSHD), "-f", str(cfg)])
        node.pids["sshd"] = _wait_pid(own / "sshd.pid")
        pub = (own / "ssh_host_ed25519_key.pub").read_text().split()
        known_hosts.append(f"{node.mgmt} {pub[0]} {pub[1]}")

    def start_and_tell(node: LabNode) -> None:
        start(node)
        if on_node is not None:
            on_node(node.node)

    _parallel(start_and_tell, state.nodes, workers=4)
    (labdir / "known_hosts").write_text("\n".join(sorted(known_hosts)) + "\n")
    _save(state)


def _wait_pid(path: Path, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text = path.read_text().strip()
            if text:
                return int(text)
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.02)
    raise LabError(f"{path} did not appear within {timeout:.0f} s")


def _ours(pid: int, marker: str) -> bool:
    """True if ``pid`` is alive and its command line names this lab (pids get reused)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmd


def _pidfiles(state: LabState, node: LabNode) -> list[tuple[Path, str]]:
    run, own = Path(f"/var/run/frr/{node.netns}"), Path(state.directory) / node.netns
    return ([(run / f"{d}.pid", node.netns) for d in DAEMONS] + [(run / "revert.pid", node.netns)]
            + [(own / "sshd.pid", str(own))])


def down(name: str) -> dict[str, int]:
    """Remove the lab named ``name``: exactly what its state file lists. Safe to run twice."""
    path = state_path(name)
    if not path.exists():
        return {"namespaces": 0, "processes": 0}
    state = LabState.from_dict(json.loads(path.read_text()))
    killed = 0
    victims: list[int] = []
    for node in state.nodes:
        for pidfile, marker in _pidfiles(state, node):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            if _ours(pid, marker):
                try:
                    os.kill(pid, signal.SIGTERM)
                    victims.append(pid)
                    killed += 1
                except ProcessLookupError:
                    pass
    deadline = time.monotonic() + 5
    while victims and time.monotonic() < deadline:
        victims = [p for p in victims if Path(f"/proc/{p}").exists() and not _zombie(p)]
        time.sleep(0.05)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    existing = set(_run(["ip", "netns", "list"], check=False).split())
    removed = 0
    for node in state.nodes:
        if node.netns in existing:
            _run(["ip", "netns", "del", node.netns], check=False)
            removed += 1
    # a namespace is torn down asynchronously; its veth peers in the root namespace can outlive
    # `ip netns del` for a moment, so remove them by name
    present = _run(["ip", "-o", "link", "show"], check=False)
    for name in state.root_links:
        if f" {name}@" in present or f" {name}:" in present:
            _run(["ip", "link", "del", name], check=False)
    if state.bridge:
        _run(["ip", "link", "del", state.bridge], check=False)
    for d in state.created_dirs:
        shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(state.directory, ignore_errors=True)
    return {"namespaces": removed, "processes": killed}


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True


def status(name: str) -> list[dict[str, object]]:
    """Per router: namespace present, which daemons run, OSPFv3 neighbours Full (read locally via vtysh)."""
    state = load_state(name)
    existing = set(_run(["ip", "netns", "list"], check=False).split())
    rows: list[dict[str, object]] = []
    for node in state.nodes:
        alive = []
        for pidfile, marker in _pidfiles(state, node):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            if marker and _ours(pid, marker):
                alive.append(pidfile.stem)
        full = 0
        if node.netns in existing and "ospf6d" in alive:
            out = _run(["ip", "netns", "exec", node.netns, "vtysh", "-N", node.netns, "-c",
                        "show ipv6 ospf6 neighbor json"], check=False)
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
        text = _run(["ip", "netns", "exec", node.netns, "vtysh", "-N", node.netns, "-c",
                     "show ipv6 ospf6 database"], check=False)
        out[node.node] = sum(1 for line in text.splitlines() if len(line.split()) > 4 and line.split()[3] == "3600")
    return out
