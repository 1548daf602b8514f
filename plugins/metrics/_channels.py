"""Display labels for acquisition channels (``members.channel``).

The codes are the ones the built-in sources write — the WeCom ``add_way`` and group
``join_scene`` names of ``plugins.sources._wecom_read`` — with the wording of WeCom's own
documentation (客户联系 › 获取客户详情 / 获取客户群详情). A code not listed here is shown
as written.
"""

from __future__ import annotations

from communityroi import T

CHANNEL_LABELS: dict[str, T] = {
    "unknown": T("Unknown", "未知来源"),
    "qr_code": T("QR code", "扫描二维码"),
    "search_phone": T("Phone number search", "搜索手机号"),
    "business_card": T("Shared contact card", "名片分享"),
    "group_chat": T("From a group chat", "群聊"),
    "phone_contacts": T("Phone contacts", "手机通讯录"),
    "wechat_contact": T("WeChat contact", "微信联系人"),
    "wechat_request": T("WeChat friend request", "来自微信的添加好友申请"),
    "third_party_app": T("Third-party app service", "第三方应用自动添加的客服人员"),
    "search_email": T("E-mail search", "搜索邮箱"),
    "channels": T("WeChat Channels", "视频号添加"),
    "schedule": T("Calendar event", "日程参与人添加"),
    "meeting": T("Meeting", "会议参与人添加"),
    "wechat_friend": T("WeChat friend's WeCom", "添加微信好友对应的企业微信"),
    "smart_device": T("Smart device service", "智能硬件专属客服添加"),
    "onsite_service": T("On-site service", "上门服务客服添加"),
    "acquisition_link": T("Acquisition link", "获客链接添加"),
    "custom_development": T("Custom development", "定制开发添加"),
    "demand_reply": T("Demand reply", "需求回复添加"),
    "third_party_presales": T("Third-party pre-sales service", "第三方售前客服添加"),
    "business_partner": T("Possible business partner", "可能的商务伙伴添加"),
    "wechat_request_accepted": T("Accepted WeChat request", "接受微信账号收到的好友申请"),
    "shared": T("Shared by a colleague", "内部成员共享"),
    "assigned": T("Assigned by an admin", "管理员/负责人分配"),
    "group_invite": T("Invited into a group", "由群成员邀请入群"),
    "group_invite_link": T("Group invitation link", "通过邀请链接入群"),
    "group_qr_code": T("Group QR code", "通过扫描群二维码入群"),
}
