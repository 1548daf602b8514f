"""``communityroi demo``: the demo source's own command, declared in ``plugins.COMMANDS``
as any plugin declares one in the ``communityroi.commands`` entry-point group (the core
knows no plugin by name). Kept apart from the demo source, and importing only click and
``communityroi`` at the top, so that listing commands (``--help``) imports no data code.
"""

from __future__ import annotations

import click

import communityroi
from communityroi.cli import friendly, load_settings, merge, overrides, report_options, run_report

OPERATOR_NAMES = {"LinXiao": "小林", "ChenMei": "陈美", "ZhouZhe": "周哲"}
TARGETS = {  # what the demo agency promised its client
    "roi.roi": ">= 150",
    "roi.growth_rate": ">= 5",
    "roi.activity_rate": ">= 40",
    "roi.conversion_rate": ">= 10",
    "operators": {  # per operator ([targets.operators])
        "*": {"retention": ">= 80", "avg_reply_minutes": "<= 5"},
        "LinXiao": {"added": ">= 60"},
    },
}


@click.command()
@report_options
@click.option(
    "--seed", type=int, default=None, help="Seed of the demo community and of its intervals."
)
@click.pass_obj
@friendly
def demo(obj, out_dir, fmt, lang, start, end, show_names, strict, open_, seed):
    """Build a report from the built-in demo community (no files needed)."""
    from plugins.sources import demo as d

    zh = (lang or "zh-CN") == "zh-CN"
    base = {
        "report": {
            "title": "社群运营价值报告 · 演示" if zh else "Community value report · demo",
            "client": d.DEMO_CLIENT,
            "agency": d.DEMO_AGENCY,
            "period_start": d.DEMO_PERIOD_START,
            "period_end": d.DEMO_PERIOD_END,
            "timezone": d.DEMO_TIMEZONE,
            "currency": d.DEMO_CURRENCY,
            **({"seed": seed} if seed is not None else {}),
        },
        "sources": [{"type": "demo", **({"seed": seed} if seed is not None else {})}],
        "targets": TARGETS,
        # the operators section (运营人员考核) and groups by purpose, with the demo's
        # operators' names and the targets the agency set each of them
        "metrics": {"operators": {"names": OPERATOR_NAMES}, "purposes": {"enabled": True}},
        "privacy": {"key": communityroi.DEMO_KEY},  # the documented demo key: same labels every run
        "output": {"dir": "demo-report"},
    }
    over = overrides(lang, fmt, out_dir, start, end, show_names, strict)
    run_report(obj, load_settings(None, **merge(base, over)), open_)
