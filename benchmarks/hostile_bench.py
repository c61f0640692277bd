"""Benchmark: hostile inventory files are refused fast (the goal: under 1 s each, CLI included).

    python benchmarks/hostile_bench.py [--repeat N]

The cases are the suite's own (tests/inventory/test_inventory_hostile.py: depth, alias and merge-key
bombs, huge lines and files), loaded from that file so the benchmark measures exactly what the test
checks. Each case copies the bundled example, writes its hostile file and runs `govctl validate` in
this process (imports and first-call costs paid once beforehand, untimed), N times; the table shows
the median and worst wall time, and whether the run stayed under the goal. The test only asserts a
bound ten times the goal, so that a loaded machine cannot fail it and a hang still does.
"""
from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from govctl import cli

ROOT = Path(__file__).resolve().parents[1]
CASES_FILE = ROOT / "tests" / "inventory" / "test_inventory_hostile.py"
EXAMPLE = Path(cli.__file__).resolve().parent / "inventories" / "example"
GOAL_S = 1.0


def load_cases() -> list:
    spec = importlib.util.spec_from_file_location("hostile_cases", CASES_FILE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"hostile_bench: cannot read the cases in {CASES_FILE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while they are made
    spec.loader.exec_module(module)
    return list(module.HOSTILE)


def time_case(case, repeat: int) -> list[float]:  # noqa: ANN001 - the test module's Hostile
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp) / "inv"
            shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns(".govctl"))
            case.mutate(d)
            start = time.perf_counter()
            result = CliRunner().invoke(cli.app, ["validate", str(d)])
            times.append(time.perf_counter() - start)
            if result.exit_code != 2:
                raise SystemExit(f"hostile_bench: {case.id}: exit {result.exit_code}, expected 2")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    args = ap.parse_args()
    CliRunner().invoke(cli.app, ["validate", str(EXAMPLE)])  # warm-up, untimed
    rows = []
    for case in load_cases():
        t = time_case(case, args.repeat)
        rows.append((case.id, statistics.median(t), max(t)))
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'median s':>9}  {'worst s':>8}  goal < {GOAL_S:.0f} s")
    for name, med, worst in rows:
        print(f"{name:<{width}}  {med:9.3f}  {worst:8.3f}  {'ok' if worst < GOAL_S else 'MISSED'}")
    missed = [r[0] for r in rows if r[2] >= GOAL_S]
    print(f"{len(rows) - len(missed)}/{len(rows)} cases under the goal"
          + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
