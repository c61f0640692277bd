"""`govctl report --html`: the file's numbers against numbers counted here from the inventory, and the page
opened in headless Chromium from file:// (no console error, no request leaving the file, every view drawn,
a city expanding on click, screenshots that are not blank)."""
from __future__ import annotations

import io
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govctl.cli import app

ROOT = Path(__file__).resolve().parents[2]
AS_OF = ["--as-of", "2026-11-25"]
VIEWS = ("targets", "cloud", "extranet", "ipv6", "migration", "plan")


def _report(inv: Path, out: Path, *extra: str) -> str:
    r = CliRunner().invoke(app, ["report", str(inv), *AS_OF, "--html", str(out), *extra])
    assert r.exit_code == 0, r.output
    return out.read_text(encoding="utf-8")


def _inventory(name: str):  # noqa: ANN202
    from govctl.inventory.validate import load_valid

    return load_valid(ROOT / "inventories" / name).inventory


@pytest.fixture(scope="module")
def example_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "example.html"
    _report(ROOT / "inventories" / "example", out)
    return out


@pytest.fixture(scope="module")
def guangdong_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "guangdong.html"
    _report(ROOT / "inventories" / "guangdong", out)
    return out


def _text(html: str) -> str:
    body = html.split('<script type="application/json"', 1)[0]
    return re.sub(r"<[^>]+>", "\n", body)


def test_numbers_come_from_the_inventory(example_html: Path) -> None:
    inv = _inventory("example")
    text = _text(example_html.read_text(encoding="utf-8"))
    nodes = len(inv.nodes)
    ipv6_nodes = sum(n.ipv6 for n in inv.nodes)
    kinds = Counter(p.kind.value for p in inv.platforms)
    assert f"外网节点 IPv6：{ipv6_nodes}/{nodes}" in text
    assert f"外网节点 {nodes} 个，{len(inv.province.cities)} 个地市" in text
    assert (f"云平台 {len(inv.platforms)} 个：省级 {kinds['provincial']}、行业 {kinds['industry']}、"
            f"地市 {kinds['municipal']}") in text
    assert f"租户 {len(inv.tenants)} 个" in text
    nets = [n for t in inv.tenants for n in t.networks]
    assert f"租户网络 IPv6：{sum(n.ipv6 for n in nets)}/{len(nets)}" in text
    assert f"未开始 {nodes}，已推送 0" in text  # no push run: every node not started, and the view says so
    assert "尚无推送记录" in text
    assert "尚未运行 govctl plan" in text and "没有审计结果" in text
    for f in inv.province.change_freezes:
        assert f"封网：{f.name} {f.start.date().isoformat()}" in text
    assert "<script src" not in example_html.read_text(encoding="utf-8")
    assert "<link" not in example_html.read_text(encoding="utf-8")


def test_english_and_bad_lang(tmp_path: Path) -> None:
    inv = _inventory("example")
    text = _text(_report(ROOT / "inventories" / "example", tmp_path / "en.html", "--lang", "en"))
    assert f"{len(inv.nodes)} extranet nodes in {len(inv.province.cities)} cities" in text
    r = CliRunner().invoke(app, ["report", str(ROOT / "inventories" / "example"), "--html",
                                 str(tmp_path / "x.html"), "--lang", "fr"])
    assert r.exit_code == 2 and "--lang" in r.output and not (tmp_path / "x.html").exists()


def test_audit_and_rule_violation_shown(tmp_path: Path) -> None:
    import json
    import shutil

    inv_dir = tmp_path / "inv"
    shutil.copytree(ROOT / "inventories" / "example", inv_dir, ignore=shutil.ignore_patterns(".govctl"))
    inv = _inventory("example")
    # every tenant network not yet dual-stack breaks rule V6-002 (a warning): shown on its platform's site
    legacy = [(t.platform, n.name) for t in inv.tenants for n in t.networks if not n.ipv6]
    assert legacy
    platform = next(p for p in inv.platforms if p.id == legacy[0][0])
    site = sorted(r.site for r in platform.openstack.regions)[0]
    audit = {"cloud": "lab", "summary": {"missing": 1, "drifted": 0, "violation": 2, "unverifiable": 0},
             "findings": [{"class": "violation", "rule": "mgmt-port"}, {"class": "violation", "rule": "rbac"},
                          {"class": "missing", "rule": "exists"}]}
    (tmp_path / "audit.json").write_text(json.dumps(audit), encoding="utf-8")
    html = _report(inv_dir, tmp_path / "r.html", "--audit", str(tmp_path / "audit.json"))
    text = _text(html)
    assert "审计（云 lab）：违规 2，缺失 1，漂移 0" in text
    assert f"规则违反 {len(legacy)} 项" in text
    data = json.loads(html.split('id="govctl-data">', 1)[1].split("</script>", 1)[0].replace("<\\/", "</"))
    cloud = next(v for v in data if v["id"] == "cloud")
    items = {d["id"]: d for s in cloud["charts"][0]["series"] if s["type"] == "scatter" for d in s["data"]}
    assert any(f"{platform.id}: V6-002: network '{legacy[0][1]}'" in p for p in items[site]["problems"])
    assert all(not d["problems"] for k, d in items.items() if k != site)
    (tmp_path / "bad.json").write_text("[1, 2", encoding="utf-8")
    r = CliRunner().invoke(app, ["report", str(inv_dir), "--html", str(tmp_path / "y.html"), "--audit",
                                 str(tmp_path / "bad.json")])
    assert r.exit_code == 2 and "bad.json" in r.output and not (tmp_path / "y.html").exists()


