"""Engagement on a hand-computed dataset (period 2026-10-01 … 2026-10-31, UTC; previous
period 2026-08-31 … 2026-09-30).

Members: a (joined 09-01), b (10-05), c (08-01, left 10-10), d (10-20), e (09-10),
f (08-15, left 09-20).
- members at start: a, c, e → 3 (f left before); at end: a, b, d, e → 4;
  growth = (4 − 3) / 3 = 33.33 %; left in October: c → 1; churn = 1 / 3 = 33.33 %.
- engaged October activities by day: 10-01 b; 10-02 a, b, c; 10-03 a, c; 10-06 b;
  10-09 a, c; 10-21 d (d's join on 10-20 does not count).
  DAU = (1 + 3 + 2 + 1 + 2 + 1) / 31 = 10 / 31 = 0.3226.
  WAU: windows Oct 1–7 {a, b, c} = 3, 8–14 {a, c} = 2, 15–21 {d} = 1, 22–28 {} = 0
  (29–31 is an incomplete window) → 6 / 4 = 1.5.
  MAU (31 days): distinct {a, b, c, d} = 4; stickiness = 0.3226 / 4 = 8.065 %.
- messages (message/reply/post/comment): 10 → 10 / 4 active = 2.5 per active member.
- activity rate: active and still members at end {a, b, d} = 3 / 4 = 75 %.
- previous-period actives: e, a, c, f → 4; not active in October: e, f; still a member:
  e → silent 1, silent rate 25 %.
- replies: messages/posts in October: a 10-02 10:00, a 10-02 12:00, b 10-06, a post 10-09
  08:00 → 4. b→a 10:30 answers 10:00 (0.5 h); b→a 13:00 and c→a 14:00 answer 12:00
  (first: 1 h); a→a is a self-reply; c→a 10-09 11:00 answers the post (3 h); b→e 10-01
  answers e's September message (not in the period). Median of 0.5, 1, 3 = 1 h;
  reply rate 3 / 4 = 75 %.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from communityroi.testing import make_data, run_metric
from plugins.metrics import roi
from plugins.metrics._member_events import first_replies, presence_changes
from plugins.metrics.engagement import SPEC, day_of_period, full_months

MEMBERS = [
    {"member_id": "a", "joined_at": "2026-09-01"},
    {"member_id": "b", "joined_at": "2026-10-05"},
    {"member_id": "c", "joined_at": "2026-08-01", "left_at": "2026-10-10"},
    {"member_id": "d", "joined_at": "2026-10-20"},
    {"member_id": "e", "joined_at": "2026-09-10"},
    {"member_id": "f", "joined_at": "2026-08-15", "left_at": "2026-09-20"},
]


def act(member, at, kind="message", target=None):
    return {"member_id": member, "at": at, "kind": kind, "target_member_id": target}


ACTIVITIES = [
    act("a", "2026-10-02 10:00"),
    act("b", "2026-10-02 10:30", "reply", "a"),
    act("a", "2026-10-02 12:00"),
    act("b", "2026-10-02 13:00", "reply", "a"),
    act("c", "2026-10-02 14:00", "reply", "a"),
    act("a", "2026-10-03 09:00", "reply", "a"),
    act("c", "2026-10-03 15:00", "reaction", "a"),
    act("b", "2026-10-06 09:00"),
    act("a", "2026-10-09 08:00", "post"),
    act("c", "2026-10-09 11:00", "reply", "a"),
    act("d", "2026-10-20 10:00", "join"),
    act("d", "2026-10-21 10:00", "checkin"),
    act("e", "2026-09-15 10:00"),
    act("e", "2026-09-30 23:00"),
    act("b", "2026-10-01 00:30", "reply", "e"),
    act("a", "2026-09-20 10:00"),
    act("c", "2026-09-25 10:00"),
    act("f", "2026-09-10 10:00"),
    act("a", "2026-11-02 10:00"),  # after the period: clipped
]

OCTOBER = {"start": date(2026, 10, 1), "end": date(2026, 10, 31)}


@pytest.fixture(scope="module")
def section():
    data = make_data({"members": MEMBERS, "activities": ACTIVITIES}, **OCTOBER)
    return run_metric(SPEC, data)


def value(section, key):
    return section.kpi(key).value


def test_actives(section):
    assert value(section, "dau") == pytest.approx(10 / 31)
    assert value(section, "wau") == pytest.approx(1.5)
    assert value(section, "mau") == 4
    assert value(section, "stickiness") == pytest.approx(10 / 31 / 4 * 100)
    assert value(section, "messages_per_active") == pytest.approx(2.5)
    assert value(section, "activity_rate") == pytest.approx(75.0)


def test_growth_and_churn(section):
    assert value(section, "growth_rate") == pytest.approx(100 / 3)
    assert value(section, "left_members") == 1
    assert value(section, "churn_rate") == pytest.approx(100 / 3)
    assert value(section, "silent_members") == 1
    assert value(section, "silent_rate") == pytest.approx(25.0)
    growth = section.table("growth").data
    members = dict(zip(growth["day"], growth["members"], strict=True))
    assert members[date(2026, 10, 1)] == 3
    assert members[date(2026, 10, 5)] == 4  # b joined
    assert members[date(2026, 10, 10)] == 3  # c left
    assert members[date(2026, 10, 20)] == 4  # d joined
    assert growth["members"][-1] == 4
    assert growth.height == 31


def test_reply_time(section):
    assert value(section, "median_reply_hours") == pytest.approx(1.0)
    assert value(section, "reply_rate") == pytest.approx(75.0)


def test_reply_window_option():
    data = make_data({"members": MEMBERS, "activities": ACTIVITIES}, **OCTOBER)
    sec = run_metric(SPEC, data, {"reply_window_hours": 2})
    # the 3-hour answer to the post no longer counts: median of 0.5 h and 1 h
    assert sec.kpi("median_reply_hours").value == pytest.approx(0.75)
    assert sec.kpi("reply_rate").value == pytest.approx(50.0)


def test_daily_table_and_previous(section):
    daily = section.table("daily").data
    assert daily.height == 31
    active = dict(zip(daily["day"], daily["active_members"], strict=True))
    assert active[date(2026, 10, 2)] == 3
    assert active[date(2026, 10, 20)] == 0  # a join is not participation
    assert active[date(2026, 10, 21)] == 1
    # previous period (Aug 31 – Sep 30): actives e, a, c, f → MAU 4
    assert section.kpi("mau").previous == 4
    keys = {k.key for k in section.kpis if k.headline}
    assert keys == {"mau", "stickiness"}
    assert {c.kind for c in section.charts} == {"line"}


def test_local_days_in_report_time_zone():
    # 15:59 UTC is 23:59 on Oct 1 in Shanghai; 16:00 UTC is midnight of Oct 2
    acts = [act("a", "2026-10-01T15:59:00Z"), act("a", "2026-10-01T16:00:00Z")]
    data = make_data(
        {"members": MEMBERS[:1], "activities": acts}, timezone="Asia/Shanghai", **OCTOBER
    )
    daily = run_metric(SPEC, data).table("daily").data
    active = dict(zip(daily["day"], daily["active_members"], strict=True))
    assert active[date(2026, 10, 1)] == 1 and active[date(2026, 10, 2)] == 1


def test_long_period_months_and_weekly_growth():
    # 2026-01-15 … 2026-04-30: full months Feb, Mar, Apr. a is active in Feb and Mar,
    # b in March only → MAU = (1 + 2 + 0) / 3 = 1; January days do not count.
    members = [{"member_id": "a", "joined_at": "2025-12-01"}, {"member_id": "b"}]
    acts = [act("a", "2026-01-20 10:00"), act("b", "2026-01-21 10:00")]
    acts += [act("a", "2026-02-10 10:00"), act("a", "2026-03-10 10:00")]
    acts += [act("b", "2026-03-11 10:00")]
    data = make_data(
        {"members": members, "activities": acts}, start=date(2026, 1, 15), end=date(2026, 4, 30)
    )
    sec = run_metric(SPEC, data)
    assert sec.kpi("mau").value == pytest.approx(1.0)
    assert sec.kpi("dau").value == pytest.approx(5 / 106)
    assert sec.table("growth").data.height == 16  # 106 days in blocks of 7
    assert full_months(date(2026, 1, 15), date(2026, 4, 30)) == [
        date(2026, 2, 1),
        date(2026, 3, 1),
        date(2026, 4, 1),
    ]
    assert full_months(date(2026, 1, 15), date(2026, 2, 20)) == []


@settings(max_examples=30, deadline=None)
@given(
    tz=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin"]),
    minutes=st.lists(st.integers(0, 31 * 24 * 60 - 1), min_size=1, max_size=40),
)
def test_day_of_period_matches_time_zone_conversion(tz, minutes):
    start = datetime(2026, 10, 1, tzinfo=ZoneInfo(tz))
    at = [(start + timedelta(minutes=m)).astimezone(ZoneInfo("UTC")) for m in minutes]
    data = make_data({"members": MEMBERS[:1]}, timezone=tz, **OCTOBER)
    frame = pl.LazyFrame({"at": at}, schema={"at": pl.Datetime("us", "UTC")})
    got = frame.select(
        day_of_period(data),
        (data.local("at").dt.date() - pl.lit(date(2026, 10, 1))).dt.total_days().alias("ref"),
    ).collect()
    assert got["d"].to_list() == got["ref"].to_list()


activity_rows = st.lists(
    st.tuples(
        st.sampled_from("abcdefgh"),
        st.integers(0, 60 * 24 * 60 - 1),  # minutes from Sep 1 (prev + current period)
        st.sampled_from(["message", "reply", "reaction", "join", "leave", "post"]),
        st.sampled_from([None, "a", "b", "c"]),
    ),
    max_size=40,
)
member_rows = st.lists(
    st.tuples(st.integers(-30, 60), st.one_of(st.none(), st.integers(0, 60))), max_size=8
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=activity_rows, people=member_rows)
def test_rates_stay_in_range(rows, people):
    base = datetime(2026, 9, 1)
    members = [
        {
            "member_id": "abcdefgh"[i],
            "joined_at": str(base + timedelta(days=j)),
            "left_at": None if left is None else str(base + timedelta(days=max(j, 0) + left)),
        }
        for i, (j, left) in enumerate(people)
    ] or [{"member_id": "a"}]
    acts = [act(m, str(base + timedelta(minutes=t)), k, tg) for m, t, k, tg in rows]
    tables = {"members": members}
    if acts:
        tables["activities"] = acts
    sec = run_metric(SPEC, make_data(tables, **OCTOBER))
    for key in ("activity_rate", "stickiness", "reply_rate", "silent_rate"):
        v = sec.kpi(key).value
        assert v is None or 0 <= v <= 100, (key, v)
    dau, wau, mau = (sec.kpi(k).value for k in ("dau", "wau", "mau"))
    # a day and a 7-day window are parts of the 31-day period (the MAU window)
    assert dau <= mau + 1e-9 and wau <= mau + 1e-9
    assert sec.kpi("median_reply_hours").value is None or sec.kpi("median_reply_hours").value <= 168


def test_memberships_rejoins_and_two_groups():
    """r left every group in August and rejoined g2 on 10-10: not a member at the start,
    joins on 10-10. s is in g1 and g2 and leaves only g1 in October: never leaves.
    t switches from g1 to g2 at the same instant: never leaves. u leaves its only group on
    10-20. Start: s, t, u = 3; end: r, s, t = 3; growth 0 %; left: u → churn 1 / 3."""
    members = [
        {"member_id": "r", "group_id": "g1", "joined_at": "2026-07-01", "left_at": "2026-08-01"},
        {"member_id": "r", "group_id": "g2", "joined_at": "2026-10-10"},
        {"member_id": "s", "group_id": "g1", "joined_at": "2026-07-01", "left_at": "2026-10-05"},
        {"member_id": "s", "group_id": "g2", "joined_at": "2026-07-02"},
        {"member_id": "t", "group_id": "g1", "joined_at": "2026-07-01", "left_at": "2026-10-07"},
        {"member_id": "t", "group_id": "g2", "joined_at": "2026-10-07"},
        {"member_id": "u", "group_id": "g1", "joined_at": "2026-07-01", "left_at": "2026-10-20"},
    ]
    data = make_data({"members": members}, **OCTOBER)
    sec = run_metric(SPEC, data)
    growth = sec.table("growth").data
    members_on = dict(zip(growth["day"], growth["members"], strict=True))
    assert members_on[date(2026, 10, 1)] == 3
    assert members_on[date(2026, 10, 10)] == 4
    assert members_on[date(2026, 10, 20)] == 3
    assert growth["new_members"].sum() == 1 and growth["left_members"].sum() == 1
    assert sec.kpi("growth_rate").value == pytest.approx(0.0)
    assert sec.kpi("left_members").value == 1
    assert sec.kpi("churn_rate").value == pytest.approx(100 / 3)
    # the ROI section counts members at the start and end the same way
    roi_section = run_metric(roi.SPEC, data)
    assert roi_section.kpi("growth_rate").value == pytest.approx(0.0)
    assert roi_section.kpi("members_end").value == 3


# Replies and memberships drawn on a coarse clock, so that ties are common: messages of one
# author at the same instant, a reply at the instant of the message it answers, replies
# exactly `window` after it, memberships starting and ending together.
reply_rows = st.lists(
    st.tuples(
        st.sampled_from("abc"),
        st.integers(-3, 27),  # hours from 2026-10-01 00:00
        st.sampled_from(["message", "post", "reply", "reply", "comment"]),
        st.one_of(st.none(), st.sampled_from("abc")),
    ),
    max_size=30,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=reply_rows, window=st.integers(1, 6))
# a message and a post at one instant share their reply; a reply exactly `window` later
@example(rows=[("a", 1, "message", None), ("a", 1, "post", None), ("b", 3, "reply", "a")], window=2)
# a reply at the instant of a message answers it, not the earlier one
@example(rows=[("a", 1, "post", None), ("a", 2, "message", None), ("c", 2, "reply", "a")], window=3)
def test_first_replies_match_the_definition(rows, window):
    """Each message/post placed in P: the earliest reply (to its author, by someone else)
    whose latest earlier-or-equal message of that author is this one (or one at the same
    instant) and lies at most `window` hours before it — checked by brute force."""
    base = datetime(2026, 10, 1)
    period = {"start": date(2026, 10, 1), "end": date(2026, 10, 1)}
    acts = [act(m, str(base + timedelta(hours=h)), k, tg) for m, h, k, tg in rows]
    data = make_data({"activities": acts or [act("a", "2026-10-01 01:00", "checkin")]}, **period)
    got = first_replies(data, timedelta(hours=window)).collect()["delay_h"]
    end = 24
    msgs = [(m, h) for m, h, k, _ in rows if k in ("message", "post")]
    replies = [(tg, h) for m, h, k, tg in rows if k == "reply" and tg not in (None, m)]
    expected = []
    for author, h in msgs:
        if not 0 <= h < end:
            continue
        delays = []
        for target, r in replies:
            if target != author or not 0 <= r < end:
                continue
            latest = max((mh for ma, mh in msgs if ma == author and mh <= r), default=None)
            if latest == h and r - h <= window:
                delays.append(r - h)
        expected.append(float(min(delays)) if delays else None)
    key = lambda v: (v is not None, v or 0.0)  # noqa: E731
    assert sorted(got.to_list(), key=key) == sorted(expected, key=key)


membership_rows = st.lists(
    st.tuples(st.sampled_from("abc"), st.integers(0, 8), st.one_of(st.none(), st.integers(0, 8))),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=membership_rows)
def test_presence_changes_match_the_definition(rows):
    """Entering (+1) when going from no membership to some, leaving (−1) from some to none:
    checked by replaying each member's memberships instant by instant (joins first)."""
    base = datetime(2026, 10, 1)
    members = [
        {"member_id": m, "joined_at": str(base + timedelta(days=j)),
         "left_at": None if left is None else str(base + timedelta(days=j + left))}
        for m, j, left in rows
    ]  # fmt: skip
    data = make_data({"members": members}, start=date(2026, 9, 1), end=date(2026, 12, 31))
    got = presence_changes(data).collect()
    got = sorted((m, t.day + 30 * (t.month - 10), c) for m, t, c in got.iter_rows())
    expected = []
    for m in sorted({r[0] for r in rows}):
        events = [(j, 1) for mm, j, _ in rows if mm == m]
        events += [(j + left, -1) for mm, j, left in rows if mm == m and left is not None]
        held = 0
        for day, delta in sorted(events, key=lambda e: (e[0], -e[1])):
            before, held = held, held + delta
            if (before > 0) != (held > 0):
                expected.append((m, day + 1, 1 if held > 0 else -1))
    assert got == sorted(expected)
