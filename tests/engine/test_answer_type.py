"""What a question asks for, and whether an answer holds it (rules only, no model)."""

import pytest

from bot.engine.answer_type import (
    Kind,
    ask_words,
    asked_kinds,
    asks_about_local_facts,
    asks_about_occasion,
    asks_about_progress,
    asks_next_step,
    asks_purpose,
    asks_wait,
    documents_named,
    holds,
    missing_kinds,
    named_years,
    names_other_documents,
    target_for_now,
    told_clock_words,
    waited_words,
)

ASKS = [
    ("Ông phó chủ tịch xã số điện thoại bao nhiêu ạ?", {Kind.PHONE}),
    ("so hotline cua to cong nghe so xa minh la so may", {Kind.PHONE}),
    ("lớp học tháng sau học ngày nào vậy", {Kind.DATE}),
    ("le phi cap phieu ly lich tu phap bao nhieu tien", {Kind.MONEY}),
    ("Hạn mức chuyển tiền mỗi ngày của ví là bao nhiêu?", {Kind.MONEY}),
    ("bộ phận một cửa mở cửa từ mấy giờ", {Kind.CLOCK}),
    ("cấp phiếu lý lịch tư pháp mấy ngày có kết quả", {Kind.DURATION}),
    ("kế hoạch ký ngày mấy tháng 3 vậy", {Kind.DATE}),  # "mấy tháng" after "ngày" is the month of a date
    ("tổ trưởng tổ công nghệ số bản em tên là gì", {Kind.PERSON}),
    ("Nghị quyết 57 do ai ký", {Kind.PERSON}),  # a document is signed by a person
    ("kế hoạch này ai ban hành", {Kind.BODY}),
    ("làm vneid ở đâu", {Kind.PLACE}),
    ("ngày hội năm nay tổ chức ở bản nào", {Kind.PLACE}),
    ("số tài khoản của UBND xã là gì để em chuyển tiền", {Kind.ACCOUNT}),
    ("cho em xin stk của trường", {Kind.ACCOUNT}),
    ("chuyển khoản thì nhập số tài khoản trước hay quét mã trước", set()),
    ("cho em xin link nhóm Zalo của tổ công nghệ số", {Kind.LINK}),
    ("web để học bình dân học vụ số là trang nào", {Kind.LINK}),
    ("lỡ bấm link lạ rồi thì làm gì", set()),  # a link named, not asked for
    ("xã mình có bao nhiêu người đã kích hoạt", {Kind.COUNT}),
    ("kinh tế số chiếm bao nhiêu % GDP", {Kind.COUNT}),
    ("nghị quyết 57 là gì", set()),
    ("cách cài VNeID", set()),
]


@pytest.mark.parametrize(("question", "kinds"), ASKS)
def test_asked_kinds(question, kinds):
    assert asked_kinds(question) == kinds


def test_an_answer_lacking_what_was_asked_is_caught():
    intro = "Tổ công nghệ số cộng đồng làm việc theo phương châm đi từng ngõ, gõ từng nhà."
    assert missing_kinds("số điện thoại của tổ công nghệ số là số mấy", intro) == {Kind.PHONE}
    assert missing_kinds("số điện thoại công an là số mấy", "Gọi 113 khi khẩn cấp.") == set()
    # a year is not a phone number, "mật mã 6 số" is not a sum of money
    assert missing_kinds("số điện thoại là số nào", "Ban hành năm 2025.") == {Kind.PHONE}
    assert missing_kinds("lệ phí bao nhiêu tiền", "Anh/chị nhập mật mã 6 số để xác nhận.") == {Kind.MONEY}
    assert missing_kinds("lệ phí bao nhiêu tiền", "Thủ tục này không mất phí.") == set()
    assert missing_kinds("hội nghị tổ chức ngày nào", "Tổ chức hội nghị quán triệt nghị quyết.") == {Kind.DATE}
    assert missing_kinds("báo cáo trước ngày nào", "Định kỳ trước ngày 10/6 và 10/12 hằng năm.") == set()
    assert missing_kinds("nghị quyết do ai ký", "Tổng Bí thư Tô Lâm ký.") == set()
    assert missing_kinds("kế hoạch do ai ký", "Tuyên truyền chủ trương của Đảng, chính sách của Nhà nước.") == {
        Kind.PERSON
    }
    assert missing_kinds("kế hoạch do ai ký", "KT. Chủ tịch — Phó Chủ tịch Vũ Thị Hòa.") == set()
    assert missing_kinds("tổ trưởng tên là gì", "Tổ trưởng do thôn bầu ra.") == {Kind.PERSON}
    assert missing_kinds("kế hoạch do đồng chí nào ký", "Kế hoạch do UBND xã ban hành.") == {Kind.PERSON}
    # "được gọi là …" names something; it is not a call to a number
    assert Kind.PHONE not in asked_kinds("nq 57 duoc goi la bo tu tru cot, 3 nghi quyet con lai la so may")
    assert Kind.PHONE in asked_kinds("muon goi cong an xa thi goi so nao")
    # a count must count the thing asked: "mức 2" does not count people
    assert missing_kinds("có bao nhiêu người đã kích hoạt", "Kích hoạt tài khoản mức 2 trên ứng dụng.") == {Kind.COUNT}
    assert missing_kinds("cả nước có bao nhiêu tổ", "Cả nước có 74.422 Tổ công nghệ số cộng đồng.") == set()
    assert missing_kinds("bao nhiêu phần trăm", "đạt 80% vào năm 2030") == set()


