"""A self-contained router lab for one cutover: the department VPN built from what this kernel offers.

The lab kernel has no VRF (l3mdev), MPLS or VLANs (FINDINGS.md), so the department VPN is
one routing instance (its own netns + FRR) per PE, joined by per-VPN veth links; the
VPNv4/VPNv6 sessions become IPv4/IPv6 unicast sessions between those instances, and the
RT import policy becomes the same route-map inbound on every session. Around them:

- one CE per department site (FRR), hanging today on ``car`` (the carrier's old line);
- ``cld``: the cloud platform's border, holding the department's tenant subnets;
- ``oth``: another department's VPN instance and ``pub``: the public network zone, both
  peering with the first PE's instance through their own (pre-existing) filters, so
  isolation is decided by route policy, as on a real shared PE.

The lab's state (namespaces, PIDs, addresses) is a JSON file, so a later process (``resume``,
``rollback`` after a crash) re-attaches to it. Addresses: 203.0.113.64/27, 198.51.100.240/28,
2001:db8:fff9::/48..2001:db8:fffb::/48 on lab-only links, plus the plan's own PE-CE addresses.
"""
from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import json
import os
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from govctl.cutover.errors import CutoverFailed
from govctl.cutover.journal import Journal
from govctl.cutover.models import CutoverPlan, JournalRecord, Probe, Step, VpnPe
from govctl.cutover.render import _env, render_feature
from govctl.labs import core
from govctl.network.errors import LabError
from govctl.network.platforms.frr.driver import json_documents

STATE_ROOT = Path(os.environ.get("GOVCTL_CUTOVER_LAB_DIR", "/run/govctl-cutover"))
LAB_FLAVOUR = "lab"  # the FRR lab's templates: network/platforms/frr/templates/cutover_lab
OTHER = ("198.51.100.248/29", "2001:db8:fffa:1::/64")  # another department's VPN prefixes (lab only)
PUBLIC = ("198.51.100.240/29", "2001:db8:fffa:2::/64")  # a public-zone prefix (lab only)
BACKBONE4 = ipaddress.IPv4Network("203.0.113.64/28")  # per-VPN and backbone links, /31 each
CARRIER4 = ipaddress.IPv4Network("203.0.113.80/28")  # CE <-> carrier old line, /31 each
BACKBONE6 = ipaddress.IPv6Network("2001:db8:fffb::/48")
CARRIER6 = ipaddress.IPv6Network("2001:db8:fff9::/48")
OOB6 = ipaddress.ip_network("2001:db8:fff8::/48")  # out-of-band management, one /64 per lab
# rp_filter: a new namespace inherits the host's IPv4 setting; while sites move one by one, traffic between a
# moved and a not yet moved site returns over the other line, so the lab says what it filters instead of the
# host (nothing, as on a CE with two uplinks and no strict uRPF)
SYSCTLS = (*core.ROUTER_SYSCTLS, "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")


@dataclass
class Instance:
    """One routing instance in the lab: a netns with its FRR daemons."""

    name: str  # short role name: pe0, ce1, car, cld, oth, pub
    netns: str
    hostname: str
    daemons: list[str]
    config: str = ""  # the baseline frr.conf
    pids: dict[str, int] = field(default_factory=dict)


@dataclass
class LabState:
    lab: str
    network: str
    tag: str
    instances: dict[str, Instance] = field(default_factory=dict)
    links: list[tuple[str, str, str, str]] = field(default_factory=list)  # (ns_a, if_a, ns_b, if_b)
    pe_of: dict[str, str] = field(default_factory=dict)  # plan PE node -> instance name
    site_ce: dict[str, str] = field(default_factory=dict)  # site name -> instance name
    site_if: dict[str, str] = field(default_factory=dict)  # site name -> CE's access interface
    site_old: dict[str, tuple[str, str]] = field(default_factory=dict)  # site -> carrier next hops (v4, v6)
    site_carrier_if: dict[str, str] = field(default_factory=dict)  # site -> carrier-side interface
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # probe source -> {v4, v6} address
    targets: dict[str, dict[str, str]] = field(default_factory=dict)  # probe target -> {v4, v6} address
    sessions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # pe instance -> peers (v4, v6)
    faults: list[str] = field(default_factory=list)
    # SSH management (``Lab.up(..., ssh=True)``): the routers as a device driver reaches them
    oob: str = ""  # the out-of-band management namespace holding every router's sshd
    oob_root_if: str = ""  # its veth end in the root namespace
    mgmt: dict[str, str] = field(default_factory=dict)  # instance -> management address
    ssh_dir: str = ""  # key, known_hosts, sshd configs (0700)

    def path(self) -> Path:
        return STATE_ROOT / f"{self.lab}.json"

    def save(self) -> None:
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        tmp = self.path().with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path())

    @classmethod
    def load(cls, lab: str) -> LabState | None:
        p = STATE_ROOT / f"{lab}.json"
        if not p.exists():
            return None
        d = json.loads(p.read_text(encoding="utf-8"))
        d["instances"] = {k: Instance(**v) for k, v in d["instances"].items()}
        d["links"] = [tuple(x) for x in d["links"]]
        d["site_old"] = {k: tuple(v) for k, v in d["site_old"].items()}
        d["sessions"] = {k: [tuple(x) for x in v] for k, v in d["sessions"].items()}
        return cls(**d)


