"""The lab core: what every FRR-in-namespace router lab builds and removes the same way.

A router lab is network namespaces joined by veth links, one FRR instance per namespace (its pathspace,
``-N``, is the namespace's name), and an sshd per router whose forced command is ``labshell.sh``. The
labs (the rollout lab in ``labs/routers``, the cutover lab in ``cutover/lab.py``) keep their own
topology and state files; this module runs the host's tools for them, and knows which process is a
lab's: pids get reused, so a process is signalled only while its command line still names the lab.

Everything here raises ``LabError``; a lab whose domain has its own error type translates it there.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from govctl.network.errors import LabError

FRR_BIN = Path("/usr/lib/frr")
RELOAD = FRR_BIN / "frr-reload.py"
VTYSH = Path("/usr/bin/vtysh")
SSHD = Path("/usr/sbin/sshd")
SHELL = Path(__file__).resolve().parent / "labshell.sh"
INSTALL = "apt-get install -y frr frr-pythontools openssh-server"

# A router's namespace, set before any link exists: no DAD delay on lab addresses, routing between its
# ports, addresses kept while a link is down (a link test takes one down and up again).
NO_DAD = ("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
ROUTER_SYSCTLS = (*NO_DAD, "net.ipv6.conf.all.forwarding=1", "net.ipv4.ip_forward=1",
                  "net.ipv6.conf.all.keep_addr_on_down=1")
ZEBRA_NETLINK_BUFFER = 90000000  # zebra's -s: a large lab's route bursts overflow the default buffer


def run(args: Sequence[str], *, check: bool = True, input: str | None = None, timeout: float = 30) -> str:
    """Run a host tool; its stdout. A timeout, or (with ``check``) a non-zero exit, is a ``LabError``."""
    try:
        proc = subprocess.run(list(args), capture_output=True, text=True, input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"timed out after {timeout:.0f} s: {' '.join(args)}") from None
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(args)} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def preflight(daemons: Iterable[str], *, sshd: bool, who: str = "the lab") -> None:
    """Fail early, saying what to install, when a lab running ``daemons`` (and sshd) cannot run here."""
    if os.geteuid() != 0:
        raise LabError(f"{who} needs root (network namespaces, FRR daemons{', sshd' if sshd else ''})")
    needed = [FRR_BIN / d for d in daemons] + [RELOAD, VTYSH] + ([SSHD] if sshd else [])
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        raise LabError(f"missing {', '.join(missing)}: {INSTALL}")


def vtysh(ns: str, *commands: str, check: bool = True, timeout: float = 30) -> str:
    """Commands to the FRR instance of namespace ``ns``, read locally (no SSH)."""
    args = ["ip", "netns", "exec", ns, "vtysh", "-N", ns]
    for c in commands:
        args += ["-c", c]
    return run(args, check=check, timeout=timeout)


# ---------------------------------------------------------------- namespaces and links


def add_namespace(ns: str, sysctls: Sequence[str] = ROUTER_SYSCTLS) -> None:
    """A new namespace with ``sysctls`` set and its loopback up."""
    run(["ip", "netns", "add", ns])
    run(["ip", "netns", "exec", ns, "sysctl", "-qw", *sysctls])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])


def namespaces() -> list[str]:
    return [line.split()[0] for line in run(["ip", "netns", "list"], check=False).splitlines() if line.strip()]


def namespace_pids(ns: str) -> list[str]:
    """The processes running in namespace ``ns`` (none: what is left of a killed lab)."""
    return run(["ip", "netns", "pids", ns], check=False).split()


def add_veth(a: str, b: str, *, a_ns: str | None = None, b_ns: str | None = None, up: bool = True) -> None:
    """A veth pair: ``a`` in namespace ``a_ns`` (None: the root namespace), its peer ``b`` in ``b_ns`` (None:
    beside ``a``); both set up unless ``up`` is false (the caller addresses or enslaves them first)."""
    here = ["-n", a_ns] if a_ns else []
    run(["ip", *here, "link", "add", a, "type", "veth", "peer", "name", b, *(["netns", b_ns] if b_ns else [])])
    if up:
        run(["ip", *here, "link", "set", "dev", a, "up"])
        run(["ip", *(["-n", b_ns] if b_ns else here), "link", "set", "dev", b, "up"])


def add_bridge(name: str, address: str) -> None:
    """A bridge in the root namespace holding ``address`` (/64): the management side of a lab."""
    run(["ip", "link", "add", name, "type", "bridge"])
    address_root_link(name, address)


def address_root_link(ifname: str, address: str) -> None:
    """Up, with ``address`` (/64) and no DAD delay: a lab's interface in the root namespace."""
    run(["sysctl", "-qw", f"net.ipv6.conf.{ifname}.accept_dad=0"])
    run(["ip", "link", "set", ifname, "up"])
    run(["ip", "-6", "addr", "add", f"{address}/64", "dev", ifname, "nodad"])


