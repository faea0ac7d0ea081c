"""The Vietnamese names staff read for the codes stored in the data (channels, topics, group statuses, the
reasons a question was not answered): one place for the console, the reports and the CLI."""

from __future__ import annotations

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
REASON_NAMES = {
    "no_match": "Kho kiến thức chưa có câu trả lời",
    "out_of_scope": "Ngoài phạm vi của trợ lý",
    "personal_data": "Hỏi thông tin cá nhân (từ chối)",
    "empty": "Tin nhắn trống",
}
STATUS_NAMES = {"open": "Đang chờ trả lời", "answered": "Đã trả lời", "out_of_scope": "Ngoài phạm vi"}