def lab_name(network: str) -> str:
    return f"cutover-{network}"


def _tag(network: str) -> str:
    return "c" + hashlib.sha1(network.encode()).hexdigest()[:3]


@contextmanager
def _failing_the_cutover() -> Iterator[None]:
    """The lab core's ``LabError`` as the cutover's own failure (the runner rolls back on ``CutoverFailed``)."""
    try:
        yield
    except LabError as exc:
        raise CutoverFailed(f"lab: {exc}") from None


def preflight(ssh: bool = False) -> str | None:
    """Why the lab (with ``ssh``, its routers' sshd too) cannot run here (None: it can)."""
    try:
        core.preflight(("zebra", "staticd", "bgpd"), sshd=ssh, who="the cutover lab")
    except LabError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- the lab's design (pure)


def design(plan: CutoverPlan) -> LabState:
    """Instances, links and baseline configs of the lab for ``plan``; nothing is created."""
    tag = _tag(plan.network)
    st = LabState(lab_name(plan.network), plan.network, tag)
    b4 = iter(BACKBONE4.subnets(new_prefix=31))
    b6 = (ipaddress.IPv6Network((int(BACKBONE6.network_address) + 2 * i, 127)) for i in range(1 << 16))
    cfg: dict[str, list[str]] = {}
    ifaces: dict[str, list[str]] = {}

    def inst(name: str, host: str, daemons: list[str]) -> None:
        st.instances[name] = Instance(name, f"{tag}-{name}", host, daemons)
        cfg[name], ifaces[name] = [], []

    def addr_if(name: str, ifname: str, *addrs: str) -> None:
        ifaces[name] += [f"interface {ifname}", *(f" {'ipv6' if ':' in a else 'ip'} address {a}" for a in addrs),
                         "exit"]

    def link(a: str, ia: str, b: str, ib: str) -> None:
        st.links.append((st.instances[a].netns, ia, st.instances[b].netns, ib))

    for i, pe in enumerate(plan.pes):
        inst(f"pe{i}", f"{pe.node}-{pe.vpn}", ["zebra", "staticd", "bgpd"])
        st.pe_of[pe.node] = f"pe{i}"
        st.sessions[f"pe{i}"] = []
    # per-VPN links between every pair of the VPN's PE instances (the emulated MPLS backbone for this VPN)
    for i in range(len(plan.pes)):
        for j in range(i + 1, len(plan.pes)):
            n4, n6 = next(b4), next(b6)
            a4, z4 = str(n4.network_address), str(n4.network_address + 1)
            a6, z6 = str(n6.network_address), str(n6.network_address + 1)
            link(f"pe{i}", f"v{j}", f"pe{j}", f"v{i}")
            addr_if(f"pe{i}", f"v{j}", f"{a4}/31", f"{a6}/127")
            addr_if(f"pe{j}", f"v{i}", f"{z4}/31", f"{z6}/127")
            st.sessions[f"pe{i}"].append((z4, z6))
            st.sessions[f"pe{j}"].append((a4, a6))
    # another department's VPN and the public zone, each behind its own filter, on the first PE
    for name, (p4, p6), host in (("oth", OTHER, "other-vpn"), ("pub", PUBLIC, "public-zone")):
        inst(name, host, ["zebra", "staticd", "bgpd"])
        n4, n6 = next(b4), next(b6)
        a4, z4 = str(n4.network_address), str(n4.network_address + 1)
        a6, z6 = str(n6.network_address), str(n6.network_address + 1)
        link("pe0", name[:3], name, "bb")
        addr_if("pe0", name[:3], f"{a4}/31", f"{a6}/127")
        me4, me6 = str(ipaddress.ip_network(p4).network_address + 1), str(ipaddress.ip_network(p6).network_address + 1)
        addr_if(name, "bb", f"{z4}/31", f"{z6}/127")
        addr_if(name, "lo", f"{me4}/32", f"{me6}/128")
        st.sessions["pe0"].append((z4, z6))
        st.sources["other:" if name == "oth" else "public"] = {"v4": me4, "v6": me6, "ns": name}
        cfg[name] += [
            f"ip prefix-list OWN-V4 seq 10 permit {p4} le 32",
            f"ipv6 prefix-list OWN-V6 seq 10 permit {p6} le 128",
            "route-map OWN-V4 permit 10", " match ip address prefix-list OWN-V4", "exit",
            "route-map OWN-V6 permit 10", " match ipv6 address prefix-list OWN-V6", "exit",
            f"router bgp {plan.pes[0].asn}", f" bgp router-id {me4}", " no bgp default ipv4-unicast",
            " timers bgp 1 3", f" neighbor {a4} remote-as {plan.pes[0].asn}", f" neighbor {a4} timers connect 1",
            f" neighbor {a6} remote-as {plan.pes[0].asn}", f" neighbor {a6} timers connect 1",
            " address-family ipv4 unicast", "  redistribute connected", f"  neighbor {a4} activate",
            f"  neighbor {a4} route-map OWN-V4 in", " exit-address-family",
            " address-family ipv6 unicast", "  redistribute connected", f"  neighbor {a6} activate",
            f"  neighbor {a6} route-map OWN-V6 in", " exit-address-family", "exit",
        ]
    # the carrier's old line and one CE per site
    inst("car", "carrier", ["zebra", "staticd"])
    for j, (site, _division, prefixes) in enumerate(plan.sites):
        ce = f"ce{j}"
        inst(ce, f"ce{j}-{plan.network}", ["zebra", "staticd"])
        st.site_ce[site] = ce
        n4 = list(CARRIER4.subnets(new_prefix=31))[j]
        n6 = ipaddress.IPv6Network((int(CARRIER6.network_address) + 2 * j, 127))
        c4, e4 = str(n4.network_address), str(n4.network_address + 1)
        c6, e6 = str(n6.network_address), str(n6.network_address + 1)
        link("car", f"c{j}", ce, "old")
        addr_if("car", f"c{j}", f"{c4}/31", f"{c6}/127")
        addr_if(ce, "old", f"{e4}/31", f"{e6}/127")
        st.site_old[site] = (c4, c6)
        st.site_carrier_if[site] = f"c{j}"
        lo, src = [], {"ns": ce}
        for p in prefixes:
            host = str(ipaddress.ip_network(p).network_address + 1)
            lo.append(f"{host}/{128 if ':' in p else 32}")
            src.setdefault("v6" if ":" in p else "v4", host)
            cfg["car"].append(f"{'ipv6' if ':' in p else 'ip'} route {p} {e6 if ':' in p else e4}")
        addr_if(ce, "lo", *lo)
        st.sources[f"site:{site}"] = src
        st.targets[f"site:{site}"] = src
        cfg[ce] += [f"ip route 0.0.0.0/0 {c4}", f"ipv6 route ::/0 {c6}"]
    # access links: the CE side stays unaddressed until its new circuit is brought up; the PE side until the
    # access step
    for pe in plan.pes:
        for lk in pe.links:
            if lk.kind == "site":
                ce = st.site_ce[lk.name]
                link(st.pe_of[pe.node], _lab_if(lk.interface), ce, "acc")
                st.site_if[lk.name] = "acc"
                st.targets[f"circuit:{lk.name}"] = {"ns": st.pe_of[pe.node], "v4": lk.pe_ipv4.split("/")[0],
                                                    "v6": lk.pe_ipv6.split("/")[0]}
            else:
                inst("cld", f"cloud-{lk.name}", ["zebra", "staticd"])
                link(st.pe_of[pe.node], _lab_if(lk.interface), "cld", "uplink")
                addr_if("cld", "uplink", f"{lk.ce_ipv4}/31", f"{lk.ce_ipv6}/127")
                lo = []
                for p in lk.prefixes:
                    host = str(ipaddress.ip_network(p).network_address + 1)
                    lo.append(f"{host}/{128 if ':' in p else 32}")
                addr_if("cld", "lo", *lo)
                cfg["cld"] += [f"ip route 0.0.0.0/0 {lk.pe_ipv4.split('/')[0]}",
                               f"ipv6 route ::/0 {lk.pe_ipv6.split('/')[0]}"]
    for t, tn, v4, v6 in plan.tenants:
        d = {"ns": "cld", "v4": str(ipaddress.ip_network(v4).network_address + 1)}
        if v6:
            d["v6"] = str(ipaddress.ip_network(v6).network_address + 1)
        st.targets[f"cloud:{t}/{tn}"] = d
    for name, ins in st.instances.items():
        ins.config = "\n".join(["frr defaults traditional", f"hostname {ins.hostname}", "ipv6 forwarding",
                                "ip forwarding", "!", *ifaces[name], "!", *cfg[name], "!", "line vty", "!"]) + "\n"
    return st