def test_a_document_number_is_a_number_with_its_symbol():
    question = "tổ công nghệ số thành lập theo công văn số mấy"
    assert missing_kinds(question, "Theo Công văn 793/BTTTT-THH ngày 5/3/2022.") == set()
    assert missing_kinds(question, "Mỗi tổ có từ 4 đến 9 thành viên.") == {Kind.COUNT}  # a number, not a document's
    assert missing_kinds("mỗi tổ có bao nhiêu người", "Mỗi tổ có từ 4 đến 9 người.") == set()


@pytest.mark.parametrize(
    "question",
    [
        "chinh phu ban hanh nghi quyet so may de thuc hien nq57",  # "nghị quyết số mấy" is no phone extension
        "vi dien tu phai lien ket tai khoan chinh chu theo nghi dinh nao, co trong nq 57 khong",
        "ke hoach nq57 cua xa con cuong co so hieu la bao nhieu",
    ],
)
def test_a_document_asked_is_answered_by_another_documents_number(question):
    """The number asked is a document's, and not one the question names itself ("… thực hiện NQ 57")."""
    assert asked_kinds(question) == {Kind.COUNT}
    assert missing_kinds(question, "Nghị quyết số 57-NQ/TW nêu rõ mục tiêu.") == {Kind.COUNT}
    assert missing_kinds(question, "Nghị quyết 03/NQ-CP là chương trình hành động.") == set()


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Các sở ở Cao Bằng gửi báo cáo KH 209 về sở nào ạ", {Kind.BODY}),  # a body, typed "sở"
        ("cao bang gui bao cao ke hoach nq57 ve so nao", set()),
        ("VietQR lúc ra mắt có bao nhiêu ngân hàng tham gia", {Kind.COUNT}),  # banks, not thousands (ngàn)
        ("học trên nền tảng giảm chi phí đào tạo được bao nhiêu", {Kind.COUNT}),  # a share or a sum
        ("so truc ban cong an tinh la so nao", {Kind.PHONE}),
        ("ke lua dao bi phat tu bao nhieu nam", {Kind.DURATION}),  # prison, not a fine
    ],
)
def test_words_that_fold_alike_ask_what_they_mean(question, kinds):
    assert asked_kinds(question) == kinds


