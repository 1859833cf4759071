"""The monthly bulletin as a document: HTML (Jinja2) with its charts drawn by pygal as SVG, and a PDF of it
made by WeasyPrint (Pango lays out the Chinese text; the fonts used are embedded, subset)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pygal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pygal.style import Style

from scoring.domain.bulletin import BANDS, BANDS_ZH, KINDS_ZH, LISTS_ZH, Bulletin

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))
_STYLE = Style(font_family=FONTS, background="white", plot_background="white", foreground="#333",
               foreground_strong="#111", foreground_subtle="#999", colors=("#c0392b", "#2c7fb8", "#7fbc41", "#999"),
               title_font_size=16, label_font_size=12, major_label_font_size=12, value_font_size=11)


def _chart(kind: type[pygal.graph.graph.Graph], title: str, labels: list[str], values: list[float],
           **options: object) -> str:
    settings: dict[str, object] = {"width": 640, "height": 300, **options}
    if values and all(float(v).is_integer() for v in values) and "range" not in options:  # counts: whole ticks
        top = int(max(values)) or 1
        settings["y_labels"] = list(range(0, top + 1, max(1, top // 5)))
    chart = kind(style=_STYLE, show_legend=False, disable_xml_declaration=True, js=[], print_values=True,
                 title=title, **settings)
    chart.x_labels = labels
    chart.add(title, values)
    # pygal writes its tooltip configuration as an inline script even without its JS: a static chart needs
    # none, and the page must be the same offline and in the PDF.
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def charts(b: Bulletin) -> dict[str, str]:
    """The bulletin's charts as inline SVG: bands, the distribution of totals, the costliest deductions, and
    departments beside cities."""
    return {
        "bands": _chart(pygal.Bar, "各等级单位数", [BANDS_ZH[x] for x in BANDS], [b.by_band[x] for x in BANDS]),
        "histogram": _chart(pygal.Bar, "总分分布（单位数）", [label for label, _ in b.histogram],
                            [n for _, n in b.histogram]),
        "deductions": _chart(pygal.HorizontalBar, "扣分最多的评分项（合计扣分）",
                             [f"{d.item} {d.label}"[:22] for d in b.deductions],
                             [float(d.points) for d in b.deductions], height=max(300, 36 * len(b.deductions) + 80)),
        "kinds": _chart(pygal.Bar, "区直部门与设区市平均分", [KINDS_ZH.get(k, k) for k in b.by_kind],
                        [float(mean) for _, mean in b.by_kind.values()], range=(0, 100)),
    }


def html(b: Bulletin, *, pdf_link: str | None = None) -> str:
    return _env.get_template("bulletin.html").render(
        b=b, charts=charts(b), bands=BANDS, bands_zh=BANDS_ZH, lists_zh=LISTS_ZH, kinds_zh=KINDS_ZH, fonts=FONTS,
        pdf_link=pdf_link)


def pdf_of(document: str) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    return bytes(HTML(string=document).write_pdf())


async def pdf(b: Bulletin) -> bytes:
    """The PDF (laid out in a thread: a few hundred milliseconds)."""
    return await asyncio.to_thread(pdf_of, html(b))
