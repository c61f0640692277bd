"""Offline `govctl plan` against the real `pulumi preview` on the same stack and state, side by side.

    python benchmarks/preview_bench.py [--repeat N]

Needs root, the cloud lab's Debian packages and govctl's engine on PATH (`eval "$(tools/engine/build.sh --env)"`).
Starts the cloud lab in its own directory and ports (unless GOVCTL_CLOUD_LAB_DIR names a running one), applies
the example's hub stack through the engine (the resources the lab cannot serve left out with --exclude), then,
N times, alternating so that a burst of load from other users of the machine hits neither side alone:

  govctl plan      `govctl plan -s prov --no-cache --json` against the stack's checkpoint, in a fresh process
  pulumi preview   `pulumi preview --json` of the same stack and state (refresh off, no policy pack), the CLI
                   run directly, with the provider and the program on govctl's interpreter

each on the applied inventory (no change) and with one quota raised. Wall time and peak RSS (largest process of
the tree, from wait4), then the ratio of the fastest of each. Goal (issue 27): plan <= 0.25 x preview, with the
same change set (checked here too). The apply's own time is printed as well.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inventories" / "example"
GOVCTL = [sys.executable, "-c", "import sys; sys.argv[0] = 'govctl'; from govctl.cli import main; main()"]
STACK = "prov"
UNSERVED = ("prov-zone", "-dr-backup-")  # no Designate, no Swift in the lab


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB of the largest process in the tree, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise SystemExit(f"{' '.join(cmd[:6])} ... failed with {code}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def main() -> None:
    args = sys.argv[1:]
    repeat = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 3
    from govctl.labs.cloud import lab

    with tempfile.TemporaryDirectory(prefix="govctl-preview-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ}
        if "GOVCTL_CLOUD_LAB_DIR" not in env:
            env["GOVCTL_CLOUD_LAB_DIR"] = os.environ["GOVCTL_CLOUD_LAB_DIR"] = str(work / "lab")
        status = lab.up()
        env.update(status.env())
        inv, state = work / "example", work / "state"
        shutil.copytree(EXAMPLE, inv, ignore=shutil.ignore_patterns(".govctl"))
        plan = json.loads(measure([*GOVCTL, "--state-dir", str(state), "plan", str(inv), "-s", STACK, "--json",
                                   "--no-cache"], env)[2])
        exclude = [a for c in plan["stacks"][0]["changes"] if any(u in c["name"] for u in UNSERVED)
                   for a in ("--exclude", c["urn"])]
        t0 = time.perf_counter()
        measure([*GOVCTL, "--state-dir", str(state), "apply", str(inv), "-s", STACK, "--yes", *exclude], env)
        rows: list[tuple[str, float, float, str]] = [("govctl apply (first, through the engine)",
                                                     time.perf_counter() - t0, 0.0, "")]
        engine_env = {**env, "PULUMI_BACKEND_URL": f"file://{state / 'stacks' / 'backend'}",
                      "PULUMI_CONFIG_PASSPHRASE_FILE": str(state / "secrets" / "pulumi-passphrase"),
                      "PULUMI_PYTHON_CMD": sys.executable, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        preview = ["pulumi", "preview", "--json", "--stack", STACK, "--cwd", str(state / "stacks" / "work"),
                   "--non-interactive", *exclude]
        quota = ("      instances: 32\n", "      instances: 40\n")
        for label, edit in (("no change", None), ("one quota raised", quota)):
            if edit is not None:
                path = inv / "tenants.yaml"
                path.write_text(path.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8")
            plans, previews = [], []
            for n in range(1, repeat + 1):
                wall, rss, out = measure([*GOVCTL, "--state-dir", str(state), "plan", str(inv), "-s", STACK,
                                          "--json", "--no-cache"], env)
                offline = {(c["kind"], c["urn"]) for c in json.loads(out)["stacks"][0]["changes"]
                           if not any(u in c["name"] for u in UNSERVED)}
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
