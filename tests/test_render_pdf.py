"""PDF renderer: structure (never bytes) — pages, outline, text, fonts — and the offline
URL fetcher."""

from __future__ import annotations

import gc
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from report_fixture import make_report

from communityroi import RenderContext, RenderError
from plugins.renderers.html import DEFAULT_DIR, HTMLOptions
from plugins.renderers.pdf import (
    PDFOptions,
    cyclic_gc_paused,
    inline_root_variables,
    print_html,
    render,
)

pytestmark = pytest.mark.slow


def ctx(*dirs: Path, **kw) -> RenderContext:
    return RenderContext(template_dirs=(*dirs, DEFAULT_DIR), allowed_files=frozenset(), **kw)


class Rendered:
    def __init__(self, lang: str, **kw) -> None:
        self.blob = render(make_report(lang), ctx(**kw))
        self.reader = PdfReader(io.BytesIO(self.blob))
        self.text = [" ".join(p.extract_text().split()) for p in self.reader.pages]


@pytest.fixture(scope="module")
def zh() -> Rendered:
    return Rendered("zh-CN")


@pytest.fixture(scope="module")
def en() -> Rendered:
    # long tables printed whole, to see them break across pages
    return Rendered("en", options=PDFOptions(print_max_rows=100))


def test_pdf_structure_and_text(zh, en):
    for pdf in (zh, en):
        assert pdf.blob.startswith(b"%PDF-")
        assert 8 <= len(pdf.reader.pages) <= 20
        box = pdf.reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in pt
    joined = " ".join(zh.text)
    for s in ("2025 年第一季度社群报告", "执行摘要", "投资回报率", "156.3%", "¥229,391",
              "达成目标", "方法说明", "Acme Tea 阿克米茶饮"):  # fmt: skip
        assert s.replace(" ", "") in joined.replace(" ", ""), s
    assert "Executive summary" in " ".join(en.text)


def test_cover_has_no_running_header_but_other_pages_do(zh):
    text = zh.text
    total = len(text)
    assert "第 1 页" not in text[0]
    assert f"第 2 页 / 共 {total} 页" in text[1]
    assert all("Acme Tea" in t for t in text[1:])  # running header: client name


def test_table_of_contents_has_page_numbers(zh):
    toc_page = next(i for i, t in enumerate(zh.text) if t.startswith("目录 "))
    entries = re.findall(r"(?:\d\d )?(\S+) \.{5,} (\d+)", zh.text[toc_page])
    titles = [t for t, _ in entries]
    assert titles == ["执行摘要", "投资回报", "社群健康度", "留存", "客户终身价值", "影响力与裂变",
                      "方法说明"]  # fmt: skip
    for title, page in entries[1:]:  # each section starts on the page the TOC names
        starts = [i + 1 for i, t in enumerate(zh.text) if re.match(rf"(\d\d )?{title} ", t)]
        assert starts == [int(page)], (title, page, starts)


def test_long_table_repeats_its_header(en):
    pages = [t for t in en.text if "M-" in t and "Predicted CLV" in t]
    assert len(pages) >= 2  # the 50-row table spans pages, header on each


def test_long_table_prints_its_first_rows_and_says_where_the_rest_is(zh):
    text = " ".join(zh.text)
    assert "仅显示 120 行中的前 10 行；JSON 与 Excel 输出包含全部数据。" in text
    table = text[text.index("高价值成员") : text.index("仅显示 120 行")]
    members = re.findall(r"M-\d{5}", table)  # rows 4 and 6 are the odd names, not ids
    assert len(members) == 8 and "alert(1)" in table and "HYPERLINK" in table
    assert "M-79190" not in table  # row 11 (member 10 × 7919): not printed


def test_fonts_are_embedded(zh):
    fonts = set()
    for page in zh.reader.pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            font = f.get_object()
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in desc or "/FontFile3" in desc or "/FontFile" in desc
            fonts.add(str(font["/BaseFont"]))
    assert any("Noto-Sans-SC-CR" in f for f in fonts), fonts  # the bundled subset