def test_people_are_counted_in_nguoi():
    question = "nq57 dat muc tieu may nha nghien cuu tren 1 van dan"
    assert missing_kinds(question, "đạt 12 người trên 1 vạn dân vào năm 2030") == set()
    assert missing_kinds(question, "đạt 2% GDP vào năm 2030") == {Kind.COUNT}
    # "mấy người" is answered by members counted as such
    assert missing_kinds("tổ ở thôn tối đa mấy người", "tổ ở thôn không quá 5 thành viên") == set()


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        # "X nào cũng", "ở đâu cũng", "bao giờ cũng": every X, anywhere, always
        ("Có cách nào để tiền điện tháng nào cũng tự trừ vào tài khoản không", set()),
        ("ngay nao cung phai mo app a", set()),
        ("ở đâu cũng làm được không", set()),
        ("tiền điện tháng nào phải đóng", {Kind.DATE}),
        ("bao giờ có kết quả", {Kind.DATE}),
        # "máy": a machine; without marks, "máy tính", "máy cảm ứng" are machines too
        ("Làm khai sinh trên điện thoại được không hay phải lên máy tính", set()),
        ("lop bdhvs co day cach cam may cam ung ko", set()),
        ("gồm mấy người", {Kind.COUNT}),
        ("co may buoc", {Kind.COUNT}),
    ],
)
def test_words_that_ask_nothing_here(question, kinds):
    assert asked_kinds(question) == kinds


def test_an_email_is_answered_by_an_address():
    question = "Email của Trung tâm Dịch vụ tổng hợp xã ta là gì?"
    assert asked_kinds(question) == {Kind.EMAIL}
    assert asked_kinds("cho xin dia chi mail cua to") == {Kind.EMAIL}  # an address to write to, not a place
    assert missing_kinds(question, "Trung tâm xây dựng kế hoạch tuyên truyền hằng tháng.") == {Kind.EMAIL}
    assert missing_kinds(question, "Thư gửi về ttdvth@example.gov.vn.") == set()


def test_how_often_is_answered_by_a_frequency():
    question = "phòng văn hóa xã hội bao lâu báo cáo một lần"
    assert missing_kinds(question, "Hàng tháng, năm tổng hợp báo cáo cho UBND tỉnh.") == set()
    assert missing_kinds(question, "Phòng chủ trì tổ chức các sự kiện.") == {Kind.DURATION}


def test_the_number_of_a_decision_is_a_document_number():
    question = "số quyết định thành lập tổ công nghệ số cộng đồng của xã là số mấy"
    assert missing_kinds(question, "Theo Công văn 793/BTTTT-THH ngày 5/3/2022.") == set()
    assert missing_kinds(question, "Mỗi thôn có thể thành lập 1 tổ.") == {Kind.COUNT}


def test_a_fee_asked_is_answered_by_a_fee():
    """ "Lệ phí … bao nhiêu" is not answered by a sum the rules name for something else ("trên 10 triệu đồng")."""
    question = "lệ phí làm lại thẻ căn cước bị mất là bao nhiêu"
    assert missing_kinds(question, "Chuyển tiền trên 10 triệu đồng phải xác thực khuôn mặt.") == {Kind.MONEY}
    assert missing_kinds(question, "Lệ phí cấp lại thẻ là 70.000 đồng.") == set()
    assert missing_kinds(question, "Nộp hồ sơ trực tuyến không mất phí.") == set()


@pytest.mark.parametrize(
    ("question", "money"),
    [
        ("tiền nước tháng này nhà em hết bao nhiêu vậy", True),
        ("chuyen khoan lien ngan hang ton bn", True),
        ("làm thủ tục này mất bao nhiêu ngày", False),  # how long
        ("mất bao nhiêu phần trăm", False),
    ],
)
def test_what_it_costs_is_a_sum(question, money):
    assert Kind.MONEY not in asked_kinds("Gia Lai đặt mục tiêu bao nhiêu % người trưởng thành")  # a province
    assert Kind.MONEY in asked_kinds("giá cước gọi tổng đài 156 là bao nhiêu")
    assert asked_kinds("ngân sách hằng năm dành tối thiểu bao nhiêu % cho khoa học") == {Kind.COUNT}  # a share
    assert (Kind.MONEY in asked_kinds(question)) is money


def test_a_link_is_a_web_address():
    question = "cho em xin link trang học bình dân học vụ số"
    assert missing_kinds(question, "Anh/chị vào binhdanhocvuso.gov.vn để học.") == set()
    assert missing_kinds(question, "Anh/chị hỏi trưởng thôn hoặc Đoàn Thanh niên.") == {Kind.LINK}


def test_an_account_number_is_a_long_run_of_digits():
    assert missing_kinds("số tài khoản của xã là gì", "Anh/chị chuyển khoản qua ngân hàng của xã.") == {Kind.ACCOUNT}
    assert missing_kinds("số tài khoản của xã là gì", "Số tài khoản: 1234 5678 9012 tại Agribank.") == set()
    assert missing_kinds("số tài khoản của xã là số mấy", "Gọi 113 khi khẩn cấp.") == {Kind.ACCOUNT}