def link_names() -> list[str]:
    """The interfaces of the root namespace."""
    return re.findall(r"^\d+: ([^:@\s]+)[@:]", run(["ip", "-o", "link", "show"], check=False), re.MULTILINE)


# ---------------------------------------------------------------- FRR and sshd


def frr_dirs(ns: str) -> tuple[Path, Path]:
    """(config directory, run directory) of the FRR instance of namespace ``ns``."""
    return Path(f"/etc/frr/{ns}"), Path(f"/var/run/frr/{ns}")


def start_frr(ns: str, hostname: str, daemons: Sequence[str], config: str, *, vtysh_conf: str = "") -> dict[str, int]:
    """Start the FRR instance of namespace ``ns`` with ``config`` as its frr.conf (loaded with ``vtysh -b``);
    ``vtysh_conf`` is added to its vtysh.conf. The daemons' pids by name, once each has written its pid file."""
    etc, rundir = frr_dirs(ns)
    for d in (etc, rundir):
        d.mkdir(parents=True, exist_ok=True)
    # FRR 8.4 takes the host's name unless vtysh.conf names the router
    (etc / "vtysh.conf").write_text(f"service integrated-vtysh-config\nhostname {hostname}\n{vtysh_conf}")
    (etc / "frr.conf").write_text(config)
    for d in (etc, rundir):
        shutil.chown(d, "frr", "frr")
        for f in d.iterdir():
            shutil.chown(f, "frr", "frr")
    for daemon in daemons:
        extra = f" -s {ZEBRA_NETLINK_BUFFER}" if daemon == "zebra" else ""
        # own UTS namespace: FRR 8.4 daemons take their hostname from the kernel
        run(["ip", "netns", "exec", ns, "unshare", "--uts", "sh", "-c",
             f"hostname {hostname} && exec {FRR_BIN / daemon} -d -N {ns} -f /dev/null -P 0{extra}"])
    pids = {daemon: wait_pid(rundir / f"{daemon}.pid") for daemon in daemons}
    run(["ip", "netns", "exec", ns, "vtysh", "-N", ns, "-b"], timeout=60)
    return pids


def client_key(directory: Path, comment: str) -> None:
    """The lab's login key (``id_ed25519``) and the ``authorized_keys`` every router's sshd reads."""
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(directory / "id_ed25519")])
    (directory / "authorized_keys").write_text((directory / "id_ed25519.pub").read_text())
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory


def labshell(pathspace: str, *, enter: bool = False) -> str:
    """The forced command of a router's sshd: ``labshell.sh`` for FRR instance ``pathspace``; with ``enter``
    the sshd runs outside the router's namespace and a login enters it first."""
    return f"/bin/sh {SHELL} {'--enter ' if enter else ''}{pathspace}"


