"""SVG charts: well-formed, escaped, deterministic, laid out by documented rules."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import polars as pl
import pytest
from report_fixture import XSS, make_report

from communityroi import Chart, ColumnInfo, RenderError, T, Table
from plugins.renderers.charts import render_chart
from plugins.renderers.charts.network import _spread_step, layout
from plugins.renderers.charts.svg import mix, nice_ticks, series_styles

SVG = "{http://www.w3.org/2000/svg}"


def draw(chart: Chart, table: Table | None, lang: str = "en") -> str:
    return render_chart(
        chart, table, lang=lang, currency="CNY", primary="#1f4e79", accent="#e07a1f", uid="t"
    )


def fixture_charts(lang: str = "en"):
    rep = make_report(lang)
    for s in rep.sections:
        for c in s.charts:
            yield c, s.table(c.table)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_fixture_chart_is_well_formed_svg(lang):
    kinds = set()
    for chart, table in fixture_charts(lang):
        svg = draw(chart, table, lang)
        root = ET.fromstring(svg)  # raises on malformed XML / broken escaping
        assert root.tag == SVG + "svg"
        assert root.find(SVG + "title").text == chart.title.get(lang)
        assert root.get("viewBox").startswith("0 0 640 ")
        kinds.add(chart.kind)
    assert kinds == {"bar", "hbar", "line", "heatmap", "funnel", "histogram", "network"}


def test_labels_are_text_never_markup():
    evil = pl.DataFrame({"name": [XSS, "a & b", 'q"uote'], "v": [3.0, 2.0, 1.0]})
    table = Table("t", T("t"), evil, {"v": ColumnInfo(T("<b>v</b>"), "count")})
    for kind in ("bar", "hbar", "funnel"):
        chart = Chart("c", kind, T("<i>title</i>"), "t", "name", ("v",))
        svg = draw(chart, table)
        root = ET.fromstring(svg)
        texts = "".join(root.itertext())
        assert XSS in texts and "a & b" in texts  # shown literally …
        assert root.find(f".//{SVG}script") is None  # … never as elements
        assert "<script>" not in svg and "<i>" not in svg


def test_network_member_named_script_stays_text():
    edges = pl.DataFrame({"s": [XSS, "a", "b"], "t": ["a", "b", XSS], "w": [2, 1, 3]})
    svg = draw(
        Chart("g", "network", T("g"), "e", "s", ("t",), value="w"), Table("e", T("e"), edges)
    )
    root = ET.fromstring(svg)
    assert XSS in "".join(root.itertext())
    assert root.find(f".//{SVG}script") is None


def test_charts_are_deterministic():
    first = [draw(c, t) for c, t in fixture_charts()]
    assert first == [draw(c, t) for c, t in fixture_charts()]


def test_empty_table_draws_a_placeholder_and_bad_specs_fail_clearly():
    empty = Table("t", T("t"), pl.DataFrame({"x": [], "y": []}))
    svg = draw(Chart("c", "bar", T("c"), "t", "x", ("y",)), empty)
    assert "No data to chart" in svg
    table = Table("t", T("t"), pl.DataFrame({"x": ["a"], "y": [1]}))
    with pytest.raises(RenderError, match="unknown kind 'pie'"):
        draw(Chart("c", "pie", T("c"), "t", "x", ("y",)), table)
    with pytest.raises(RenderError, match="column 'z'"):
        draw(Chart("c", "bar", T("c"), "t", "x", ("z",)), table)


def test_bar_heights_are_proportional_to_values():
    table = Table("t", T("t"), pl.DataFrame({"x": ["a", "b"], "y": [50.0, 100.0]}))
    root = ET.fromstring(draw(Chart("c", "bar", T("c"), "t", "x", ("y",)), table))
    bars = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)


def test_grouped_bars_differ_in_texture_for_grayscale():
    styles = series_styles("#1f4e79", "#1f4e79", 3)  # even with equal brand colours …
    assert [s.pattern for s in styles] == [None, "hatch", None]
    assert styles[0].fill != styles[2].fill  # … lightness differs
    assert len({s.dash for s in styles}) == 3  # and lines differ in dash


def test_heatmap_shades_by_value_and_names_iso_weekdays():
    df = pl.DataFrame({"hour": [0, 1, 0, 1], "weekday": [1, 1, 7, 7], "n": [0, 10, 5, 10]})
    chart = Chart("h", "heatmap", T("h"), "t", "hour", ("weekday",), value="n")
    svg = draw(chart, Table("t", T("t"), df))
    assert ">Mon<" in svg and ">Sun<" in svg
    assert mix("#ffffff", "#1f4e79", 0.08) in svg  # the lowest value, lightest shade
    assert mix("#ffffff", "#1f4e79", 1.0) in svg  # the highest, full brand colour
    assert ">周一<" in draw(chart, Table("t", T("t"), df), "zh-CN")


def test_network_layout_ranks_by_weighted_degree():
    # a–b weight 5 (given in both directions), a–c 1, c–d 2: degrees a 6, b 5, d 2, c 3
    pairs = {("a", "b"): 5.0, ("a", "c"): 1.0, ("c", "d"): 2.0}
    nodes, pos, degree = layout(pairs, 320, 165)
    assert nodes == ["a", "b", "c", "d"]
    assert degree == {"a": 6.0, "b": 5.0, "c": 3.0, "d": 2.0}
    assert pos["a"] == pytest.approx((320, 165 - 128))  # rank 0 at 12 o'clock
    assert math.gcd(_spread_step(24), 24) == 1 and _spread_step(24) in (7, 9, 11)


def test_network_sums_both_directions_and_ignores_self_loops():
    edges = pl.DataFrame({"s": ["a", "b", "a"], "t": ["b", "a", "a"], "w": [2, 3, 9]})
    chart = Chart("g", "network", T("g"), "e", "s", ("t",), value="w")
    root = ET.fromstring(draw(chart, Table("e", T("e"), edges)))
    lines = list(root.iter(SVG + "line"))
    assert len(lines) == 1 and lines[0].find(SVG + "title").text == "a – b: 5"


def test_network_draws_the_three_strongest_links_per_member_shown():
    # 8 members, every pair linked (28 pairs) with weight = i + j: 3 × 8 = 24 drawn,
    # the 4 lightest pairs (0–1, 0–2, 0–3, 1–2) left out; labels drawn once, no halo copy
    names = [f"m{i}" for i in range(8)]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    edges = pl.DataFrame(
        {"s": [a for a, _ in pairs], "t": [b for _, b in pairs],
         "w": [int(a[1]) + int(b[1]) for a, b in pairs]}
    )  # fmt: skip
    chart = Chart("g", "network", T("g"), "e", "s", ("t",), value="w")
    root = ET.fromstring(draw(chart, Table("e", T("e"), edges)))
    drawn = {ln.find(SVG + "title").text.split(":")[0] for ln in root.iter(SVG + "line")}
    assert len(drawn) == 24
    assert not drawn & {"m0 – m1", "m0 – m2", "m0 – m3", "m1 – m2"}
    labels = [t.text for t in root.iter(SVG + "text")]
    assert sorted(labels[:-1]) == names and "24 strongest links" in labels[-1]


def test_nice_ticks():
    assert nice_ticks(0, 229_390.75) == [0, 50_000, 100_000, 150_000, 200_000, 250_000]
    assert nice_ticks(-34, 208) == [-50, 0, 50, 100, 150, 200, 250]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
