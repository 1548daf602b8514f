"""HTML renderer: escaping, self-containment, templates, branding, language."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixture import XSS, make_report

from communityroi import RenderContext, RenderError
from plugins.renderers import assets
from plugins.renderers.html import DEFAULT_DIR, HTMLOptions, render_html

EXAMPLE_THEME = DEFAULT_DIR.parent / "themes" / "example"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def ctx(*dirs: Path, allowed=(), **kw) -> RenderContext:
    return RenderContext(template_dirs=(*dirs, DEFAULT_DIR), allowed_files=frozenset(allowed), **kw)


@pytest.fixture(scope="module")
def html_en() -> str:
    return render_html(make_report("en"), ctx())


@pytest.fixture(scope="module")
def html_zh() -> str:
    return render_html(make_report("zh-CN"), ctx())


class Collector(HTMLParser):
    """Every URL-bearing attribute and every <style>/style="" text of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.css: list[str] = []
        self.scripts = 0
        self._style = False

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self._style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                self.urls.append(value or "")
            if name == "style":
                self.css.append(value or "")

    def handle_data(self, data):
        if self._style:
            self.css.append(data)
            self._style = False


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    return c


def test_member_named_script_is_escaped_in_tables_and_charts(html_en):
    assert XSS not in html_en
    assert html_en.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # table, chart, ranking
    assert parse(html_en).scripts == 0
    # the network chart label (clipped) and its tooltip are escaped too
    svg = re.search(r"<svg[^>]*chart-network.*?</svg>", html_en, re.S).group(0)
    assert "&lt;script&gt;" in svg and "<script" not in svg


def test_html_references_nothing_outside_data_uris_and_anchors(html_en, html_zh):
    for html in (html_en, html_zh):
        doc = parse(html)
        assert doc.urls, "expected TOC anchors"
        for url in doc.urls:
            assert url.startswith(("#", "data:")), url
        for css in doc.css:
            for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css):
                assert ref.startswith(("data:", "#")), ref
            assert "@import" not in css
        # text may mention URLs (a member named =HYPERLINK("http://…")), attributes may not
        assert not re.search(r'(src|href)="(?!#|data:)', html)


def test_structure_cover_summary_toc_sections_appendix(html_en):
    order = [html_en.index(x) for x in ('id="cover"', 'id="summary"', 'id="toc"',
                                          'id="sec-roi"', 'id="sec-influence"',
                                          'id="methodology"')]  # fmt: skip
    assert order == sorted(order)
    summary = html_en[html_en.index('id="summary"') : html_en.index('id="toc"')]
    assert "156.3%" in summary  # ROI headline
    assert "¥89,500" in summary and "¥229,391" in summary  # investment vs return
    tiles = re.findall(r'class="tile[^"]*" data-kpi="([^"]+)"', summary)
    assert 6 <= len(tiles) <= 8 and "roi" not in tiles
    assert "badge-met" in html_en and "badge-near" in summary and "badge-missed" in summary
    assert summary.count('class="finding ') == 5  # every finding of the fixture (≤ 6)
    # hidden tables stay out, shown ones are in; long tables are cut with a note
    assert 'id="tbl-health-daily"' not in html_en and 'id="tbl-roi-campaigns"' in html_en
    assert "Showing 50 of 120 rows" in html_en
    # methodology: every formula, attribution rules, settings (secrets masked)
    appendix = html_en[html_en.index('id="methodology"') :]
    for formula in ("ROI = (R − I) / I × 100 %", "I / (R / days in period)",
                    "E[transactions] (BG/NBD) × E[spend] (Gamma-Gamma)"):  # fmt: skip
        assert formula in appendix
    assert "An order counts when its buyer is a member" in appendix
    assert "metrics.roi.return_basis" in appendix and "s3cr3t" not in html_en


def test_chinese_labels_numbers_and_dates(html_zh):
    assert '<html lang="zh-CN">' in html_zh
    for text in ("执行摘要", "目录", "方法说明", "投资回报率", "达成目标", "接近目标", "未达目标",
                 "较上期", "2025年1月1日", "¥229,391", "+35.3 个百分点", "35.1 天"):  # fmt: skip
        assert text in html_zh, text
    assert "Executive summary" not in html_zh


