"""One end of a probe flow, run inside a lab router's network namespace (``ip netns exec``). Stdlib only:
it runs as a plain script (``python3 -I probe_agent.py ...``), never importing govctl.

    send FAMILY SRC DST PORT INTERVAL_MS COUNT   UDP datagrams: sequence number + send time, one every
                                                  INTERVAL_MS on a fixed schedule, COUNT at most
    recv FAMILY ADDR PORT SECONDS                 record each datagram's sequence number and arrival time

Both print ``ready`` once bound; the receiver answers SIGUSR1 with ``last T now T`` (its latest
arrival); on SIGTERM (or when COUNT / SECONDS run out) one JSON line with
what they did, times from CLOCK_MONOTONIC (one clock for every namespace of the host).
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import sys
import time

PACKET = struct.Struct("!IQ")  # sequence number, send time (ns, CLOCK_MONOTONIC)
IP_FREEBIND = 15  # bind to an address the router does not hold yet (an IPv6 loopback before the rollout)

stop = False
asked = False


def _term(*_: object) -> None:
    global stop
    stop = True


def _ask(*_: object) -> None:
    global asked
    asked = True


def _socket(family: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if family == "ipv6" else socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    return sock


def send(family: str, src: str, dst: str, port: int, interval_ms: float, count: int) -> dict[str, object]:
    sock = _socket(family)
    sock.bind((src, 0))
    print("ready", flush=True)
    interval = interval_ms / 1000
    start = time.monotonic()
    sent = errors = 0
    first = last = 0.0
    while not stop and sent < count:
        due = start + sent * interval  # a fixed schedule: a late send never shifts the later ones
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = time.monotonic()
        try:
            sock.sendto(PACKET.pack(sent, time.monotonic_ns()), (dst, port))
        except OSError:
            errors += 1  # no route yet (or any more): the datagram is lost, and counted as sent
        if sent == 0:
            first = now
        last = now
        sent += 1
    return {"sent": sent, "errors": errors, "first": first, "last": last, "interval_ms": interval_ms}


def recv(family: str, addr: str, port: int, seconds: float) -> dict[str, object]:
    sock = _socket(family)
    sock.bind((addr, port))
    sock.setblocking(False)
    print("ready", flush=True)
    end = time.monotonic() + seconds
    got: list[tuple[int, float]] = []
    global asked
    while not stop and time.monotonic() < end:
        if asked:  # SIGUSR1: "when did the last datagram arrive?" (one line; 0 if none yet)
            asked = False
            print(f"last {got[-1][1] if got else 0} now {time.monotonic()}", flush=True)
        ready, _, _ = select.select([sock], [], [], 0.05)
        while ready:
            try:
                data = sock.recv(64)
            except BlockingIOError:
                break
            now = time.monotonic()
            if len(data) >= PACKET.size:
                got.append((PACKET.unpack_from(data)[0], round(now, 6)))
    return {"received": got}


def _die_with_parent() -> None:
    """A controller killed mid-change (SIGKILL) must not leave probes sending: SIGTERM when it dies."""
    import ctypes

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the call
        _term()


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _term)
    signal.signal(signal.SIGINT, _term)
    signal.signal(signal.SIGUSR1, _ask)
    _die_with_parent()
    if argv[0] == "send":
        result = send(argv[1], argv[2], argv[3], int(argv[4]), float(argv[5]), int(argv[6]))
    elif argv[0] == "recv":
        result = recv(argv[1], argv[2], int(argv[3]), float(argv[4]))
    else:
        print(f"unknown role {argv[0]!r}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result), flush=True)
    except BrokenPipeError:  # the controller is gone (killed): nobody to report to
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
