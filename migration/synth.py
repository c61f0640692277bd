"""Realistic generated system lists: for the bundled province inventories and the benchmark.

Deterministic for a given seed. Names are "<department's short name><a system
that department really runs>"; dependencies mostly point at the shared
platforms (统一身份认证, 电子证照, 数据共享交换) and at the same department's
earlier systems, with a few cross-department links and a few two-system
cycles; classification, 等保 level, data size, RTO/RPO, last use and status
follow plausible distributions (public security: more classified and level-4).
"""
from __future__ import annotations

import math
import random
import re
from datetime import date, timedelta
from typing import Any

from govctl.inventory import models as m

GENERIC: tuple[tuple[str, str], ...] = (
    ("portal", "门户网站"), ("oa", "协同办公系统"), ("approval", "行政审批系统"), ("archive", "档案管理系统"),
    ("fin", "财务管理系统"), ("video", "视频会议系统"), ("exchange", "数据共享交换前置系统"),
    ("disclosure", "政务信息公开平台"), ("mobile", "移动办公后台"), ("stats", "统计报表系统"),
    ("dss", "决策支持平台"), ("enforce", "行政执法监管系统"), ("hotline", "12345热线对接系统"),
    ("credit", "信用信息系统"), ("hr", "人事管理系统"), ("assets", "资产管理系统"), ("party", "党建平台"),
    ("supervise", "督查督办系统"), ("service", "政务服务事项管理系统"), ("contract", "合同管理系统"),
)
SPECIFIC: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("公安", (("population", "人口信息管理系统"), ("exit-entry", "出入境管理系统"), ("traffic", "交通违法处理系统"),
             ("police", "警务综合平台"), ("cctv", "视频图像联网平台"), ("case", "案件管理系统"))),
    ("卫生", (("health-records", "全民健康信息平台"), ("ehr", "电子健康档案系统"),
             ("emergency", "公共卫生应急指挥系统"), ("hospital-kpi", "医院绩效考核系统"))),
    ("教育", (("student", "学籍管理系统"), ("exam", "招生考试系统"), ("teacher", "教师管理系统"),
             ("resources", "教育资源公共服务平台"))),
    ("人力资源", (("insurance", "社会保险信息系统"), ("jobs", "就业服务平台"), ("card", "社保卡管理系统"),
                ("labour", "劳动保障监察系统"))),
    ("财政", (("budget", "预算管理一体化系统"), ("treasury", "国库集中支付系统"), ("non-tax", "非税收入管理系统"),
             ("procure", "政府采购系统"))),
    ("自然资源", (("estate", "不动产登记系统"), ("spatial", "国土空间规划一张图系统"), ("land", "用地审批系统"))),
    ("交通", (("road", "公路路政管理系统"), ("transport", "道路运输管理系统"), ("monitor", "交通运行监测平台"))),
    ("市场监督", (("registry", "企业登记系统"), ("food", "食品安全追溯平台"), ("equipment", "特种设备监管系统"))),
    ("医疗保障", (("settle", "医保结算系统"), ("fund", "医保基金监管系统"))),
    ("生态环境", (("permit", "排污许可系统"), ("air", "环境质量监测平台"))),
    ("住房", (("fund", "住房公积金管理系统"), ("housing", "房屋交易监管系统"))),
    ("应急", (("command", "应急指挥平台"), ("safety", "安全生产监管系统"))),
    ("民政", (("marriage", "婚姻登记系统"), ("relief", "社会救助系统"), ("elderly", "养老服务平台"))),
    ("税务", (("etax", "电子税务局"), ("invoice", "发票管理系统"))),
    ("统计", (("direct", "统计联网直报系统"),)),
    ("水利", (("hydro", "水雨情监测系统"), ("river", "河长制管理平台"))),
    ("农业", (("trace", "农产品质量追溯系统"), ("subsidy", "惠农补贴发放系统"))),
    ("审计", (("audit", "审计管理系统"),)),
    ("司法", (("legal", "公共法律服务平台"), ("correction", "社区矫正系统"))),
    ("气象", (("warning", "气象预警发布系统"),)),
    ("信访", (("petition", "信访信息系统"),)),
)
SHARED: tuple[tuple[str, str], ...] = (
    ("idm", "统一身份认证平台"), ("licence", "电子证照库"), ("dex", "数据共享交换平台"), ("seal", "统一电子印章系统"),
    ("pay", "统一公共支付平台"),
)
PROFILES = ((30, 5), (120, 30), (240, 60), (720, 240), (1440, 1440), (4320, 1440))


