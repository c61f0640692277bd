"""The cloud lab: real OpenStack Zed APIs on 127.0.0.1, to rehearse `govctl apply` and `govctl audit`.

Keystone, Neutron (ML2, no agents), Placement, Nova API, Cinder API, Swift and Designate from Debian
12's library packages (python3-keystone, python3-neutron, ..., python3-swift, python3-designate), with a
private PostgreSQL cluster. Swift is real storage: a one-node ring (account, container, object servers and
a proxy with Keystone auth) keeping containers and objects in the lab's state directory. Designate (api,
central, worker, producer, mdns) talks over the lab's RabbitMQ and drives the lab's own named (bind9:
``rndc addzone``, the zone pulled from designate-mdns by AXFR), so a zone really reaches ACTIVE and is
served on 127.0.0.1. With ``compute`` also nova-conductor/-scheduler/-compute (fake driver) on the same
RabbitMQ. Requests are accepted or rejected exactly as by a Zed cloud, but nothing has a dataplane: no
agents, no Glance, no instance ever boots. The tests and ``benchmarks/audit_bench.py`` start it through
:func:`up` and :func:`down`; users through ``govctl lab cloud up|status|down`` (:data:`cloud_app`).

Everything generated (configs, logs, databases, pid files, ``clouds.yaml``) lives in one directory:
``$GOVCTL_CLOUD_LAB_DIR``, else ``<router lab dir>/cloud`` (``$GOVCTL_LAB_DIR``, else
``/var/lib/govctl/lab``). Every process is started in its own session and recorded as
``run/NAME.pid`` ("PID STARTTIME") before anything waits on it, so :func:`down` stops exactly those
process groups (a recycled PID has another start time and is left alone) and the private PostgreSQL,
then removes only the files the lab writes. Ports: :data:`DEFAULT_PORTS`, each overridable with
``GOVCTL_CLOUD_<NAME>_PORT``; a second lab runs beside the first with its own directory and ports.
"""
from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from string import Template
from typing import Annotated, Any

import typer

from govctl.core.errors import InputError, RuntimeFailure

FILES = Path(__file__).resolve().parent / "labfiles"
# Services always run with the system python: only it has the Debian-packaged OpenStack modules,
# whatever python (venv, pyenv) runs govctl itself.
SYSTEM_PYTHON = "/usr/bin/python3"
CLOUD = "govctl-lab"  # the cloud's name in the generated clouds.yaml
ADMIN_PASSWORD = "admin"  # throwaway credentials of a loopback-only lab; never reuse them elsewhere
SERVICE_PASSWORD = "svc"
COMPUTE_HOST = "govctl-fake-compute"  # the nova "host" of the fake compute service
BOOTSTRAP_REGION = "RegionOne"
# The bundled example's clouds: the lab serves their regions and availability zones too, so that
# `govctl apply inventories/example` runs unchanged against it (OS_CLOUD=govctl-lab picks the lab's Keystone and
# credentials; the inventory's regions pick the endpoints, which the lab copies from RegionOne).
EXAMPLE_CLOUDS = Path(__file__).resolve().parent.parent.parent / "inventories" / "example" / "clouds.yaml"


