"""How long `govctl report --html` takes for a province, and how long headless Chromium takes to open and
draw the page from file:// (goals for Guangdong: written in under 5 s, opened and drawn in under 3 s).

    python benchmarks/report_bench.py [INVENTORY] [--repeat N]

Prints a table: write time (the whole command in-process: load, validate, IPv6 plan, waves, views, HTML),
file size, and Chromium's open-and-draw time (navigation start to every chart drawn, measured with the
page's own clock), best and median of N runs. Needs Debian's chromium and chromium-driver for the last.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from govctl.cli import app

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
DRAWN = """
var r = window.govctlReport; if (!r) return null;
var all = Object.keys(r.charts).every(function (k) { return r.charts[k].every(function (c) {
  return c.getDom().querySelector('canvas') !== null; }); });
return all ? performance.now() : null;"""


def write_times(inventory: Path, out: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = CliRunner().invoke(app, ["-q", "report", str(inventory), "--html", str(out)])
        times.append(time.perf_counter() - t0)
        if r.exit_code != 0:
            raise SystemExit(r.output)
    return times


def draw_times(page: Path, repeat: int) -> list[float] | None:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    times = []
    for _ in range(repeat):
        profile = tempfile.mkdtemp(prefix="govctl-bench-")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in FLAGS + [f"--user-data-dir={profile}", "--window-size=1280,900"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            driver.get(page.resolve().as_uri())
            drawn = WebDriverWait(driver, 60, poll_frequency=0.02).until(lambda d: d.execute_script(DRAWN))
            times.append(float(drawn) / 1000)  # ms since navigation start, by the page's clock
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inventory", nargs="?", default=str(ROOT / "inventories" / "guangdong"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "report.html"
        w = write_times(Path(args.inventory), page, args.repeat)
        size = page.stat().st_size
        d = draw_times(page, args.repeat)
    rows = [("report --html written", w, 5.0)] + ([("opened and drawn (Chromium)", d, 3.0)] if d else [])
    print(f"{Path(args.inventory).name}: {size / 1e6:.2f} MB HTML (goal < 5 MB), {args.repeat} runs")
    print(f"{'measure':<30}{'best s':>9}{'median s':>10}{'goal s':>8}")
    for name, ts, goal in rows:
        print(f"{name:<30}{min(ts):>9.2f}{statistics.median(ts):>10.2f}{goal:>8.1f}")
    if d is None:
        print("opened and drawn: skipped (no chromium / chromedriver)")


if __name__ == "__main__":
    main()
