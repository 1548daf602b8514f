"""Writes the fixture export in ./export (run once; the CSVs are committed).

A made-up paid circle, 山岚茶事研习社, on a 微密圈-style platform from 2026-07-15 to
2026-10-31: the owner (星主), two guests, annual (年卡 ¥365) and monthly (月卡 ¥49, most
renew) members, 7-day trials (体验卡, free; some convert), one refund, posts (主题, 问答,
打卡, 作业) and comments, some replying to another comment. Times are Beijing time.
"""

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).parent / "export"
rng = random.Random(20261031)
START, END = datetime(2026, 7, 15, 9, 0), datetime(2026, 10, 31, 22, 0)
NAMES = ["阿茶", "小叶", "Lin", "吴老师", "青柠", "山月", "Tea_Bo", '老周 "普洱"', "陈, 小满",
         "🍵静静", "Mia", "白露", "大熊", "安然", "Kiki", "听雨", "阿木", "Sunny", "茉莉", "石头",
         "晓晓", "Ray", "桃子", "云朵", "小北", "Joy", "初心", "阿杰", "米粒", "Coco", "橙子",
         "木木", "Leo", "一禾", "七七", "Nana", "南风", "可乐", "豆豆", "Ivy", "半夏", "秋秋",
         "Max", "栗子", "小鹿"]  # fmt: skip


def ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def day_time(d: datetime) -> datetime:
    return d.replace(hour=rng.choice([7, 8, 12, 13, 20, 21, 22]), minute=rng.randrange(60),
                     second=rng.randrange(60))  # fmt: skip


members, orders = [], []
order_no = 202607150001


def order(uid, at, amount, kind, status="已支付"):
    global order_no
    orders.append([f"WMQ{order_no}", uid, ts(at), f"{amount:.2f}", kind, status])
    order_no += 1


members.append(["u1000", "山岚·星主", ts(START), "", "星主", ""])
members.append(["u1001", "吴老师", ts(START + timedelta(hours=2)), "", "嘉宾", ""])
members.append(["u1002", "白露老师", ts(START + timedelta(days=20)), "", "嘉宾", ""])
ids = []
for i, name in enumerate(NAMES):
    uid = f"u{1003 + i}"
    joined = day_time(START + timedelta(days=rng.randrange(0, 105)))
    inviter = rng.choice(ids) if ids and rng.random() < 0.3 else ""
    plan = rng.choices(["年卡", "月卡", "体验卡"], [4, 4, 2])[0]
    if plan == "年卡":
        expires = joined + timedelta(days=365)
        order(uid, joined, 365, "加入")
    elif plan == "月卡":
        expires = joined + timedelta(days=30)
        order(uid, joined, 49, "加入")
        while expires < END and rng.random() < 0.7:  # renew before it runs out
            order(uid, expires - timedelta(days=rng.randrange(0, 3), hours=3), 49, "续费")
            expires += timedelta(days=30)
    else:
        expires = joined + timedelta(days=7)
        if expires < END and rng.random() < 0.5:  # the trial converts to a monthly card
            plan = "月卡"
            order(uid, expires - timedelta(hours=5), 49, "加入")
            expires += timedelta(days=30)
    members.append([uid, name, ts(joined), ts(expires), plan, inviter])
    ids.append(uid)

# one annual member asks for a refund two days after joining and leaves
refund = next(m for m in members if m[4] == "年卡" and m[2] < "2026-10-20")
o = next(o for o in orders if o[1] == refund[0])
o[5] = "已退款"
refund[3] = ts(datetime.fromisoformat(refund[2]) + timedelta(days=2))

posts, comments = [], []
authors = {"u1000": 6, "u1001": 3, "u1002": 2}
for m in members[3:]:
    authors[m[0]] = 1
present = {m[0]: (datetime.fromisoformat(m[2]), datetime.fromisoformat(m[3]) if m[3] else END)
           for m in members}  # fmt: skip
day = START
pid, cid = 1, 1
while day < END:
    for _ in range(rng.choice([0, 1, 1, 2])):
        who = [u for u, (a, b) in present.items() if a <= day < b]
        author = rng.choices(who, [authors[u] for u in who])[0]
        at = day_time(day)
        kind = rng.choices(["主题", "问答", "打卡", "作业"], [4, 2, 3, 1])[0]
        posts.append([f"P{pid:04d}", author, ts(at), kind, f"帖子 {pid}"])
        thread = []
        for _ in range(rng.choice([0, 1, 2, 3, 4])):
            at = at + timedelta(minutes=rng.randrange(3, 600))
            if at >= END:
                break
            commenter = rng.choice([u for u, (a, b) in present.items() if a <= at < b])
            reply_to = rng.choice(thread)[0] if thread and rng.random() < 0.35 else ""
            row = [f"C{cid:05d}", f"P{pid:04d}", commenter, ts(at), reply_to, "👍 说得好"]
            comments.append(row)
            thread.append((f"C{cid:05d}", commenter))
            cid += 1
        pid += 1
    day += timedelta(days=1)


def write(name, header, rows):
    with (OUT / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


OUT.mkdir(exist_ok=True)
write("members.csv", ["用户ID", "昵称", "加入时间", "到期时间", "会员类型", "邀请人ID"], members)
write("orders.csv", ["订单号", "用户ID", "支付时间", "支付金额", "订单类型", "订单状态"], orders)
write("posts.csv", ["帖子ID", "作者ID", "发布时间", "帖子类型", "标题"], posts)
write("comments.csv", ["评论ID", "帖子ID", "评论者ID", "评论时间", "回复评论ID", "内容"], comments)
print(len(members), len(orders), len(posts), len(comments))