def _lab_if(interface: str) -> str:
    """The lab's name of a PE sub-interface: its VLAN, e.g. GigabitEthernet0/0/10.1011 -> a1011."""
    return "a" + interface.rsplit(".", 1)[-1]


def lab_pe(st: LabState, pe: VpnPe) -> VpnPe:
    """The plan's PE as the lab's FRR instance: same addresses, routes and policy, lab interface names."""
    links = tuple(dataclasses.replace(lk, interface=_lab_if(lk.interface)) for lk in pe.links)
    return dataclasses.replace(pe, platform="frr", links=links)


def lab_config(st: LabState, pe: VpnPe, feature: str, *, undo: bool) -> str:
    """What the lab pushes to a PE instance for one plan feature (or its reversal)."""
    inst = st.pe_of[pe.node]
    return render_feature(lab_pe(st, pe), feature, undo=undo, extra={"sessions": st.sessions[inst]},
                          flavour=LAB_FLAVOUR)


def circuit_config(st: LabState, plan: CutoverPlan, site: str, *, undo: bool) -> tuple[str, str]:
    """(CE instance, config) bringing up a site's new circuit beside the old line (or releasing it)."""
    return _ce_config(st, plan, "circuit", site, undo)


def swing_config(st: LabState, plan: CutoverPlan, site: str, *, undo: bool) -> tuple[str, str]:
    """(CE instance, config) moving a site's traffic from the old line to its new circuit (or back)."""
    return _ce_config(st, plan, "swing", site, undo)


