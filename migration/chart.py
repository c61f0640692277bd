"""The wave plan on a calendar (`migrate waves --chart FILE.png|svg`): one bar per wave at its date, its
height the data the wave copies against the window's capacity (dashed line), change freezes (封网)
shaded; labels in Chinese or English, drawn with a CJK font so they are not blank boxes."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from govctl.inventory import models as m
from govctl.migration.errors import OutputFailure
from govctl.migration.models import WavePlan

# Families tried in order; Debian's fonts-noto-cjk provides the first ones.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Noto Serif CJK JP", "Source Han Sans SC",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC")

_WORDS = {
    "title": {"en": "Migration waves: {inv}", "zh": "迁移上云批次计划：{inv}"},
    "ylabel": {"en": "data per wave (GB)", "zh": "每批次数据量（GB）"},
    "capacity": {"en": "window capacity {gb} GB", "zh": "窗口容量 {gb} GB"},
    "freeze": {"en": "change freeze", "zh": "封网期"},
    "bar": {"en": "wave {n}\n{k} systems", "zh": "第{n}批\n{k}个系统"},
}


def cjk_font() -> str | None:
    """A font family installed with CJK glyphs, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FAMILIES if f in installed), None)


def write_wave_chart(plan: WavePlan, freezes: list[m.ChangeFreeze], path: Path, lang: str = "zh") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font is None:
        raise OutputFailure("no CJK font installed for the chart's labels (Debian: apt-get install fonts-noto-cjk)")
    w = _WORDS
    s = plan.settings
    with plt.rc_context({"font.family": [font, "DejaVu Sans"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(max(8.0, 1.2 * len(plan.waves) + 4), 5), dpi=120)
        dated = [(wv, wv.date) for wv in plan.waves if wv.date is not None]
        for wv, day in dated:
            at = float(mdates.date2num(day))
            over = wv.data_gb > s.window_gb + 1e-9
            ax.bar(at, wv.data_gb, width=max(1.0, s.every_days * 0.6), color="#c0392b" if over else "#2e86c1",
                   align="center")
            ax.annotate(w["bar"][lang].format(n=wv.number, k=len(wv.moves)), (at, wv.data_gb),
                        textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
        ax.axhline(s.window_gb, color="#7f8c8d", linestyle="--",
                   label=w["capacity"][lang].format(gb=f"{s.window_gb:,.0f}"))
        if dated:
            first = min(day for _, day in dated) - timedelta(days=s.every_days)
            last = max(day for _, day in dated) + timedelta(days=s.every_days)
            labelled = False
            for f in freezes:
                if f.end.date() < first or f.start.date() > last:
                    continue
                ax.axvspan(float(mdates.date2num(f.start)), float(mdates.date2num(f.end)), color="#f5b041",
                           alpha=0.35, label=None if labelled else w["freeze"][lang])
                ax.text(float(mdates.date2num(f.start)), s.window_gb * 1.02, f.name, fontsize=8, rotation=90,
                        va="bottom")
                labelled = True
            ax.set_xlim(float(mdates.date2num(first)), float(mdates.date2num(last)))
        ax.xaxis_date()
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        fig.autofmt_xdate()
        top = max([s.window_gb, *(wv.data_gb for wv in plan.waves)]) * 1.25
        ax.set_ylim(0, top)
        ax.set_ylabel(w["ylabel"][lang])
        ax.set_title(w["title"][lang].format(inv=plan.inventory))
        ax.legend(loc="upper right")
        fig.tight_layout()
        try:
            fig.savefig(path, format=path.suffix.lower().lstrip("."))
        except OSError as exc:
            raise OutputFailure(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            plt.close(fig)