def test_a_count_is_not_a_phone_number():
    assert missing_kinds("số điện thoại của tổ là số mấy", "Cả nước có 74.422 Tổ với 348.362 thành viên.") == {
        Kind.PHONE
    }
    assert missing_kinds("đường dây nóng là số nào", "Gọi 0912.345.678 hoặc 1900 1234.") == set()


def test_words_that_fold_like_numbers_are_not_amounts():
    # "tự động" folds to "tu dong" (four đồng?), "sau ngày" to "sau ngay" (six days?)
    assert missing_kinds("lệ phí bao nhiêu tiền", "Hệ thống tự động gửi kết quả, hoạt động cả ngày.") == {Kind.MONEY}
    assert missing_kinds("mất bao lâu", "Tính từ ngày nộp hồ sơ, sau ngày làm việc.") == {Kind.DURATION}
    assert missing_kinds("mất bao lâu", "Không quá ba ngày làm việc.") == set()


def test_ask_words_are_how_the_question_asks_not_what_about():
    words = ask_words("quyet dinh 1169 cua thu tuong ky ngay nao vay")
    assert {"ngay", "nao", "vay"} <= words
    assert not {"quyet", "dinh", "1169", "thu", "tuong", "ky"} & words
    percent = ask_words("xã ta cần bao nhiêu phần trăm cán bộ được đào tạo")
    assert {"bao", "nhieu", "phan", "tram", "ta"} <= percent and not {"bo", "dao", "tao"} & percent


def test_the_years_a_question_is_about():
    assert named_years("đến 2045 thì kinh tế số chiếm bao nhiêu % GDP") == {"2045"}
    assert named_years("muc tieu nam 2026 va 2030 cua xa") == {"2026", "2030"}
    assert named_years("con em sinh năm 2021 làm căn cước được không") == set()  # a birth year, not a plan's
    assert named_years("nghị quyết 57 là gì") == set()
    assert named_years("tài khoản cổng dvc cũ em lập từ 2022 giờ còn dùng được không") == set()  # the resident's year


@pytest.mark.parametrize(
    ("question", "occasion"),
    [
        ("lớp học tuần sau học ngày nào, ở đâu", True),
        ("ngay hoi nam nay xa minh to chuc o dau", True),
        ("năm nay xã mình có bao nhiêu người bị lừa rồi", True),
        ("thu 7 nay to cong nghe so co xuong ban em khong a", True),  # yes or no about a particular day
        ("bộ phận một cửa sáng thứ 7 có mở cửa không", True),
        ("t7 nay co lop hoc khong ad", True),
        ("tuần sau em đi làm căn cước thì cần mang gì", False),  # a standing rule, whatever the day
        ("nộp hồ sơ hôm nay thì mấy ngày có kết quả", False),  # how long: a rule
        ("năm nay có được làm vneid online không", False),  # a year is not a particular day
        ("hội nghị tổ chức ngày nào", False),
        ("chu nhat nay to cong nghe so co xuong thon khong", True),  # Sunday is a day too
        # whether an office works or the team comes on a day of the week
        ("cong an xa chu nhat co lam dinh danh dien tu khong", True),
        ("Tổ CNSCĐ xã mình có lịch đến nhà hỗ trợ bà con vào thứ bảy nào không ạ?", True),
        ("em muon xin vao to cong nghe so xa ta thi nop don o dau, han chot ngay nao", True),  # joining, locally
        # when a place near the resident opens or holds a class: no local timetable in the knowledge
        ("lớp học ở nhà văn hóa thôn em bao giờ khai giảng", True),
        ("bo phan mot cua lam viec ngay nao trong tuan", True),
        ("ubnd xa thu bay co lam viec khong, may gio mo cua", True),
        ("xã mình báo cáo kết quả vào ngày nào", False),  # the plan's reporting date
        ("chuyển tiền VietQR lúc mấy giờ thì được", False),
    ],
)
def test_a_particular_occasion_is_not_in_the_knowledge(question, occasion):
    assert asks_about_occasion(question, asked_kinds(question)) is occasion


