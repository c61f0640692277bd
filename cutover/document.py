"""A cutover plan -> the Markdown document a change board approves (Chinese or English). Pure.

The document is generated, never edited by hand: the step table, timings, checks and the
configuration appendix all come from the same ``CutoverPlan`` the runner executes.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from govctl.cutover.models import CutoverPlan, Phase

L: dict[str, dict[str, str]] = {
    "title": {"zh": "专网割接方案", "en": "Dedicated-network cutover plan"},
    "scope": {"zh": "一、割接范围", "en": "1. Scope"},
    "window": {"zh": "二、割接窗口", "en": "2. Window"},
    "impact": {"zh": "三、业务影响", "en": "3. Impact"},
    "pre": {"zh": "四、割接前检查", "en": "4. Pre-checks"},
    "steps": {"zh": "五、实施步骤", "en": "5. Steps"},
    "post": {"zh": "六、割接后验证", "en": "6. Post-checks"},
    "rollback": {"zh": "七、回退方案", "en": "7. Rollback"},
    "ponr": {"zh": "八、不可回退点", "en": "8. Point of no return"},
    "contacts": {"zh": "九、联系人", "en": "9. Contacts"},
    "appendix": {"zh": "附录:设备配置(实施与回退)", "en": "Appendix: device configuration (change and rollback)"},
    "warnings": {"zh": "注意事项", "en": "Warnings"},
    "network": {"zh": "专网", "en": "Network"},
    "department": {"zh": "属主部门", "en": "Owner department"},
    "classification": {"zh": "密级", "en": "Classification"},
    "old": {"zh": "现接入方式", "en": "Attached today"},
    "access_type": {"zh": "割接后接入类型", "en": "Access type after the move"},
    "vpn": {"zh": "部门VPN(专用网络区)", "en": "Department VPN (private network zone)"},
    "pes": {"zh": "涉及PE", "en": "PEs touched"},
    "site": {"zh": "站点", "en": "Site"},
    "division": {"zh": "行政区划", "en": "Division"},
    "prefixes": {"zh": "地址段", "en": "Prefixes"},
    "new_access": {"zh": "新接入", "en": "New access"},
    "tenant": {"zh": "云租户网络", "en": "Cloud tenant network"},
    "start": {"zh": "开始", "en": "Start"},
    "end": {"zh": "结束", "en": "End"},
    "estimate": {"zh": "预计总时长", "en": "Estimated duration"},
    "to_ponr": {"zh": "至不可回退点", "en": "Until the point of no return"},
    "margin": {"zh": "窗口余量", "en": "Margin in the window"},
    "minutes": {"zh": "分钟", "en": "min"},
    "none": {"zh": "未定", "en": "not set"},
    "id": {"zh": "编号", "en": "ID"},
    "check": {"zh": "检查项", "en": "Check"},
    "result": {"zh": "结果", "en": "Result"},
    "detail": {"zh": "说明", "en": "Detail"},
    "pass": {"zh": "通过", "en": "pass"},
    "fail": {"zh": "不通过", "en": "FAIL"},
    "step": {"zh": "步骤", "en": "Step"},
    "owner": {"zh": "责任方", "en": "Owner"},
    "device": {"zh": "设备", "en": "Device"},
    "at": {"zh": "计划时刻", "en": "Planned at"},
    "est": {"zh": "预计(分钟)", "en": "Est. (min)"},
    "expect": {"zh": "预期", "en": "Expected"},
    "reach": {"zh": "可达", "en": "reachable"},
    "unreach": {"zh": "不可达", "en": "unreachable"},
    "from": {"zh": "源", "en": "From"},
    "to": {"zh": "目的", "en": "To"},
    "role": {"zh": "角色", "en": "Role"},
    "who": {"zh": "单位", "en": "Who"},
    "manual": {"zh": "人工", "en": "manual"},
    "apply": {"zh": "实施", "en": "change"},
    "undo": {"zh": "回退", "en": "rollback"},
}

TEXT = {
    "impact": {
        "zh": "先通后断:每个站点的新线路先与旧专线并行开通,经检查(站点经新线路可达PE,VPN已收敛)后才切换业务;切换是"
              "CE上的路由变更(先加新路由,再删旧路由,约 {swing} 分钟),旧专线保留至不可回退点,业务预计不中断。"
              "站点逐个切换期间,已切换与未切换站点之间的往返流量分走VPN与旧专线:路径上的状态防火墙或严格uRPF须允许。"
              "割接不改变其他部门VPN及公用网络区的路由(割接后验证逐项比对)。涉及设备:{nodes}。",
        "en": "Make before break: each site's new circuit is brought up beside the old line and checked (the site "
              "reaches its PE over it, the VPN has converged) before its traffic moves; the move is a route change "
              "on the CE (the new route first, then the old one removed, about {swing} min) and the old line stays "
              "up until the point of no return, so no interruption is expected. While sites move one by one, "
              "traffic between a moved and a not yet moved site goes over the VPN one way and the old line the "
              "other: a stateful firewall or strict uRPF on the way must allow that. The cutover changes no other "
              "department's VPN and no public-zone route (the post-checks compare them). Devices touched: {nodes}.",
    },
    "ready": {
        "zh": "业务切换前(步骤 converge)须全部满足,否则不切换任何业务并回退:",
        "en": "Before any traffic moves (step converge) all of this must hold, else no traffic is moved and the "
              "change is rolled back:",
    },
    "baseline": {
        "zh": "实施前在旧网络上记录以下连通性基线,回退后必须全部恢复:",
        "en": "Before any change, this reachability baseline is recorded over the old path; a rollback must restore "
              "all of it:",
    },
    "unchanged": {
        "zh": "此外:割接前后比对涉及设备上其他VPN({vpns})及全局路由表,除本方案变更外不得有任何差异。",
        "en": "Also: the other VPNs on the touched devices ({vpns}) and the global routing table are compared before "
              "and after; nothing but this plan's change may differ.",
    },
    "trigger": {
        "zh": "触发条件:任一割接后验证失败、任一设备配置下发失败,或部门在观察期内报告业务异常。回退在不可回退点之前"
              "自动执行:按相反顺序恢复每台设备割接前保存的配置,并重新验证基线。",
        "en": "Trigger: any failed post-check, any failed device push, or the department reporting a fault during "
              "observation. Before the point of no return the rollback runs automatically: every device's saved "
              "configuration is restored in reverse order and the baseline is verified again.",
    },
    "ponr": {
        "zh": "步骤「{step}」:旧通道拆除后无法自动回退。执行前须部门书面确认业务正常(观察期 {obs} 分钟)。"
              "计划于 T+{t} 分钟到达。",
        "en": "Step \"{step}\": once the old path is released there is no automatic way back. It starts only after "
              "the department confirms in writing that services are normal (observation {obs} min). Planned at "
              "T+{t} min.",
    },
}


OWNERS_ZH = {"extranet NOC": "外网运维中心", "cloud operator": "云平台运维", "department": "部门",
             "carrier": "运营商"}


def _owner(owner: str, lang: str) -> str:
    if lang == "zh":
        for en, zh in OWNERS_ZH.items():
            owner = owner.replace(en, zh)
    return owner


def _t(key: str, lang: str) -> str:
    return L[key][lang]


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    return [_row(head), _row(["---"] * len(head)), *(_row(r) for r in rows), ""]


def _when(dt: datetime | None, lang: str) -> str:
    return dt.isoformat(timespec="minutes") if dt else _t("none", lang)


def render_document(plan: CutoverPlan, lang: str = "zh", *, with_configs: bool = True) -> str:
    """The change-board document for ``plan`` in ``lang`` ("zh" or "en")."""
    if lang not in ("zh", "en"):
        raise ValueError(lang)
    t = lambda k: _t(k, lang)  # noqa: E731
    title = f"{t('title')}:{plan.name}({plan.network})" if lang == "zh" else \
        f"{t('title')}: {plan.name} ({plan.network})"
    out = [f"# {title}", ""]
    out.append(("> 本文件由 `govctl cutover doc` 根据清单生成,请勿手工修改。" if lang == "zh" else
                "> Generated by `govctl cutover doc` from the inventory; do not edit by hand."))
    out.append("")
    if plan.warnings:
        out += [f"**{t('warnings')}**", ""] + [f"- {w}" for w in plan.warnings] + [""]

    # 1 scope
    out += [f"## {t('scope')}", ""]
    out += _table(["", ""], [
        [t("network"), f"{plan.name} ({plan.network})"],
        [t("department"), f"{plan.department_name} ({plan.department})"],
        [t("classification"), plan.classification],
        [t("old"), plan.attached_at],
        [t("access_type"), plan.access_type],
        [t("vpn"), f"{plan.vpn} RD {plan.rd}, RT {', '.join(plan.pes[0].rt_import)} (import) / "
                   f"{', '.join(plan.pes[0].rt_export)} (export)"],
        [t("pes"), ", ".join(f"{p.node} ({p.platform}, {p.role})" for p in plan.pes)],
    ])
    link_of = {lk.name: f"{lk.pe} {lk.interface} VLAN {lk.vlan}; {lk.pe_ipv4} / {lk.pe_ipv6}"
               for p in plan.pes for lk in p.links if lk.kind == "site"}
    out += _table([t("site"), t("division"), t("prefixes"), t("new_access")],
                  [[n, d, ", ".join(px), link_of.get(n, "")] for n, d, px in plan.sites])
    if plan.tenants:
        out += _table([t("tenant"), "IPv4", "IPv6"], [[f"{a}/{b}", v4, v6 or "-"] for a, b, v4, v6 in plan.tenants])

    # 2 window
    out += [f"## {t('window')}", ""]
    rows: list[list[object]] = [[t("start"), _when(plan.window_start, lang)], [t("end"), _when(plan.window_end, lang)],
                                [t("estimate"), f"{plan.minutes} {t('minutes')}"],
                                [t("to_ponr"), f"{plan.minutes_to_no_return} {t('minutes')}"]]
    if plan.window_start and plan.window_end:
        span = int((plan.window_end - plan.window_start).total_seconds() // 60)
        rows.append([t("margin"), f"{span - plan.minutes} {t('minutes')}"])
    out += _table(["", ""], rows)

    # 3 impact
    swing = next((s.minutes for s in plan.steps if s.phase == Phase.swing), 0)
    out += [f"## {t('impact')}", "", TEXT["impact"][lang].format(swing=swing, nodes=", ".join(plan.touched_nodes)), ""]

    # 4 pre-checks
    out += [f"## {t('pre')}", ""]
    out += _table([t("id"), t("check"), t("result"), t("detail")],
                  [[c.id, c.title_zh if lang == "zh" else c.title_en, t("pass") if c.passed else t("fail"), c.detail]
                   for c in plan.prechecks])
    out += [TEXT["baseline"][lang], ""]
    out += _table([t("id"), t("from"), t("to"), t("expect")],
                  [[p.id, p.source, f"{p.target} ({p.target_prefix})", t("reach") if p.expect else t("unreach")]
                   for p in plan.baseline])

    # 5 steps
    out += [f"## {t('steps')}", ""]
    start = plan.window_start
    rows = []
    elapsed = 0
    for i, s in enumerate(plan.steps, 1):
        at = f"T+{elapsed}" + (f" ({(start + timedelta(minutes=elapsed)).strftime('%H:%M')})" if start else "")
        device = s.node or (t("manual") if s.manual else "-")
        title = s.title_zh if lang == "zh" else s.title_en
        if s.id == plan.point_of_no_return:
            title = f"**{title}**"
        rows.append([i, s.id, title, _owner(s.owner, lang), device, at, s.minutes])
        elapsed += s.minutes
    out += _table(["#", t("id"), t("step"), t("owner"), t("device"), t("at"), t("est")], rows)
    if plan.readiness:
        out += [TEXT["ready"][lang], ""]
        out += _table([t("id"), t("check"), t("from"), t("to"), t("expect")],
                      [[p.id, p.title_zh if lang == "zh" else p.title_en, p.source, p.target_prefix, t("reach")]
                       for p in plan.readiness])

    # 6 post-checks
    out += [f"## {t('post')}", ""]
    out += _table([t("id"), t("check"), t("from"), t("to"), t("expect")],
                  [[p.id, p.title_zh if lang == "zh" else p.title_en, p.source, p.target_prefix,
                    t("reach") if p.expect else t("unreach")] for p in plan.postchecks])
    out += [TEXT["unchanged"][lang].format(vpns=", ".join(plan.other_vpns) or "-"), ""]

    # 7 rollback
    out += [f"## {t('rollback')}", "", TEXT["trigger"][lang], ""]
    out += _table(["#", t("id"), t("step"), t("owner"), t("device"), t("est")],
                  [[i, s.id, s.title_zh if lang == "zh" else s.title_en, _owner(s.owner, lang),
                    s.node or (t("manual") if s.manual else "-"), s.minutes] for i, s in enumerate(plan.rollback, 1)])

    # 8 point of no return
    ponr = plan.step(plan.point_of_no_return)
    obs = next((s.minutes for s in plan.steps if s.phase == Phase.observe), 0)
    out += [f"## {t('ponr')}", "", TEXT["ponr"][lang].format(step=ponr.title_zh if lang == "zh" else ponr.title_en,
                                                             obs=obs, t=plan.minutes_to_no_return), ""]

    # 9 contacts
    out += [f"## {t('contacts')}", ""]
    out += _table([t("role"), t("who")], [[c.role_zh if lang == "zh" else c.role_en, c.who] for c in plan.contacts])

    if with_configs:
        out += [f"## {t('appendix')}", ""]
        for c in plan.changes:
            out += [f"### {c.node} ({c.platform}): {c.feature}", "", f"{t('apply')}:", "", "```",
                    c.apply.rstrip("\n"), "```", "", f"{t('undo')}:", "", "```", c.rollback.rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def write_docx(markdown: str, path: object) -> None:
    """The same document as DOCX (python-docx), from the Markdown above: headings, tables, code, lists."""
    try:
        import docx
        from docx.shared import Pt
    except ImportError:  # pragma: no cover - python-docx is a dependency
        from govctl.core.errors import InputError

        raise InputError("--out *.docx needs python-docx (pip install python-docx)") from None
    doc = docx.Document()
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            para = doc.add_paragraph()
            run = para.add_run("\n".join(lines[i + 1:j]))
            run.font.name, run.font.size = "Courier New", Pt(8)
            i = j + 1
            continue
        if ln.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip().replace("\\|", "|") for c in lines[i].strip().strip("|").split(" | ")]
                if not all(set(c) <= {"-"} for c in cells):
                    rows.append(cells)
                i += 1
            width = max(len(r) for r in rows)
            table = doc.add_table(rows=len(rows), cols=width)
            table.style = "Table Grid"
            for r, cells in enumerate(rows):
                for c, text in enumerate(cells):
                    table.cell(r, c).text = text.replace("**", "")
            continue
        level = len(ln) - len(ln.lstrip("#"))
        if level and ln[level:level + 1] == " ":
            doc.add_heading(ln[level + 1:], level=min(level, 4))
        elif ln.startswith("- "):
            doc.add_paragraph(ln[2:], style="List Bullet")
        elif ln.startswith("> "):
            doc.add_paragraph().add_run(ln[2:]).italic = True
        elif ln.strip():
            doc.add_paragraph(ln.replace("**", ""))
        i += 1
    doc.save(str(path))
