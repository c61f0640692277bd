"""`govctl report --chart`: legend, colour-blind-safe colours, labels clear of the target mark, CJK glyphs drawn
with the installed CJK font (Debian fonts-noto-cjk) rather than as empty boxes."""
from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import matplotlib
import pytest
from capabilities import need

from govctl.migration import report as mr
from govctl.migration.models import Metric, Report

matplotlib.use("Agg")


def _report() -> Report:
    metrics = [Metric("systems_on_cloud", "Systems on the cloud", 8, 10, 0.8, ""),  # label at the mark
               Metric("extranet_nodes_ipv6", "Extranet nodes on IPv6", 3, 10, 0.9, ""),
               Metric("tenant_networks_ipv6", "Tenant networks on IPv6", 5, 10, None, "")]
    return Report("guangdong", "广东省", "规划", 2026, date(2026, 11, 25), metrics, {"legacy": 2})


def _need_cjk_font() -> None:
    need(mr.cjk_font() is not None, "a CJK font for matplotlib (apt-get install fonts-noto-cjk)")


def _draw(path: Path, lang: str) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mr.write_chart(_report(), path, lang)
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_cjk_drawn_with_a_cjk_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _need_cjk_font()
    assert _draw(tmp_path / "zh.png", "zh") == []  # every glyph found
    with_font = (tmp_path / "zh.png").read_bytes()
    monkeypatch.setattr(mr, "CJK_FONTS", ())  # as without the font: tofu, and matplotlib says so
    missing = _draw(tmp_path / "tofu.png", "zh")
    assert missing and (tmp_path / "tofu.png").read_bytes() != with_font


def test_legend_palette_and_labels(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    svg = tmp_path / "c.svg"
    with plt.rc_context({"svg.fonttype": "none"}):  # text stays text in the SVG, to be read here
        mr.write_chart(_report(), svg, "en")
    text = svg.read_text(encoding="utf-8")
    for word in ("target met", "target not met", "no target", "the plan's target", "80%", "30%"):
        assert word in text, word
    for colour in ("#009e73", "#d55e00", "#999999"):  # Okabe-Ito met / not met / none
        assert colour in text.lower(), colour
    assert "#2e7d32" not in text.lower() and "#c62828" not in text.lower()


def test_share_label_moves_past_the_target_mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.axes

    placed: list[tuple[float, str]] = []
    real = matplotlib.axes.Axes.text

    def spy(self, x, y, s, *a, **k):  # noqa: ANN001, ANN202
        placed.append((x, s))
        return real(self, x, y, s, *a, **k)

    monkeypatch.setattr(matplotlib.axes.Axes, "text", spy)
    mr.write_chart(_report(), tmp_path / "c.png", "en")
    x = dict((s, x) for x, s in placed)
    assert x["80%"] > 80 + 1  # 80 % reached, target 80 %: the label starts right of the mark
    assert abs(x["30%"] - 31) < 1e-9  # far from its mark (90 %): right after the bar