def _ce_config(st: LabState, plan: CutoverPlan, what: str, site: str, undo: bool) -> tuple[str, str]:
    lk = next(lk for pe in plan.pes for lk in pe.links if lk.kind == "site" and lk.name == site)
    old4, old6 = st.site_old[site]
    name = f"frr/templates/cutover_{LAB_FLAVOUR}/{what}.j2"
    text = _env().get_template(name).render(lk=lk, undo=undo, ifname=st.site_if[site], old4=old4, old6=old6)
    return st.site_ce[site], text


# ---------------------------------------------------------------- the lab's life (I/O)


class Lab:
    """Builds, drives and removes the lab of one cutover."""

    CONVERGE = 15.0  # seconds BGP may take to settle after a change (it takes 2-5 s here)
    READY = 30.0  # seconds the new path may take to converge before the traffic moves (``converged``)

    def __init__(self, state: LabState) -> None:
        self.st = state
        self.settled_at = 0.0  # monotonic time by which the last change should have converged

    # -- build / remove
    @classmethod
    def up(cls, plan: CutoverPlan, ssh: bool = False) -> Lab:
        """Build the lab; with ``ssh`` every router also gets an sshd on an out-of-band management network."""
        why = preflight(ssh)
        if why:
            raise CutoverFailed(why)
        existing = LabState.load(lab_name(plan.network))
        if existing is not None:
            Lab(existing).down()
        st = design(plan)
        if ssh:
            net = ipaddress.IPv6Network((int(OOB6.network_address) + (int(st.tag[1:], 16) << 64), 64))
            st.oob, st.oob_root_if = f"{st.tag}-oob", f"{st.tag}oob"
            st.ssh_dir = str(STATE_ROOT / f"{st.lab}.ssh")
            st.mgmt = {name: str(net.network_address + 16 + i) for i, name in enumerate(st.instances)}
        st.save()  # before anything exists: a crash mid-build still knows what to remove
        lab = cls(st)
        try:
            with _failing_the_cutover():
                lab._build()
                lab._forwarding()
                if ssh:
                    lab._build_ssh(net)
        except BaseException:
            lab.down()
            raise
        return lab

    @classmethod
    def attach(cls, network: str) -> Lab | None:
        st = LabState.load(lab_name(network))
        return cls(st) if st else None

    def _build(self) -> None:
        st = self.st
        for ins in st.instances.values():
            core.add_namespace(ins.netns, SYSCTLS)
        for ns_a, if_a, ns_b, if_b in st.links:
            core.add_veth(if_a, if_b, a_ns=ns_a, b_ns=ns_b)

        def start(ins: Instance) -> None:
            ins.pids.update(core.start_frr(ins.netns, ins.hostname, ins.daemons, ins.config))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(start, st.instances.values()))
        st.save()

    def down(self) -> None:
        """Remove everything this lab created; safe to call twice and after a crash."""
        st, pidfiles, dirs = self.st, [], []
        for ins in st.instances.values():
            etc, rundir = core.frr_dirs(ins.netns)
            pidfiles += [(rundir / f"{d}.pid", core.frr_marker(ins.netns)) for d in reversed(ins.daemons)]
            pidfiles.append((rundir / "revert.pid", core.shell_marker(ins.netns)))
            dirs += [etc, rundir]
        if st.ssh_dir:
            own = [Path(st.ssh_dir) / name for name in st.mgmt]
            pidfiles += [(d / "sshd.pid", core.sshd_marker(d)) for d in own]
            dirs.append(Path(st.ssh_dir))
        core.teardown(pidfiles, [*(ins.netns for ins in st.instances.values()), *([st.oob] if st.oob else [])],
                      [st.oob_root_if] if st.oob_root_if else [], dirs)
        st.path().unlink(missing_ok=True)

    def _build_ssh(self, net: ipaddress.IPv6Network) -> None:
        """Out-of-band management: one namespace holding every router's sshd, reached from the root namespace
        over one veth. The routers' own tables never see a management address (they redistribute connected
        routes); a login enters the router's namespace (``labshell.sh --enter``)."""
        st = self.st
        home = Path(st.ssh_dir)
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(home, 0o700)
        core.client_key(home, f"govctl-{st.lab}")
        core.add_namespace(st.oob, core.NO_DAD)
        core.add_veth(st.oob_root_if, "mgmt", b_ns=st.oob, up=False)
        core.address_root_link(st.oob_root_if, str(net.network_address + 1))
        for addr in st.mgmt.values():
            core.run(["ip", "-n", st.oob, "-6", "addr", "add", f"{addr}/64", "dev", "mgmt", "nodad"])
        core.run(["ip", "-n", st.oob, "link", "set", "mgmt", "up"])
        known = []
        for name, addr in st.mgmt.items():
            own = home / name
            own.mkdir(mode=0o700, exist_ok=True)
            _, line = core.start_sshd(st.oob, own, addr, home / "authorized_keys",
                                      core.labshell(st.instances[name].netns, enter=True))
            known.append(line)
        (home / "known_hosts").write_text("\n".join(known) + "\n")
        st.save()

    def sshd_pid(self, instance: str) -> int:
        return int((Path(self.st.ssh_dir) / instance / "sshd.pid").read_text().strip())

    # -- device operations
    def vtysh(self, instance: str, *commands: str, timeout: float = 20) -> str:
        with _failing_the_cutover():
            return core.vtysh(self.st.instances[instance].netns, *commands, timeout=timeout)

    def running(self, instance: str) -> str:
        return normalise(self.vtysh(instance, "show running-config"))

    def apply(self, instance: str, text: str) -> None:
        """Merge configuration text (vtysh -f); any rejected line fails the push."""
        ns = self.st.instances[instance].netns
        path = Path(f"/var/run/frr/{ns}/govctl-change.conf")
        path.write_text(text, encoding="utf-8")
        r = subprocess.run(["ip", "netns", "exec", ns, "vtysh", "-N", ns, "-f", str(path)], capture_output=True,
                           text=True, timeout=30)
        bad = [ln for ln in (r.stdout + r.stderr).splitlines()
               if any(w in ln for w in ("% Unknown command", "% Invalid", "% Ambiguous", "% Incomplete",
                                        "% Command incomplete", "% Refusing", "% Malformed"))]
        self.settled_at = time.monotonic() + self.CONVERGE
        if r.returncode != 0 or bad:
            raise CutoverFailed(f"{instance}: configuration rejected: {'; '.join(bad) or r.stderr.strip()}")

    def restore(self, instance: str, saved: str) -> str:
        """Bring an instance back to ``saved`` exactly (frr-reload.py computes and applies the difference)."""
        ns = self.st.instances[instance].netns
        path = Path(f"/var/run/frr/{ns}/govctl-saved.conf")
        path.write_text(saved, encoding="utf-8")
        r = subprocess.run(["ip", "netns", "exec", ns, str(core.RELOAD), "--reload", "-N", ns,
                            "--confdir", f"/etc/frr/{ns}", "--rundir", f"/var/run/frr/{ns}", str(path)],
                           capture_output=True, text=True, timeout=60)
        return r.stdout + r.stderr

    def link(self, instance: str, ifname: str, up: bool) -> None:
        with _failing_the_cutover():
            core.run(["ip", "-n", self.st.instances[instance].netns, "link", "set", "dev", ifname,
                      "up" if up else "down"])

    def ping(self, source: str, target: str, family: str, attempts: int) -> bool:
        src, dst = self.st.sources[source], self.st.targets[target]
        if family not in src or family not in dst:
            raise CutoverFailed(f"lab: no {family} address for {source} -> {target}")
        ns = self.st.instances[src["ns"]].netns
        for _ in range(attempts):
            r = subprocess.run(["ip", "netns", "exec", ns, "ping", "-6" if family == "v6" else "-4", "-n", "-q",
                                "-c", "1", "-W", "1", "-I", src[family], dst[family]], capture_output=True,
                               timeout=10)
            if r.returncode == 0:
                return True
        return False

    def probe(self, p: Probe) -> tuple[bool, str]:
        """(held, detail): a must-reach probe retries while the last change may still be converging (at least 3 s);
        a must-not-reach probe tries twice."""
        family = "v6" if ":" in p.target_prefix else "v4"
        source = p.source if not p.source.startswith("other:") else "other:"
        if p.expect:
            t0 = time.monotonic()
            deadline = max(t0 + 3.0, self.settled_at)
            while True:
                if self.ping(source, p.target, family, 1):
                    return True, "reached"
                if time.monotonic() > deadline:
                    return False, f"no reply within {time.monotonic() - t0:.0f}s"
        reached = self.ping(source, p.target, family, 2)
        return (not reached), ("reached (isolation broken)" if reached else "no reply, as required")

    def converged(self, plan: CutoverPlan, timeout: float | None = None) -> list[tuple[str, bool, str]]:
        """Per PE instance of the VPN: every BGP session established and every prefix the VPN carries (the
        sites', the tenants', a type C/E network's own default) selected and installed in its FIB, read every
        0.2 s until all hold or ``timeout`` (default ``READY``) runs out. (id, ok, detail) per PE."""
        want = [p for _, _, prefixes in plan.sites for p in prefixes]
        want += [p for _, _, v4, v6 in plan.tenants for p in (v4, v6) if p]
        if any(pe.own_egress for pe in plan.pes):
            want += ["0.0.0.0/0", "::/0"]
        t0 = time.monotonic()
        deadline = t0 + (self.READY if timeout is None else timeout)
        pending = dict(sorted(self.st.pe_of.items()))
        out: dict[str, tuple[bool, str]] = {}
        while True:
            for node, inst in list(pending.items()):
                missing = self._unconverged(inst, want)
                if not missing:
                    out[node] = (True, f"{node}: {len(self.st.sessions[inst]) * 2} BGP sessions established, "
                                       f"{len(want)} VPN prefixes installed ({time.monotonic() - t0:.1f} s)")
                    del pending[node]
                else:
                    out[node] = (False, f"{node}: not converged within {time.monotonic() - t0:.0f} s: "
                                        + "; ".join(missing))
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        return [(f"converged-{node}", ok, detail) for node, (ok, detail) in sorted(out.items())]

    def _unconverged(self, inst: str, want: list[str]) -> list[str]:
        """What ``inst`` still lacks: sessions not established, prefixes not installed (empty: converged)."""
        docs = _json_docs(self.vtysh(inst, "show bgp summary json", "show ip route json", "show ipv6 route json"))
        if len(docs) != 3:
            return [f"unreadable answer from {inst}"]
        summary = docs[0]
        missing = []
        for a4, a6 in self.st.sessions[inst]:
            for af, peer in (("ipv4Unicast", a4), ("ipv6Unicast", a6)):
                state = summary.get(af, {}).get("peers", {}).get(peer, {}).get("state", "absent")
                if state != "Established":
                    missing.append(f"session {peer} {state}")
        return missing + _not_installed({**docs[1], **docs[2]}, want)

    def _forwarding(self, timeout: float = 30.0) -> None:
        """Wait until every instance has installed the static routes of its baseline config (zebra installs them
        after ``vtysh -b`` returns, later under load): the lab is up when today's network forwards, so what the
        probes then see is the cutover's doing, not the lab still starting."""
        want = {name: [ln.split()[2] for ln in ins.config.splitlines() if ln.startswith(("ip route ", "ipv6 route "))]
                for name, ins in self.st.instances.items()}
        deadline = time.monotonic() + timeout
        for name, prefixes in want.items():
            while prefixes:
                docs = _json_docs(self.vtysh(name, "show ip route json", "show ipv6 route json"))
                missing = _not_installed({k: v for d in docs for k, v in d.items()}, prefixes)
                if not missing:
                    break
                if time.monotonic() >= deadline:
                    raise CutoverFailed(f"lab: {name} did not install its routes within {timeout:.0f} s: "
                                        + ", ".join(missing))
                time.sleep(0.1)

    def snapshot_others(self) -> dict[str, str]:
        """Routing tables and configs of everything the cutover must not change."""
        snap: dict[str, str] = {}
        for name in ("oth", "pub", "car", "cld"):
            if name in self.st.instances:
                routes = self.vtysh(name, "show ip route", "show ipv6 route")
                snap[name] = self.running(name) + "\n" + _routes(routes)
        return snap

    def inject(self, fault: str) -> None:
        """Break something outside the change (the rehearsal's deliberate post-check failure)."""
        if fault == "cloud-return-route":
            self.apply("cld", "no ip route 0.0.0.0/0 {0}\nno ipv6 route ::/0 {1}\n".format(*self._cloud_gw()))
        else:
            raise CutoverFailed(f"lab: unknown fault '{fault}'")
        self.st.faults.append(fault)
        self.st.save()

    def clear(self, fault: str) -> None:
        if fault == "cloud-return-route":
            self.apply("cld", "ip route 0.0.0.0/0 {0}\nipv6 route ::/0 {1}\n".format(*self._cloud_gw()))
        self.st.faults = [f for f in self.st.faults if f != fault]
        self.st.save()

    def _cloud_gw(self) -> tuple[str, str]:
        cfg = self.st.instances["cld"].config
        v4 = next(ln.split()[-1] for ln in cfg.splitlines() if ln.startswith("ip route 0.0.0.0/0"))
        v6 = next(ln.split()[-1] for ln in cfg.splitlines() if ln.startswith("ipv6 route ::/0"))
        return v4, v6


