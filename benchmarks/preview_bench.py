"""Offline `govctl plan` against the real `pulumi preview` on the same stack and state, side by side.

    python benchmarks/preview_bench.py [--repeat N] [--inventory DIR --stack NAME]

Needs root, the cloud lab's Debian packages and govctl's engine on PATH (`eval "$(tools/engine/build.sh --env)"`).
Starts the cloud lab in its own directory and ports (unless GOVCTL_CLOUD_LAB_DIR names a running one), serving the
inventory's regions (`up --serve`), applies the stack through the engine (default: the example's hub stack `prov`;
`--inventory inventories/guangdong --stack gd-prov` is the Guangdong-sized one, about 2,600 resources), then,
N times, alternating so that a burst of load from other users of the machine hits neither side alone:

  govctl plan      `govctl plan -s STACK --no-cache --json` against the stack's checkpoint, in a fresh process
  pulumi preview   `pulumi preview --json` of the same stack and state (refresh off, no policy pack), the CLI
                   run directly, with the provider and the program on govctl's interpreter

each on the applied inventory (no change) and with one quota raised. Wall time and peak RSS (largest process of
the tree, from wait4), then the ratio of the fastest of each. Goal (issue 27): plan <= 0.25 x preview, with the
same change set (checked here too). The apply's own time and peak RSS are printed as well, with the number of
provider processes the engine ran (one per provider resource).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inventories" / "example"
GOVCTL = [sys.executable, "-c", "import sys; sys.argv[0] = 'govctl'; from govctl.cli import main; main()"]


def tree_rss_mib(root: int) -> float:
    """RSS of ``root`` and all its descendants now, MiB (from /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, frontier = {root}, [root]
    while frontier:
        kids = [p for p, pp in parent.items() if pp in frontier and p not in tree]
        tree.update(kids)
        frontier = kids
    return sum(rss.get(p, 0) for p in tree) / 2**20


def measure(cmd: list[str], env: dict[str, str], sample: list[float] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB of the largest process in the tree, stdout); with ``sample``, the whole tree's
    RSS is sampled every 2 s into it (the engine runs one provider process per provider resource)."""
    import threading

    started = time.perf_counter()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
    done = threading.Event()

    def sampler() -> None:
        while sample is not None and not done.wait(2.0):
            sample.append(tree_rss_mib(proc.pid))

    watcher = threading.Thread(target=sampler, daemon=True)
    watcher.start()
    out = proc.stdout.read().decode() if proc.stdout else ""
    done.set()
    watcher.join()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-5:]
        raise SystemExit(f"{' '.join(cmd[:6])} ... failed with {code}:\n" + "\n".join(tail))
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def main() -> None:
    args = sys.argv[1:]
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 3
    source = Path(args[args.index("--inventory") + 1]).resolve() if "--inventory" in args else EXAMPLE
    stack = args[args.index("--stack") + 1] if "--stack" in args else "prov"
    from govctl.labs.cloud import lab
    from govctl.stacks.credentials import engine_env as credentials

    with tempfile.TemporaryDirectory(prefix="govctl-preview-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ}
        if "GOVCTL_CLOUD_LAB_DIR" not in env:
            env["GOVCTL_CLOUD_LAB_DIR"] = os.environ["GOVCTL_CLOUD_LAB_DIR"] = str(work / "lab")
        status = lab.up(serve=[str(source)])
        env.update(status.env())
        os.environ.update(status.env())
        inv, state = work / source.name, work / "state"
        shutil.copytree(source, inv, ignore=shutil.ignore_patterns(".govctl"))
        t0 = time.perf_counter()
        tree: list[float] = []
        wall, rss, out = measure([*GOVCTL, "--state-dir", str(state), "apply", str(inv), "-s", stack, "--yes"], env,
                                 tree)
        created = sum(1 for ln in out.splitlines() if " created (" in ln)
        rows: list[tuple[str, float, float, str]] = [
            ("govctl apply (first, through the engine)", time.perf_counter() - t0, rss,
             f"{created} created; largest process {rss:.0f} MiB, whole tree at most {max(tree, default=0):.0f} MiB")]
        engine_env = {**env, **credentials(), "PULUMI_BACKEND_URL": f"file://{state / 'stacks' / 'backend'}",
                      "PULUMI_CONFIG_PASSPHRASE_FILE": str(state / "secrets" / "pulumi-passphrase"),
                      "PULUMI_PYTHON_CMD": sys.executable, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        preview = ["pulumi", "preview", "--json", "--stack", stack, "--cwd", str(state / "stacks" / "work"),
                   "--non-interactive"]
        for label, edit in (("no change", False), ("one quota raised", True)):
            if edit:  # the first tenant's instances quota, up by 8
                path = inv / "tenants.yaml"
                path.write_text(re.sub(r"instances: (\d+)", lambda m: f"instances: {int(m[1]) + 8}",
                                       path.read_text(encoding="utf-8"), count=1), encoding="utf-8")
            plans, previews = [], []
            for n in range(1, repeat + 1):
                wall, rss, out = measure([*GOVCTL, "--state-dir", str(state), "plan", str(inv), "-s", stack,
                                          "--json", "--no-cache"], env)
                offline = {(c["kind"], c["urn"]) for c in json.loads(out)["stacks"][0]["changes"]}
                plans.append(wall)
                rows.append((f"{label}: govctl plan (#{n})", wall, rss, f"{len(offline)} changes"))
                wall, rss, out = measure(preview, engine_env)
                steps = {(s["op"], s["urn"]) for s in json.loads(out).get("steps") or []
                         if s["op"] in ("create", "update", "delete", "replace")
                         and "::pulumi:pulumi:Stack::" not in s["urn"]}
                previews.append(wall)
                rows.append((f"{label}: pulumi preview (#{n})", wall, rss,
                             "same change set" if steps == offline else f"DIFFERS: {sorted(steps ^ offline)[:3]}"))
            rows.append((f"{label}: plan / preview, fastest of each", min(plans), 0.0,
                         f"{min(plans) / min(previews):.2f} x (goal <= 0.25)"))
        width = max(len(r[0]) for r in rows)
        print(f"{'measure':<{width}}  {'wall s':>7}  {'peak MiB':>8}  note")
        for name, wall, rss, note in rows:
            print(f"{name:<{width}}  {wall:7.1f}  {rss:8.0f}  {note}")
        if env["GOVCTL_CLOUD_LAB_DIR"] == str(work / "lab"):
            lab.down()


if __name__ == "__main__":
    main()
