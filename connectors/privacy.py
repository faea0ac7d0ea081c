"""GET /privacy: the residents' privacy notice (Nghị định 13/2023/NĐ-CP) — what is stored, for how long, who sees
it, how to ask for deletion. Plain HTML with the widget's stylesheet and no script (the page's CSP allows none)."""

from __future__ import annotations

from html import escape

from bot.config import Settings

PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Quyền riêng tư — Trợ lý số xã</title>
  <link rel="stylesheet" href="/static/widget.css">
</head>
<body class="troly-page">
<main class="troly-notice">
  <h1>Quyền riêng tư khi trò chuyện với Trợ lý số xã</h1>
  <p>Trang này cho anh/chị biết Trợ lý số của {commune} lưu những gì, trong bao lâu, ai được xem và cách
    yêu cầu xoá, theo Nghị định 13/2023/NĐ-CP của Chính phủ về bảo vệ dữ liệu cá nhân.</p>

  <h2>Những gì được lưu</h2>
  <ul>
    <li>Tin nhắn anh/chị gửi và câu trả lời của trợ lý, để trả lời và để cán bộ hỗ trợ khi anh/chị bấm
      “Gặp cán bộ”. Số CCCD/CMND, số điện thoại, số tài khoản ngân hàng và địa chỉ e-mail trong tin nhắn được
      che đi (chỉ giữ hai chữ số cuối) trước khi lưu lâu dài.</li>
    <li>Các câu hỏi, để Tổ công nghệ số cộng đồng bổ sung câu trả lời cho những câu trợ lý chưa trả lời được,
      và đánh giá “Hữu ích” / “Chưa đúng” của anh/chị.</li>
    <li>Mã người dùng do Zalo hoặc Telegram cấp (để gửi được câu trả lời; không phải số điện thoại), hoặc một
      mã phiên ngẫu nhiên trên trang web. Câu hỏi chỉ gắn với mã băm của mã này, không kèm họ tên.</li>
    <li>Việc đăng ký nhận tin của xã, nếu anh/chị đăng ký.</li>
  </ul>

  <h2>Lưu trong bao lâu</h2>
  <p>Tối đa {days} ngày. Sau thời hạn này hệ thống tự động xoá tin nhắn, câu hỏi, đánh giá và các yêu cầu gặp cán bộ
    đã xong (mỗi ngày một lần). Đăng ký nhận tin được giữ đến khi anh/chị huỷ đăng ký, rồi cũng được xoá sau
    {days} ngày.</p>

  <h2>Ai được xem</h2>
  <p>Chỉ cán bộ Tổ công nghệ số cộng đồng của xã, đăng nhập bằng tài khoản riêng, được xem để hỗ trợ anh/chị và
    cải thiện câu trả lời. Tin nhắn gửi qua Zalo hoặc Telegram còn theo chính sách riêng của nền tảng đó.</p>

  <h2>Yêu cầu xem, sửa hoặc xoá dữ liệu</h2>
  <p>Để xoá ngay tin nhắn, câu hỏi, đánh giá và đăng ký nhận tin của mình, anh/chị nhắn “xóa dữ liệu của tôi” cho
    trợ lý (trên Zalo, Telegram hay trang web đều được) rồi bấm “Xác nhận xóa” (hoặc trả lời “có”). Việc xoá được ghi
    vào nhật ký của xã, chỉ gồm thời điểm và số mục đã xoá, không kèm nội dung.</p>
  <p>Để xem hoặc sửa dữ liệu của mình, anh/chị vui lòng liên hệ trực tiếp
    {commune} (bộ phận một cửa).</p>
  <p>Nút “Kết thúc” trên trang web chỉ kết thúc cuộc trò chuyện và xoá nội dung hiển thị trên máy của anh/chị;
    nó không xoá dữ liệu đã lưu trên máy chủ của xã.</p>

  <h2>Lưu ý</h2>
  <p>Anh/chị không gửi mật khẩu, mã OTP hay ảnh giấy tờ tuỳ thân qua trợ lý. Cán bộ xã không bao giờ hỏi
    mật khẩu hay mã OTP.</p>

  <p><a href="/chat">Quay lại trò chuyện với Trợ lý số</a></p>
</main>
</body>
</html>
"""


def privacy_page(settings: Settings) -> str:
    """The notice, with the retention period and the commune's name from the settings."""
    name = settings.commune_name
    if name.lower().startswith("xã "):  # "Xã Con Cuông", as on the printable report
        name = name[3:].strip()
    commune = f"UBND xã {escape(name)}" if name else "UBND xã"
    return PAGE.format(commune=commune, days=settings.retention_days)