def _json_docs(text: str) -> list[dict]:  # type: ignore[type-arg]
    """vtysh's JSON answers, one per ``-c`` command (an answer that is no object counts as empty)."""
    return [d if isinstance(d, dict) else {} for d in json_documents(text)]


def _not_installed(routes: dict, prefixes: list[str]) -> list[str]:  # type: ignore[type-arg]
    """Which of ``prefixes`` have no route that is both selected and installed in the FIB (vtysh JSON)."""
    return [f"{p} not installed" for p in prefixes
            if not any(e.get("selected") and e.get("installed") for e in routes.get(p, []))]


def normalise(running: str) -> str:
    """A running config without the lines that change on their own (banner, version)."""
    skip = ("Building configuration", "Current configuration", "frr version", "frr defaults")
    return "\n".join(ln.rstrip() for ln in running.splitlines() if ln.strip() and not ln.startswith(skip)) + "\n"


def _routes(text: str) -> str:
    """Routes without their ages, sorted, so two snapshots compare."""
    import re

    out = []
    for ln in text.splitlines():
        if not ln[:1].isalpha() and not ln.startswith(("  ", "*")):
            continue
        if ln.startswith(("Codes", "       ", "IPv")):
            continue
        out.append(re.sub(r",\s*\d{2}:\d{2}:\d{2}$|,\s*\d+[dhmsw][\dhmsdw]*$", "", ln.rstrip()))
    return "\n".join(sorted(out))


