"""What users feel during a lab change: UDP flows between the departments' edges, sent at a fixed rate
from inside the lab's routers while a push, rollback or cutover runs, and per flow how many packets
were lost and the longest time nothing arrived.

Each flow is a receiver in the destination router's namespace and a sender in the source router's
(``probe_agent.py``, started with ``ip netns exec``): datagrams carry a sequence number and are sent on
a fixed schedule (every ``interval_ms``, 10 to 20 ms), bounded in count (``max_seconds`` worth) and
in time (the receiver gives up after ``max_seconds`` + a margin by itself, whatever happens to us).
IPv4 flows run between the edges' departments' prefixes (``dept0``, the IPv4 baseline); IPv6 flows
between the edges' IPv6 loopbacks, which exist once the rollout has reached them.

Accounting (``account``) is pure: lost = sent - distinct sequence numbers received; the longest gap
is the longest time without an arrival, counting from the first send to the last send, so a flow
that never got through has a gap as long as the run, and one that lost nothing a gap of about one
interval.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from govctl.ipv6.models import Ipv6Plan
from govctl.network.errors import LabError
from govctl.network.models import LabState

AGENT = Path(__file__).resolve().parent / "probe_agent.py"
PORT = 47_000  # first UDP port; flow n listens on PORT + n
GRACE = 0.3  # seconds the receivers wait for datagrams in flight after the senders stop


@dataclass(frozen=True)
class Flow:
    name: str  # "ipv4 alpha-r1 -> gamma-r1"
    family: str  # "ipv4" | "ipv6"
    src_node: str
    src_netns: str
    src: str
    dst_node: str
    dst_netns: str
    dst: str


@dataclass(frozen=True)
class FlowResult:
    name: str
    family: str
    src: str
    dst: str
    sent: int
    received: int
    lost: int
    longest_gap_ms: float
    first_arrival_ms: float | None  # after the first send; None: nothing arrived

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def account(flow: Flow, sender: dict, received: Sequence[Sequence[float]]) -> FlowResult:  # type: ignore[type-arg]
    """One flow's numbers from what its sender reported and the (sequence, arrival time) pairs received."""
    sent = int(sender.get("sent", 0))
    first, last = float(sender.get("first", 0.0)), float(sender.get("last", 0.0))
    seen: dict[int, float] = {}
    for seq, at in received:
        if 0 <= int(seq) < sent:
            seen.setdefault(int(seq), float(at))  # a duplicate is not a second delivery
    arrivals = sorted(seen.values())
    if sent == 0:
        return FlowResult(flow.name, flow.family, flow.src, flow.dst, 0, 0, 0, 0.0, None)
    points = [first] + [t for t in arrivals if t >= first] + [max(last, arrivals[-1] if arrivals else last)]
    gap = max((b - a for a, b in zip(points, points[1:])), default=0.0)
    return FlowResult(flow.name, flow.family, flow.src, flow.dst, sent, len(seen), sent - len(seen),
                      round(gap * 1000, 1), round((arrivals[0] - first) * 1000, 1) if arrivals else None)


