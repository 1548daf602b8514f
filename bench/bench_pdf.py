"""PDF speed: the same ~9-page report in English and in Chinese, with different fonts.

The document mimics a communityroi report: headings (bold), paragraphs of body text, KPI
lines and a 150-row table, about nine A4 pages. It is rendered by WeasyPrint with:

- ``en-dejavu``   English text, DejaVu Sans (system font, fontconfig)
- ``en-bundled``  English text, the bundled Noto Sans SC CR subset (one font stack for all)
- ``zh-system``   Chinese text, the system Noto Sans CJK SC (20 MB CFF collection)
- ``zh-bundled``  Chinese text, the bundled Noto Sans SC CR subset (report_templates/fonts)

Each variant is rendered once to warm up (fontconfig, font loading), then ``--runs`` times;
the table shows the median wall time of the whole ``HTML(...).write_pdf()`` and its two parts
(layout = ``render()``, write = ``write_pdf()`` of the laid-out document, where fonts are
subset and embedded), the median CPU time of this process (less disturbed than wall time when
other work shares the machine), the page count and the fonts embedded in the PDF.

WeasyPrint subsets fonts with the HarfBuzz subset library when it finds it (Debian:
``libharfbuzz-subset0``) and otherwise falls back to fontTools, which is what makes the system
CFF font slow. ``--subsetter`` measures either or both.

The product target: the Chinese report with the bundled fonts in at most 2x the English time
and under 3 s.

Run: ``python bench/bench_pdf.py`` (``--runs 5``, ``--only zh-bundled en-dejavu``).
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import statistics
import time
from pathlib import Path

from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.pdf import fonts as wpfonts

FONTS_DIR = Path(__file__).resolve().parent.parent / "report_templates" / "fonts"

ZH_SENTENCES = [
    "本季度社群新增成员一千二百余人，其中三成来自老成员的邀请裂变。",
    "活跃成员的复购率明显高于沉默成员，说明持续的内容运营带来了真实的商业价值。",
    "付费圈子的续费率稳定在百分之六十以上，核心用户对价格并不敏感。",
    "闪购群的转化集中在开群后的前四十八小时，之后迅速衰减，建议缩短活动周期。",
    "影响力最高的十位成员贡献了近四分之一的回复与提及，是社群氛围的关键节点。",
    "投入主要由人工、平台费用和广告构成，其中广告的边际回报正在下降。",
    "晚上八点到十点是发帖的最佳时段，周末的互动量比工作日高出约两成。",
    "按客户生命周期价值预测，未来十二个月的留存收入可以覆盖本季度的全部运营成本。",
]
EN_SENTENCES = [
    "This quarter the community gained more than 1,200 members, a third of them invited by "
    "existing members.",
    "Active members buy again far more often than silent ones, so steady content work brings "
    "real business value.",
    "Renewals of the paid circle stay above sixty per cent; core members are not price sensitive.",
    "Flash-group conversions cluster in the first forty-eight hours and then fade quickly; "
    "shorter campaigns are advised.",
    "The ten most influential members account for nearly a quarter of replies and mentions "
    "and hold the community together.",
    "Investment is mostly labour, platform fees and ads, and the marginal return on ads is "
    "falling.",
    "Eight to ten in the evening is the best time to post; weekends see about a fifth more "
    "interaction than weekdays.",
    "By predicted customer lifetime value, retained revenue over the next twelve months covers "
    "all of this quarter's operating cost.",
]
LABELS = {
    "zh": {
        "title": "社群运营商业价值报告",
        "section": "第{}章 运营分析",
        "sub": "{}.{} 关键发现",
        "kpi": "投资回报率 152.3%，每位成员成本 ¥38.50，付费转化率 12.4%",
        "table": "成员价值明细（前 150 名）",
        "cols": ["排名", "成员", "社群", "消息数", "订单数", "收入", "预测价值", "等级"],
        "groups": ["北京一群", "上海闪购群", "深圳会员群", "广州读书会", "线上训练营"],
        "tiers": ["核心", "活跃", "普通", "沉默"],
        "member": "成员{:04d}",
    },
    "en": {
        "title": "Community Operations Business Value Report",
        "section": "Chapter {}: Operations analysis",
        "sub": "{}.{} Key findings",
        "kpi": "ROI 152.3%, cost per member ¥38.50, paid conversion 12.4%",
        "table": "Member value detail (top 150)",
        "cols": ["Rank", "Member", "Group", "Messages", "Orders", "Revenue", "CLV", "Tier"],
        "groups": ["Beijing 1", "Shanghai flash", "Shenzhen VIP", "Guangzhou books", "Bootcamp"],
        "tiers": ["Core", "Active", "Casual", "Silent"],
        "member": "Member {:04d}",
    },
}
# GB2312 level-1 hanzi (lead bytes 0xB0-0xD7: the 3,755 most common characters).
COMMON_HANZI = sorted(
    bytes((hi, lo)).decode("gb2312")
    for hi in range(0xB0, 0xD8)
    for lo in range(0xA1, 0xFF)
    if (hi, lo) < (0xD7, 0xFA)
)
EN_WORDS = (  # split into words where used
    "member group revenue order campaign growth retention cohort loyal influence referral "
    "reach engagement weekly monthly active paid circle event content reply mention invite "
    "value lifetime forecast cost labour platform budget target actual change finding"
)
CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: %s; font-size: 10.5pt; line-height: 1.6; color: #222; }
h1 { font-size: 22pt; font-weight: 700; }
h2 { font-size: 15pt; font-weight: 700; border-bottom: 1px solid #ccc; }
h3 { font-size: 12pt; font-weight: 700; }
.kpi { font-weight: 700; color: #0a5; }
table { border-collapse: collapse; width: 100%%; font-size: 9pt; }
th { font-weight: 700; background: #eee; }
th, td { border: 1px solid #ccc; padding: 2px 4px; text-align: right; }
"""
VARIANTS = {
    "en-dejavu": ("en", '"DejaVu Sans", sans-serif', False),
    "en-bundled": ("en", '"Noto Sans SC CR", sans-serif', True),
    "zh-system": ("zh", '"Noto Sans CJK SC", sans-serif', False),
    "zh-bundled": ("zh", '"Noto Sans SC CR", sans-serif', True),
}