@pytest.mark.slow
def test_guangdong_small_and_grouped(guangdong_html: Path) -> None:
    inv = _inventory("guangdong")
    html = guangdong_html.read_text(encoding="utf-8")
    assert guangdong_html.stat().st_size < 5 * 1024 * 1024
    text = _text(html)
    assert f"外网节点 {len(inv.nodes)} 个" in text and len(inv.nodes) == 1771
    # grouped: one tree item per city and county, not one per node
    assert html.count('"collapsed":true') == sum(1 for c in inv.province.cities if c.counties)


# ---------------------------------------------------------------- in the browser


def _blank(png: bytes) -> bool:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 200))
    colours = img.getcolors(200 * 200) or []  # (count, colour) per distinct colour
    background = max(n for n, _c in colours)
    return len(colours) < 20 or background > 0.97 * 200 * 200


def _check_page(browser, path: Path, expected: dict[str, list[str]], shots: Path | None) -> None:  # noqa: ANN001
    browser.open(path)
    errors = [e for e in browser.console() if e["level"] == "SEVERE"]
    assert not errors, errors
    urls = browser.requests()
    assert path.resolve().as_uri() in urls  # the log is read: the page's own request is in it
    for url in urls:
        assert url.startswith(("file:", "data:")), f"request leaves the file: {url}"
    for view in VIEWS:
        text = browser.js("return document.getElementById(arguments[0]).innerText", view)
        for want in expected.get(view, []):
            assert want in text, (view, want)
        drawn = browser.js("return window.govctlReport.charts[arguments[0]].length", view)
        assert drawn >= (0 if view == "plan" else 1), view
        el = browser.driver.find_element("id", view)
        browser.js("arguments[0].scrollIntoView()", el)
        png = el.screenshot_as_png
        assert not _blank(png), f"view {view} looks blank"
        if shots is not None:
            shots.parent.mkdir(parents=True, exist_ok=True)
            (shots.parent / f"{shots.name}-{view}.png").write_bytes(png)


def _expand_first_city(browser) -> tuple[bool, int, int]:  # noqa: ANN001
    from selenium.webdriver.common.action_chains import ActionChains

    where = browser.js("""
        var c = window.govctlReport.charts.extranet[0];
        var data = c.getModel().getSeriesByIndex(0).getData();
        var city = data.tree.root.children[0].children[0];
        var el = data.getItemGraphicEl(city.dataIndex);
        var p = el.transformCoordToGlobal(0, 0);
        var dom = c.getDom();
        dom.scrollIntoView();
        return [p[0], p[1], dom.clientWidth, dom.clientHeight, city.dataIndex, city.children.length];
    """)
    x, y, w, h, index, counties = where
    canvas = browser.driver.find_element("css selector", "#extranet-chart-0 canvas")
    ActionChains(browser.driver).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click().perform()
    browser.wait_for("""
        var c = window.govctlReport.charts.extranet[0];
        var data = c.getModel().getSeriesByIndex(0).getData();
        return data.tree.getNodeByDataIndex(%d).isExpand;""" % index, timeout=5)
    shown = browser.js("""
        var c = window.govctlReport.charts.extranet[0];
        var data = c.getModel().getSeriesByIndex(0).getData();
        var city = data.tree.getNodeByDataIndex(%d);
        return city.children.filter(function (k) { return !!data.getItemGraphicEl(k.dataIndex); }).length;""" % index)
    return True, counties, shown


def _shots(name: str) -> Path | None:
    """GOVCTL_REPORT_SHOTS=DIR keeps each view's screenshot as DIR/<inventory>-<view>.png (docs/report/)."""
    where = os.environ.get("GOVCTL_REPORT_SHOTS")
    return Path(where) / name if where else None


@pytest.mark.browser
def test_example_in_chromium(browser, example_html: Path) -> None:  # noqa: ANN001
    inv = _inventory("example")
    _check_page(browser, example_html, {
        "targets": [f"{sum(n.ipv6 for n in inv.nodes)}/{len(inv.nodes)}"],
        "cloud": [f"租户 {len(inv.tenants)} 个"],
        "extranet": [f"外网节点 {len(inv.nodes)} 个"],
        "ipv6": ["已用"], "migration": ["第 1 批"], "plan": ["尚未运行 govctl plan"]}, _shots("example"))
    expanded, counties, shown = _expand_first_city(browser)
    assert expanded and counties > 0 and shown == counties


