"""Resident messages for the scam safety net (bot/engine/redflags.py, bot/engine/scam.py): red-flag wordings in many
styles (diacritics or not, teencode, typos, long stories, two sentences) and harmless look-alikes that share their words
and must keep their normal answers. Kinds of request, not a list the patterns were fitted to one by one."""

from __future__ import annotations

SCAMS = [
    # someone asking for an OTP, password or card numbers
    "Có người gọi tự xưng nhân viên ngân hàng, bảo tôi đọc mã OTP để hoàn tiền, có nên đọc không?",
    "nv ngan hang goi xin ma otp cua e de huy giao dich, e co nen dua ko",
    "nó bảo đọc cái mã 6 số vừa gửi về máy cho nó là xong",
    "ho hoi mk vneid cua toi de cap nhat thong tin, co cho dc ko a",
    "Một người nhắn Zalo xin số thẻ và 3 số mặt sau thẻ ATM để nhận quà tri ân",
    "có nên gửi mã xác thực cho người lạ không ạ",
    "Bên tổng đài Viettel gọi hỏi mã OTP để nâng cấp sim 4G, đưa có sao không?",
    "ai đó nhắn tin nhờ tôi đọc hộ mã xác nhận gửi về điện thoại, bảo là gửi nhầm",
    "ong ay xung ben tong dai, bao bo toi doc day so vua gui ve may de doi sim mien phi",
    # a caller claiming to be police, bank, electricity, court… asking for a transfer, a verification, an app
    "công an gọi điện bảo tôi liên quan đường dây rửa tiền, phải chuyển tiền vào tài khoản tạm giữ để điều tra",
    "cong an goi dien bao vneid cua toi sai thong tin, bat cai app qua link de dong bo, co dung ko",
    "Dạ cháu chào bác, hôm qua có số lạ gọi tự xưng CA phường, nói tài khoản định danh của bác bị lỗi sau sáp nhập, "
    "bảo bác bấm vào đường link họ gửi qua Zalo để cập nhật lại, bác có nên làm không ạ?",
    "dien luc goi bao nha toi no tien dien, phai ck ngay ko se cat dien trong 2h",
    "Có người tự xưng bên điện lực gọi báo nhà tôi nợ tiền điện sắp cắt điện, phải làm sao",
    "Tòa án gọi điện nói tôi có giấy triệu tập qua Zalo, yêu cầu chuyển khoản tiền bảo lãnh",
    "vien kiem sat goi bao toi dinh vu an, yeu cau chuyen tien de chung minh tai san",
    "Bưu điện gọi báo có bưu phẩm bị giữ, bắt tôi nộp phí 300k mới giao",
    "nha mang goi bao sim sap bi khoa, bat xac minh bang cach bam vao link",
    "ngân hàng nhắn tin bảo tài khoản bị khóa, yêu cầu xác minh tài khoản qua đường link",
    "Sáng nay nhận tin nhắn báo ví điện tử bị tạm khóa, bấm vào link để mở khóa, có thật không ạ",
    "co tin nhan gui link dang ky lai dinh danh vneid-gov.vn-xacthuc.com, bam vao co sao ko",
    "tin nhan bao ho so cap nhat o trang dichvucong.gov.vn-hoso.net, em co nen vao khong",
    "Cán bộ bảo hiểm xã hội gọi điện bảo tôi cài ứng dụng để nhận tiền trợ cấp",
    "thằng tự xưng công an bắt e chuyển 50 triệu vào tk an toàn",
    # a link or app to install
    "người ta gửi file apk bảo cài vào để nộp thuế, có an toàn không",
    "ho gui link bao tai app dich vu cong moi de dk, e tai roi co sao ko",
    "Có tin nhắn lạ gửi đường link bảo bấm vào để nhận tiền hỗ trợ, em bấm rồi giờ phải làm sao",
    "tôi lỡ cài ứng dụng lạ theo hướng dẫn của người gọi điện, giờ điện thoại bị điều khiển",
    # "việc nhẹ lương cao", tasks paid after a deposit
    "Trên Facebook tuyển việc nhẹ lương cao làm tại nhà, có phải lừa đảo không?",
    "em dc moi lam nhiem vu like video tiktok, lam xong phai nap 500k moi rut duoc tien",
    "chốt đơn ảo nhận hoa hồng, phải chuyển tiền trước rồi mới được hoàn lại, có nên làm không",
    "ctv ban hang online yeu cau dat coc 2 trieu truoc khi nhan viec",
    "Có người rủ làm cộng tác viên đánh giá sản phẩm, nạp tiền vào làm nhiệm vụ thì được hoa hồng 30%",
    # a deposit or fee to unlock a prize, a parcel, a loan
    "tôi trúng thưởng xe SH, họ bảo phải nộp phí 5 triệu mới nhận được xe",
    "tin nhan bao trung thuong iphone tu shopee, bam link nhan qua",
    "vay tien online duoc duyet roi nhung bat dong phi giai ngan truoc moi giai ngan",
    "Bên cho vay bảo hồ sơ vay của tôi bị sai, phải đóng tiền trước để mở khóa khoản vay",
    "Có kiện hàng quốc tế gửi cho tôi, hải quan bảo nộp phí thông quan 2 triệu",
    # a relative in hospital / accident needing money urgently
    "Có người gọi báo con tôi bị tai nạn đang cấp cứu ở bệnh viện, cần chuyển tiền mổ gấp",
    "co nguoi xung la giao vien goi bao chau em bi nga phai nhap vien, bat ck 20 trieu vien phi",
    "Facebook của bạn tôi nhắn tin mượn tiền gấp, bảo chuyển vào số tài khoản khác",
    "con tôi gọi video nhờ chuyển tiền gấp nhưng mặt nhìn lạ lạ, chuyển có sao không",
    "nick zalo cua anh trai e nhan muon vay gap 3 trieu, noi dang ket, co nen chuyen ko",  # "e" is "em"
    "ban cua minh nhan messenger muon tien gap, hua mai tra",
    # "get my money back" / hack services
    "Tôi bị lừa mất tiền, giờ có người nhắn bảo lấy lại được tiền nhưng phải đóng phí trước, có nên tin không?",
    "co dich vu hack lai tai khoan facebook bi mat, ho doi 2 trieu, co nen thue ko",
    "bi lua 50 trieu, thay trang facebook nhan lay lai tien da bi lua, phi 10%",
    # long stories and two-sentence messages
    "Chào em. Sáng nay mẹ chị nhận cuộc gọi, đầu dây nói là công an huyện, đọc đúng tên tuổi địa chỉ của mẹ. "
    "Họ bảo mẹ liên quan vụ án ma túy, phải chuyển hết tiền tiết kiệm vào một tài khoản để kiểm tra rồi sẽ trả lại. "
    "Mẹ chị sợ lắm, đang định ra ngân hàng. Chị phải làm gì bây giờ?",
    "Bác ơi cho cháu hỏi. Có người nhắn tin qua Zalo tự xưng nhân viên ngân hàng, bảo thẻ của cháu sắp hết hạn "
    "và hỏi số thẻ cùng mã OTP để gia hạn.",
    "Ba tôi 70 tuổi, hay nghe điện thoại. Hôm qua có người gọi tự xưng cán bộ điện lực bảo ba tôi tải ứng dụng về để "
    "kiểm tra hóa đơn, ba tôi làm theo rồi. Giờ phải làm sao?",
    # a police code as the caller's badge, and a number to call back "to report"
    "Có người tự xưng C02 gọi bảo em gọi lại số 069.2348560 để trình báo, số đó giờ còn dùng không?",
    "ong ay xung can bo A05 nhan tin bat toi goi lai so 0243 123 456 ngay",
    # a scanned code whose receiver is not the shop
    "quet ma qr o quan an ma ten nguoi nhan hien ra lai la ten 1 ng la, khac ten quan, co nen chuyen ko",
    "Em quét mã QR dán ở quầy thuốc, tên người nhận không đúng tên nhà thuốc, em có nên bấm xác nhận không?",
    "quét mã ở tiệm tạp hóa xong app hiện tên cá nhân lạ hoắc, chuyển luôn được không",
    # returns promised on money put in
    "Có người nhắn Zalo mời đầu tư, cam kết lãi 5% một ngày, em có nên nạp tiền không",
    "nhom zalo khoe loi nhuan cao lam, bao nap 10 trieu vao la tuan sau nhan gap doi so tien",
    # a parcel that must be paid for before it comes
    "ban trai quen qua mang gui hang tu nuoc ngoai ve, ben hai quan goi bat dong phi nhan hang 5 trieu",
    "Shipper gọi nói có đơn hàng của chị, bắt chuyển khoản trước 200k mới giao, mà chị không đặt gì",
    # a web address dressed as a state portal
    "có trang vneid-capnhat.com bảo đăng nhập để cập nhật mức 2, có vào được không",
    "dang nhap dichvucong-gov.vn de nop ho so duoc ko a",
    # an official "redoing" a level-2 account, or asking for the face, by phone
    "công an xã gọi bảo tài khoản định danh của tôi phải kích hoạt lại qua điện thoại",
    "nhân viên ngân hàng gọi bảo gửi ảnh khuôn mặt qua Zalo để mở khóa thẻ",
    # money paid first to get a task, in other words ("nạp trước", "đóng … phí")
    "nhom tuyen ctv xem video tiktok tra 200k/ngay, bat nap truoc 300k moi giao viec",
    "Người ta mời em làm cộng tác viên chốt đơn, phải nạp trước 1 triệu mới được nhận việc",
    # a gift promised from abroad, held until a fee is paid
    "mẹ em quen người trên mạng, họ hứa gửi quà từ Mỹ về, giờ có người gọi bảo đóng 6 triệu phí mới nhận được",
    "ong tay tren fb hua se gui qua cho em, nay hai quan goi bao dong 3tr de nhan",
    # a fee to "update" the identity account by link
    "có người nhắn bảo đóng phí 50 nghìn để nâng cấp VNeID lên mức 2 qua đường link, có đúng không",
    # a photo of the ID card asked for
    "Fanpage tự xưng bảo hiểm xã hội bảo tôi gửi ảnh căn cước hai mặt để nhận tiền hoàn, có gửi không?",
    "ho nhan tin bao me em chup anh cccd gui qua zalo de xac minh",
    # a caller claiming a tax debt
    "có số lạ xưng cán bộ thuế gọi báo nhà tôi nợ thuế, bắt chuyển khoản ngay trong hôm nay",
    # the code asked for at the end of a long story, after the caller's reason
    "số lạ gọi xưng tổng đài viettel, nói sim sắp bị khóa vì chưa chuẩn hóa, muốn giữ số thì đọc mã vừa nhắn về máy",
    "ng ta goi bao nhan vien ngan hang, tai khoan me e bi loi, can xu ly ngay nen phai doc ma otp cho ho",
    # a deposit to a person's own account to hold something seen online
    "trên zalo có người bán homestay giá rẻ, bắt chuyển cọc 1 triệu vào tài khoản cá nhân mới giữ phòng",
    "page ban xe may cu tren facebook doi dat coc truoc vao stk ca nhan cua chu shop",
]