class LabExecutor:
    """The runner's ``Executor`` on the lab: plan steps become pushes to the lab's FRR instances."""

    carries_out_manual_steps = True  # the lab plays the carrier and the department: it moves the CEs itself

    def __init__(self, lab: Lab, plan: CutoverPlan, observe_seconds: float = 1.0) -> None:
        self.lab, self.plan, self.observe_seconds = lab, plan, observe_seconds
        self.pes = {pe.node: pe for pe in plan.pes}
        self.journal: Journal | None = None  # where commits are announced (the runner attaches its run's)

    def attach(self, journal: Journal) -> LabExecutor:
        self.journal = journal
        return self

    def devices(self) -> list[str]:
        st = self.lab.st
        return sorted(st.pe_of.values()) + sorted(st.site_ce.values())

    def check_access(self) -> None:
        for name in self.lab.st.instances:
            self.lab.vtysh(name, "show version")

    def running(self, device: str) -> str:
        return self.lab.running(device)

    def do(self, step: Step, undo: bool) -> None:
        st = self.lab.st
        if step.node and step.node in self.pes:
            pe = self.pes[step.node]
            feats = list(reversed(step.features)) if undo else list(step.features)
            text = "".join(lab_config(st, pe, f, undo=undo) for f in feats)
            self._push(st.pe_of[pe.node], text, step.id, undo)
        elif step.id.startswith("circuit-"):
            ce, text = circuit_config(st, self.plan, step.id[len("circuit-"):], undo=undo)
            self._push(ce, text, step.id, undo)
        elif step.id.startswith("swing-"):
            ce, text = swing_config(st, self.plan, step.id[len("swing-"):], undo=undo)
            self._push(ce, text, step.id, undo)
        elif step.id == "teardown-carrier":
            for ifname in st.site_carrier_if.values():
                self.lab.link("car", ifname, up=undo)
        elif step.node:
            pass  # the old path's extranet node is not in this lab: its teardown is checked by golden files only
        else:
            raise CutoverFailed(f"lab: no way to carry out step '{step.id}'")

    def _push(self, instance: str, text: str, step: str, undo: bool) -> None:
        """One merge on one instance, announced first (fsync'd intent with the running config as checkpoint) and
        settled after. An undo whose step left nothing on the instance (it holds the step's checkpoint) sends
        nothing: negating absent lines is not a no-op in vtysh."""
        before = self.lab.running(instance)
        j = self.journal
        if j is None:
            self.lab.apply(instance, text)
            return
        if undo:
            if j.checkpoint(instance, step) == before:
                return
        else:
            j.save_checkpoint(instance, step, before)
        intent = j.intent(instance, f"undo {step}" if undo else step, "merge", before, text)
        self.lab.apply(instance, text)  # a rejected line leaves the intent unsettled: recovery reads the instance
        j.settle(intent, "applied")

    def restore(self, device: str, saved: str) -> str:
        before = self.lab.running(device)
        if before == saved:
            return ""
        intent = self.journal.intent(device, "restore", "restore", before, saved) if self.journal else None
        out = self.lab.restore(device, saved)
        if intent is not None and self.journal is not None and self.lab.running(device) == saved:
            self.journal.settle(intent, "applied")
        return out

    def recover(self, intent: JournalRecord) -> str:
        """Settle a commit a crash interrupted: the instance holds its checkpoint (nothing applied), or it is
        brought back there (a merge: ``resume`` redoes the step, ``rollback`` undoes from there) or to the
        restore's target. The lab has no candidate diff, so a merge found changed is always taken back: a
        redo from the checkpoint gives the same config."""
        assert self.journal is not None
        device, kind = str(intent.detail["device"]), intent.detail.get("kind", "merge")
        checkpoint, target = self.journal.intent_texts(intent)
        running = self.lab.running(device)
        if running == checkpoint or (kind == "restore" and running == target):
            found = "checkpoint" if running == checkpoint else "applied"
            detail = "holds its checkpoint: nothing was applied" if found == "checkpoint" else \
                "holds the restored config"
        else:
            back = target if kind == "restore" else checkpoint
            self.lab.restore(device, back)
            if self.lab.running(device) != back:
                raise CutoverFailed(f"{device}: interrupted commit: could not restore it to "
                                    f"{'the saved config' if kind == 'restore' else 'its checkpoint'}")
            found = "changed"
            detail = "changed by the interrupted commit: " + ("the restore was finished" if kind == "restore"
                                                              else "restored to its checkpoint")
        state = "checkpoint" if kind == "merge" or found == "checkpoint" else "applied"
        self.journal.settle(intent, state, recovered=True, found=found, detail_text=f"{device} {detail}")
        return f"{device} {detail}"

    def probe(self, probe: Probe) -> tuple[bool, str]:
        return self.lab.probe(probe)

    def isolation(self) -> list[tuple[str, bool, str]]:
        """The VPN's instances hold no route of another VPN or the public zone (our import policy works)."""
        foreign = [ipaddress.ip_network(p) for p in (*OTHER, *PUBLIC)]
        out = []
        for node, inst in sorted(self.lab.st.pe_of.items()):
            seen = []
            for cmd in ("show ip route json", "show ipv6 route json"):
                routes = json.loads(self.lab.vtysh(inst, cmd) or "{}")
                for prefix in routes:
                    net = ipaddress.ip_network(prefix)
                    # a default route (type E's own egress) covers everything; only foreign prefixes count
                    if any(net.version == f.version and net.prefixlen >= f.prefixlen and net.overlaps(f)
                           for f in foreign):
                        seen.append(prefix)
            out.append((f"isolation-import-{node}", not seen,
                        f"{node}'s VPN table holds no other VPN's or public route" if not seen else
                        f"{node}'s VPN table holds foreign routes: {', '.join(seen)}"))
        return out

    def converged(self) -> list[tuple[str, bool, str]]:
        return self.lab.converged(self.plan)

    def others(self) -> dict[str, str]:
        return self.lab.snapshot_others()

    def observe(self, minutes: int) -> None:
        time.sleep(self.observe_seconds)  # the lab compresses the observation period

    # the rehearsal's fault hooks
    @property
    def st(self) -> LabState:
        return self.lab.st

    def inject(self, fault: str) -> None:
        self.lab.inject(fault)

    def clear(self, fault: str) -> None:
        self.lab.clear(fault)


