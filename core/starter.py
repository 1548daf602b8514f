"""The commented starter configuration written by ``communityroi init``."""

STARTER_TOML = """\
# communityroi report configuration.
# Every key can also be set by an environment variable, e.g.
#   COMMUNITYROI_REPORT__LANGUAGE=en   COMMUNITYROI_PRIVACY__PSEUDONYMIZE=false
# and most by a command-line flag (communityroi report --help).

[report]
title = "2026 年 10 月社群运营价值报告"
client = "某品牌"
agency = "某运营机构"
period_start = "2026-10-01"       # inclusive, in the report time zone
period_end = "2026-10-31"         # inclusive; omit both to use the last month with data
timezone = "Asia/Shanghai"        # IANA name; timestamps without an offset are read in it
currency = "CNY"                  # the reporting currency
language = "zh-CN"                # or "en"
# fx_rates = { USD = 7.1 }        # 1 USD = 7.1 CNY, for orders/costs in other currencies

[branding]
primary_color = "#1f4e79"
accent_color = "#e07a1f"
# logo = "brand/logo.png"         # a local PNG or SVG file (URLs are refused)
# footer = "机密 · 仅供客户内部使用"
# contact = "运营顾问 张三 · zhangsan@example.com"

[privacy]
pseudonymize = true               # default; false shows real member ids and names
# pseudonyms are keyed: the key is COMMUNITYROI_PRIVACY__KEY, else this file, else
# ~/.config/communityroi/privacy.key (made on first use); keep it out of every output
# key_file = "privacy.key"

[output]
dir = "report"          # relative to this file (--out: relative to where you run it)
formats = ["html", "pdf", "json"]

[[sources]]
type = "files"                    # the generic source; one path per canonical table
members = "exports/members.csv"
activities = "exports/messages.csv"
orders = "exports/orders.csv"
costs = "exports/costs.csv"
campaigns = "exports/campaigns.csv"
# columns = { orders = { 订单号 = "order_id", 下单时间 = "at", 实付金额 = "amount" } }
# values = { orders = { status = { 已支付 = "paid", 已退款 = "refunded" } } }

# A shop export as the platform writes it (天猫/淘宝 订单报表, 抖店, 有赞 …) or a paid-circle
# membership export (知识星球, 小鹅通), read through a preset recognised from its header row:
# [[sources]]
# type = "preset"
# path = "exports/ExportOrderList*.csv"

[metrics.roi]
return_basis = "revenue"          # or "gross_margin" with margin = 0.4

# [metrics.circles]               # paid circles: renewal rate, fee revenue per member

[targets]                         # shown as met / near / missed
"roi.roi" = ">= 150"
"roi.growth_rate" = ">= 5"
"""
