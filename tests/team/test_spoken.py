"""Bulletins for the commune loudspeakers: the read-aloud forms (bot/team/spoken.py) on a table of tricky inputs,
and the script (bot/team/bulletin.py): its opening and closing, its estimate and its trimming at whole sentences."""

from __future__ import annotations

import pytest

from bot.team.bulletin import SYLLABLES_PER_MINUTE, BulletinError, build, knowledge_section, syllables
from bot.team.spoken import number_words, verbalise

SPOKEN = [
    # numbers and money
    ("57", "năm mươi bảy"),
    ("2.000", "hai nghìn"),
    ("1.500.000 đồng", "một triệu năm trăm nghìn đồng"),
    ("21", "hai mươi mốt"),
    ("25", "hai mươi lăm"),
    ("105", "một trăm linh năm"),
    ("14", "mười bốn"),
    ("10", "mười"),
    ("15", "mười lăm"),
    ("24", "hai mươi tư"),
    ("110", "một trăm mười"),
    ("1.000.005", "một triệu không trăm linh năm"),
    ("3.050.000 đồng", "ba triệu không trăm năm mươi nghìn đồng"),
    # percentages
    ("80%", "tám mươi phần trăm"),
    ("2,5%", "hai phẩy năm phần trăm"),
    ("đạt 100 %", "đạt một trăm phần trăm"),
    # dates
    ("10/6", "ngày mười tháng sáu"),
    ("22/12/2024", "ngày hai mươi hai tháng mười hai năm hai nghìn không trăm hai mươi tư"),
    ("ngày 1/7/2025", "ngày một tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("1/4", "ngày một tháng tư"),
    ("tháng 6/2025", "tháng sáu năm hai nghìn không trăm hai mươi lăm"),
    ("từ 10/6–15/6", "từ ngày mười tháng sáu đến ngày mười lăm tháng sáu"),
    # times and ranges
    ("15 giờ", "mười lăm giờ"),
    ("8h30", "tám giờ ba mươi phút"),
    ("7h", "bảy giờ"),
    ("8h–11h", "tám giờ đến mười một giờ"),
    ("2024–2025", "hai nghìn không trăm hai mươi tư đến hai nghìn không trăm hai mươi lăm"),
    # document numbers
    ("57-NQ/TW", "Nghị quyết số năm mươi bảy của Bộ Chính trị"),
    ("Nghị quyết 57-NQ/TW", "Nghị quyết số năm mươi bảy của Bộ Chính trị"),
    ("1169/QĐ-TTg", "Quyết định số một nghìn một trăm sáu mươi chín của Thủ tướng Chính phủ"),
    ("01/KH-UBND", "Kế hoạch số một của Ủy ban nhân dân"),
    ("NĐ 69/2024", "Nghị định số sáu mươi chín năm hai nghìn không trăm hai mươi tư"),
    ("13/2023/NĐ-CP", "Nghị định số mười ba năm hai nghìn không trăm hai mươi ba của Chính phủ"),
    ("01-KH/BCĐTW", "Kế hoạch số một của Ban Chỉ đạo Trung ương"),
    # abbreviations
    ("UBND xã", "Ủy ban nhân dân xã"),
    ("HĐND", "Hội đồng nhân dân"),
    ("tài khoản VNeID", "tài khoản vê en e i đê"),
    ("mang CCCD", "mang căn cước công dân"),
    ("KHCN, ĐMST và CĐS", "khoa học và công nghệ, đổi mới sáng tạo và chuyển đổi số"),
    ("Tổ CNSCĐ", "Tổ công nghệ số cộng đồng"),
    ("nộp hồ sơ DVC", "nộp hồ sơ dịch vụ công"),
    ("không đưa mã OTP", "không đưa mã ô tê pê"),
    ("quét QR", "quét mã cu a"),
    ("quét mã QR", "quét mã cu a"),
    # web addresses
    ("dichvucong.gov.vn", "dịch vụ công chấm gốp chấm vê en"),
    ("https://dichvucong.gov.vn/p", "dịch vụ công chấm gốp chấm vê en gạch chéo pê"),
    # phone numbers
    ("gọi 113", "gọi một một ba"),
    ("đường dây nóng 1900 1234", "đường dây nóng một chín không không, một hai ba bốn"),
    ("0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("số 0987654321", "số không chín tám bảy sáu năm bốn ba hai một"),
    # prose
    ("Xin chào – bà con", "Xin chào, bà con"),
]


@pytest.mark.parametrize("written, said", SPOKEN, ids=[w for w, _ in SPOKEN])
def test_written_forms_are_read_aloud(written, said):
    assert verbalise(written) == said


def test_the_table_is_big_enough_and_number_words_hold_on_their_own():
    assert len(SPOKEN) >= 40
    assert number_words(0) == "không" and number_words(1001) == "một nghìn không trăm linh một"
    assert number_words(2_000_000_000) == "hai tỷ"


BODY = " ".join(
    f"Câu thứ {n}: Ủy ban nhân dân xã mời bà con đến nhà văn hóa thôn học cách dùng tài khoản định danh điện tử."
    for n in range(1, 40)
)


def test_the_script_opens_and_closes_as_the_commune_radio_does():
    b = build("Lớp học kỹ năng số", "Tối 15/6, lúc 19h30, tại nhà văn hóa thôn.", "Xã Mường Mùn", 1)
    assert b.opening.startswith("Kính thưa toàn thể nhân dân xã Mường Mùn!")
    assert b.closing == (
        "Đài truyền thanh xã Mường Mùn vừa phát bản tin: Lớp học kỹ năng số. Xin cảm ơn bà con đã chú ý lắng nghe."
    )
    assert b.sentences == ["Tối ngày mười lăm tháng sáu, lúc mười chín giờ ba mươi phút, tại nhà văn hóa thôn."]
    assert b.dropped == 0 and b.seconds == round(syllables(b.text) * 60 / SYLLABLES_PER_MINUTE)
    assert "giây" in b.estimate and f"{SYLLABLES_PER_MINUTE} âm tiết/phút" in b.estimate
    assert build("Tin", "Nội dung.", "Mường Mùn", 1).opening.startswith("Kính thưa toàn thể nhân dân xã Mường Mùn!")


@pytest.mark.parametrize("minutes", [1, 2, 3])
def test_a_long_body_is_trimmed_at_whole_sentences_to_the_chosen_length(minutes):
    b = build("Học kỹ năng số", BODY, "Xã Mường Mùn", minutes)
    assert b.dropped > 0
    assert b.syllables <= minutes * SYLLABLES_PER_MINUTE
    assert b.syllables > minutes * SYLLABLES_PER_MINUTE - 30  # one sentence (~24 syllables) short at most
    assert all(s.startswith("Câu thứ") and s.endswith("điện tử.") for s in b.sentences)  # whole sentences
    assert len(b.sentences) + b.dropped == 39


def test_longer_choices_keep_more_and_bad_input_is_refused():
    kept = [len(build("Tin", BODY, "", m).sentences) for m in (1, 2, 3)]
    assert kept[0] < kept[1] < kept[2]
    with pytest.raises(BulletinError):
        build("Tin", BODY, "", 5)
    with pytest.raises(BulletinError):
        build("Tin", "   ", "", 1)


def test_a_knowledge_section_is_found_by_part_of_its_heading(tmp_path):
    doc = tmp_path / "vneid.md"
    doc.write_text(
        "---\ntitle: VNeID\n---\n# VNeID\n\n## Mức 1 là gì\n\nTài khoản mức 1.\n\n## Mức 2 cần gì\n\n- Mang CCCD.\n"
        "- Đến công an xã\n",
        encoding="utf-8",
    )
    heading, text = knowledge_section(doc, "mức 2")
    assert heading == "Mức 2 cần gì"
    b = build(heading, text, "", 1)
    assert b.sentences == ["Mang căn cước công dân.", "Đến công an xã."]
    with pytest.raises(BulletinError):
        knowledge_section(doc, "không có mục này")
