"""Plain-language findings of the engagement section, from its KPI values."""

from __future__ import annotations

from communityroi import Finding, T


def findings(v: dict) -> tuple[Finding, ...]:
    out = []
    s = v["stickiness"]
    if s is not None:
        habit = s >= 20
        out.append(Finding(T(
            "On an average day {dau:,.0f} members took part: {s:.0f} % of the monthly active "
            "members{note}.",
            "平均每天有 {dau:,.0f} 名成员参与，占月活跃成员的 {s:.0f}%{note_zh}。",
        ).format(
            dau=v["dau"], s=s,
            note=", a daily habit (20 % or more)" if habit else "",
            note_zh="，已形成每日参与的习惯（20% 以上）" if habit else "",
        ), "good" if habit else "bad" if s < 10 else "neutral", 5))  # fmt: skip
    if v["silent_members"]:
        out.append(Finding(T(
            "{n:,} members who took part in the previous period went silent ({r:.0f} % of "
            "them) but are still in the community; a personal nudge can win some back.",
            "上期活跃的成员中有 {n:,} 人本期沉默（占 {r:.0f}%）但仍在群内，可有针对性地唤醒。",
        ).format(n=v["silent_members"], r=v["silent_rate"] or 0), "bad", 4))  # fmt: skip
    h = v["median_reply_hours"]
    if h is not None:
        when = (
            T("{m:.0f} minutes", "{m:.0f} 分钟") if h < 2 else T("{h:.1f} hours", "{h:.1f} 小时")
        ).format(m=h * 60, h=h)
        out.append(Finding(T(
            "Half of the answered messages got their first reply within {w}; {r:.0f} % of "
            "messages and posts got a reply.",
            "获得回复的消息中，一半在 {wz}内得到首次回复；{r:.0f}% 的消息和帖子得到了回复。",
        ).format(w=when.en, wz=when.zh, r=v["reply_rate"] or 0),
            "good" if h <= 1 else "bad" if h > 24 else "neutral", 3))  # fmt: skip
    return tuple(out)