def test_logo_is_embedded_from_its_data_uri(tmp_path):
    import base64

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    logo = tmp_path / "logo.png"
    logo.write_bytes(png)
    rep = make_report("en", branding={**make_report().branding, "logo": str(logo)})
    context = RenderContext(template_dirs=(DEFAULT_DIR,), allowed_files=frozenset([logo]))
    cover = PdfReader(io.BytesIO(render(rep, context))).pages[0]
    assert len(cover.images) == 1


def test_network_reference_from_a_template_is_refused(tmp_path):
    (tmp_path / "report.html").write_text(
        '{% extends "default:report.html" %}{% block cover %}<p>x</p>{% endblock %}'
    )
    html = '<html><body><img src="https://cdn.example/logo.png"></body></html>'
    with pytest.raises(RenderError, match="never touches the network"):
        print_html(html, ctx(tmp_path))


def test_local_file_outside_allowed_places_is_refused(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG")
    html = f'<html><body><img src="file://{secret}"></body></html>'
    with pytest.raises(RenderError, match="does not name"):
        print_html(html, ctx())


def test_the_print_medium_has_chart_images_without_tooltips_and_cut_tables():
    """The PDF prints render_html(medium="print"): no regex rewrites the screen page."""
    import base64

    from plugins.renderers.html import render_html

    rep = make_report("en")
    screen = render_html(rep, ctx(options=HTMLOptions(print_max_rows=3)))
    paper = render_html(rep, ctx(options=HTMLOptions(print_max_rows=3)), medium="print")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart' in screen
    assert "<title>" in screen.split("</head>", 1)[1]  # hover tooltips on screen
    assert 'class="print-cut"' in screen and 'class="print-cut"' not in paper
    assert paper.count("<tr") < screen.count("<tr")
    imgs = re.findall(r'<img class="chart chart-\w+" src="data:image/svg\+xml;base64,([^"]+)" '
                      r'alt="Chart: [^"]+" width="640" height="[\d.]+">', paper)  # fmt: skip
    assert len(imgs) == screen.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart')
    for data in imgs:
        svg = base64.b64decode(data).decode("utf-8")
        assert svg.startswith("<svg") and "<title>" not in svg
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart' not in paper
    assert "<title>" in paper.split("</head>", 1)[0]  # the document title (PDF metadata)


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_is_paused_while_printing_and_restored_after(enabled):
    before = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), cyclic_gc_paused():
            raise ValueError("render failed")
        assert gc.isenabled() is enabled  # restored on errors too
    finally:
        (gc.enable if before else gc.disable)()


def test_root_custom_properties_are_written_into_the_print_css():
    html = (
        "<html><head><style>:root { --ink: #1f2328; --line: #e3e6eb; --tone: #111; }\n"
        "td { border-bottom: 1px solid var(--line); color: var( --ink ); }\n"
        ".a { color: var(--accent, var(--ink)); background: var(--unknown); }\n"
        ".b { color: var(--tone); } .c { --tone: #222; }\n"
        "/* :root { --line: red } */ @media screen { :root { --ink: blue } }</style></head>"
        '<body><p style="color: var(--ink)">var(--ink) in text</p></body></html>'
    )
    out = inline_root_variables(html)
    style = out.split("</style>")[0]
    assert "border-bottom: 1px solid #e3e6eb; color: var( --ink );" in style  # --ink: screen
    assert "color: var(--accent, var(--ink)); background: var(--unknown);" in style
    assert ".b { color: var(--tone); }" in style  # redeclared in .c: left to the cascade
    assert out.split("</style>")[1] == html.split("</style>")[1]  # only <style> is rewritten
    assert inline_root_variables("<p>no style</p>") == "<p>no style</p>"


def test_the_demo_print_page_keeps_no_var_and_the_same_colours():
    from plugins.renderers.html import render_html

    paper = render_html(make_report("en"), ctx(), medium="print")
    style = inline_root_variables(paper).split("</style>")[0]
    assert "var(" in paper and "var(" not in style
    assert "table.data td { padding: 6px 10px; border-bottom: 1px solid #e3e6eb;" in style
