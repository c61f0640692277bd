"""Determinism across processes: the same planner run in two interpreters with different string-hash seeds.
Two calls in one process share one seed, so they cannot see an order that follows hash(str) (set iteration,
for one); two processes with PYTHONHASHSEED=1 and =2 can."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = ("1", "2")
# Printed to stderr by each child: proof that the seeds took (the two children hash strings differently).
SEED_PROBE = "import sys; print(hash('govctl-hash-seed-probe'), file=sys.stderr)\n"


def outputs_under_seeds(script: str, *args: str) -> list[str]:
    """stdout of ``script`` (run with tests/ipv6 on sys.path) under each seed; fails if a child fails or if the
    seeds did not change str hashing."""
    outs, probes = [], []
    for seed in SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run([sys.executable, "-c", SEED_PROBE + script, *args], cwd=HERE, env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
        probes.append(r.stderr.splitlines()[0])
    assert len(set(probes)) == len(SEEDS), f"PYTHONHASHSEED did not change hash(str): {probes}"
    assert all(outs), "the children printed no plan"
    return outs
