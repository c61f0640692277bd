"""One self-contained HTML page of the six views: Apache ECharts embedded inline, no request leaves the file.

Why ECharts: it is kept by the Apache Software Foundation, draws CJK text with the reader's own fonts (no
font file to embed), has every chart the views need (tree with click-to-expand, calendar, sunburst, graph)
and fits in one 1 MB script (``assets/echarts.min.js``, Apache-2.0, licence beside it), so the report of
Guangdong stays far below the 5 MB a mail may carry.
"""
from __future__ import annotations

import html
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from govctl.migration.errors import OutputFailure
from govctl.report.i18n import T
from govctl.report.views import View

_SCRIPT = r"""
(function () {
  var views = JSON.parse(document.getElementById('govctl-data').textContent);
  var charts = {};
  function tooltipOf(p) {
    var d = p.data || {};
    var lines = [p.name];
    if (d.counts) {
      Object.keys(d.counts).forEach(function (k) { lines.push(LABELS['st_' + k] + ': ' + d.counts[k]); });
    }
    if (d.egress) { lines = lines.concat(d.egress); }
    if (d.platforms && d.platforms.length) { lines.push(d.platforms.join(', ')); }
    if (d.problems) { lines = lines.concat(d.problems.map(function (x) { return '⚠ ' + x; })); }
    return lines.map(function (s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;'); }).join('<br>');
  }
  views.forEach(function (v) {
    charts[v.id] = [];
    v.charts.forEach(function (opt, i) {
      var el = document.getElementById(v.id + '-chart-' + i);
      var chart = echarts.init(el, null, {renderer: 'canvas'});
      (opt.series || []).forEach(function (s) {
        if (s.type === 'tree' || s.type === 'scatter') { s.tooltip = {formatter: tooltipOf}; }
      });
      try { chart.setOption(opt); } catch (e) { console.error("VIEW " + v.id + " " + i + " " + e.stack); }
      charts[v.id].push(chart);
    });
    var sel = document.getElementById(v.id + '-wave');
    if (sel && v.controls.waves) {
      sel.addEventListener('change', function () {
        var w = v.controls.waves[Number(sel.value)];
        var chart = charts[v.id][charts[v.id].length - 1];
        chart.setOption({series: [{id: 'deps', data: w.nodes, links: w.links}]});
      });
    }
  });
  window.addEventListener('resize', function () {
    Object.keys(charts).forEach(function (k) { charts[k].forEach(function (c) { c.resize(); }); });
  });
  window.govctlReport = {charts: charts, views: views};
})();
"""

_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:0;background:#fafafa;color:#222}
header{padding:16px 24px;background:#0b3d6e;color:#fff}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;font-size:13px;opacity:.85}
nav{padding:8px 24px;background:#fff;border-bottom:1px solid #ddd;font-size:14px}nav a{margin-right:16px;color:#0b3d6e}
section{background:#fff;margin:16px 24px;padding:12px 20px;border:1px solid #e0e0e0;border-radius:4px}
section h2{font-size:18px;margin:4px 0 8px}ul.facts{font-size:13px;columns:2;margin:0 0 8px;padding-left:18px}
p.note{background:#fff8e1;border-left:4px solid #E69F00;padding:6px 10px;font-size:13px}
div.chart{width:100%;height:420px}
"""


def _json(value: Any) -> str:
    # inside <script>: "</" would end the element early
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def echarts_js() -> str:
    return resources.files("govctl.report").joinpath("assets/echarts.min.js").read_text(encoding="utf-8")


def render(views: list[View], province: str, inventory: str, as_of: str, lang: str) -> str:
    t = T(lang)
    title = t["title"].format(province=province)
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
             # no request may leave the file: the page itself forbids any origin but inline and data:
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'unsafe-inline\'; '
             'style-src \'unsafe-inline\'; img-src data:; font-src data:">',
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<header><h1>{html.escape(title)}</h1><p>{html.escape(t['generated'].format(as_of=as_of, inv=inventory))}"
             "</p></header><nav>"]
    parts += [f'<a href="#{v.id}">{html.escape(v.title)}</a>' for v in views]
    parts.append("</nav>")
    for v in views:
        parts.append(f'<section id="{v.id}" class="view"><h2>{html.escape(v.title)}</h2><ul class="facts">')
        parts += [f"<li>{html.escape(f)}</li>" for f in v.facts]
        parts.append("</ul>")
        if v.note:
            parts.append(f'<p class="note">{html.escape(v.note)}</p>')
        for i, c in enumerate(v.charts):
            height = c.pop("_height", 560 if v.id == "extranet" else 420)
            if c.pop("_wave_select", False) and v.controls.get("waves"):
                opts = "".join(f'<option value="{j}">{html.escape(str(w["number"]))} · {html.escape(w["date"])}'
                               f"</option>" for j, w in enumerate(v.controls["waves"]))
                parts.append(f'<label>{html.escape(t["choose_wave"])}<select id="{v.id}-wave">{opts}</select></label>')
            parts.append(f'<div class="chart" id="{v.id}-chart-{i}" style="height:{height}px"></div>')
        parts.append("</section>")
    data = [{"id": v.id, "charts": v.charts, "controls": v.controls} for v in views]
    labels = {k: t[k] for k in t if k.startswith("st_")}
    parts.append(f'<script type="application/json" id="govctl-data">{_json(data)}</script>')
    parts.append(f"<script>{echarts_js()}</script>")
    parts.append(f"<script>var LABELS={_json(labels)};{_SCRIPT}</script></body></html>")
    return "".join(parts)


def write(path: Path, text: str) -> None:
    """Atomically (a reader never sees half a report); readable by all like any document one mails."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputFailure(f"cannot write {path}: {exc.strerror}") from None
