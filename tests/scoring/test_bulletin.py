"""#20 part 4: the monthly bulletin of a closed month: the ranking (equal totals share a rank), both lists, the
province's figures, the costliest deductions, the change from the month before; as HTML with its charts and
as a PDF whose Chinese text is embedded."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
from scoring.adapters import bulletin as document
from scoring.domain.bulletin import compile_bulletin
from scoring.domain.ruleset import builtin_ruleset

RULESET = builtin_ruleset()


def result(unit: str, total: str, band: str, listing: str, items: dict[str, str] | None = None) -> dict[str, object]:
    return {"unit": unit, "total": total, "band": band, "list": listing, "items": items or {}}


RESULTS = [
    result("U1", "99.00", "very-high", "red", {"D1": "2"}),
    result("U2", "96.00", "very-high", "red", {"B1.8": "4"}),
    result("U3", "96.00", "very-high", "none", {"B1.8": "2", "A1.2": "2"}),
    result("U4", "71.50", "medium", "none", {"A1.2": "2", "B1.6": "26.5"}),
    result("U5", "55.00", "low", "black", {"A1.2": "2", "B1.6": "43"}),
]
NAMES = {"U1": ("自治区甲厅", "department"), "U2": ("南宁市", "city"), "U3": ("自治区乙厅", "department"),
         "U4": ("柳州市", "city"), "U5": ("自治区丙厅", "department")}


def sample() -> object:
    return compile_bulletin("2019-08", seal="ab" * 32, closed_at="2019-09-02 10:00", results=RESULTS, names=NAMES,
                            ruleset=RULESET, previous_month="2019-07",
                            previous={"U1": Decimal("97.00"), "U2": Decimal("96.00"), "U4": Decimal("80.00")})


def test_the_ranking_lists_figures_deductions_and_changes() -> None:
    b = sample()
    assert [(r.rank, r.unit) for r in b.rows] == [(1, "U1"), (2, "U2"), (2, "U3"), (4, "U4"), (5, "U5")]
    assert [r.unit for r in b.red] == ["U1", "U2"] and [r.unit for r in b.black] == ["U5"]
    assert (b.mean, b.median) == (Decimal("83.50"), Decimal("96.00"))
    assert b.by_band == {"very-high": 3, "high": 0, "medium": 1, "low": 1}
    assert b.by_kind == {"city": (2, Decimal("83.75")), "department": (3, Decimal("83.33"))}
    assert [(d.item, d.units, d.points) for d in b.deductions] == [
        ("B1.6", 2, Decimal("69.50")), ("A1.2", 3, Decimal("6.00")), ("B1.8", 2, Decimal("6.00"))]  # D1 is a bonus
    assert [r.change for r in b.rows] == [Decimal("2.00"), Decimal("0.00"), None, Decimal("-8.50"), None]
    assert (b.improved, b.slipped, b.previous) == (1, 1, "2019-07")
    assert sum(n for _, n in b.histogram) == 5 and b.histogram[0][0] == "55–60" and b.histogram[-1] == ("95–100", 3)


def test_the_html_has_the_ranking_both_lists_and_its_charts_and_the_pdf_its_chinese_text() -> None:
    b = sample()
    page = document.html(b)
    assert "2019年8月 政务数据“聚通用”考核结果通报" in page and "红榜" in page and "黑榜" in page
    assert page.count("<svg") >= 4 and "扣分最多的评分项" in page and "南宁市" in page
    assert "<script" not in page  # works offline, and in a PDF
    pdf = document.pdf_of(page)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages)
    for words in ("考核结果通报", "红榜", "黑榜", "主要扣分项", "自治区丙厅", "各等级单位数", "总分分布"):
        assert words in text, words
    assert _embedded_fonts(reader), "the fonts are embedded"
    assert len(reader.pages) >= 2


def _embedded_fonts(reader: pypdf.PdfReader) -> set[str]:
    found = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for f in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                descriptor = f.get("/FontDescriptor")
                if descriptor is not None and any(k in descriptor.get_object() for k in
                                                  ("/FontFile", "/FontFile2", "/FontFile3")):
                    found.add(str(f["/BaseFont"]))
    return found


def test_a_first_month_has_no_changes_and_an_empty_one_still_renders() -> None:
    first = compile_bulletin("2019-06", seal="0" * 64, closed_at="2019-07-01 09:00", results=RESULTS[:2],
                             names=NAMES, ruleset=RULESET)
    assert first.previous is None and all(r.change is None for r in first.rows)
    assert "较上月" not in document.html(first)
    empty = compile_bulletin("2019-06", seal="0" * 64, closed_at="2019-07-01 09:00", results=[], names={},
                             ruleset=RULESET)
    assert "本月无单位列入红榜" in document.html(empty)
