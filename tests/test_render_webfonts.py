"""The HTML report carries the bundled Chinese font, cut to its characters
(report_templates/webfonts.py), so Chinese text shows where no CJK font is installed."""

from __future__ import annotations

import base64
import io
import re
from html import unescape

import pytest
from report_fixture import make_report
from test_render_html import ctx

from plugins.renderers.html import HTMLOptions, render_html
from report_templates import bundled, webfonts

ttLib = pytest.importorskip("fontTools.ttLib")  # reads the embedded fonts back

FACE = re.compile(
    r'@font-face \{ font-family: "Noto Sans SC CR"; font-style: normal; font-weight: (\d+); '
    r'src: url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\) format\("woff"\); \}'
)


def faces(html: str) -> dict[int, bytes]:
    return {int(w): base64.b64decode(b64) for w, b64 in FACE.findall(html)}


def page_text(html: str) -> set[str]:
    """The characters a reader sees: the page without its <style> blocks and tags."""
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return set(unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def html_zh() -> str:
    return render_html(make_report("zh-CN"), ctx())


def test_a_chinese_report_carries_both_weights_cut_to_its_characters(html_zh):
    got = faces(html_zh)
    assert sorted(got) == [400, 700]
    cjk = {c for c in page_text(html_zh) if any(lo <= ord(c) <= hi for lo, hi in webfonts.CJK)}
    assert len(cjk) > 50  # the zh-CN labels
    whole = ttLib.TTFont(bundled("fonts", "NotoSansSC-CR-Regular.ttf"))
    bundled_glyphs = len(whole.getGlyphOrder())
    for weight, data in got.items():
        font = ttLib.TTFont(io.BytesIO(data))
        cmap = font.getBestCmap()
        missing = sorted(c for c in cjk if ord(c) not in cmap)
        # the bundled font has all of GB2312; anything beyond it was never in the font
        gb2312 = [c for c in missing if _in_gb2312(c)]
        assert not gb2312, (weight, gb2312[:10])
        assert font["name"].getDebugName(1) == "Noto Sans SC CR"
        # copyright, the modification note and the licence travel with the cut (OFL)
        assert {n.nameID for n in font["name"].names} >= {0, 10, 13, 14}
        assert "Open Font License" in font["name"].getDebugName(13)
        assert font["OS/2"].usWeightClass == weight
        assert len(font.getGlyphOrder()) < bundled_glyphs / 4  # a cut, not the whole font


def _in_gb2312(c: str) -> bool:
    try:
        c.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def test_the_faces_are_the_only_thing_added(html_zh):
    plain = render_html(make_report("zh-CN"), ctx(options=HTMLOptions(embed_fonts=False)))
    assert not faces(plain) and "@font-face" not in plain
    assert re.sub(r"<style>\n@font-face.*?</style>\n", "", html_zh, flags=re.S) == plain


def test_text_without_cjk_needs_no_font():
    assert webfonts.font_faces("Community value report – ▲ 3 % · ≥ 10 … © José") == ""
    assert webfonts.font_faces("社群") != ""


def test_the_printed_page_leaves_fonts_to_the_pdf():
    # WeasyPrint embeds the bundled font itself (fonts.css); the print page carries none
    paper = render_html(make_report("zh-CN"), ctx(), medium="print")
    assert "data:font/" not in paper


def test_without_harfbuzz_the_page_keeps_system_fonts(monkeypatch):
    monkeypatch.setattr(webfonts, "_harfbuzz", lambda: None)
    html = render_html(make_report("zh-CN"), ctx())
    assert "@font-face" not in html and "社群" in html


def test_woff_carries_the_truetype_tables_unchanged():
    """WOFF 1.0 only compresses: every table reads back byte for byte."""
    sfnt = webfonts.subset(bundled("fonts", "NotoSansSC-CR-Bold.ttf"), map(ord, "社群报告 ROI 12%"))
    packed = webfonts.woff(sfnt)
    assert packed[:4] == b"wOFF" and len(packed) < len(sfnt)
    plain, wrapped = ttLib.TTFont(io.BytesIO(sfnt)), ttLib.TTFont(io.BytesIO(packed))
    assert wrapped.flavor == "woff"
    assert sorted(wrapped.reader.keys()) == sorted(plain.reader.keys())
    for tag in sorted(plain.reader.keys()):
        assert wrapped.reader[tag] == plain.reader[tag], tag