def notes(lang: str, chapter: int) -> str:
    """A paragraph of varied characters, so the Chinese report uses ~1,200 distinct hanzi.

    A real report's names, findings and comments use far more characters than the repeated
    sentences above; the number of distinct glyphs is what font subsetting works on. The
    English paragraph has the same number of words as the Chinese one has 2-4-hanzi words.
    """
    rnd = random.Random(chapter)
    words = []
    for _ in range(70):
        if lang == "zh":
            words.append("".join(rnd.choices(COMMON_HANZI, k=rnd.randint(2, 4))))
        else:
            words.append(rnd.choice(EN_WORDS.split()))
        if rnd.random() < 0.15:
            words[-1] += "，" if lang == "zh" else ","
    return ("" if lang == "zh" else " ").join(words) + ("。" if lang == "zh" else ".")


def document(lang: str, family: str, bundled: bool) -> str:
    """The benchmark report as HTML (deterministic)."""
    text = ZH_SENTENCES if lang == "zh" else EN_SENTENCES
    lab = LABELS[lang]
    link = '<link rel="stylesheet" href="fonts.css">' if bundled else ""
    parts = [
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">{link}'
        f"<style>{CSS % family}</style></head><body><h1>{lab['title']}</h1>"
    ]
    for chapter in range(1, 6):
        parts.append(f"<h2>{lab['section'].format(chapter)}</h2>")
        parts.append(f'<p class="kpi">{lab["kpi"]}</p>')
        for sub in range(1, 4):
            parts.append(f"<h3>{lab['sub'].format(chapter, sub)}</h3>")
            for para in range(2):
                start = chapter + sub + para
                sentences = [text[(start + i) % len(text)] for i in range(4)]
                parts.append("<p>" + ("" if lang == "zh" else " ").join(sentences) + "</p>")
        parts.append(f"<p>{notes(lang, chapter)}</p>")
    parts.append(f"<h2>{lab['table']}</h2><table><thead><tr>")
    parts.extend(f"<th>{col}</th>" for col in lab["cols"])
    parts.append("</tr></thead><tbody>")
    for rank in range(1, 151):
        messages = 2000 - rank * 11
        orders = 40 - rank // 5
        cells = [
            str(rank),
            lab["member"].format(rank * 37 % 10000),
            lab["groups"][rank % len(lab["groups"])],
            f"{messages:,}",
            str(orders),
            f"¥{orders * 129.9:,.2f}",
            f"¥{orders * 171.35:,.2f}",
            lab["tiers"][min(rank // 40, 3)],
        ]
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append("</tbody></table></body></html>")
    return "".join(parts)


def embedded_fonts(pdf: bytes) -> list[str]:
    """Base names of the fonts in the PDF, without the subset tag (ABCDEF+)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return sorted(names)


def measure(name: str, runs: int, backend: str) -> dict:
    """Render one variant ``runs`` times after a warm-up; return medians and facts.

    ``backend`` "fonttools" makes WeasyPrint subset fonts with fontTools, as it does (with a
    warning) where the HarfBuzz subset library (Debian: libharfbuzz-subset0) is missing.
    """
    html = document(*VARIANTS[name])
    saved = wpfonts.harfbuzz_subset
    if backend == "fonttools":
        wpfonts.harfbuzz_subset = None
    elif saved is None:
        raise SystemExit("HarfBuzz subset library not found: install libharfbuzz-subset0")
    totals, layouts, writes, cpus = [], [], [], []
    pdf = b""
    try:
        for i in range(runs + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            doc = HTML(string=html, base_url=str(FONTS_DIR) + "/").render()
            t1 = time.perf_counter()
            pdf = doc.write_pdf()
            t2, c2 = time.perf_counter(), time.process_time()
            if i:  # the first run is the warm-up
                cpus.append(c2 - c0)
                totals.append(t2 - t0)
                layouts.append(t1 - t0)
                writes.append(t2 - t1)
    finally:
        wpfonts.harfbuzz_subset = saved
    return {
        "name": name,
        "backend": backend,
        "total": statistics.median(totals),
        "layout": statistics.median(layouts),
        "write": statistics.median(writes),
        "cpu": statistics.median(cpus),
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "size": len(pdf),
        "fonts": embedded_fonts(pdf),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per variant")
    parser.add_argument("--only", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument(
        "--subsetter",
        choices=("harfbuzz", "fonttools", "both"),
        default="both",
        help="font subsetting library WeasyPrint uses when writing the PDF",
    )
    args = parser.parse_args(argv)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # the fontTools fallback warning

    backends = ("harfbuzz", "fonttools") if args.subsetter == "both" else (args.subsetter,)
    rows = [measure(name, args.runs, backend) for backend in backends for name in args.only]
    print(f"median of {args.runs} runs after 1 warm-up; times in seconds")
    print(
        f"{'subsetter':<10} {'variant':<11} {'total':>6} {'layout':>6} {'write':>6} "
        f"{'cpu':>6} {'vs en':>6} {'pages':>5} {'PDF KB':>7}  fonts"
    )
    english = {r["backend"]: r["total"] for r in rows if r["name"] == "en-dejavu"}
    for r in rows:
        base = english.get(r["backend"])
        ratio = f"{r['total'] / base:.2f}x" if base else "-"
        print(
            f"{r['backend']:<10} {r['name']:<11} {r['total']:6.2f} {r['layout']:6.2f} "
            f"{r['write']:6.2f} {r['cpu']:6.2f} {ratio:>6} {r['pages']:5d} "
            f"{r['size'] / 1024:7.0f}  {', '.join(r['fonts'])}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
