"""Carving child prefixes out of a parent block: the one small pure mechanism of the plan.

Free space is the parent minus what is taken (as NetBox computes it), but kept
as sorted integer intervals with a cursor per length, so allocating 3,500 /127s
is linear rather than quadratic.
"""
from __future__ import annotations

import bisect
import ipaddress


class Block:
    """A parent prefix and the children already taken from it."""

    def __init__(self, network: ipaddress.IPv6Network) -> None:
        self.network = network
        self._lo = int(network.network_address)
        self._hi = int(network.broadcast_address)
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cursor: dict[int, int] = {}

    def contains(self, child: ipaddress.IPv6Network) -> bool:
        return child.subnet_of(self.network) and child != self.network

    def _overlap(self, start: int, end: int) -> int | None:
        """End of a taken interval overlapping [start, end], if any."""
        i = bisect.bisect_right(self._starts, end)
        if i and self._ends[i - 1] >= start:
            return self._ends[i - 1]
        return None

    def _take(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, end)

    def reserve(self, child: ipaddress.IPv6Network) -> bool:
        """Mark a pinned child as taken. False if it overlaps one taken before."""
        start, end = int(child.network_address), int(child.broadcast_address)
        if self._overlap(start, end) is not None:
            return False
        self._take(start, end)
        return True

    def allocate(self, length: int) -> ipaddress.IPv6Network | None:
        """The lowest free aligned prefix of ``length``, or None when the block is full."""
        size = 1 << (128 - length)
        start = max(self._cursor.get(length, self._lo), self._lo)
        start = -(-start // size) * size
        while start + size - 1 <= self._hi:
            blocking = self._overlap(start, start + size - 1)
            if blocking is None:
                self._take(start, start + size - 1)
                self._cursor[length] = start + size
                return ipaddress.IPv6Network((start, length))
            start = -(-(blocking + 1) // size) * size
        return None

    def capacity(self, length: int) -> int:
        return 1 << (length - self.network.prefixlen)
