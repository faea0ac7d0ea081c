"""The Vietnamese names staff read for the codes stored in the data (channels, topics, group statuses, the
reasons a question was not answered): one place for the console, the reports and the CLI."""

from __future__ import annotations

from bot.status import AuditAction, ChannelPost, GroupStatus, MessageKind, Reason

CHANNEL_NAMES = {
    "zalo-oa": "Zalo OA",
    "zalo-bot": "Zalo Bot",
    "telegram": "Telegram",
    "messenger": "Messenger",
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
REASON_NAMES: dict[str, str] = {  # why a question was (not) answered so (every Reason but ANSWERED)
    Reason.NO_MATCH: "Kho kiến thức chưa có câu trả lời",
    Reason.OUT_OF_SCOPE: "Ngoài phạm vi của trợ lý",
    Reason.PERSONAL_DATA: "Hỏi thông tin cá nhân (từ chối)",
    Reason.WHICH_COMMUNE: "Hỏi “xã mình” khi chưa đặt xã (TROLYSO_COMMUNE)",
    Reason.EMPTY: "Tin nhắn trống",
    Reason.SCAM_ALERT: "Dấu hiệu lừa đảo (đã cảnh báo)",
}
STATUS_NAMES: dict[str, str] = {  # question groups
    GroupStatus.OPEN: "Đang chờ trả lời",
    GroupStatus.ANSWERED: "Đã trả lời",
    GroupStatus.OUT_OF_SCOPE: "Ngoài phạm vi",
}
MESSAGE_KIND_NAMES: dict[str, str] = {  # what a resident sent or did (inbox.kind, channel_events.kind)
    MessageKind.TEXT: "Tin nhắn chữ",
    MessageKind.VOICE: "Tin nhắn thoại",
    MessageKind.IMAGE: "Hình ảnh",
    MessageKind.VIDEO: "Video",
    MessageKind.STICKER: "Nhãn dán",
    MessageKind.FILE: "Tệp",
    MessageKind.LOCATION: "Vị trí",
    MessageKind.OTHER: "Nội dung khác (liên kết, danh thiếp…)",
    MessageKind.FOLLOW: "Quan tâm / bắt đầu trò chuyện",
    MessageKind.UNFOLLOW: "Bỏ quan tâm / chặn",
}
CHANNEL_POST_NAMES: dict[str, str] = {  # the news list's column "Kênh Telegram" (nothing shown before the send decides)
    ChannelPost.NONE: "",
    ChannelPost.QUEUED: "đã đăng",
    ChannelPost.SKIPPED: "không đăng được",
    ChannelPost.OFF: "không đăng",
    ChannelPost.POSTING: "chưa rõ",
}
AUDIT_ACTION_NAMES: dict[str, str] = {  # the console's audit log page (/admin/audit)
    AuditAction.LOGIN: "Đăng nhập",
    AuditAction.LOGIN_FAILED: "Đăng nhập không thành công",
    AuditAction.LOGOUT: "Đăng xuất",
    AuditAction.GROUP_ANSWERED: "Trả lời nhóm câu hỏi",
    AuditAction.GROUP_OUT_OF_SCOPE: "Đánh dấu nhóm câu hỏi ngoài phạm vi",
    AuditAction.GROUP_REOPENED: "Mở lại nhóm câu hỏi",
    AuditAction.NEWS_SENT: "Gửi tin tức",
    AuditAction.HANDOFF_TAKEN: "Nhận cuộc trò chuyện",
    AuditAction.HANDOFF_REPLIED: "Trả lời người dân",
    AuditAction.HANDOFF_RELEASED: "Trả cuộc trò chuyện cho trợ lý",
    AuditAction.KNOWLEDGE_UPLOADED: "Tải lên tệp kiến thức",
    AuditAction.ACCOUNT_CREATED: "Tạo tài khoản",
    AuditAction.ACCOUNT_DISABLED: "Khóa tài khoản",
    AuditAction.ACCOUNT_ENABLED: "Mở khóa tài khoản",
    AuditAction.PASSWORD_CHANGED: "Đổi mật khẩu",
    AuditAction.SESSIONS_ENDED: "Kết thúc mọi phiên đăng nhập",
    AuditAction.DATA_PURGED: "Xoá dữ liệu quá thời hạn lưu trữ",
    AuditAction.RESIDENT_ERASED: "Người dân yêu cầu xoá dữ liệu của mình",
}
