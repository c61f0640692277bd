"""Headless Chromium (Debian's chromium + chromium-driver) driven through chromedriver by selenium.

Started with exactly the issue's flags and a fresh --user-data-dir; console messages and network requests
are read from chromedriver's browser and performance logs. Missing Chromium skips the browser tests, and
fails them under CI=true (the CI machine must have what tools/test installs).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from capabilities import missing

REPO = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def _need(what: str) -> None:
    missing(what)


class Browser:
    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.page = ""

    def open(self, path: Path) -> None:
        self.page = path.resolve().as_uri()
        self.driver.get_log("performance")  # drop what the browser's own start-up page asked for
        self.driver.get(self.page)
        self.driver.execute_script("return document.readyState")
        self.wait_for("return !!window.govctlReport")

    def wait_for(self, script: str, timeout: float = 20) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(lambda d: d.execute_script(script))

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def console(self) -> list[dict[str, Any]]:
        return list(self.driver.get_log("browser"))

    def requests(self) -> list[str]:
        """Every URL the opened page (its document and anything it loads) asked for."""
        urls = []
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent" and msg["params"].get("documentURL") == self.page:
                urls.append(msg["params"]["request"]["url"])
        return urls


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        _need("needs Debian's chromium and chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _need("needs selenium (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="govctl-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}", "--window-size=1280,1700", "--hide-scrollbars"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def govctl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govctl.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
