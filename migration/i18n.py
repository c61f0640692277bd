"""Words of the migration deliverables in Chinese and English (`--lang zh|en`).

Values are translated as the change board and the departments write them (非涉密/涉密, 等保三级,
待迁移, 僵尸系统候选), and every Chinese value is one the spreadsheet reader accepts, so an export
in Chinese re-imports to the same data.
"""
from __future__ import annotations

LANGS = ("zh", "en")

CLASSIFICATION_ZH = {"unclassified": "非涉密", "sensitive": "敏感", "classified": "涉密"}
STATUS_ZH = {"legacy": "待迁移", "migrating": "迁移中", "migrated": "已迁移", "retired": "已下线"}
PLACEMENT_ZH = {"intranet": "电子政务内网", "off_shared_cloud": "不上共享云", "strong_isolation": "强逻辑隔离区",
                "standard": "标准租户"}
DISPOSITION_ZH = {"migrate": "迁移", "done": "已迁移", "in_progress": "迁移中", "retire": "僵尸系统候选（建议下线）",
                  "retired": "已下线", "stays": "保留原处", "blocked": "无可用平台"}
ACTION_ZH = {"create": "新建", "update": "扩容"}
ISOLATION_ZH = {"standard": "标准", "strong": "强隔离", "dedicated_hosts": "专属主机"}
_CN = "零一二三四五"


def level(n: int, lang: str) -> str:
    """A 等保 level: 等保三级 / 3."""
    return f"等保{_CN[n]}级" if lang == "zh" and 0 < n <= 5 else str(n)


def value(kind: str, v: str, lang: str) -> str:
    table = {"classification": CLASSIFICATION_ZH, "status": STATUS_ZH, "placement": PLACEMENT_ZH,
             "disposition": DISPOSITION_ZH, "action": ACTION_ZH, "isolation": ISOLATION_ZH}[kind]
    return table.get(v, v) if lang == "zh" else v


def check(lang: str, flag: str = "--lang") -> str:
    from govctl.migration.errors import MigrationInputError

    if lang not in LANGS:
        raise MigrationInputError(f"{flag}: expected zh or en, got '{lang}'")
    return lang


# Sentences of the wave plan and runbooks; {names} are filled by str.format.
TEXT: dict[str, dict[str, str]] = {
    "plan_title": {"en": "Migration waves: {inv}", "zh": "迁移上云批次计划：{inv}"},
    "limits": {"en": "Limits: at most {n} systems and {gb} GB per wave ({h} h window at {rate} Gbit/s x {eff}). "
                     "Assessed as of {as_of}.",
               "zh": "每批次上限：{n} 个系统、{gb} GB 数据（割接窗口 {h} 小时，线路 {rate} Gbit/s × 有效率 {eff}）。"
                     "评估基准日：{as_of}。"},
    "plan_head": {"en": "| wave | date | systems | data GB | copy h | platforms | tenants created | tenants raised |",
                  "zh": "| 批次 | 日期 | 系统数 | 数据量(GB) | 复制时长(小时) | 目标平台 | 新建租户 | 扩容租户 |"},
    "not_planned": {"en": "Not planned", "zh": "未纳入批次的系统"},
    "not_planned_head": {"en": "| system | reason |", "zh": "| 系统 | 原因 |"},
    "wave_title": {"en": "Wave {n}: {inv}", "zh": "第 {n} 批次割接手册：{inv}"},
    "window": {"en": "- Window: {date} from 00:00 (UTC+8) for {h} h, outside every change freeze (封网)",
               "zh": "- 割接窗口：{date} 00:00（北京时间）起 {h} 小时，避开所有封网期"},
    "window_tbd": {"en": "- Window: to be scheduled", "zh": "- 割接窗口：待定"},
    "systems_line": {"en": "- Systems: {n} of at most {max}", "zh": "- 系统：{n} 个（上限 {max} 个）"},
    "data_line": {"en": "- Data: {gb} GB of at most {cap} GB; bulk copy ~{h} h at {rate} Gbit/s x {eff}",
                  "zh": "- 数据量：{gb} GB（上限 {cap} GB）；全量复制约 {h} 小时（{rate} Gbit/s × {eff}）"},
    "before": {"en": "## 1. Before the window", "zh": "## 一、割接前准备"},
    "before_steps": {
        "en": "1. Apply this wave's tenant changes (below, and `changes.yaml`): `govctl plan {preview}` previews the "
              "inventory after them (after `govctl migrate waves --write`: `govctl plan {inv} --base HEAD`); apply "
              "through the cloud stacks.\n"
              "2. New tenants come without networks: add their networks to tenants.yaml (IPv4 ranges are a local "
              "choice), then pin their IPv6 prefixes with `govctl ipv6 plan {inv} --write`.\n"
              "3. Pre-seed the bulk data copy; only the final delta is copied in the window.\n"
              "4. Confirm with every owner department; announce the freeze of writes for the window.\n"
              "5. Check that every dependency listed below is already running on its target (earlier waves).",
        "zh": "1. 实施本批次的租户变更（见下表及 `changes.yaml`）：`govctl plan {preview}` 预览变更后的清单"
              "（执行 `govctl migrate waves --write` 后：`govctl plan {inv} --base HEAD`），再通过云平台栈实施。\n"
              "2. 新建租户不含网络：在 tenants.yaml 中补充其网络（IPv4 地址段由本地确定），再用 "
              "`govctl ipv6 plan {inv} --write` 固定其 IPv6 前缀。\n"
              "3. 提前完成全量数据预同步；窗口内只复制最后的增量。\n"
              "4. 与各责任部门逐一确认；通知窗口期间停止写入。\n"
              "5. 确认下表所列依赖系统均已在目标平台运行（前序批次）。"},
    "tenant_changes": {"en": "### Tenant changes", "zh": "### 租户变更"},
    "tenant_head": {"en": "| action | tenant | platform | department | isolation | level | DR grade | +cores | "
                          "+RAM GB | +instances | +volume GB |",
                    "zh": "| 操作 | 租户 | 平台 | 部门 | 隔离 | 等保级别 | 灾备等级 | +vCPU | +内存(GB) | +实例 | "
                          "+云硬盘(GB) |"},
    "order": {"en": "## 2. Cutover order", "zh": "## 二、割接顺序"},
    "order_head": {"en": "| # | system | name | department | to platform / tenant | data GB | DR grade | depends on "
                         "(wave) |",
                   "zh": "| 序号 | 系统编号 | 系统名称 | 所属部门 | 目标平台 / 租户 | 数据量(GB) | 灾备等级 "
                         "| 依赖系统（批次） |"},
    "cycles": {"en": "Cycles (cut over together, switch traffic at the same moment):",
               "zh": "循环依赖（同时割接，同一时刻切换流量）："},
    "per_system": {
        "en": "For each system, in the order above:\n\n"
              "1. Stop writes on the old platform; take the final backup.\n"
              "2. Copy the final delta; compare record counts and checksums.\n"
              "3. Start the system in its tenant; switch DNS / the extranet address to the cloud.\n"
              "4. Smoke test with the owner department; watch errors for 30 minutes.\n"
              "5. Record it: `govctl migrate record <system> migrated --wave {n} {inv}` (or `rolled_back`).",
        "zh": "按上表顺序，逐个系统：\n\n"
              "1. 原平台停止写入，做最后一次备份。\n"
              "2. 复制最后增量，核对记录数和校验和。\n"
              "3. 在租户内启动系统，将域名 / 外网地址切换到云上。\n"
              "4. 与责任部门做冒烟测试，观察 30 分钟错误情况。\n"
              "5. 登记：`govctl migrate record <系统编号> migrated --wave {n} {inv}`（回退则记 `rolled_back`）。"},
    "rollback": {"en": "## 3. Rollback", "zh": "## 三、回退"},
    "rollback_text": {
        "en": "If a smoke test fails, or the window's end is near with systems left: switch DNS back, restart the "
              "old system from its last backup, record `rolled_back`; roll back systems that depend on it in the "
              "same wave too (they come after it in the order above).",
        "zh": "冒烟测试失败，或窗口将尽仍有系统未完成时：切回域名，用最后备份在原平台重启系统，登记 `rolled_back`；"
              "本批次中依赖它的系统一并回退（它们在上表中排在其后）。"},
    "warnings": {"en": "## Warnings", "zh": "## 风险提示"},
}