# ---------------------------------------------------------------- the lab's routers as production devices


def lab_render(st: LabState, plan: CutoverPlan):  # noqa: ANN201 - network.cutover.devices.Render
    """The lab's FRR variant of each PE step (one routing instance per VPN: this kernel has no VRF), for the
    device executor; manual steps and the old path's node (not in the lab) push nothing."""
    pes = {pe.node: pe for pe in plan.pes}

    def render(step: Step, undo: bool) -> list[tuple[str, str]]:
        if step.manual or step.node not in pes:
            return []
        pe = pes[step.node]
        feats = list(reversed(step.features)) if undo else list(step.features)
        return [(step.node, "".join(lab_config(st, pe, f, undo=undo) for f in feats))]
    return render


def device_overlay(st: LabState) -> dict[str, object]:
    """The device overlay (``govctl cutover run --devices``) of an SSH lab: every router addressed like a
    production device (FRR driver, management address, the lab's key and known_hosts); the CEs, the other
    department and the public zone as probe points; everything around the VPN watched."""
    if not st.ssh_dir:
        raise CutoverFailed(f"the lab of '{st.network}' was built without SSH management (Lab.up(..., ssh=True))")
    key, known = str(Path(st.ssh_dir) / "id_ed25519"), str(Path(st.ssh_dir) / "known_hosts")
    name_of = {inst: node for node, inst in st.pe_of.items()}
    devices = {name_of.get(i, ins.hostname): {"host": st.mgmt[i], "port": 22, "platform": "frr", "username": "root",
                                               "credentials": f"file:{key}", "known_hosts": known}
               for i, ins in st.instances.items()}
    points: dict[str, dict[str, str]] = {}
    for source, addrs in st.sources.items():
        d = {"device": st.instances[addrs["ns"]].hostname}
        d.update({"ipv4": addrs["v4"]} if "v4" in addrs else {})
        d.update({"ipv6": addrs["v6"]} if "v6" in addrs else {})
        points[source] = d
    watch = [st.instances[n].hostname for n in ("oth", "pub", "cld", "car") if n in st.instances]
    return {"devices": devices, "probe_points": points, "watch": watch, "lab_rendering": st.network}