def served_regions(serve: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(regions, availability zones) the lab serves: RegionOne and every region and AZ of the bundled example,
    then of each inventory directory in ``serve`` (``up --serve``: e.g. a Guangdong-sized benchmark)."""
    import yaml

    regions, zones = [BOOTSTRAP_REGION], []
    for clouds in (EXAMPLE_CLOUDS, *(Path(d) / "clouds.yaml" for d in serve)):
        try:
            doc = yaml.safe_load(clouds.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            doc = {}
        for platform in doc.get("platforms") or []:
            for region in ((platform.get("openstack") or {}).get("regions")) or []:
                if region.get("name") and region["name"] not in regions:
                    regions.append(str(region["name"]))
                zones += [str(z) for z in region.get("availability_zones") or [] if str(z) not in zones]
    return regions, zones
DB_USER = DB_PASSWORD = "os"

# Library packages where Debian has them: unlike keystone/neutron-server/designate-api/... they install no
# daemons, no systemd units and no /etc configs, so nothing starts behind the lab's back. rabbitmq-server
# and bind9 do ship services (rabbitmq-server, named): :func:`install` keeps apt from starting them and
# disables the units it installed; the lab runs its own RabbitMQ and named, configured under its directory.
# python3-swift, not swift-proxy/-account/-container/-object: those only add /usr/bin wrappers of the
# same modules, /etc/swift configs and ~15 systemd units and init scripts that a systemd host would enable
# and start on 0.0.0.0:6200-6202 and 8080 (and they pull in rsyslog, rsync and uwsgi); the lab runs the
# servers itself (labfiles/swift_serve.py) and builds its rings with swift-ring-builder's module.
PACKAGES = ("postgresql", "curl", "python3-psycopg2", "python3-openstackclient", "python3-keystone",
            "python3-neutron", "python3-nova", "python3-placement", "python3-cinder", "python3-swift",
            "rabbitmq-server",  # Designate's RPC (and nova conductor/scheduler/compute with compute)
            "python3-designate", "bind9")  # bind9 brings named, rndc (bind9-utils); dnspython comes with Designate
# The units those packages install and enable, disabled by :func:`install` when it installed the package.
# (erlang-base comes with rabbitmq-server: its epmd.socket would take 4369 at boot.)
PACKAGE_UNITS = {"rabbitmq-server": ("rabbitmq-server.service", "epmd.socket", "epmd.service"),
                 "bind9": ("named.service",)}

DEFAULT_PORTS = {"pg": 15432,  # not 5432: leaves a system PostgreSQL alone
                 "keystone": 5000, "neutron": 9696, "placement": 8778, "nova": 8774, "cinder": 8776,
                 # Swift: the proxy on 8880 (not Swift's usual 8080, the default of many a dev server), the
                 # storage servers on Swift's own 6200-6202
                 "swift": 8880, "swift_account": 6202, "swift_container": 6201, "swift_object": 6200,
                 "rabbit": 5672, "rabbit_dist": 25672, "epmd": 4369,  # with Designate or compute
                 "designate": 9001, "mdns": 5354,  # Designate's API and its mini-DNS (zone transfers to named)
                 # the lab's named: DNS on 5356 (not 53, nor 5353 mDNS / 5355 LLMNR), rndc on 5953 (not 953)
                 "bind": 5356, "rndc": 5953}
SWIFT_RINGS = ("account", "container", "object")
DATABASES = ("keystone", "neutron", "placement", "nova_api", "nova_cell0", "nova", "cinder", "designate")
DESIGNATE = ("designate-central", "designate-worker", "designate-producer", "designate-mdns")  # besides the API
# What the lab writes into its directory; down removes these and nothing else.
OWNED = ("lab.json", "clouds.yaml", "adminrc", "etc", "logs", "run", "state", "pg")
STOP_GRACE = 15.0

Progress = Callable[[str], None]


class CloudLabError(RuntimeFailure):
    """The cloud lab could not be installed, started, inspected or stopped; the message names the log."""


class CloudLabNotRunning(InputError):
    """No cloud lab has been started in the given directory."""


# ---------------------------------------------------------------- settings


def lab_dir() -> Path:
    """The lab's directory: $GOVCTL_CLOUD_LAB_DIR, else <$GOVCTL_LAB_DIR or /var/lib/govctl/lab>/cloud."""
    from govctl.core import statedir

    raw = os.environ.get("GOVCTL_CLOUD_LAB_DIR") or str(statedir.lab_dir() / "cloud")
    # The path goes into config files and the lab deletes sub-directories of it: plain absolute paths only.
    path = raw.rstrip("/")
    if not re.fullmatch(r"/[A-Za-z0-9._/-]+", path) or any(p in (".", "..") for p in path.split("/")):
        raise InputError(f"GOVCTL_CLOUD_LAB_DIR: the cloud lab needs a plain absolute path of [A-Za-z0-9._/-], "
                         f"not '/' (got {raw!r})")
    return Path(path)


def ports_from_env() -> dict[str, int]:
    """DEFAULT_PORTS, each overridden by GOVCTL_CLOUD_<NAME>_PORT; all distinct."""
    ports: dict[str, int] = {}
    for name, default in DEFAULT_PORTS.items():
        var = f"GOVCTL_CLOUD_{name.upper()}_PORT"
        raw = os.environ.get(var, str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            raise InputError(f"{var} must be a port number 1-65535 (got {raw!r})")
        ports[name] = int(raw)
    # eventlet services bind with SO_REUSEPORT: two given the same port would silently share it.
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port in seen:
            raise InputError(f"port {port} is given to both {seen[port]} and {name}; check the GOVCTL_CLOUD_*_PORT "
                             "variables")
        seen[port] = name
    return ports


@dataclass(frozen=True)
class LabSettings:
    """What one lab runs with; written to ``lab.json`` by :func:`up` and read back by status and down."""

    directory: str
    ports: dict[str, int]
    nova: bool = True
    cinder: bool = True
    compute: bool = False
    swift: bool = True
    designate: bool = True
    serve: tuple[str, ...] = ()  # inventories whose regions and AZs are served besides the example's

    @property
    def rabbit(self) -> bool:
        """RabbitMQ runs: Designate's services and nova's conductor/scheduler/compute need a real bus."""
        return self.compute or self.designate

    @property
    def root(self) -> Path:
        return Path(self.directory)

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    def services(self) -> list[tuple[str, int, str]]:
        """(name, port, probe URL) of every API service, in start order."""
        p = self.ports
        rows = [("keystone", p["keystone"], f"http://127.0.0.1:{p['keystone']}/v3"),
                ("neutron", p["neutron"], f"http://127.0.0.1:{p['neutron']}/"),
                ("placement", p["placement"], f"http://127.0.0.1:{p['placement']}/")]
        if self.nova:
            rows.append(("nova-api", p["nova"], f"http://127.0.0.1:{p['nova']}/"))
        if self.cinder:
            rows.append(("cinder-api", p["cinder"], f"http://127.0.0.1:{p['cinder']}/"))
        if self.swift:  # storage servers first: the proxy is ready only when they are
            rows += [(f"swift-{r}", p[f"swift_{r}"], f"http://127.0.0.1:{p[f'swift_{r}']}/healthcheck")
                     for r in SWIFT_RINGS]
            rows.append(("swift-proxy", p["swift"], f"http://127.0.0.1:{p['swift']}/healthcheck"))
        if self.designate:
            rows.append(("designate-api", p["designate"], f"http://127.0.0.1:{p['designate']}/"))
        return rows

    def processes(self) -> list[str]:
        """Every process name the lab records a pid for with these settings (PostgreSQL excluded)."""
        names = [s[0] for s in self.services()]
        if self.rabbit:
            names += ["epmd", "rabbitmq"]
        if self.compute:
            names += ["nova-conductor", "nova-scheduler", "nova-compute"]
        if self.designate:
            names += ["bind", *DESIGNATE]
        return names

    def flags(self) -> dict[str, bool]:
        return {"nova": self.nova, "cinder": self.cinder, "compute": self.compute, "swift": self.swift,
                "designate": self.designate}

    @classmethod
    def load(cls, root: Path) -> LabSettings | None:
        path = root / "lab.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        # a lab.json from before Swift or Designate: ports and flags absent (that lab ran neither)
        ports = {**DEFAULT_PORTS, **{k: int(v) for k, v in data["ports"].items()}}
        return cls(directory=str(root), ports=ports, nova=bool(data["nova"]), cinder=bool(data["cinder"]),
                   compute=bool(data["compute"]), swift=bool(data.get("swift", False)),
                   designate=bool(data.get("designate", False)), serve=tuple(data.get("serve") or ()))

    def save(self) -> None:
        tmp = self.root / "lab.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.root / "lab.json")


@dataclass(frozen=True)
class ServiceState:
    """One lab process: its port (0 for none), recorded pid, whether it runs and answers HTTP."""

    name: str
    port: int
    pid: int | None
    running: bool
    answering: bool | None  # None: not an HTTP service


@dataclass(frozen=True)
class LabStatus:
    """The lab as :func:`status` sees it (also what :func:`up` returns)."""

    directory: str
    cloud: str
    clouds_yaml: str
    flags: dict[str, bool]
    services: list[ServiceState] = field(default_factory=list)
    seconds: float | None = None

    @property
    def up(self) -> bool:
        return bool(self.services) and all(s.running and s.answering is not False for s in self.services)

    @property
    def down_services(self) -> list[str]:
        return [s.name for s in self.services if not s.running or s.answering is False]

    def env(self) -> dict[str, str]:
        """The variables that point openstacksdk / the openstack CLI / govctl at this lab."""
        return {"OS_CLIENT_CONFIG_FILE": self.clouds_yaml, "OS_CLOUD": self.cloud}

    def as_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "cloud": self.cloud, "clouds_yaml": self.clouds_yaml, "up": self.up,
                "flags": self.flags, "seconds": self.seconds, "services": [asdict(s) for s in self.services]}


# ---------------------------------------------------------------- packages


def missing_packages(packages: tuple[str, ...] | list[str]) -> list[str]:
    """The packages (of those given) that dpkg does not list as fully installed."""
    if not shutil.which("dpkg-query"):
        return list(packages)
    proc = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Package}\n", *packages],
                          capture_output=True, text=True)
    installed = {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("ii ")}
    return [p for p in packages if p not in installed]


def wanted_packages() -> list[str]:
    return list(PACKAGES)


POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def install(progress: Progress | None = None) -> list[str]:
    """Install the Debian packages the lab needs that are missing; returns those installed.

    Idempotent and quick when everything is present (one dpkg-query; ``apt-get update`` only when
    something is missing). No service of those packages is left running or enabled: without a
    policy-rc.d of the machine's own, one that denies every start (exit 101) is in place for the
    install only, so the maintainer scripts start nothing (a system named on port 53, a second
    RabbitMQ on 5672); then the units of the packages this call installed are disabled.
    """
    say = progress or (lambda _m: None)
    missing = missing_packages(wanted_packages())
    if not missing:
        return []
    if os.geteuid() != 0:
        raise CloudLabError(f"missing Debian packages {' '.join(missing)}; installing them needs root")
    if not shutil.which("apt-get"):
        raise CloudLabError(f"missing {' '.join(missing)}, and no apt-get: the cloud lab needs Debian 12 (bookworm)")
    say(f"installing {len(missing)} missing package(s): {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    ours = not POLICY_RC_D.exists() and not POLICY_RC_D.is_symlink()
    if ours:
        POLICY_RC_D.write_text("#!/bin/sh\n# govctl lab cloud install: no service starts while it installs\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        for args in (["apt-get", "update", "-q"],
                     ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]):
            proc = subprocess.run(args, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise CloudLabError(f"{' '.join(args[:2])} exited {proc.returncode}: "
                                    f"{(proc.stderr or proc.stdout).strip()[-1500:]}")
    finally:
        if ours:
            POLICY_RC_D.unlink(missing_ok=True)
    units = [u for pkg in missing for u in PACKAGE_UNITS.get(pkg, ())]
    for unit in units if shutil.which("systemctl") else []:  # without systemd running too: it removes links
        subprocess.run(["systemctl", "disable", unit], capture_output=True, text=True)
    still = missing_packages(wanted_packages())
    if still:
        raise CloudLabError(f"still missing after apt-get install: {' '.join(still)}")
    return missing


# ---------------------------------------------------------------- processes


def _start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat (clock ticks since boot); None for a process that is gone or a zombie.

    Not the command line: neutron rewrites its own with setproctitle.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": comm may hold spaces
    if len(fields) < 20 or fields[0] == "Z":
        return None
    return fields[19]


def _recorded(root: Path, name: str) -> tuple[int, str] | None:
    try:
        pid, start = (root / "run" / f"{name}.pid").read_text().split()
        return int(pid), start
    except (OSError, ValueError):
        return None


def _alive(root: Path, name: str) -> int | None:
    """The pid of the process recorded as NAME if that very process still runs."""
    rec = _recorded(root, name)
    if rec and _start_time(rec[0]) == rec[1]:
        return rec[0]
    return None


def _spawn(root: Path, name: str, args: list[str], env: dict[str, str] | None = None) -> int:
    """Start NAME in its own session (pid = process group, which down signals: workers go with it)."""
    log = open(root / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                env={**_base_env(), **(env or {})}, start_new_session=True)
    finally:
        log.close()
    start = None
    for _ in range(50):  # /proc/PID/stat appears at once; retry only against a very busy machine
        start = _start_time(proc.pid)
        if start:
            break
        time.sleep(0.01)
    (root / "run" / f"{name}.pid").write_text(f"{proc.pid} {start or '?'}\n")
    return proc.pid


def _base_env() -> dict[str, str]:
    # A clean PATH: a venv's or pyenv's python first on PATH must not run the services' helpers.
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ", "HOME")}
    return {**keep, "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _answers(url: str, timeout: float = 2.0) -> bool:
    """Any HTTP answer counts (401 from an authenticated root is fine)."""
    try:
        urllib.request.urlopen(url, timeout=timeout).close()  # noqa: S310 - a loopback URL we built
        return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def soa(zone: str, port: int, timeout: float = 5.0) -> str | None:
    """The SOA record the lab's named on 127.0.0.1:PORT serves, authoritatively, for ZONE; None if it serves none.

    Asked with dnspython under the system python (python3-designate depends on it), whatever python runs govctl.
    """
    code = ("import sys, dns.flags, dns.message, dns.query, dns.rcode, dns.rdatatype\n"
            "q = dns.message.make_query(sys.argv[1], dns.rdatatype.SOA)\n"
            "r = dns.query.udp(q, '127.0.0.1', port=int(sys.argv[2]), timeout=float(sys.argv[3]))\n"
            "ok = r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA\n"
            "print('\\n'.join(rr.to_text() for rr in r.answer) if ok else '')\n")
    proc = subprocess.run([SYSTEM_PYTHON, "-c", code, zone, str(port), str(timeout)], capture_output=True, text=True,
                          env=_base_env(), timeout=timeout + 10)
    if proc.returncode != 0:
        raise CloudLabError(f"DNS query for {zone} SOA on 127.0.0.1:{port} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout.strip() or None


# ---------------------------------------------------------------- PostgreSQL


def _pg_bin(root: Path) -> Path:
    """Debian keeps the binaries out of PATH, per major version: the cluster's own, else the newest."""
    version = root / "pg" / "PG_VERSION"
    if version.is_file():
        return Path("/usr/lib/postgresql") / version.read_text().strip() / "bin"
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                   if p.parent.name.isdigit() else 0)
    if not found:
        raise CloudLabError("no PostgreSQL under /usr/lib/postgresql; run `govctl lab cloud install`")
    return found[-1]


def _as_postgres(root: Path, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    # cwd: commands run as postgres must not start in a directory it cannot read.
    proc = subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, cwd=root,
                          env=_base_env())
    if check and proc.returncode != 0:
        raise CloudLabError(f"{Path(args[0]).name} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()}"
                            f" (logs: {root / 'logs'})")
    return proc


def _pg_running(root: Path) -> bool:
    if not (root / "pg" / "PG_VERSION").is_file():
        return False
    return _as_postgres(root, [str(_pg_bin(root) / "pg_ctl"), "-D", str(root / "pg"), "status"],
                        check=False).returncode == 0


def _sql(root: Path, port: int, query: str, db: str = "postgres") -> str:
    return _as_postgres(root, [str(_pg_bin(root) / "psql"), "-h", str(root / "run" / "pg"), "-p", str(port),
                               "-d", db, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", query]).stdout.strip()


def _start_postgres(root: Path, port: int) -> None:
    pg = root / "pg"
    subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", str(root / "run" / "pg")], check=True)
    if not (pg / "PG_VERSION").is_file():
        subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", str(pg)], check=True)
        proc = _as_postgres(root, [str(_pg_bin(root) / "initdb"), "-D", str(pg), "-A", "trust", "-U", "postgres",
                                   "-E", "UTF8", "--locale=C.UTF-8"], check=False)
        (root / "logs" / "initdb.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise CloudLabError(f"initdb failed; see {root / 'logs' / 'initdb.log'}")
        with open(pg / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n" + (FILES / "postgresql.conf").read_text(encoding="utf-8"))
    if not _pg_running(root):
        log = root / "logs" / "postgresql.log"
        log.touch()
        shutil.chown(log, "postgres")
        # port and socket directory on the command line, so a changed port also applies on restart
        _as_postgres(root, [str(_pg_bin(root) / "pg_ctl"), "-D", str(pg), "-o", f"-p {port} -k {root}/run/pg",
                            "-l", str(log), "-w", "start"])
    if _sql(root, port, f"SELECT 1 FROM pg_roles WHERE rolname='{DB_USER}'") != "1":
        _sql(root, port, f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'")
    for db in DATABASES:
        if _sql(root, port, f"SELECT 1 FROM pg_database WHERE datname='{db}'") != "1":
            _sql(root, port, f"CREATE DATABASE {db} OWNER {DB_USER}")


# ---------------------------------------------------------------- up


def _render(name: str, values: dict[str, str]) -> str:
    return Template((FILES / name).read_text(encoding="utf-8")).substitute(values)


def _write_configs(s: LabSettings) -> dict[str, Path]:
    """(Re)write every generated file from labfiles/ templates; returns the service config paths."""
    root, p = s.root, s.ports
    nova_transport = f"rabbit://guest:guest@127.0.0.1:{p['rabbit']}/" if s.compute else "fake://"
    values = {"dir": str(root), "files": str(FILES), "db": f"postgresql+psycopg2://{DB_USER}:{DB_PASSWORD}@127.0.0.1:"
              f"{p['pg']}", "cloud": CLOUD, "auth_url": f"http://127.0.0.1:{p['keystone']}/v3",
              "admin_password": ADMIN_PASSWORD, "compute_host": COMPUTE_HOST, "nova_transport": nova_transport,
              **{f"{k}_port": str(v) for k, v in p.items()}}
    values["authtoken"] = _render("authtoken.conf", values)
    (root / "clouds.yaml").write_text(_render("clouds.yaml", values), encoding="utf-8")
    (root / "adminrc").write_text(_render("adminrc", values), encoding="utf-8")
    confs = {}
    for svc in ("keystone", "neutron", "placement", "nova", "cinder"):
        (root / "etc" / svc).mkdir(parents=True, exist_ok=True)
        (root / "state" / svc / "lock").mkdir(parents=True, exist_ok=True)
        confs[svc] = root / "etc" / svc / f"{svc}.conf"
        confs[svc].write_text(_render(f"{svc}.conf", values), encoding="utf-8")
    if s.swift:
        confs.update(_write_swift_configs(s, values))
    if s.designate:
        bind = root / "etc" / "bind"
        for d in (root / "etc" / "designate", bind, root / "state" / "designate" / "lock", root / "state" / "bind"):
            d.mkdir(parents=True, exist_ok=True)
        confs["designate"] = root / "etc" / "designate" / "designate.conf"
        confs["designate"].write_text(_render("designate.conf", values), encoding="utf-8")
        confs["pools"] = root / "etc" / "designate" / "pools.yaml"
        confs["pools"].write_text(_render("pools.yaml", values), encoding="utf-8")
        key = bind / "rndc.key"
        if not key.is_file():  # the lab's own rndc key, kept with the data: named and designate-worker share it
            secret = base64.b64encode(os.urandom(32)).decode()
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(f'key "govctl-lab-rndc" {{\n    algorithm hmac-sha256;\n    secret "{secret}";\n}};\n')
        confs["named"] = bind / "named.conf"
        confs["named"].write_text(_render("named.conf", values), encoding="utf-8")
        (bind / "rndc.conf").write_text(_render("rndc.conf", values), encoding="utf-8")
    return confs


def _write_swift_configs(s: LabSettings, values: dict[str, str]) -> dict[str, Path]:
    """etc/swift: swift.conf (its hash suffix made once and kept), the proxy's and each storage server's config;
    state/swift/node/d1: the one device. Returns {"swift-proxy": path, "swift-account": path, ...}."""
    etc, node = s.root / "etc" / "swift", s.root / "state" / "swift" / "node" / "d1"
    etc.mkdir(parents=True, exist_ok=True)
    node.mkdir(parents=True, exist_ok=True)
    swift_conf = etc / "swift.conf"
    found = re.search(r"^swift_hash_path_suffix = ([0-9a-f]+)$", swift_conf.read_text(encoding="utf-8"), re.M) \
        if swift_conf.is_file() else None
    suffix = found.group(1) if found else secrets.token_hex(16)
    swift_conf.write_text(_render("swift.conf", {**values, "swift_hash_suffix": suffix}), encoding="utf-8")
    # keystonemiddleware takes its options from the paste filter section: authtoken.conf without its header
    options = "\n".join(ln for ln in values["authtoken"].splitlines() if not ln.startswith("[")).strip()
    confs = {"swift-proxy": etc / "proxy-server.conf"}
    confs["swift-proxy"].write_text(_render("swift-proxy-server.conf", {**values, "authtoken_options": options}),
                                    encoding="utf-8")
    for ring in SWIFT_RINGS:
        confs[f"swift-{ring}"] = etc / f"{ring}-server.conf"
        confs[f"swift-{ring}"].write_text(_render("swift-server.conf", {
            **values, "swift_server": ring, "swift_server_port": str(s.ports[f"swift_{ring}"])}), encoding="utf-8")
    return confs


def _rings_stamp(s: LabSettings) -> str:
    return json.dumps({r: s.ports[f"swift_{r}"] for r in SWIFT_RINGS})


def _rings_current(s: LabSettings) -> bool:
    """The rings in etc/swift were built for these ports (a ring names each server's port)."""
    etc = s.root / "etc" / "swift"
    stamp = etc / "rings.ports"
    return stamp.is_file() and stamp.read_text() == _rings_stamp(s) and \
        all((etc / f"{r}.ring.gz").is_file() for r in SWIFT_RINGS)


def _build_rings(s: LabSettings) -> None:
    """One-node account, container and object rings (swift-ring-builder's create, add, rebalance)."""
    etc = s.root / "etc" / "swift"
    (etc / "rings.ports").unlink(missing_ok=True)
    _run_logged(s.root, "init-swift.log", [SYSTEM_PYTHON, str(FILES / "swift_rings.py"), str(etc),
                                           *(f"{r}={s.ports[f'swift_{r}']}" for r in SWIFT_RINGS)])
    (etc / "rings.ports").write_text(_rings_stamp(s))


def _entry(name: str, target: str, *args: str) -> list[str]:
    return [SYSTEM_PYTHON, str(FILES / "entry.py"), name, target, *args]


def _run_logged(root: Path, log: str, args: list[str], env: dict[str, str] | None = None) -> None:
    with open(root / "logs" / log, "ab") as out_:
        proc = subprocess.run(args, stdout=out_, stderr=subprocess.STDOUT, cwd=root, env={**_base_env(), **(env or {})},
                              stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise CloudLabError(f"{Path(args[0]).name} {' '.join(args[1:4])} ... exited {proc.returncode}; see "
                            f"{root / 'logs' / log}:\n{_tail(root / 'logs' / log)}")


def _keystone_setup(s: LabSettings) -> None:
    """Service project and user (that every API validates tokens with) and the catalog; idempotent.

    Existing endpoints whose URL differs (a port changed since the first run) are updated.
    """
    from keystoneauth1 import session as ks_session
    from keystoneauth1.identity import v3
    from openstack.connection import Connection

    p = s.ports
    ks = f"http://127.0.0.1:{p['keystone']}/v3"
    auth = v3.Password(auth_url=ks, username="admin", password=ADMIN_PASSWORD, project_name="admin",
                       user_domain_name="Default", project_domain_name="Default")
    # openstacksdk types .identity as its v2 or v3 proxy; this Keystone is v3 (the auth above)
    ident: Any = Connection(session=ks_session.Session(auth=auth), region_name="RegionOne").identity
    project = ident.find_project("service", domain_id="default") or ident.create_project(name="service",
                                                                                         domain_id="default")
    user = ident.find_user("svc", domain_id="default") or ident.create_user(name="svc", password=SERVICE_PASSWORD,
                                                                          domain_id="default")
    for role_name in ("admin", "service"):
        role = ident.find_role(role_name) or ident.create_role(name=role_name)
        ident.assign_project_role_to_user(project, user, role)
    if s.swift:
        # Swift's reseller admin (keystoneauth's reseller_admin_role): the lab's admin reads and writes every
        # project's account with its own token, as a Swift operator's auditor does (`govctl audit` reads each
        # tenant's containers so); within its own project it is an operator (admin role) anyway.
        reseller = ident.find_role("ResellerAdmin") or ident.create_role(name="ResellerAdmin")
        ident.assign_project_role_to_user(ident.find_project("admin", domain_id="default"),
                                          ident.find_user("admin", domain_id="default"), reseller)
    regions, _zones = served_regions(s.serve)
    known = {r.id for r in ident.regions()}
    for region in regions:
        if region not in known:
            ident.create_region(id=region)
    catalog = _catalog(s)
    # `up --no-swift` after a run with Swift: its endpoints leave the catalog, so that clients find no Swift
    # (as in a cloud without one) rather than a port nobody answers on.
    for svc in ident.services():
        if svc.type == "object-store" and not any(typ == svc.type for typ, _n, _u in catalog):
            for endpoint in ident.endpoints(service_id=svc.id):
                ident.delete_endpoint(endpoint)
            ident.delete_service(svc)
    for typ, name, url in catalog:
        svc = next((x for x in ident.services() if x.type == typ), None) or ident.create_service(name=name, type=typ)
        have = {(e.region_id, e.interface): e for e in ident.endpoints(service_id=svc.id)}
        for region in regions:  # every region reaches the same services: one cloud standing in for several
            for iface in ("public", "internal", "admin"):
                if (region, iface) not in have:
                    ident.create_endpoint(service_id=svc.id, interface=iface, url=url, region_id=region)
                elif have[region, iface].url != url:
                    ident.update_endpoint(have[region, iface], url=url)
    if not s.designate:  # no dns endpoint that nothing answers: clients and the audit see "no Designate"
        for svc in [x for x in ident.services() if x.type == "dns"]:
            ident.delete_service(svc)  # Keystone drops its endpoints with it


def _catalog(s: LabSettings) -> list[tuple[str, str, str]]:
    p = s.ports
    volume = f"http://127.0.0.1:{p['cinder']}/v3/%(project_id)s"
    return [("identity", "keystone", f"http://127.0.0.1:{p['keystone']}/v3/"),
            ("network", "neutron", f"http://127.0.0.1:{p['neutron']}"),
            ("placement", "placement", f"http://127.0.0.1:{p['placement']}"),
            ("compute", "nova", f"http://127.0.0.1:{p['nova']}/v2.1"),
            ("volumev3", "cinderv3", volume), ("block-storage", "cinder", volume),
            *([("object-store", "swift", f"http://127.0.0.1:{p['swift']}/v1/AUTH_%(project_id)s")] if s.swift
              else []),
            *([("dns", "designate", f"http://127.0.0.1:{p['designate']}/")] if s.designate else [])]


def _wait(what: str, ready: Callable[[], bool], alive: Callable[[], bool], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if not alive():
            raise CloudLabError(f"{what} died while starting; see {log}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise CloudLabError(f"{what} did not come up within {timeout:.0f} s; see {log}:\n{_tail(log)}")
        time.sleep(0.5)


def up(*, fresh: bool = False, nova: bool = True, cinder: bool = True, compute: bool = False, swift: bool = True,
       designate: bool = True, serve: Sequence[str] = (), directory: Path | None = None,
       progress: Progress | None = None) -> LabStatus:
    """Start the lab (or leave it as it is when it already runs with these flags); returns its status.

    ``fresh`` stops everything and wipes databases, state and logs first. Databases are initialised
    on first use (per component, so enabling Nova later initialises it then). Raises CloudLabError
    naming the log when a service fails; what did start stays recorded for :func:`down`.
    """
    t0 = time.monotonic()
    wall0 = time.time()
    say = progress or (lambda _m: None)

    def step(msg: str) -> None:
        say(f"[{time.monotonic() - t0:5.1f}s] {msg}")

    if compute and not nova:
        raise InputError("--compute needs Nova; drop --no-nova")
    root = directory or lab_dir()
    if os.geteuid() != 0:
        raise CloudLabError("the cloud lab needs root (it runs PostgreSQL as the postgres user and starts services)")
    missing = missing_packages(wanted_packages())
    if missing:
        raise CloudLabError(f"missing Debian packages: {' '.join(missing)}; run: govctl lab cloud install")
    if root.exists() and root.stat().st_uid != 0:
        raise CloudLabError(f"{root} exists but is not owned by root; remove it or set GOVCTL_CLOUD_LAB_DIR")
    if fresh:
        down(directory=root)
    old = LabSettings.load(root)
    running = [n for n in (old.processes() if old else []) if _alive(root, n)]
    flags = {"nova": nova, "cinder": cinder, "compute": compute, "swift": swift, "designate": designate}
    if old and running and old.flags() != flags:
        raise CloudLabError(f"the cloud lab in {root} runs with other flags ({old.flags()}); "
                            "run `govctl lab cloud down` first")
    # A running lab keeps its ports (those it lacks, e.g. Swift's in a lab from before Swift, from this run); a
    # stopped one takes this run's (the catalog and the Swift rings follow).
    ports = {**ports_from_env(), **old.ports} if old and (running or (old.root / "pg" / "postmaster.pid").exists()) \
        else ports_from_env()
    s = LabSettings(directory=str(root), ports=ports, nova=nova, cinder=cinder, compute=compute, swift=swift,
                    designate=designate, serve=tuple(str(Path(d).resolve()) for d in serve))
    for d in ("etc", "logs", "run", "state"):
        (root / d).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    if _as_postgres(root, ["test", "-r", str(root)], check=False).returncode != 0:
        raise CloudLabError(f"the postgres user cannot read {root}; let it through the parent directories "
                            "(chmod o+x) or set GOVCTL_CLOUD_LAB_DIR")
    s.save()  # before anything starts: status and down find what this run starts
    # Fail early and clearly on a port someone else holds (eventlet services would share it).
    taken = [f"{port} ({name})" for name, port, _url in s.services() if not _alive(root, name) and _port_open(port)]
    if not _pg_running(root) and _port_open(ports["pg"]):
        taken.append(f"{ports['pg']} (postgres)")
    if s.rabbit:
        taken += [f"{ports[k]} ({n})" for k, n in (("epmd", "epmd"), ("rabbit", "rabbitmq"))
                  if not _alive(root, n) and _port_open(ports[k])]
    if designate:
        taken += [f"{ports[k]} ({n})" for k, n in (("mdns", "designate-mdns"), ("bind", "bind"), ("rndc", "bind"))
                  if not _alive(root, n) and _port_open(ports[k])]
    if taken:
        raise CloudLabError(f"port(s) already in use by another process: {', '.join(taken)}; stop it or set "
                            "GOVCTL_CLOUD_<NAME>_PORT")

    _start_postgres(root, ports["pg"])
    step(f"postgres up (127.0.0.1:{ports['pg']})")
    confs = _write_configs(s)
    state = root / "state"

    # Schema syncs run in parallel with each other and with Keystone's setup; state/NAME.initialized
    # marks success, so a component enabled later is initialised on that run.
    def nova_init() -> None:
        manage = _entry("nova-manage", "nova.cmd.manage:main", "--config-file", str(confs["nova"]))
        db = f"postgresql+psycopg2://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{ports['pg']}"
        for args in (["api_db", "sync"], ["cell_v2", "map_cell0", "--database_connection", f"{db}/nova_cell0"],
                     ["cell_v2", "create_cell", "--name", "cell1", "--verbose"], ["db", "sync"]):
            _run_logged(root, "init-nova.log", manage + args)

    syncs: dict[str, Callable[[], None]] = {
        "neutron": lambda: _run_logged(root, "init-neutron.log", _entry(
            "neutron-db-manage", "neutron.db.migration.cli:main", "--config-file", str(confs["neutron"]),
            "--config-file", str(FILES / "ml2_conf.ini"), "upgrade", "heads")),
        "placement": lambda: _run_logged(root, "init-placement.log", _entry(
            "placement-manage", "placement.cmd.manage:main", "--config-file", str(confs["placement"]), "db", "sync")),
    }
    if nova:
        syncs["nova"] = nova_init
    if cinder:
        syncs["cinder"] = lambda: _run_logged(root, "init-cinder.log", _entry(
            "cinder-manage", "cinder.cmd.manage:main", "--config-file", str(confs["cinder"]), "db", "sync"))
    if designate:
        syncs["designate"] = lambda: _run_logged(root, "init-designate.log", _entry(
            "designate-manage", "designate.cmd.manage:main", "--config-file", str(confs["designate"]), "database",
            "sync"))
    pool = ThreadPoolExecutor(max_workers=4)
    pending: dict[str, Future[None]] = {n: pool.submit(fn) for n, fn in syncs.items()
                                        if not (state / f"{n}.initialized").exists()}
    rings = pool.submit(_build_rings, s) if swift and not _rings_current(s) else None
    beside = ThreadPoolExecutor(max_workers=1)  # Designate's start (see _up_services)
    abort = threading.Event()  # a failed start: Designate's thread starts nothing more and stops waiting
    try:
        _up_services(s, confs, pending, rings, step, wall0, beside, abort)
    except BaseException:
        abort.set()
        raise
    finally:
        pool.shutdown(wait=True)
        beside.shutdown(wait=True)
    step("all services up")
    return _status(s, time.monotonic() - t0)


def _up_services(s: LabSettings, confs: dict[str, Path], pending: dict[str, Future[None]], rings: Future[None] | None,
                 step: Callable[[str], None], wall0: float, beside: ThreadPoolExecutor, abort: threading.Event) -> None:
    root, ports, state = s.root, s.ports, s.root / "state"
    ks_env = {"OS_KEYSTONE_CONFIG_FILES": str(confs["keystone"])}
    if not (state / "keystone.initialized").exists():
        manage = ["keystone-manage", "--config-file", str(confs["keystone"])]
        ks = f"http://127.0.0.1:{ports['keystone']}/v3/"
        for args in (["db_sync"], ["fernet_setup", "--keystone-user", "root", "--keystone-group", "root"],
                     ["credential_setup", "--keystone-user", "root", "--keystone-group", "root"],
                     ["bootstrap", "--bootstrap-password", ADMIN_PASSWORD, "--bootstrap-region-id", "RegionOne",
                      "--bootstrap-admin-url", ks, "--bootstrap-internal-url", ks, "--bootstrap-public-url", ks]):
            _run_logged(root, "init-keystone.log", manage + args)
        (state / "keystone.initialized").touch()
        step("keystone bootstrap")

    def start(name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        if _alive(root, name):
            step(f"{name} already running")
        else:
            _spawn(root, name, args, env)

    def wait_http(name: str, url: str, timeout: float) -> None:
        _wait(name, lambda: _answers(url), lambda: _alive(root, name) is not None, timeout,
              root / "logs" / f"{name}.log")
        step(f"{name} up ({url})")

    start("keystone", [SYSTEM_PYTHON, str(FILES / "wsgi_serve.py"), "127.0.0.1", str(ports["keystone"]),
                       "keystone.server.wsgi:initialize_public_application"], ks_env)
    # RabbitMQ and named boot while Keystone does (their own processes; waited for before their users start).
    if s.rabbit:
        _start_rabbit(s, start)
    if s.designate:
        # -g: foreground, logs to stderr (logs/bind.log); runs as root like the rest of the lab
        start("bind", ["/usr/sbin/named", "-g", "-c", str(confs["named"])])
    wait_http("keystone", f"http://127.0.0.1:{ports['keystone']}/v3", 120)
    designate: Future[None] | None = None
    if s.designate:
        # Designate boots, and gets its pool, beside Keystone's catalog setup and the other services' start: it
        # needs its schema and the bus, not the catalog. Its result is taken below.
        designate = beside.submit(_up_designate, s, confs, start, step, wall0, pending.get("designate"), abort)
    # what setup made
    catalog = json.dumps([_catalog(s), served_regions(s.serve), ["ResellerAdmin"] if s.swift else []])
    if (state / "catalog").exists() and (state / "catalog").read_text() == catalog:
        pass
    else:
        try:
            _keystone_setup(s)
        except Exception as exc:  # openstacksdk/keystoneauth raise many types; the lab names what failed
            raise CloudLabError(f"keystone service user / catalog setup failed: {exc}") from exc
        (state / "catalog").write_text(catalog)
        step("keystone service user + catalog")

    for name, fut in pending.items():
        fut.result()  # raises the CloudLabError naming the init log
        (state / f"{name}.initialized").touch()
    if pending:
        step("db syncs done")

    if s.nova:
        # cell1 stores its own transport URL: keep it in line with this run's bus (rabbit with compute,
        # fake:// without), else nova-api would cast RPCs to a bus that is not there.
        want = f"rabbit://guest:guest@127.0.0.1:{ports['rabbit']}/" if s.compute else "fake://"
        have = _sql(root, ports["pg"], "select transport_url from cell_mappings where name='cell1'", "nova_api")
        if have != want:
            cell1 = _sql(root, ports["pg"], "select uuid from cell_mappings where name='cell1'", "nova_api")
            _run_logged(root, "init-nova.log", _entry("nova-manage", "nova.cmd.manage:main", "--config-file",
                                                      str(confs["nova"]), "cell_v2", "update_cell", "--cell_uuid",
                                                      cell1, "--transport-url", want))
            step(f"nova cell1 transport -> {want}")

    ml2 = str(FILES / "ml2_conf.ini")
    _agents(s)
    start("neutron", [SYSTEM_PYTHON, str(FILES / "neutron_server.py"), "--config-file", str(confs["neutron"]),
                      "--config-file", ml2])
    start("placement", [SYSTEM_PYTHON, str(FILES / "wsgi_serve.py"), "127.0.0.1", str(ports["placement"]),
                        "placement.wsgi:init_application"],
          {"OS_PLACEMENT_CONFIG_DIR": str(root / "etc" / "placement")})
    if s.nova:
        start("nova-api", _entry("nova-api", "nova.cmd.api:main", "--config-file", str(confs["nova"])))
    if s.cinder:
        start("cinder-api", _entry("cinder-api", "cinder.cmd.api:main", "--config-file", str(confs["cinder"])))
    if s.swift:
        if rings is not None:
            rings.result()  # raises the CloudLabError naming logs/init-swift.log
            step("swift rings built")
        for name in [f"swift-{r}" for r in SWIFT_RINGS] + ["swift-proxy"]:
            start(name, [SYSTEM_PYTHON, str(FILES / "swift_serve.py"), str(root / "etc" / "swift"), str(confs[name]),
                         "proxy-server" if name == "swift-proxy" else f"{name[6:]}-server"])
    if s.compute:
        _wait_rabbit(s, step)
        _up_compute(s, confs["nova"], start, step, wall0)
    if designate is not None:
        designate.result()  # raises the CloudLabError naming the log
    for name, _port, url in s.services()[1:]:
        wait_http(name, url, 180)
    if s.compute:
        # Ready once the scheduler's periodic discover_hosts mapped the fake host into cell1 and
        # nova-compute reported in during this run (a row from an earlier run proves nothing).
        _wait("nova-compute registration",
              lambda: bool(_sql(root, ports["pg"], f"select 1 from host_mappings where host='{COMPUTE_HOST}'",
                                "nova_api")) and bool(_sql(root, ports["pg"], _since("nova-compute", wall0), "nova")),
              lambda: _alive(root, "nova-compute") is not None, 180, root / "logs" / "nova-app.log")
        step("fake compute registered + mapped to cell1")


def _agents(s: LabSettings) -> None:
    """One DHCP and one L3 agent row per served availability zone (no agent runs): Neutron accepts
    ``availability_zone_hints`` naming only zones where such agents are, as a real cloud does."""
    zones = [z for z in served_regions(s.serve)[1] if re.fullmatch(r"[A-Za-z0-9._-]+", z)]  # plain names only into SQL
    if not zones:
        return
    values = ", ".join(f"('{z}')" for z in zones)
    _sql(s.root, s.ports["pg"], f"""
        INSERT INTO agents (id, agent_type, "binary", topic, host, availability_zone, admin_state_up, created_at,
                            started_at, heartbeat_timestamp, configurations, load)
        SELECT gen_random_uuid()::text, t.agent_type, t.bin, t.topic, 'govctl-lab-' || t.short || '-' || z.az, z.az,
               true, now(), now(), now(), '{{}}', 0
        FROM (VALUES ('DHCP agent', 'neutron-dhcp-agent', 'dhcp_agent', 'dhcp'),
                     ('L3 agent', 'neutron-l3-agent', 'l3_agent', 'l3')) AS t(agent_type, bin, topic, short),
             (VALUES {values}) AS z(az)
        ON CONFLICT (agent_type, host) DO NOTHING""", "neutron")


def _since(binary: str, wall0: float) -> str:
    """SQL: the service row of BINARY was created or updated since this run started."""
    return (f"select 1 from services where \"binary\"='{binary}' and deleted=0 and "
            f"greatest(created_at, coalesce(updated_at, created_at)) > to_timestamp({wall0}) at time zone 'utc'")


def _start_rabbit(s: LabSettings, start: Callable[..., None]) -> None:
    """epmd (waited for: a second of it) and RabbitMQ (not waited for here), all on 127.0.0.1."""
    root, ports = s.root, s.ports
    rabbit = root / "etc" / "rabbitmq"
    for d in (rabbit, root / "state" / "rabbitmq", root / "logs" / "rabbitmq"):
        d.mkdir(parents=True, exist_ok=True)
    (rabbit / "enabled_plugins").write_text("[].\n")
    (rabbit / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{ports['rabbit']}\n")
    # Everything (epmd, beam, distribution port) on 127.0.0.1; cookie, mnesia and logs in the lab's directory.
    env = {"HOME": str(root / "state" / "rabbitmq"), "ERL_EPMD_ADDRESS": "127.0.0.1",
           "ERL_EPMD_PORT": str(ports["epmd"]), "RABBITMQ_NODENAME": "govctl@localhost",
           "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(ports["rabbit"]),
           "RABBITMQ_DIST_PORT": str(ports["rabbit_dist"]), "RABBITMQ_MNESIA_BASE": str(root / "state" / "rabbitmq" /
                                                                                       "mnesia"),
           "RABBITMQ_LOG_BASE": str(root / "logs" / "rabbitmq"), "RABBITMQ_CONFIG_FILE": str(rabbit / "rabbitmq.conf"),
           "RABBITMQ_ENABLED_PLUGINS_FILE": str(rabbit / "enabled_plugins"),
           "RABBITMQ_PID_FILE": str(root / "run" / "rabbitmq.beam"),
           "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}"}
    # Our own epmd first: otherwise erl spawns a detached 'epmd -daemon' that nobody stops.
    start("epmd", ["epmd", "-address", "127.0.0.1", "-port", str(ports["epmd"])], env)
    _wait("epmd", lambda: _port_open(ports["epmd"]), lambda: _alive(root, "epmd") is not None, 25,
          root / "logs" / "epmd.log")
    start("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env)


def _up_compute(s: LabSettings, nova_conf: Path, start: Callable[..., None], step: Callable[[str], None],
                wall0: float) -> None:
    """nova-conductor/-scheduler/-compute with the fake driver, on the lab's RabbitMQ."""
    root, ports = s.root, s.ports
    for svc in ("conductor", "scheduler"):
        start(f"nova-{svc}", _entry(f"nova-{svc}", f"nova.cmd.{svc}:main", "--config-file", str(nova_conf)))
    # nova-compute pings the conductor once at start and, if nobody listens yet, waits a fixed 10 s
    # before retrying: start it only once the conductor has reported in.
    if not _alive(root, "nova-compute"):
        _wait("nova-conductor", lambda: bool(_sql(root, ports["pg"], _since("nova-conductor", wall0), "nova")),
              lambda: _alive(root, "nova-conductor") is not None, 120, root / "logs" / "nova-app.log")
        step("nova-conductor up")
    start("nova-compute", _entry("nova-compute", "nova.cmd.compute:main", "--config-file", str(nova_conf)))


def _heartbeat(service: str, wall0: float) -> str:
    """SQL: designate's SERVICE reported in since this run started (its heartbeat, an RPC cast to central, stored)."""
    return (f"select 1 from service_statuses where service_name='{service}' and "
            f"heartbeated_at > to_timestamp({wall0}) at time zone 'utc'")


def _wait_rabbit(s: LabSettings, step: Callable[[str], None], abort: threading.Event | None = None) -> None:
    _wait("rabbitmq", lambda: _port_open(s.ports["rabbit"]),
          lambda: _alive(s.root, "rabbitmq") is not None and not (abort and abort.is_set()), 60,
          s.root / "logs" / "rabbitmq.log")
    step(f"rabbitmq up (127.0.0.1:{s.ports['rabbit']})")


def _up_designate(s: LabSettings, confs: dict[str, Path], start: Callable[..., None], step: Callable[[str], None],
                  wall0: float, sync: Future[None] | None, abort: threading.Event) -> None:
    """designate-central, -worker, -producer, -mdns and -api once their schema (SYNC) and the bus are there; then
    the pool (``designate-manage pool update``); then named answering. Runs in a thread of its own beside the
    rest of :func:`up`; ABORT set (the rest failed) stops it before it starts anything more or within a wait.

    The pool update is an RPC call to central: it runs once central takes RPCs,
    which the worker's and mdns's heartbeats (casts to central, stored by it) prove; a call sent before
    central's queue exists would be dropped and time out. It runs again only when pools.yaml changed
    (ports), before `up` returns: the worker loads the pool on its first zone, with its target.
    """
    root, ports, state = s.root, s.ports, s.root / "state"
    conf = ["--config-file", str(confs["designate"])]
    if sync is not None:
        sync.result()  # the schema (the caller marks it initialized)
    _wait_rabbit(s, step, abort)
    if abort.is_set():
        return
    for name in ("designate-central", "designate-worker", "designate-producer", "designate-mdns", "designate-api"):
        start(name, _entry(name, f"designate.cmd.{name.split('-', 1)[1]}:main", *conf))
    for svc in ("worker", "mdns"):
        def beat(svc: str = svc) -> bool:
            return bool(_sql(root, ports["pg"], _heartbeat(svc, wall0), "designate"))

        def alive(svc: str = svc) -> bool:
            return not abort.is_set() and all(_alive(root, n) is not None
                                              for n in ("designate-central", f"designate-{svc}"))

        _wait(f"designate-{svc} heartbeat via designate-central", beat, alive, 120,
              root / "logs" / f"designate-{svc}.log")
    step("designate-central, -worker, -mdns up")
    pools = confs["pools"].read_text(encoding="utf-8")
    applied = state / "designate-pools.yaml"
    if not applied.is_file() or applied.read_text(encoding="utf-8") != pools:
        _run_logged(root, "init-designate.log", _entry("designate-manage", "designate.cmd.manage:main", *conf,
                                                       "pool", "update", "--file", str(confs["pools"])))
        applied.write_text(pools, encoding="utf-8")
        step("designate pool -> the lab's named")
    _wait("bind", lambda: _port_open(ports["bind"]) and _port_open(ports["rndc"]),
          lambda: not abort.is_set() and _alive(root, "bind") is not None, 60, root / "logs" / "bind.log")
    step(f"named up (127.0.0.1:{ports['bind']}, rndc {ports['rndc']})")


# ---------------------------------------------------------------- status, down


OTHER_PORTS = {"epmd": "epmd", "rabbitmq": "rabbit", "designate-mdns": "mdns", "bind": "bind"}  # status's port column


def _status(s: LabSettings, seconds: float | None = None) -> LabStatus:
    root = s.root
    rows = []
    urls = {name: (port, url) for name, port, url in s.services()}
    for name in s.processes():
        pid = _alive(root, name)
        port, url = urls.get(name, (s.ports.get(OTHER_PORTS.get(name, ""), 0), None))
        rows.append(ServiceState(name=name, port=port, pid=pid, running=pid is not None,
                                 answering=(pid is not None and _answers(url, 1.0)) if url else None))
    pg_pid = None
    if _pg_running(root):
        try:
            pg_pid = int((root / "pg" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pg_pid = None
    rows.insert(0, ServiceState(name="postgres", port=s.ports["pg"], pid=pg_pid, running=_pg_running(root),
                                answering=None))
    return LabStatus(directory=str(root), cloud=CLOUD, clouds_yaml=str(s.clouds_yaml), flags=s.flags(),
                     services=rows, seconds=None if seconds is None else round(seconds, 2))


def status(directory: Path | None = None) -> LabStatus:
    """Which of the lab's processes run and which services answer HTTP; CloudLabNotRunning if none was started."""
    root = directory or lab_dir()
    s = LabSettings.load(root)
    if s is None:
        raise CloudLabNotRunning(f"no cloud lab in {root} (no lab.json); start one with `govctl lab cloud up`")
    return _status(s)


def down(directory: Path | None = None, keep_data: bool = False) -> dict[str, Any]:
    """Stop what :func:`up` started in the directory and nothing else; then remove the lab's files.

    Process groups recorded in run/*.pid get SIGTERM, up to 15 s together, then SIGKILL (workers may
    outlive their leader); epmd last, as RabbitMQ without its epmd spawns a detached one. Then the
    private PostgreSQL. ``keep_data`` keeps databases and configs (the next ``up`` takes ~7 s instead
    of ~27 s). Safe to run twice and when nothing was ever started.
    """
    root = directory or lab_dir()
    if os.geteuid() != 0 and root.exists():
        raise CloudLabError("the cloud lab needs root to stop its services")
    stopped: list[str] = []
    run = root / "run"
    names = sorted(p.stem for p in run.glob("*.pid")) if run.is_dir() else []
    for batch in ([n for n in names if n != "epmd"], [n for n in names if n == "epmd"]):
        stopped += _stop_groups(root, batch)
    if _pg_running(root):
        _as_postgres(root, [str(_pg_bin(root) / "pg_ctl"), "-D", str(root / "pg"), "-m", "fast", "-w", "stop"])
        stopped.append("postgres")
    removed = False
    if not keep_data and root.is_dir():
        for entry in OWNED:
            path = root / entry
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                removed = True
            elif path.exists() or path.is_symlink():
                path.unlink()
                removed = True
        try:
            root.rmdir()  # only if the lab's files were all there was
        except OSError:
            pass
    return {"directory": str(root), "stopped": stopped, "removed": removed}


def _stop_groups(root: Path, names: list[str]) -> list[str]:
    live: dict[str, tuple[int, str]] = {}
    for name in names:
        rec = _recorded(root, name)
        if rec and _start_time(rec[0]) == rec[1]:
            try:
                os.killpg(rec[0], signal.SIGTERM)
            except ProcessLookupError:
                pass
            live[name] = rec
        (root / "run" / f"{name}.pid").unlink(missing_ok=True)
    deadline = time.monotonic() + STOP_GRACE
    while live and time.monotonic() < deadline and any(_start_time(p) == st for p, st in live.values()):
        time.sleep(0.25)
    for pid, _st in live.values():
        # The leader may be gone while workers of its group linger: KILL the group either way. Safe:
        # verified as ours seconds ago, and Linux hands out PIDs cyclically.
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return list(live)


# ---------------------------------------------------------------- CLI: govctl lab cloud ...

cloud_app = typer.Typer(no_args_is_help=True, help="The cloud lab: real OpenStack Zed APIs (Keystone, Neutron, "
                                                   "Placement, Nova, Cinder, Swift, Designate with bind9) on 127.0.0.1 "
                                                   "from Debian packages, to rehearse `govctl apply` and "
                                                   "`govctl audit` (needs root).")

# The CLI plumbing, never govctl.cli (which mounts cloud_app as `govctl lab cloud`): no import cycle.
from govctl.core.clikit import JsonOpt, err, handle_errors, out, progress, progress_enabled  # noqa: E402
from govctl.core.clikit import emit_json as _emit_json  # noqa: E402


def _say(msg: str) -> None:
    err.print(msg, highlight=False, markup=False)


def _table(st: LabStatus) -> None:
    from rich.table import Table

    table = Table("service", "port", "pid", "state", title=f"cloud lab {st.directory}", title_justify="left")
    for s in st.services:
        if not s.running:
            state = "[red]stopped[/]"
        elif s.answering is False:
            state = "[yellow]not answering[/]"
        else:
            state = "[green]up[/]"
        table.add_row(s.name, str(s.port or ""), str(s.pid or ""), state)
    out.print(table)


@cloud_app.command("install")
@handle_errors
def cloud_install(as_json: JsonOpt = False) -> None:
    """Install the Debian packages the cloud lab needs, only those missing (apt-get update only then).

    Library packages where Debian has them (python3-keystone, python3-designate, ...), plus rabbitmq-server
    and bind9, whose services apt is kept from starting and which are left disabled: the lab runs its own.

    Example: `sudo govctl lab cloud install`
    """
    t0 = time.monotonic()
    done = install(progress=None if as_json else _say)
    if as_json:
        _emit_json({"installed": done, "seconds": round(time.monotonic() - t0, 2)})
    elif done:
        out.print(f"installed {' '.join(done)} in {time.monotonic() - t0:.1f} s", highlight=False)
    else:
        out.print(f"all {len(wanted_packages())} packages already installed", highlight=False)


@cloud_app.command("up")
@handle_errors
def cloud_up(
    fresh: Annotated[bool, typer.Option("--fresh", help="Stop everything and wipe databases, state and logs "
                                                        "first.")] = False,
    compute: Annotated[bool, typer.Option("--compute", help="Also nova-conductor/-scheduler/-compute with the fake "
                                                            "driver.")] = False,
    no_nova: Annotated[bool, typer.Option("--no-nova", help="No Nova API.")] = False,
    no_cinder: Annotated[bool, typer.Option("--no-cinder", help="No Cinder API.")] = False,
    no_swift: Annotated[bool, typer.Option("--no-swift", help="No Swift (proxy, account, container and object "
                                                              "servers).")] = False,
    no_designate: Annotated[bool, typer.Option("--no-designate", help="No Designate and no named (nor RabbitMQ, "
                                                                      "unless --compute).")] = False,
    serve: Annotated[list[Path] | None, typer.Option("--serve", help="Also serve the regions and availability "
                                                                     "zones of this inventory's clouds.yaml "
                                                                     "(repeatable).", exists=True, file_okay=False)]
    = None,
    as_json: JsonOpt = False,
) -> None:
    """Start the cloud lab, or leave it as it is if it already runs; writes clouds.yaml (cloud `govctl-lab`).

    Directory: $GOVCTL_CLOUD_LAB_DIR, else $GOVCTL_LAB_DIR/cloud, else /var/lib/govctl/lab/cloud. Ports
    (all on 127.0.0.1): PostgreSQL 15432, Keystone 5000, Neutron 9696, Placement 8778, Nova 8774,
    Cinder 8776, Swift proxy 8880 and its object, container and account servers 6200, 6201, 6202,
    Designate 9001, designate-mdns 5354, named 5356 (DNS) and 5953 (rndc), RabbitMQ 5672, 25672, epmd
    4369; override each with GOVCTL_CLOUD_PG_PORT, GOVCTL_CLOUD_KEYSTONE_PORT, ... (PG, KEYSTONE, NEUTRON,
    PLACEMENT, NOVA, CINDER, SWIFT, SWIFT_OBJECT, SWIFT_CONTAINER, SWIFT_ACCOUNT, DESIGNATE, MDNS, BIND,
    RNDC, RABBIT, RABBIT_DIST, EPMD). Credentials admin/admin, loopback only. No dataplane: no agents, no
    Glance, no instance boots; Swift stores for real (one-node ring, data in the lab's state directory)
    and a DNS zone is served by the lab's named.

    Example: `sudo govctl lab cloud up --fresh && export OS_CLIENT_CONFIG_FILE=/var/lib/govctl/lab/cloud/clouds.yaml
    OS_CLOUD=govctl-lab && govctl audit -p prov --region '*=RegionOne' --physnet strong-isolation=physnet1
    --no-az-hints`
    """
    # a bar showing the latest step on a terminal; otherwise (CI logs) one line per step
    with progress("cloud lab up", None) as bar:
        st = up(fresh=fresh, nova=not no_nova, cinder=not no_cinder, compute=compute, swift=not no_swift,
                designate=not no_designate, serve=[str(d) for d in serve or ()],
                progress=None if as_json else bar if progress_enabled() else _say)
    if as_json:
        _emit_json(st.as_dict())
        return
    out.print(f"cloud lab up in {st.seconds:.1f} s: {', '.join(s.name for s in st.services)}", highlight=False)
    out.print(f"use: export OS_CLIENT_CONFIG_FILE={st.clouds_yaml} OS_CLOUD={st.cloud}   "
              "(then: govctl audit ..., govctl lab cloud down)", highlight=False, markup=False)


@cloud_app.command("status")
@handle_errors
def cloud_status(as_json: JsonOpt = False) -> None:
    """Show the cloud lab's processes: port, pid, running and answering; exit 1 if any is down.

    Example: `govctl lab cloud status --json`
    """
    st = status()
    if as_json:
        _emit_json(st.as_dict())
    else:
        _table(st)
        out.print(f"clouds.yaml: {st.clouds_yaml} (cloud {st.cloud})", highlight=False, markup=False)
    if not st.up:
        raise CloudLabError(f"not answering: {', '.join(st.down_services)}; logs in {st.directory}/logs "
                            "(restart with `govctl lab cloud up`)")


@cloud_app.command("down")
@handle_errors
def cloud_down(
    keep_data: Annotated[bool, typer.Option("--keep-data", help="Keep databases and configs: the next `up` "
                                                                "restarts in seconds.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stop exactly what `govctl lab cloud up` started (by its pid files) and remove the lab's files. Safe twice.

    Example: `sudo govctl lab cloud down`
    """
    res = down(keep_data=keep_data)
    if as_json:
        _emit_json(res)
        return
    what = ", ".join(res["stopped"]) or "nothing was running"
    out.print(f"cloud lab {res['directory']} down: {what}{'; files removed' if res['removed'] else ''}",
              highlight=False)


if __name__ == "__main__":  # `python3 -m govctl.labs.cloud.lab install`: before govctl's CLI mounts it
    cloud_app()