def t(key: str, lang: str, **kw: object) -> str:
    return TEXT[key][lang].format(**kw)


# The assessment's and the plan's reasons and warnings, written in English where they are made, in the
# change board's words (most specific first; a part not listed stays as written).
_ZH_PATTERNS: list[tuple[str, str]] = [
    (r"depends on (\S+), a zombie candidate \((.*?)\): retiring \1 breaks (\S+); keep \1 or move what \3 uses "
     r"from it first", r"依赖僵尸系统候选 \1（\2）：下线 \1 会影响 \3；请保留 \1，或先迁出 \3 用到的功能"),
    (r"depends on (\S+), which stays off the cloud \((.*?)\): every call crosses the network boundary "
     r"\(open it through the extranet gateway\)",
     r"依赖不上云的系统 \1（\2）：每次调用都跨越网络边界（需经外网网关开通）"),
    (r"depends on (\S+), which is retired: check (\S+) still works without it",
     r"依赖已下线的系统 \1：请确认 \2 不受影响"),
    (r"zombie candidate with dependants: (.*?); check before retiring", r"僵尸系统候选但仍有依赖方：\1；下线前请核实"),
    (r"waits for (\S+), blocked: ", r"等待无可用平台的依赖系统 \1："),
    (r"waits for blocked dependency (\S+)", r"等待无可用平台的依赖系统 \1"),
    (r"classified \(涉密\): stays on the e-government intranet", "涉密系统：保留在电子政务内网"),
    (r"等保 level (\d): not on the shared cloud", r"等保\1级系统：不上共享云"),
    (r"no dependants and unused since (\S+)", r"无依赖方且自 \1 起未使用"),
    (r"unused since (\S+) \((\d+) days\)", r"自 \1 起未使用（\2 天）"),
    (r"no owner \(负责人 empty\)", "无负责人"),
    (r"zombie candidate: ", "僵尸系统候选："),
    (r"zombie candidate", "僵尸系统候选"),
    (r"^blocked: ", "无可用平台："),
    (r"^already migrated$", "已迁移"),
    (r"^migrating now$", "迁移中"),
    (r"^retired$", "已下线"),
]


def text_of(s: str, lang: str) -> str:
    """A reason or warning in the deliverable's language."""
    if lang != "zh":
        return s
    import re

    for pattern, repl in _ZH_PATTERNS:
        s = re.sub(pattern, repl, s)
    return s