HARMLESS = [
    "quét mã QR xong thì kiểm tra tên người nhận là gì",
    "công an xã bảo em gọi lại số của tổ trưởng để hỏi",
    "chuyển khoản bằng mã QR thế nào",
    "OTP là gì",
    "mã OTP là gì vậy ạ",
    "cách đổi mật khẩu VNeID",
    "quên mật khẩu VNeID thì làm sao",
    "nộp lệ phí trên dịch vụ công",
    "nop le phi tren dich vu cong bang the ngan hang dc ko",
    "không nhận được mã OTP khi chuyển khoản thì làm sao",
    "tải ứng dụng VNeID ở đâu",
    "cài app ngân hàng thế nào",
    "link dịch vụ công quốc gia là gì",
    "Chuyển khoản xong ngân hàng có nhắn tin báo không",
    "thanh toán tiền điện qua ứng dụng ngân hàng",
    "Điện lực có nhắn tin báo tiền điện hằng tháng không",
    "đăng ký tài khoản định danh điện tử mức 2 ở đâu",
    "Công an xã có hướng dẫn cài VNeID không",
    "vay tiền lãi suất thấp ở đâu",
    "lừa đảo trực tuyến là gì",
    "bị lừa đảo qua mạng thì báo cho ai",
    "cách lấy lại tài khoản VNeID khi quên mật khẩu",
    "đóng học phí cho con bằng chuyển khoản thế nào",
    "chuyển tiền viện phí cho bệnh viện bằng QR được không",
    "Nghị quyết 57 giao nhiệm vụ gì cho xã, kinh phí bao nhiêu",
    "cách hack tài khoản facebook",
    "cách lấy mật khẩu của người khác",
    "mã OTP gửi về điện thoại mấy phút thì hết hạn",
    "nhập mã OTP vào đâu khi thanh toán",
    "ngân hàng hướng dẫn chuyển khoản thế nào",
    "Bình dân học vụ số có dạy cách cài ứng dụng không",
    "nội dung chuyển khoản tiền nước ghi gì",
    "lãi suất tiết kiệm ngân hàng hiện nay bao nhiêu",
    "dichvucong.gov.vn có phải trang thật không",
    "VNeID có quét khuôn mặt khi đăng nhập không",
    "mua hàng online nhận hàng rồi mới trả tiền có an toàn hơn không",
    "mã OTP gửi qua tin nhắn dùng để làm gì",
    "đơn hàng đặt trên sàn giao chậm thì hỏi ai",
    # the same words in everyday questions
    "gửi hồ sơ qua bưu điện có mất phí không",
    "chuyển tiền qua nước ngoài có mất phí không",
    "công an xã bảo em gửi 2 bản sao giấy khai sinh, gửi qua dịch vụ công được không",
    "làm căn cước cho con có phải nộp phí không, nộp ở đâu",
    "chụp ảnh căn cước để nộp hồ sơ trên dịch vụ công thế nào",
    "nộp thuế đất qua app ngân hàng được không",
    "đóng 200k học phí qua ứng dụng trường được không",
    "ngân hàng khuyên bật cái gì để ứng dụng an toàn hơn",  # "bật cái" (switch on a thing) folds like "bắt cài"
    "rut tien tu vi dien tu ve ngan hang mat phi bao nhieu",  # a fee asked about, not demanded
    "vay tiền ở ngân hàng có mất phí hồ sơ không",
    "gọi tổng đài ngân hàng thì phải đọc số tài khoản không",
    "mở tài khoản cá nhân trên app ngân hàng online thế nào",
    "chuyển khoản vào tài khoản cá nhân của cô giáo để đóng tiền học thêm có sao không",
]
