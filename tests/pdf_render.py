"""Render a PDF as a reader would (PDFium, the engine of Chrome's viewer; like `pdftoppm`, without Debian's
poppler): each page's text as PDFium extracts it (so embedded CJK fonts must map back to characters) and
how much of the page is inked (a chart or table that failed to draw leaves it blank)."""

from __future__ import annotations

from dataclasses import dataclass

# The titles of the monthly bulletin's charts (scoring/adapters/bulletin.py), as they show in its PDF.
CHART_TITLES = ("各等级单位数", "总分分布", "扣分最多的评分项", "区直部门与设区市平均分")


@dataclass(frozen=True)
class Page:
    text: str
    ink: float  # share of pixels darker than near-white


def render(pdf: bytes, scale: float = 1.0) -> list[Page]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in doc:
            text = page.get_textpage().get_text_range()
            image = page.render(scale=scale).to_pil().convert("L")
            histogram = image.histogram()
            pages.append(Page(text, sum(histogram[:240]) / (image.width * image.height)))
    finally:
        doc.close()
    return pages