@pytest.mark.parametrize(
    ("question", "about_home", "progress"),
    [
        ("Tổ công nghệ số cộng đồng của xã mình hiện có bao nhiêu thành viên ạ?", True, True),
        ("hien nay da duoc bao nhieu % nguoi dan xa minh tiep can thong tin roi", True, True),
        ("xa minh da co bao nhieu nguoi duoc xac nhan pho cap ky nang so roi", True, True),
        ("Xã mình đặt mục tiêu bao nhiêu phần trăm người dân dùng dịch vụ công đến 2030?", True, False),  # a target
        ("Cả nước hiện có bao nhiêu tài khoản VNeID đã kích hoạt?", False, False),  # the country's figure
        ("xa minh hien nay lam the nao de dang ky vneid", True, False),  # how, not how many
        ("xa minh da co bao nhieu to cong nghe so", True, True),  # "đã có bao nhiêu", without "rồi"
        ("tổ công nghệ số xã mình có tất cả bao nhiêu người", True, True),
    ],
)
def test_the_communes_running_figures_are_not_in_the_knowledge(question, about_home, progress):
    assert asks_about_progress(question, asked_kinds(question), about_home) is progress


@pytest.mark.parametrize(
    ("question", "menu"),
    [
        ("trên app vneid vào mục nào để xin phiếu lý lịch tư pháp", True),
        ("lam xong thi bam nut gi de gui", True),
        ("Nghị quyết 57 đánh giá khoa học công nghệ ở mức nào?", False),  # a level
        ("khcn duoc danh gia la dot pha o muc nao", False),  # folded "mục"/"mức": no verb of choosing
        ("thẻ căn cước là thẻ gì", False),
    ],
)
def test_an_item_on_a_screen_is_asked_after_a_verb_of_choosing(question, menu):
    assert (Kind.MENU in asked_kinds(question)) is menu
    assert missing_kinds("vào mục nào", "Anh/chị chọn “Thủ tục hành chính”.") == set()


@pytest.mark.parametrize(
    ("question", "local"),
    [
        ("xã mình sau sáp nhập gồm những xã cũ nào", True),
        ("xa tan hoi hop nhat tu nhung xa nao vay", True),
        ("trụ sở công an xã mới chuyển về đâu ạ", True),
        ("cho em xin dia chi uy ban xa", True),
        ("sau sáp nhập cả nước còn bao nhiêu xã, phường", False),  # the country's figure, in the knowledge
        ("làm căn cước cho con ở đâu", False),  # where to go for a service: Công an xã
        ("tuyen truyen truc quan tai tru so cac co quan gom nhung gi", False),
        # who holds an office now: the plans name only their signers
        ("chu tich ubnd xa muong mun ten gi a", True),
        ("Trưởng phòng Văn hóa - Xã hội xã mình hiện là ai vậy ạ?", True),
        ("chủ tịch xã ký kế hoạch là ai", False),  # the plan's signer
        # who heads one's own village's team, and the commune's own bank account
        ("to truong to cong nghe so ban e la ai vay", True),
        ("trưởng thôn là ai trong tổ công nghệ số", False),  # who sits on such a team, in the knowledge
        ("Số tài khoản của UBND xã mình để chuyển khoản nộp lệ phí là số nào", True),
    ],
)
def test_the_communes_own_administrative_facts_are_not_in_the_knowledge(question, local):
    assert asks_about_local_facts(question) is local


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        ("thành viên tổ công nghệ số có được trả phụ cấp không", "Tổ gồm trưởng thôn và 2 thành viên khác.", True),
        ("di hoc co duoc ho tro tien di lai khong", "Người học đăng nhập bằng tài khoản VNeID.", True),
        ("thành viên tổ có được phụ cấp không", "Thành viên được hưởng phụ cấp theo quy định của tỉnh.", False),
    ],
)
def test_an_allowance_asked_is_answered_only_by_that_allowance(question, answer, missing):
    assert Kind.BENEFIT in asked_kinds(question)
    assert (Kind.BENEFIT in missing_kinds(question, answer)) is missing