def test_max_table_rows_option():
    html = render_html(make_report("en"), ctx(options=HTMLOptions(max_table_rows=5)))
    table = re.search(r'id="tbl-clv-top-members".*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 6  # header + 5 rows
    assert "Showing 5 of 120 rows" in html


def test_long_tables_mark_the_rows_print_leaves_out():
    html = render_html(make_report("en"), ctx(options=HTMLOptions(print_max_rows=10)))
    table = re.search(r'id="tbl-clv-top-members".*?</figure>', html, re.S).group(0)
    assert table.count("<tr>") == 11  # header + 10 printed rows
    assert table.count('<tr class="print-cut">') == 40  # the screen shows 50
    assert '<p class="table-note screen-only">Showing 50 of 120 rows' in table
    assert '<p class="table-note print-only">Showing 10 of 120 rows' in table
    short = re.search(r'id="tbl-roi-campaigns".*?</figure>', html, re.S).group(0)
    assert "print-cut" not in short and "print-only" not in short


def test_undefined_variable_is_an_error_naming_it(tmp_path):
    (tmp_path / "summary.html").write_text("<p>{{ summary.no_such_thing }}</p>")
    with pytest.raises(RenderError, match="no_such_thing"):
        render_html(make_report("en"), ctx(tmp_path))


def test_template_syntax_error_names_template_and_line(tmp_path):
    (tmp_path / "toc.html").write_text("<nav>\n{% for x in %}</nav>")
    with pytest.raises(RenderError, match=r"toc\.html, line 2"):
        render_html(make_report("en"), ctx(tmp_path))


def test_override_extends_default_and_replaces_one_block(tmp_path):
    (tmp_path / "report.html").write_text(
        '{% extends "default:report.html" %}'
        '{% block cover %}<header id="cover" class="mine">{{ meta.client }}</header>'
        "{% endblock %}"
    )
    html = render_html(make_report("en"), ctx(tmp_path))
    assert '<header id="cover" class="mine">Acme Tea 阿克米茶饮</header>' in html
    assert 'class="cover-band"' not in html  # the built-in cover is gone …
    assert 'id="summary"' in html and 'id="methodology"' in html  # … the rest is built-in


def test_example_theme_renders_its_blocks():
    html = render_html(make_report("en"), ctx(EXAMPLE_THEME))
    assert "example-rule" in html and html.count("example-back") == 5


def test_section_template_chosen_per_section(tmp_path):
    (tmp_path / "roi_section.html").write_text(
        '{% extends "default:section.html" %}'
        '{% block charts %}<p class="custom-roi">{{ section.kpis[0].value }}</p>{% endblock %}'
    )
    rep = make_report("en")
    sections = (replace(rep.sections[0], template="roi_section.html"), *rep.sections[1:])
    html = render_html(replace(rep, sections=sections), ctx(tmp_path))
    assert '<p class="custom-roi">156.3%</p>' in html
    assert html.count('class="custom-roi"') == 1  # other sections use section.html
    assert 'data-chart="campaigns"' not in html and 'data-chart="daily"' in html


def test_template_adding_an_external_url_is_refused(tmp_path):
    (tmp_path / "report.html").write_text(
        '{% extends "default:report.html" %}'
        '{% block extra_css %}@import "https://cdn.example/x.css";{% endblock %}'
    )
    with pytest.raises(RenderError, match=r"cdn\.example"):
        render_html(make_report("en"), ctx(tmp_path))


def test_logo_from_allowed_file_is_embedded(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    rep = make_report("en", branding={**make_report().branding, "logo": str(logo)})
    html = render_html(rep, ctx(allowed=[logo]))
    assert 'src="data:image/png;base64,' + base64.b64encode(PNG).decode() in html


@pytest.mark.parametrize("logo", ["https://cdn.example/logo.png", "http://x/y.png"])
def test_network_logo_is_refused(logo):
    rep = make_report("en", branding={**make_report().branding, "logo": logo})
    with pytest.raises(RenderError, match="is a URL"):
        render_html(rep, ctx())


def test_logo_not_named_in_configuration_is_refused(tmp_path):
    other = tmp_path / "secret.png"
    other.write_bytes(PNG)
    rep = make_report("en", branding={**make_report().branding, "logo": str(other)})
    with pytest.raises(RenderError, match="not a file named in the configuration"):
        render_html(rep, ctx())


@pytest.mark.parametrize(
    "colour", ["red", "#12345", "#1f4e79; } body { display:none", "url(https://x)"]
)
def test_invalid_colours_never_reach_css(colour):
    rep = make_report("en", branding={**make_report().branding, "primary_color": colour})
    with pytest.raises(RenderError, match="primary_color"):
        render_html(rep, ctx())


def test_brand_colours_and_font_are_applied():
    brand = {**make_report().branding, "primary_color": "#7A1F5C", "font_family": "Inter"}
    html = render_html(make_report("en", branding=brand), ctx())
    assert "--primary: #7a1f5c;" in html
    assert 'font-family: "Inter", "Noto Sans SC CR"' in html
    with pytest.raises(RenderError, match="font_family"):
        bad = {**brand, "font_family": 'x"; } * { color: red'}
        render_html(make_report("en", branding=bad), ctx())


def test_same_report_same_html(html_en):
    assert render_html(make_report("en"), ctx()) == html_en


def test_external_refs_checker():
    page = (
        '<img src="data:image/png;base64,xx"><a href="#top">x</a><a href="mailto:a@b">m</a>'
        "<div style=\"background:url('//evil/x.png')\"></div>"
        "<style>@import url(x.css); .a{background:url(data:image/png;base64,x)}</style>"
        '<img srcset="a.png 1x, data:x 2x">'
    )
    assert assets.external_refs(page) == ["mailto:a@b", "//evil/x.png", "x.css", "a.png"]


def test_no_previous_period_only_where_the_metric_compares():
    """A KPI without a previous value says "no previous period" — unless its metric never
    compares (``Section.compared`` false, e.g. incrementality): there is a previous
    period, the metric just does not measure it."""
    from report_fixture import health_section, roi_section

    from communityroi import KPI, Section

    plain = KPI("posts", "Posts", 10, "count")  # no previous value
    estimate = KPI("caused_share", "Caused share", 40.0, "percent", low=-5, high=90)
    sections = (
        roi_section(),
        health_section(),
        Section(kpis=(plain,), metric="content"),
        Section(kpis=(estimate,), metric="estimates", compared=False),
    )
    html = render_html(make_report("en", sections=sections), ctx())

    def tile(key: str) -> str:
        start = html.index(f'data-kpi="{key}"')
        return html[start : html.index('<div class="tile-foot">', start) + 200]

    assert "no previous period" in tile("posts")
    assert "no previous period" not in tile("caused_share")