def lab_flows(netns: dict[str, str], depts: dict[str, str], loopbacks6: dict[str, str],
              per_family: int = 2) -> list[Flow]:
    """Up to ``per_family`` flows per address family between edge routers far apart in the lab's order
    (first to last, middle to first, ...): ``depts`` edge -> IPv4 prefix, ``loopbacks6`` node -> IPv6
    loopback."""
    edges = [n for n in depts if n in netns]
    if len(edges) < 2:
        return []
    k = len(edges)
    pairs: list[tuple[str, str]] = []
    for a, b in ((0, k - 1), (k // 2, 0), (k - 1, k // 2), (1, k - 2)):
        pair = (edges[a], edges[b])
        if pair[0] != pair[1] and pair not in pairs:
            pairs.append(pair)
    pairs = pairs[:per_family]
    flows = []
    for a, b in pairs:
        flows.append(Flow(f"ipv4 {a} -> {b}", "ipv4", a, netns[a], depts[a].split("/")[0],
                          b, netns[b], depts[b].split("/")[0]))
    for a, b in pairs:
        if a in loopbacks6 and b in loopbacks6:
            flows.append(Flow(f"ipv6 {a} -> {b}", "ipv6", a, netns[a], loopbacks6[a], b, netns[b], loopbacks6[b]))
    return flows


class Probes:
    """Running flows; ``stop()`` ends them and returns their results (once)."""

    def __init__(self, flows: list[Flow], interval_ms: float, max_seconds: float) -> None:
        self.flows, self.interval_ms, self.max_seconds = flows, interval_ms, max_seconds
        self.receivers: list[subprocess.Popen[str]] = []
        self.senders: list[subprocess.Popen[str]] = []
        self.results: list[FlowResult] | None = None

    def _agents(self, runs: list[tuple[str, list[object]]]) -> list[subprocess.Popen[str]]:
        """Start agents (netns, arguments) all at once, then wait for each to say it is bound."""
        procs = [subprocess.Popen(["ip", "netns", "exec", netns, sys.executable, "-I", str(AGENT), *map(str, args)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for netns, args in runs]
        failed = ""
        for (netns, _), proc in zip(runs, procs):
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()  # "ready" once bound; EOF if it failed
            if line != "ready" and not failed:
                proc.kill()
                _, err = proc.communicate(timeout=5)
                failed = f"probe agent in {netns} did not start: {(err or line).strip()[-300:]}"
        if failed:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.communicate(timeout=5)
            raise LabError(failed)
        return procs

    def start(self) -> None:
        count = int(self.max_seconds * 1000 / self.interval_ms)
        self.receivers = self._agents([
            (f.dst_netns, ["recv", f.family, "::" if f.family == "ipv6" else "0.0.0.0",  # noqa: S104 - in a lab router
                           PORT + n, self.max_seconds + 10]) for n, f in enumerate(self.flows)])
        try:
            self.senders = self._agents([(f.src_netns, ["send", f.family, f.src, f.dst, PORT + n, self.interval_ms,
                                                        count]) for n, f in enumerate(self.flows)])
        except BaseException:
            self._kill()
            raise

    def _kill(self) -> None:
        for p in self.senders + self.receivers:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=5)

    def flowing(self, within: float = 0.1) -> list[bool]:
        """Per flow: did a datagram arrive in the last ``within`` seconds (asked of the receivers now)."""
        answers = []
        for proc in self.receivers:
            assert proc.stdout is not None
            if proc.poll() is not None:
                answers.append(False)
                continue
            proc.send_signal(signal.SIGUSR1)
            parts = proc.stdout.readline().split()  # "last T now T", within one 50 ms select round
            answers.append(len(parts) == 4 and float(parts[3]) - float(parts[1]) <= within)
        return answers

    def settle(self, seconds: float) -> float:
        """Keep probing after a change until every flow delivers again, ``seconds`` at most: what users feel
        includes the network converging after the command returned. Returns the seconds waited."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds and not all(self.flowing()):
            time.sleep(0.05)
        return time.monotonic() - t0

    def stop(self) -> list[FlowResult]:
        if self.results is not None:
            return self.results
        senders = [_finish(p) for p in self.senders]
        time.sleep(GRACE)
        receivers = [_finish(p) for p in self.receivers]
        self.results = [account(f, s, r.get("received", [])) for f, s, r in zip(self.flows, senders, receivers)]
        return self.results


def _finish(proc: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    lines = [x for x in out.splitlines() if x.startswith("{")]
    if not lines:
        raise LabError(f"probe agent gave no result: {err.strip()[-300:]}")
    return dict(json.loads(lines[-1]))


def start(flows: list[Flow], interval_ms: float = 10.0, max_seconds: float = 600.0) -> Probes:
    """Start ``flows`` (receivers first, so no datagram is sent before its receiver listens)."""
    if not 10 <= interval_ms <= 20:
        raise LabError(f"probe interval {interval_ms} ms: between 10 and 20 ms")
    probes = Probes(flows, interval_ms, max_seconds)
    probes.start()
    return probes


@contextmanager
def probing(flows: list[Flow], interval_ms: float = 10.0, max_seconds: float = 600.0,
            settle: float = 0.0) -> Iterator[Probes]:
    """Run ``flows`` for the duration of the block, then up to ``settle`` seconds more until every flow
    delivers again (not after an exception); the results are in ``.results`` after it."""
    probes = start(flows, interval_ms, max_seconds) if flows else Probes([], interval_ms, max_seconds)
    try:
        yield probes
        if settle and flows:
            probes.settle(settle)
    finally:
        probes.stop()


def for_lab(state: LabState, plan: Ipv6Plan | None) -> list[Flow]:
    """The default flows of a running lab (none when it has fewer than two edges); IPv6 flows need ``plan``."""
    from govctl.labs.routers import runner

    netns = {n.node: n.netns for n in state.nodes}
    loops = {n: str(plan.loopback(n)) for n in netns} if plan is not None else {}
    return lab_flows(netns, runner.edge_prefixes(state), loops)


def summary_rows(results: list[FlowResult]) -> list[tuple[str, str, str, str]]:
    return [(r.name, str(r.sent), str(r.lost), f"{r.longest_gap_ms:.0f}") for r in results]

