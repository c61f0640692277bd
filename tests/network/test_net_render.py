"""Vendor rendering against golden files (reviewed line by line against each vendor's syntax).

Regenerate after an intended template change with GOVCTL_UPDATE_GOLDEN=1, then review the git diff.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from goldens import check_golden
from net_helpers import GOLDEN, fixture

from govctl.network.errors import TemplateFailure, UnknownPlatform
from govctl.network.intent import IntentOptions, build
from govctl.network.render import FEATURES, platforms, render, template_path

# a route reflector, the Internet egress, a city ABR, a county with IPv4 on a link, a town
NODES = ["example-core1", "example-egress1", "alpha-r1", "alpha-east-legacy", "alpha-west-town01-r1"]
CASES = [(p, n) for p in platforms() for n in NODES]


def _check(path: Path, text: str) -> None:
    check_golden(path, text)


@pytest.mark.parametrize(("platform", "node"), CASES)
def test_golden(platform: str, node: str) -> None:
    inv, plan = fixture()
    _check(GOLDEN / platform / f"{node}.cfg", render(build(inv, plan)[node], platform).text)


def test_golden_lab_baseline_is_ipv4_only() -> None:
    inv, plan = fixture()
    intent = build(inv, plan, IntentOptions(stage="ipv4", extra_ipv4_links={
        "p2p/alpha-west-r1--alpha-west-town01-r1": "198.51.100.40/31"},
        extra_ipv4_loopbacks={"alpha-west-town01-r1": "203.0.113.14"}))["alpha-west-town01-r1"]
    text = render(intent, "frr").text
    _check(GOLDEN / "frr" / "alpha-west-town01-r1.ipv4-stage.cfg", text)
    assert "ipv6" not in text


@pytest.mark.parametrize("platform", platforms())
def test_golden_with_timers(platform: str) -> None:
    """The knobs the lab turns (fast OSPFv3 hellos, BGP connect-retry and keepalive/hold) in every syntax."""
    inv, plan = fixture()
    opts = IntentOptions(ospf_hello=1, ospf_dead=4, bgp_connect_retry=2, bgp_timers=(3, 9))
    text = render(build(inv, plan, opts)["alpha-west-town01-r1"], platform).text
    _check(GOLDEN / platform / "alpha-west-town01-r1.timers.cfg", text)


def test_every_platform_has_every_feature_template() -> None:
    for platform in platforms():
        for feature in FEATURES:
            assert template_path(platform, "rollout", feature).is_file(), (platform, feature)


@pytest.mark.parametrize("platform", ["huawei_vrp", "h3c_comware"])
def test_huawei_and_h3c_keywords(platform: str) -> None:
    inv, plan = fixture()
    text = render(build(inv, plan)["alpha-r1"], platform).text
    lines = text.splitlines()
    assert "ospfv3 1" in lines and " router-id 0.0.0.5" in lines[lines.index("ospfv3 1") + 1:][:1]
    assert " ospfv3 1 area 0.0.0.1" in lines and "bgp 64512" in lines
    family = " ipv6-family unicast" if platform == "huawei_vrp" else " address-family ipv6 unicast"
    assert family in lines
    if platform == "huawei_vrp":
        assert "ipv6" in lines and " ipv6 enable" in lines  # global and per interface
    assert text.endswith("#\nreturn\n")


def test_unknown_platform_is_an_input_error() -> None:
    inv, plan = fixture()
    with pytest.raises(UnknownPlatform, match="ruijie"):
        render(build(inv, plan)["alpha-r1"], "ruijie")


def test_template_error_names_the_file_and_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import govctl.network.render as r

    rollout = tmp_path / "frr" / "templates" / "rollout"
    rollout.mkdir(parents=True)
    for feature in FEATURES:
        (rollout / f"{feature}.j2").write_text("{{ i.no_such_field }}\n")
    monkeypatch.setattr(r, "roots", lambda: [tmp_path])
    r._env.cache_clear()
    inv, plan = fixture()
    try:
        with pytest.raises(TemplateFailure, match=r"alpha-r1: template .*frr/templates/rollout/system.j2.*no_such_field"):
            render(build(inv, plan)["alpha-r1"], "frr")
        (rollout / "bgp.j2").unlink()
        for feature in FEATURES[:-1]:
            (rollout / f"{feature}.j2").write_text("")
        with pytest.raises(TemplateFailure, match="bgp.j2 is missing"):
            render(build(inv, plan)["alpha-r1"], "frr")
    finally:
        r._env.cache_clear()
