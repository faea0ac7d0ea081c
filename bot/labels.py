"""The Vietnamese names staff read for the codes stored in the data (channels, topics, group statuses, the
reasons a question was not answered): one place for the console, the reports and the CLI."""

from __future__ import annotations

from bot.status import ChannelPost, GroupStatus, Reason

CHANNEL_NAMES = {
    "zalo-oa": "Zalo OA",
    "zalo-bot": "Zalo Bot",
    "telegram": "Telegram",
    "web": "Trang web",
    "cli": "Dòng lệnh",
    "rest": "Thử nghiệm",
}
TOPIC_NAMES = {
    "NQ57": "Nghị quyết 57",
    "QD1169": "Quyết định 1169",
    "BDHVS": "Bình dân học vụ số",
    "VNEID": "VNeID",
    "DVC": "Dịch vụ công",
    "THANHTOAN": "Thanh toán số",
    "LUADAO": "Lừa đảo trực tuyến",
    "TOCNSCD": "Tổ công nghệ số cộng đồng / việc của xã",
    "PLAN": "Kế hoạch của xã",
    "": "Không rõ (tài liệu không còn trong kho)",
}
REASON_NAMES: dict[str, str] = {  # why a question was not answered (every Reason but ANSWERED)
    Reason.NO_MATCH: "Kho kiến thức chưa có câu trả lời",
    Reason.OUT_OF_SCOPE: "Ngoài phạm vi của trợ lý",
    Reason.PERSONAL_DATA: "Hỏi thông tin cá nhân (từ chối)",
    Reason.EMPTY: "Tin nhắn trống",
}
STATUS_NAMES: dict[str, str] = {  # question groups
    GroupStatus.OPEN: "Đang chờ trả lời",
    GroupStatus.ANSWERED: "Đã trả lời",
    GroupStatus.OUT_OF_SCOPE: "Ngoài phạm vi",
}
CHANNEL_POST_NAMES: dict[str, str] = {  # the news list's column "Kênh Telegram" (nothing shown before the send decides)
    ChannelPost.NONE: "",
    ChannelPost.QUEUED: "đã đăng",
    ChannelPost.SKIPPED: "không đăng được",
    ChannelPost.OFF: "không đăng",
    ChannelPost.POSTING: "chưa rõ",
}