def test_one_of_two_things_asked_is_answered_by_naming_one():
    question = "mã khách hàng điện ở đây bắt đầu bằng PA hay PB vậy"
    assert Kind.CHOICE in asked_kinds(question)
    assert missing_kinds(question, "Mã khách hàng gồm 13 ký tự, bắt đầu bằng chữ P.") == {Kind.CHOICE}
    assert missing_kinds(question, "Ở đây mã bắt đầu bằng PA.") == set()
    # its words stay subject words for the near-subject check
    assert "khach" not in ask_words("ma khach hang bat dau bang pa hay pb")


@pytest.mark.parametrize(
    ("question", "purpose"),
    [
        ("Kế hoạch truyền thông của xã Con Cuông để làm gì", True),
        ("ke hoach cua binh giang nham muc dich gi", True),
        ("kế hoạch của xã mình giao Phòng Văn hóa làm gì", False),  # a task, not the plan's purpose
    ],
)
def test_what_a_plan_is_for(question, purpose):
    assert asks_purpose(question) is purpose


@pytest.mark.parametrize(
    ("question", "following"),
    [
        ("Em nhập số định danh với số điện thoại rồi, giờ nhập gì nữa ạ", True),
        ("tai ma qr ve may roi, buoc tiep theo la gi", True),
        ("nhập số định danh ở bước nào", False),
    ],
)
def test_a_step_already_done_asks_the_next(question, following):
    assert asks_next_step(question) is following


def test_a_target_does_not_tell_where_things_stand_now():
    target = "Nghị quyết 57 đặt mục tiêu đến năm 2030 Việt Nam thuộc top 50 thế giới."
    assert target_for_now("hiện giờ Việt Nam đứng thứ mấy thế giới rồi", target)
    assert not target_for_now("NQ 57 đặt mục tiêu Việt Nam đứng thứ mấy thế giới", target)  # the target is asked
    assert not target_for_now("hiện nay có bao nhiêu tài khoản", "Đến tháng 10/2025 có khoảng 90 triệu tài khoản.")


@pytest.mark.parametrize(
    ("question", "numbers"),
    [
        ("nghi quyet 18-NQ/TW ban hanh ngay nao", {"18"}),
        ("QĐ 1139 của UBND tỉnh Cao Bằng", {"1139"}),
        ("chương trình hành động 01-CTr/BCĐ gồm những gì", {"1"}),
        ("Nghị quyết 57 năm 2024 nói gì", {"57"}),  # "năm 2024" is no document
        ("NĐ 69/2024 điều 7", {"69"}),
        ("kế hoạch số 45 của tỉnh", {"45"}),
        ("đến năm 2030 kinh tế số bao nhiêu", set()),
        ("trẻ 14 tuổi làm căn cước", set()),
        ("kh 500k có phải đóng không", set()),  # a sum, not a plan
    ],
)
def test_documents_named_by_number(question, numbers):
    assert documents_named(question) == numbers


def test_an_answer_that_never_says_the_documents_number_is_about_another_document():
    assert names_other_documents("nghị quyết 18 ban hành ngày nào", "Kế hoạch 209/KH-UBND ngày 10/3/2025") == {"18"}
    assert not names_other_documents("qd 1169 ký ngày nào", "Quyết định 1169/QĐ-TTg được ký ngày 16/6/2025")
    assert not names_other_documents("nd 69 có hiệu lực khi nào", "Nghị định 69/2024/NĐ-CP có hiệu lực từ 1/7/2024")
    assert not names_other_documents("ví điện tử là gì", "Ví điện tử là …")  # no document named, nothing to check


def test_how_long_until_is_answered_by_a_wait_or_at_once():
    """ "bao giờ bên kia nhận được" asks how long until, not a calendar date: "tiền đến ngay" or "3 ngày" answers."""
    q = "chủ nhật chuyển tiền thì bao giờ bên kia nhận được"
    assert asks_wait(q) and asks_wait("nộp hồ sơ xong khi nào có kết quả")
    assert not asks_wait("nghị quyết 57 ban hành khi nào")
    assert holds(Kind.DATE, q, "Tiền đến tài khoản người nhận ngay, không phải chờ đến sáng.")
    assert holds(Kind.DATE, q, "Thường mất 2 ngày làm việc.")
    assert not holds(Kind.DATE, q, "Anh/chị mở ứng dụng ngân hàng và quét mã.")
    assert not holds(Kind.DATE, "nghị quyết 57 ban hành khi nào", "Tiền đến ngay.")  # a date is asked there


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("mấy hôm trước nghe nói mỗi bản có một tổ. Vậy ai quyết định thành lập tổ đó?", {Kind.BODY}),
        ("mấy ngày trước em bị lừa, giờ báo ở đâu", {Kind.PLACE}),  # when it happened is told, not asked
        ("khai sinh liên thông mất mấy ngày", {Kind.DURATION}),
        ("xã mình có mấy tổ", {Kind.COUNT}),
    ],
)
def test_a_time_told_is_not_asked(question, kinds):
    assert asked_kinds(question) == kinds