def _short(name: str) -> str:
    """广东省公安厅 -> 公安厅; 广州市教育局 -> 广州市教育局 (city names stay: they tell the systems apart)."""
    return re.sub(r"^.{1,8}?(省|自治区)", "", name) or name


def _topics(dept: m.Department) -> list[tuple[str, str]]:
    own = [t for key, ts in SPECIFIC if key in dept.name for t in ts]
    return own + list(GENERIC)


def generate(inv: m.Inventory, count: int, seed: int, as_of: date) -> list[dict[str, Any]]:
    """About ``count`` systems owned by the inventory's departments, as systems.yaml entries."""
    from govctl.migration.assess import _Platforms, placement_of  # the same platform rules the assessment uses
    from govctl.migration.models import AssessSettings

    rnd = random.Random(seed)
    depts = sorted(inv.departments, key=lambda d: d.id)
    # The shared platforms belong to the data/e-government bureau, else the government's general office.
    hub = min(depts, key=lambda d: (d.level.depth, 0 if "数据管理" in d.name else 1 if "数据" in d.name
                                    else 2 if "政务服务" in d.name
                                    else 3 if ("办公厅" in d.name or "办公室" in d.name or d.id == "gov-office")
                                    else 4, d.id))
    weights = [4.0 if d.level == m.Tier.province else 1.0 for d in depts]
    per: dict[str, int] = {d.id: 0 for d in depts}
    for d in rnd.choices(depts, weights=weights, k=max(0, count - len(SHARED))):
        per[d.id] += 1
    entries: list[dict[str, Any]] = []
    ids: set[str] = set()

    def add(dept: m.Department, slug: str, title: str) -> dict[str, Any]:
        sid, n = f"{dept.id}-{slug}", 2
        while sid in ids:
            sid, n = f"{dept.id}-{slug}-{n}", n + 1
        ids.add(sid)
        e: dict[str, Any] = {"id": sid, "name": f"{_short(dept.name)}{title}", "department": dept.id}
        entries.append(e)
        return e

    shared = [add(hub, slug, title) for slug, title in SHARED]
    for e in shared:
        e.update(security_level=3, data_gb=rnd.choice([200, 500, 1200]), rto_minutes=30, rpo_minutes=5,
                 last_used=as_of - timedelta(days=rnd.randint(0, 3)))
    by_dept: dict[str, list[dict[str, Any]]] = {}
    for d in depts:
        topics = _topics(d)
        rnd.shuffle(topics)
        police = "公安" in d.name
        for k in range(per[d.id]):
            slug, title = topics[k % len(topics)]
            e = add(d, slug, title)
            r = rnd.random()
            if r < (0.25 if police else 0.02):
                e["classification"] = "classified"
            elif r < (0.45 if police else 0.10):
                e["classification"] = "sensitive"
            lv = rnd.random()
            e["security_level"] = (4 if lv < (0.08 if police else 0.01) else 3 if lv < 0.40 else 1 if lv > 0.97 else 2)
            e["data_gb"] = int(min(20000, max(1, rnd.lognormvariate(math.log(150), 1.5))))
            e["rto_minutes"], e["rpo_minutes"] = rnd.choice(PROFILES)
            deps: list[str] = []
            if rnd.random() < 0.55:
                deps.append(shared[0]["id"])
            if rnd.random() < 0.25:
                deps.append(rnd.choice(shared[1:])["id"])
            mine = by_dept.get(d.id, [])
            if mine and rnd.random() < 0.35:
                deps.append(rnd.choice(mine)["id"])
            if entries and rnd.random() < 0.08:
                other = rnd.choice(entries[len(shared):] or shared)
                if other["id"] != e["id"]:
                    deps.append(other["id"])
            e["depends_on"] = sorted(set(deps) - {e["id"]})
            age = rnd.random()
            days = (rnd.randint(400, 1500) if age < 0.06 else rnd.randint(190, 360) if age < 0.10
                    else rnd.randint(0, 30))
            e["last_used"] = as_of - timedelta(days=days)
            by_dept.setdefault(d.id, []).append(e)
    # A few two-system cycles (e.g. two systems calling each other's APIs), never through classified ones.
    pairs = [v for v in by_dept.values() if len(v) >= 2]
    for group in rnd.sample(pairs, k=min(3, len(pairs))):
        a, b = group[0], group[1]
        if "classified" in (a.get("classification"), b.get("classification")):
            continue
        a["depends_on"] = sorted(set(a.get("depends_on", [])) | {b["id"]})
        b["depends_on"] = sorted(set(b.get("depends_on", [])) | {a["id"]})
    # Status: migrated only when everything it needs is migrated or stays off the cloud.
    platforms = _Platforms(inv, AssessSettings(as_of=as_of))
    dept_by_id = {d.id: d for d in depts}
    status: dict[str, str] = {}
    models = {e["id"]: m.System.model_validate(e) for e in entries}
    for e in entries:  # dependencies come earlier in the list, cycles aside
        s = models[e["id"]]
        placement = placement_of(s)
        ready = all(status.get(x) == "migrated" or not placement_of(models[x]).on_cloud for x in s.depends_on)
        r = rnd.random()
        if placement.on_cloud and ready and r < 0.22:
            platform, _ = platforms.choose(s, dept_by_id[s.department], placement)
            if platform is not None:
                e["target_platform"] = platform.id
                e["status"] = "migrated" if r < 0.20 else "migrating"
                e["last_used"] = as_of - timedelta(days=rnd.randint(0, 5))
        elif r > 0.985 and placement.on_cloud:
            e["status"] = "retired"
        status[e["id"]] = e.get("status", "legacy")
    for e in entries:
        if not e.get("depends_on"):
            e.pop("depends_on", None)
    return entries