@pytest.mark.browser
@pytest.mark.slow
def test_guangdong_in_chromium(browser, guangdong_html: Path) -> None:  # noqa: ANN001
    inv = _inventory("guangdong")
    _check_page(browser, guangdong_html, {
        "extranet": [f"外网节点 {len(inv.nodes)} 个，{len(inv.province.cities)} 个地市"],
        "cloud": [f"云平台 {len(inv.platforms)} 个"]}, _shots("guangdong"))
    expanded, counties, shown = _expand_first_city(browser)
    assert expanded and counties > 0 and shown == counties


def _eligible(inv) -> int:  # noqa: ANN001 - systems the systems_on_cloud share counts
    return sum(s.classification.value != "classified" and s.security_level < 4 and s.status != "retired"
               for s in inv.systems)


def test_journals_and_last_plan_feed_the_views(tmp_path: Path) -> None:
    """Push, migration and plan state written where the earlier steps write them: the views count them."""
    import json

    from govctl.network.journal import Journal
    from govctl.stacks.models import Resource, StackGraph
    from govctl.stacks.policies import evaluate
    from govctl.stacks.engine import policy_config
    from govctl.stacks.state import Store

    inv = _inventory("example")
    state = tmp_path / "state"
    a, b, c = (n.id for n in inv.nodes[:3])
    j = Journal("20261101T000000Z-0001", state / "runs")
    j.record(a, "verified")
    j.record(a, "result", status="changed")
    j.record(b, "result", status="failed")
    j.record(c, "result", status="unchanged")
    from datetime import datetime, timezone

    from govctl.cutover.journal import Journal as CutoverJournal

    dn = [d for d in inv.dedicated_networks if d.classification.value != "classified"]
    run = CutoverJournal.create(state / "cutover", dn[0].id, datetime(2026, 11, 3, tzinfo=timezone.utc))
    run.append("start", detail_text="cutover")
    run.append("end", status="ok", state="done")
    failed = CutoverJournal.create(state / "cutover", dn[-1].id, datetime(2026, 11, 4, tzinfo=timezone.utc))
    failed.append("end", status="failed", state="failed")
    legacy = next(s for s in inv.systems if s.status == "legacy")
    (state / "migration").mkdir(parents=True)
    (state / "migration" / "journal.jsonl").write_text(json.dumps(
        {"at": "2026-11-02T10:00:00+08:00", "system": legacy.id, "event": "migrated"}) + "\n", encoding="utf-8")

    def res(name: str, size: int) -> Resource:
        return Resource(urn=f"urn:pulumi:prov::govctl::openstack:networking/network:Network::{name}",
                        type="openstack:networking/network:Network", name=name, custom=True, parent=None,
                        provider=None, dependencies=(), inputs={"name": name, "mtu": size})

    planned = StackGraph("prov", "govctl", {r.urn: r for r in (res("kept", 1500), res("changed", 9000),
                                                                 res("new", 1500))})
    base = StackGraph("prov", "govctl", {r.urn: r for r in (res("kept", 1500), res("changed", 1500),
                                                              res("gone", 1500))})
    store = Store(state / "stacks", inv.name)
    store.remember("k1", planned)
    store.write_snapshot(base)
    r = CliRunner().invoke(app, ["--state-dir", str(state), "report", str(ROOT / "inventories" / "example"),
                                 *AS_OF, "--html", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    text = _text(html)
    n = len(inv.nodes)
    assert f"未开始 {n - 3}，已推送 1，已验证 1，失败 1" in text
    migrated = sum(s.status == "migrated" for s in inv.systems) + 1
    assert re.search(rf"系统上云：{migrated}/\d+", text)
    levels = Counter(level for _p, level, _u, _m in evaluate(planned, policy_config(inv)))
    assert (f"1 个栈，新建 1，更新 1，删除 1；策略违反 强制 {levels['mandatory']}，"
            f"建议 {levels['advisory']}") in text
    assert "尚未运行 govctl plan" not in text and "尚无推送记录" not in text
    data = json.loads(html.split('id="govctl-data">', 1)[1].split("</script>", 1)[0].replace("<\\/", "</"))
    trend = {s["name"]: s["data"] for s in data[0]["charts"][1]["series"]}  # the trend chart, by journal dates
    assert trend["部门专网整合"] == [[datetime.fromisoformat(run.records()[-1].at).date().isoformat(),
                                 round(100 / len(dn), 2)]] and len(dn) > 1
    assert trend["外网节点 IPv6"][-1][1] == round(100 * 2 / n, 2)  # a verified and an unchanged node
    assert trend["系统上云"] == [["2026-11-02", round(100 / _eligible(inv), 2)]]