def test_the_step_after_one_done_is_asked_however_the_ask_ends():
    assert asks_next_step("e vua nhap otp kich hoat vneid xong, buoc sau no bat tao mk hay nhung gi nua")


def test_which_hamlet_or_commune_is_answered_by_one_named():
    question = "Thôn nào ở Bình Giang đã có màn hình LED tuyên truyền?"
    assert asked_kinds(question) == {Kind.PLACE}
    assert missing_kinds(question, "Dùng màn hình LED tại trụ sở các cơ quan, khu dân cư tập trung.") == {Kind.PLACE}
    assert missing_kinds(question, "Thôn Đông Hạ đã lắp màn hình LED.") == set()
    assert asked_kinds("Tuần này tổ xuống bản nào hướng dẫn cài VNeID?") == {Kind.PLACE}
    # folded, "ban nào" is also a board, and "cơ bản nào" is "basic"
    assert asked_kinds("to cong nghe so huong dan nhung ky nang so co ban nao") == set()
    assert asked_kinds("o cao bang ban nao cua tinh uy duoc de nghi dinh huong bao chi") == set()


def test_an_account_told_is_not_an_account_asked():
    assert asked_kinds("cho xin so tai khoan cua xa") == {Kind.ACCOUNT}
    assert Kind.ACCOUNT not in asked_kinds("Trường gửi mỗi đứa một số tài khoản riêng để đóng học phí, vậy là sao")


def test_a_count_may_be_said_in_another_unit():
    question = "10 tháng đầu năm 2025 có bao nhiêu lượt chuyển tiền bằng VietQR"
    assert missing_kinds(question, "10 tháng đầu năm 2025 có 3,6 tỷ giao dịch chuyển tiền VietQR.") == set()
    assert missing_kinds(question, "VietQR ra mắt năm 2021.") == {Kind.COUNT}


def test_where_an_office_stands_is_not_answered_by_its_own_name():
    question = "trung tam dich vu tong hop xa ta nam o dau"
    assert missing_kinds(question, "2. Trung tâm Dịch vụ tổng hợp: - Xây dựng Kế hoạch tuyên truyền tại xã.") == {
        Kind.PLACE
    }
    assert missing_kinds(question, "Trung tâm nằm ở thôn Nà Sáy, cạnh trụ sở UBND xã.") == set()
    # a web address asked is a link, and "làm ở đâu" is answered by the office itself
    assert missing_kinds("dia chi trang web cong dich vu cong la gi", "Cổng ở địa chỉ dichvucong.gov.vn.") == set()
    assert missing_kinds("làm định danh mức 2 ở đâu", "Anh/chị đến Công an xã nơi cư trú.") == set()


def test_a_list_number_or_a_share_is_not_a_count():
    question = "Con Cuông có bao nhiêu trường học tham gia kế hoạch"
    assert missing_kinds(question, "5. Các Trường học trên địa bàn xã: - tham gia học tập") == {Kind.COUNT}
    assert missing_kinds(question, "- 100% các trường học thực hiện tuyên truyền") == {Kind.COUNT}
    assert missing_kinds(question, "Xã có 5 trường học tham gia.") == set()


def test_a_size_asked_per_unit_is_not_the_country_total():
    total = "Đến năm 2023, cả nước có 74.422 Tổ công nghệ số cộng đồng với 348.362 thành viên."
    assert missing_kinds("to cong nghe so cong dong thuong co bao nhieu nguoi", total) == {Kind.COUNT}
    assert missing_kinds("cả nước có bao nhiêu thành viên tổ công nghệ số", total) == set()
    assert missing_kinds("mỗi tổ có mấy người", "Tổ gồm trưởng thôn và 2 thành viên khác.") == set()


