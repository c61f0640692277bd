"""Shared by every test: the inventory a command uses when it is given none; the session's OpenStack lab; one
router lab module at a time on this host.

One local OpenStack Zed lab per test session (govctl.labs.cloud.lab), started fresh and stopped at the end, for
every test marked openstack (tests/audit, tests/stacks). The lab's directory and ports follow
GOVCTL_CLOUD_LAB_DIR and GOVCTL_CLOUD_<NAME>_PORT, so a second lab (another checkout's CI) can run beside it.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "inventories" / "example"


@pytest.fixture(autouse=True)
def default_inventory(monkeypatch: pytest.MonkeyPatch) -> Path:
    """govctl has no built-in default inventory (README: "Which inventory"); the tests name the example
    through $GOVCTL_INVENTORY, as a user would, so that commands given no inventory use it."""
    monkeypatch.setenv("GOVCTL_INVENTORY", str(EXAMPLE))
    return EXAMPLE


@pytest.fixture(scope="session", autouse=True)
def session_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The state directory of module- and session-scoped fixtures, which run before any test's own
    (isolated_state): without it they would write beside the inventory they read, and a plan run there
    would be found by later tests (and later runs) of the bundled example."""
    from govctl.core import statedir

    before = os.environ.get(statedir.ENV)
    here = str(tmp_path_factory.mktemp("govctl-session-state"))
    os.environ[statedir.ENV] = here
    yield here
    if before is None:
        os.environ.pop(statedir.ENV, None)
    else:
        os.environ[statedir.ENV] = before


@pytest.fixture(autouse=True)
def isolated_state(session_state: str, tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own govctl state directory (govctl.core.statedir): no test writes beside the example
    inventory or into another test's runs, journals or locks. A module fixture that already exported
    GOVCTL_STATE_DIR (the lab tests) keeps its own."""
    from govctl.core import statedir

    statedir.set_override(None)
    if os.environ.get(statedir.ENV) in (None, "", session_state):
        monkeypatch.setenv(statedir.ENV, str(tmp_path_factory.mktemp("govctl-state")))
    yield
    statedir.set_override(None)


# Router and cutover labs are the host's (namespaces, bridges, /run/govctl-cutover) and a lab's management
# prefix is its inventory's: a second test run on this machine (another checkout's CI) waits for the lab modules
# of the first instead of building into them. The wait is bounded, so a stuck holder fails this run by name.
HOST_LAB_LOCK = Path("/run/lock/govctl-test-router-labs.lock")
HOST_LAB_WAIT = 3600.0


@pytest.fixture(scope="module", autouse=True)
def one_router_lab_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Held for a module with a test marked lab, before its module-scoped lab fixtures are built."""
    import fcntl
    import time

    if not any(item.get_closest_marker("lab") for item in request.session.items
               if getattr(item, "module", None) is request.module):
        yield
        return
    HOST_LAB_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with HOST_LAB_LOCK.open("a") as fh:
        deadline = time.monotonic() + HOST_LAB_WAIT
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test run has held {HOST_LAB_LOCK} for {HOST_LAB_WAIT:.0f} s "
                                "(its router or cutover lab); is it stuck?", pytrace=False)
                time.sleep(1.0)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def openstack_lab() -> Iterator[Any]:
    from capabilities import need_root

    from govctl.labs.cloud import lab

    need_root("the OpenStack lab; see `govctl lab cloud up --help`")
    missing = lab.missing_packages(lab.wanted_packages())
    if missing:
        pytest.fail(f"the OpenStack lab needs Debian packages {' '.join(missing)}: run tools/test, or "
                    "`govctl lab cloud install`")
    saved = {k: os.environ.get(k) for k in ("OS_CLIENT_CONFIG_FILE", "OS_CLOUD")}
    started: dict[str, tuple[int, str | None]] = {}  # name -> (pid, start time): a recycled pid is not ours
    try:
        # fresh: every session starts from an empty cloud, so leftovers never fake a pass.
        try:
            st = lab.up(fresh=True)
        except lab.CloudLabError as exc:
            pytest.fail(f"the OpenStack lab did not start: {exc}")
        started = {s.name: (s.pid, lab._start_time(s.pid)) for s in st.services if s.pid}  # noqa: SLF001
        os.environ.update(st.env())
        yield st
    finally:
        lab.down()  # also after a failed up: stops what did start
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    # down stopped every process up started (Designate's and named among them): none runs on
    left = [f"{name} (pid {pid})" for name, (pid, t0) in started.items()
            if t0 is not None and lab._start_time(pid) == t0]  # noqa: SLF001
    assert not left, f"`govctl lab cloud down` left running: {', '.join(left)}"
