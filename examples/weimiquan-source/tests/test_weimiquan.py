"""weimiquan source: every count is checked against the fixture CSVs read with the csv
module (an independent reading of the same files), plus each bad-input case."""

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import communityroi_weimiquan as plugin
import pytest

from communityroi import DataError
from communityroi.testing import check_source, make_data, plugin_registry, render_report

EXPORT = Path(__file__).parent / "data" / "export"
OPTS = {"path": str(EXPORT), "circle_id": "shanlan", "circle_name": "山岚茶事研习社"}


def rows(name):
    with (EXPORT / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def got():
    return check_source(plugin.SPEC, OPTS, timezone="UTC")  # the source says Beijing time


def test_the_plugin_declares_its_source():
    assert "weimiquan" in plugin_registry(plugin).sources


def test_members(got):
    members, raw = got["members"], rows("members.csv")
    assert members.height == len(raw) == 48
    assert members["member_id"].to_list() == [r["用户ID"] for r in raw]
    plans = {
        "年卡": "annual",
        "月卡": "monthly",
        "体验卡": "trial",
        "星主": "owner",
        "嘉宾": "guest",
    }
    assert members["segment"].to_list() == [plans[r["会员类型"]] for r in raw]
    assert members["left_at"].null_count() == sum(r["到期时间"] == "" for r in raw) == 3
    assert members["invited_by"].drop_nulls().len() == sum(r["邀请人ID"] != "" for r in raw)
    assert set(members["group_id"]) == {"shanlan"}
    assert members["display_name"].to_list()[:2] == ["山岚·星主", "吴老师"]
    # 2026-07-15 09:00:00 in Beijing is 01:00 UTC
    assert members["joined_at"][0].isoformat() == "2026-07-15T01:00:00+00:00"


def test_orders(got):
    orders, raw = got["orders"], rows("orders.csv")
    assert orders.height == len(raw)
    status = {"已支付": "paid", "已退款": "refunded"}
    assert orders["status"].to_list() == [status[r["订单状态"]] for r in raw]
    assert orders["amount"].sum() == pytest.approx(sum(float(r["支付金额"]) for r in raw))
    assert orders.filter(orders["status"] == "refunded").height == 1


def test_posts_and_comments(got):
    acts, posts, comments = got["activities"], rows("posts.csv"), rows("comments.csv")
    assert acts.height == len(posts) + len(comments)
    kinds = dict(acts.group_by("kind").len().iter_rows())
    assert kinds["checkin"] == sum(p["帖子类型"] == "打卡" for p in posts)
    assert kinds["post"] == sum(p["帖子类型"] != "打卡" for p in posts)
    assert kinds["reply"] == sum(c["回复评论ID"] != "" for c in comments)
    assert kinds["comment"] == sum(c["回复评论ID"] == "" for c in comments)
    post_author = {p["帖子ID"]: p["作者ID"] for p in posts}
    comment_author = {c["评论ID"]: c["评论者ID"] for c in comments}
    expected = [
        comment_author[c["回复评论ID"]] if c["回复评论ID"] else post_author[c["帖子ID"]]
        for c in comments
    ]
    assert acts["target_member_id"].to_list()[len(posts) :] == expected


def test_groups(got):
    row = got["groups"].row(0, named=True)  # the canonical columns this export fills
    assert {k: row[k] for k in ("group_id", "name", "platform", "kind")} == {
        "group_id": "shanlan",
        "name": "山岚茶事研习社",
        "platform": "weimiquan",
        "kind": "circle",
    }


def test_detect(tmp_path):
    assert plugin.detect(EXPORT)
    assert not plugin.detect(tmp_path)
    assert not plugin.detect(EXPORT / "members.csv")


@pytest.fixture
def copy(tmp_path):
    shutil.copytree(EXPORT, tmp_path / "export")
    return tmp_path / "export"


def test_a_bad_time_is_named_by_file_and_row(copy):
    text = (copy / "comments.csv").read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace("2026-07-", "2026-7月-")  # data row 5 = file line 6
    (copy / "comments.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"comments.csv row 6, column at: '2026-7月-"):
        check_source(plugin.SPEC, {**OPTS, "path": str(copy)})


def test_a_missing_column_is_named(copy):
    text = (copy / "posts.csv").read_text(encoding="utf-8").replace("作者ID", "作者")
    (copy / "posts.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"posts\.csv: missing column\(s\) 作者ID"):
        check_source(plugin.SPEC, {**OPTS, "path": str(copy)})


def test_a_missing_file_or_folder_is_named(copy, tmp_path):
    (copy / "posts.csv").unlink()
    with pytest.raises(DataError, match=r"posts\.csv: missing"):
        check_source(plugin.SPEC, {**OPTS, "path": str(copy)})
    with pytest.raises(DataError, match="not a folder"):
        check_source(plugin.SPEC, {**OPTS, "path": str(tmp_path / "nope")})


def test_orders_file_is_optional(copy):
    (copy / "orders.csv").unlink()
    assert "orders" not in check_source(plugin.SPEC, {**OPTS, "path": str(copy)})


def test_built_in_metrics_read_the_circle(got):
    """The ROI section counts October's paid membership fees as the return."""
    data = make_data(got, start=date(2026, 10, 1), end=date(2026, 10, 31), timezone="Asia/Shanghai")
    doc = json.loads(render_report([], data, ("json",), builtin_metrics=["roi"])["json"])
    paid = [r for r in rows("orders.csv") if r["订单状态"] == "已支付"]
    # the report period is October in Beijing time, as the export's times are
    october = [r for r in paid if "2026-10-01" <= r["支付时间"] < "2026-11-01"]
    assert doc["metrics"]["roi"]["kpis"]["return"]["value"] == pytest.approx(
        sum(float(r["支付金额"]) for r in october)
    )