def test_a_day_asked_is_not_answered_by_the_frequency_the_question_names():
    question = "to cnscd xa minh hop dinh ky vao ngay nao hang thang"
    assert missing_kinds(question, "Xây dựng kế hoạch tuyên truyền hằng tuần, hằng tháng.") == {Kind.DATE}
    assert missing_kinds(question, "Tổ họp vào ngày 5 hằng tháng.") == set()


def test_a_web_address_asked_is_a_link_not_a_place():
    assert asked_kinds("kho tài nguyên của xã đặt ở địa chỉ web nào") == {Kind.LINK}
    assert asked_kinds("học bình dân học vụ số ở trang web nào") == {Kind.LINK}


def test_a_time_of_day_told_is_the_residents_case():
    assert told_clock_words("nộp hồ sơ lúc 4h chiều thì tính ngày từ bao giờ") == {"luc", "4h", "chieu"}
    assert told_clock_words("bộ phận một cửa mở cửa mấy giờ") == set()


def test_one_item_of_a_list_asked_by_its_place_needs_the_list_or_the_item():
    question = "nq57 nhóm nhiệm vụ thứ 5 là gì"
    assert asked_kinds(question) == {Kind.ITEM}
    listing = "7 nhóm nhiệm vụ:\n- Nhóm nhiệm vụ 1: A.\n- Nhóm nhiệm vụ 2: B."
    assert missing_kinds(question, listing) == {Kind.ITEM}
    assert missing_kinds(question, "- Nhóm nhiệm vụ 5: Đẩy mạnh chuyển đổi số.") == set()
    assert missing_kinds("quan điểm đầu tiên nói gì", listing) == set()
    # a sentence that only counts the items answers none of them
    counted = "Cẩm nang gồm 24 hình thức."
    assert missing_kinds("cẩm nang có 24 hình thức, hình thức thứ 17 là gì", counted) == {Kind.ITEM}
    # a guide's last step is a step, not a list item
    assert Kind.ITEM not in asked_kinds("tới bước cuối thì bấm gì")


def test_a_fee_asked_far_from_its_how_much_is_still_a_sum():
    assert asked_kinds("phí chuyển khoản liên ngân hàng của BIDV bây giờ là bao nhiêu") == {Kind.MONEY}
    assert asked_kinds("lệ phí đăng ký kết hôn ở xã mình nộp online là bao nhiêu") == {Kind.MONEY}


def test_what_a_question_waits_for_is_not_its_subject():
    assert waited_words("khai sinh online bao lâu thì có kết quả") == {"co", "ket", "qua"}
    assert waited_words("chuyển khoản rồi khi nào bên kia nhận được") == {"nhan", "duoc"}
    assert waited_words("khai sinh online cần giấy tờ gì") == set()


def test_some_told_of_what_was_done_asks_no_count():
    """ "mới học xong mấy khóa": some courses, told; "học mấy khóa thì được cấp": asked."""
    assert Kind.COUNT not in asked_kinds("chị em mới học xong mấy khóa trên mạng, có được cấp giấy gì không")
    assert Kind.COUNT not in asked_kinds("bố em đã đi mấy buổi rồi mà chưa làm được, giờ làm thế nào")
    assert Kind.COUNT in asked_kinds("phải học mấy khóa thì được cấp chứng chỉ")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("giấy chứng nhận này có thời hạn không ạ", Kind.DURATION),  # how long it holds: a duration
        ("tong bien tap bao tinh hien nay la ai", Kind.PERSON),  # one office's holder: a person, not a body
    ],
)
def test_validity_and_an_offices_holder_are_asked_kinds(question, kind):
    assert kind in asked_kinds(question)


def test_a_standing_asked_is_now_unless_a_target_year_or_wish_is_named():
    target = "Nghị quyết đặt mục tiêu đến năm 2030 Việt Nam thuộc top 50 thế giới"
    assert target_for_now("Việt Nam xếp thứ mấy về chỉ số đổi mới sáng tạo", target)
    assert not target_for_now("đến 2030 Việt Nam muốn đứng thứ mấy về chỉ số đổi mới sáng tạo", target)