def bench_systems(departments: list[str], n: int, n_deps: int, seed: int = 7) -> list[m.System]:
    """``n`` systems with about ``n_deps`` dependencies (mostly acyclic, some small cycles) for benchmarks."""
    rnd = random.Random(seed)
    ids = [f"s{i:05d}" for i in range(n)]
    deps: list[set[str]] = [set() for _ in range(n)]
    made = 0
    while made < n_deps:
        i = rnd.randrange(1, n)
        j = rnd.randrange(max(0, i - 200), i) if rnd.random() < 0.8 else rnd.randrange(0, i)
        if ids[j] not in deps[i]:
            deps[i].add(ids[j])
            made += 1
    for k in range(0, n - 1, max(1, n // 50)):  # ~50 two-system cycles
        deps[k].add(ids[k + 1])
        deps[k + 1].add(ids[k])
    out = []
    for i, sid in enumerate(ids):
        r = rnd.random()
        cls = ("classified" if r < 0.03 else "sensitive" if r < 0.12 else "unclassified")
        in_cycle = any(ids[i] in deps[int(d[1:])] for d in deps[i])
        if in_cycle and cls == "classified":
            cls = "unclassified"
        out.append(m.System(
            id=sid, name=f"系统{i}", department=departments[i % len(departments)], classification=cls,
            security_level=rnd.choice([1, 2, 2, 2, 3, 3]), depends_on=sorted(deps[i]),
            data_gb=float(int(min(20000, rnd.lognormvariate(math.log(150), 1.5)))),
            rto_minutes=rnd.choice([30, 240, 1440]), rpo_minutes=rnd.choice([5, 60, 1440]),
            last_used=date(2026, 11, 1) - timedelta(days=rnd.randint(0, 500))))
    return out


def main(argv: list[str] | None = None) -> None:
    """Write ``<inventory>/systems.yaml`` with about COUNT generated systems (how the bundled ones were made):
    ``python -m govctl.migration.synth inventories/hubei 500 [--force]``."""
    import argparse
    import zlib
    from pathlib import Path

    from govctl.inventory.validate import load_valid
    from govctl.migration.files import dump_yaml

    ap = argparse.ArgumentParser(prog="python -m govctl.migration.synth", description=main.__doc__)
    ap.add_argument("inventory", type=Path)
    ap.add_argument("count", type=int)
    ap.add_argument("--force", action="store_true", help="overwrite an existing systems.yaml")
    args = ap.parse_args(argv)
    target = args.inventory / "systems.yaml"
    if target.exists() and not args.force:
        raise SystemExit(f"{target} exists (use --force)")
    inv = load_valid(args.inventory).inventory
    name = args.inventory.resolve().name
    entries = generate(inv, args.count, zlib.crc32(name.encode()), date(2026, 11, 20))
    header = (f"Legacy systems of {inv.province.name} awaiting migration to the cloud (迁移上云).\n"
              "Generated by migration.synth (realistic names, owned by this inventory's departments); keys as in\n"
              "inventories/example/systems.yaml: id, name, department (owner), classification (unclassified |\n"
              "sensitive | classified), security_level (等保), depends_on, data_gb, rto_minutes, rpo_minutes,\n"
              "last_used (zombie detection), target_platform (omit: chosen by `govctl migrate assess`), status.")
    target.write_text(dump_yaml({"systems": entries}, header), encoding="utf-8")
    print(f"wrote {len(entries)} systems to {target}")


if __name__ == "__main__":
    main()