def start_sshd(ns: str, own: Path, listen: str, authorized_keys: Path, force_command: str) -> tuple[int, str]:
    """Start an sshd in namespace ``ns`` listening on ``listen``, its host key, config and pid file in ``own``,
    every login running ``force_command``. (its pid, its known_hosts line)."""
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(own / "ssh_host_ed25519_key")])
    cfg = own / "sshd_config"
    cfg.write_text("\n".join([
        f"ListenAddress {listen}",
        f"HostKey {own / 'ssh_host_ed25519_key'}",
        f"PidFile {own / 'sshd.pid'}",
        f"AuthorizedKeysFile {authorized_keys}",
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
        f"ForceCommand {force_command}",
        "",
    ]))
    run(["ip", "netns", "exec", ns, str(SSHD), "-f", str(cfg)])
    pid = wait_pid(own / "sshd.pid")
    pub = (own / "ssh_host_ed25519_key.pub").read_text().split()
    return pid, f"{listen} {pub[0]} {pub[1]}"


# ---------------------------------------------------------------- which process is the lab's


def frr_marker(ns: str) -> str:
    """What an FRR daemon of namespace ``ns`` has on its command line."""
    return f"-N {ns} "


def shell_marker(pathspace: str) -> str:
    """What a login of router ``pathspace`` (and its commit-confirm timer, a subshell of it) has on its command
    line."""
    return f"{SHELL.name} {pathspace} "


def sshd_marker(own: Path) -> str:
    """What the sshd started with its files in ``own`` has on its command line: sshd rewrites its argv into one
    title ("sshd: /usr/sbin/sshd -f CFG [listener] ..."), which still names its config."""
    return str(own / "sshd_config")


def wait_pid(path: Path, timeout: float = 10.0) -> int:
    """The pid a daemon writes to ``path`` once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = read_pid(path)
        if pid is not None:
            return pid
        time.sleep(0.02)
    raise LabError(f"{path} did not appear within {timeout:.0f} s")


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def zombie(pid: int) -> bool:
    """True if ``pid`` has exited but is not reaped yet (or is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def ours(pid: int, marker: str) -> bool:
    """True if ``pid`` is alive, not a zombie, and its command line (arguments joined by spaces, one after the
    last) holds ``marker``: a lab's process, not a stranger that got its pid."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return marker in cmd and not zombie(pid)


# ---------------------------------------------------------------- removal


def stop(pidfiles: Iterable[tuple[Path, str]], grace: float = 5.0) -> int:
    """SIGTERM each process whose pid file is given with its marker, while it is ours; SIGKILL what has not
    exited after ``grace`` seconds. How many were signalled."""
    victims: list[tuple[int, str]] = []
    for pidfile, marker in pidfiles:
        pid = read_pid(pidfile)
        if pid is not None and ours(pid, marker):
            try:
                os.kill(pid, signal.SIGTERM)
                victims.append((pid, marker))
            except ProcessLookupError:
                pass
    signalled = len(victims)
    deadline = time.monotonic() + grace
    while victims and time.monotonic() < deadline:
        time.sleep(0.05)
        victims = [(pid, marker) for pid, marker in victims if ours(pid, marker)]
    for pid, marker in victims:
        if ours(pid, marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    return signalled


def teardown(pidfiles: Iterable[tuple[Path, str]], namespaces_: Iterable[str], root_links: Iterable[str],
             dirs: Iterable[str | Path]) -> tuple[int, int]:
    """Remove a lab: stop its processes (``stop``), delete its namespaces, then its interfaces in the root
    namespace and its directories. Safe to run twice. (processes signalled, namespaces deleted)."""
    killed = stop(pidfiles)
    existing = set(namespaces())
    removed = 0
    for ns in namespaces_:
        if ns in existing:
            run(["ip", "netns", "del", ns], check=False)
            removed += 1
    # a namespace is torn down asynchronously; its veth peers in the root namespace can outlive
    # `ip netns del` for a moment, so remove them by name
    present = set(link_names())
    for name in root_links:
        if name in present:
            run(["ip", "link", "del", name], check=False)
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    return killed, removed
