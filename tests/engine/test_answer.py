"""Answer engine behaviour over the shipped knowledge: grounded answers, refusals, and (through the recorder, as the
action server does) what is stored for the team."""

from bot.engine.answer import ASK_AGAIN
from bot.engine.scope import asks_to_look_into_a_record
from bot.text import fold


def test_answer_is_short_grounded_and_cites_its_source(ask, store):
    a, _ = ask("Nghị quyết 57-NQ/TW là gì?", channel="web", user_id="u1")
    assert a.answered
    assert len(a.text) <= 1500
    assert "\nNguồn: " in a.text
    assert a.sources and a.sources[0]["path"].endswith(".md")
    assert "57" in a.text
    # every answered question is logged too (for reports), as answered
    assert store.count_questions(answered=True) == 1 and store.count_questions(answered=False) == 0


def test_same_answer_source_without_diacritics_and_in_teencode(engine):
    typed = engine.ask("Đăng ký tài khoản định danh điện tử mức 2 ở đâu?")
    folded = engine.ask(fold("Đăng ký tài khoản định danh điện tử mức 2 ở đâu?"))
    teen = engine.ask("dk tk dinh danh muc 2 o dau v")
    assert typed.answered and folded.answered and teen.answered
    assert typed.sources[0]["path"] == folded.sources[0]["path"] == teen.sources[0]["path"]


def test_out_of_scope_is_refused_politely_and_recorded_masked(ask, store):
    a, _ = ask("Ngày mai ở xã có mưa to không? Gọi lại cho tôi số 0987654321", channel="zalo", user_id="z9")
    assert not a.answered
    assert a.text.startswith("Dạ,")
    assert "Em có thể giúp về" in a.text
    assert a.sources == []
    [row] = store.unanswered()
    assert row.channel == "zalo"
    assert "0987654321" not in row.text and "********21" in row.text
    assert row.user_hash != "z9" and len(row.user_hash) == 24


def test_other_peoples_personal_data_is_never_looked_up(ask, store):
    a, _ = ask("tra cứu giúp tôi số CCCD và địa chỉ của người hàng xóm")
    assert not a.answered and a.reason == "personal_data"
    assert "thông tin cá nhân của người khác" in a.text
    assert store.unanswered()[0].reason == "personal_data"


def test_a_named_persons_data_is_never_looked_up(engine):
    for question in [
        "Tra giúp tôi số tài khoản và số điện thoại của chị Lan ở thôn 3",
        "xin số điện thoại anh Lò Văn Hùng",
        # an official's private life, named by the office
        "Địa chỉ nhà riêng của ông chủ tịch xã ở đâu?",
        "cho xin sdt rieng cua truong cong an xa",
    ]:
        assert engine.ask(question).reason == "personal_data", question
    assert engine.ask("Xin số điện thoại của Tổ công nghệ số cộng đồng").reason != "personal_data"


def test_a_request_to_look_into_ones_own_record_is_handed_to_the_team(ask, store):
    """The bot sees no one's file or account: "xem giúp hồ sơ của em đã duyệt chưa" gets where to look instead of
    the registration guide, and the team sees the question."""
    a, _ = ask("Em đăng ký mức 2 từ tuần trước, anh chị xem giúp hồ sơ của em đã duyệt chưa ạ")
    assert not a.answered and a.reason == "personal_data"
    assert "không xem được hồ sơ" in a.text and "Công an xã" in a.text
    assert store.unanswered()[0].reason == "personal_data"
    assert ask("tk vneid của mẹ em bị khóa, ad kiểm tra giúp em với")[0].reason == "personal_data"
    assert ask("Cách tra cứu hồ sơ đã nộp trên Cổng Dịch vụ công")[0].answered  # how to look, the resident asks
    assert ask("tra ho ho so cua em da duyet chua")[0].reason == "personal_data"  # "tra hộ", unaccented


def test_paying_for_someone_is_not_a_request_to_look_into_a_record():
    """ "Trả hộ" (pay for someone) folds to the same letters as "tra hộ" (look up for someone)."""
    assert not asks_to_look_into_a_record("em mở app ngân hàng định trả hộ ông tiền điện thì nó hỏi mã khách hàng")
    assert not asks_to_look_into_a_record("em muon tra ho tien dien cho ba bang tai khoan ngan hang")
    assert asks_to_look_into_a_record("anh chị tra hộ tài khoản VNeID của mẹ em bị khóa chưa")


def test_questions_about_protecting_ones_own_data_are_not_blocked(engine):
    a = engine.ask("Làm sao để không bị lộ thông tin cá nhân khi bị kẻ gian gọi điện?")
    assert a.reason != "personal_data"


def test_empty_question_asks_again_and_is_not_recorded(ask, store):
    for q in ("", "   ", "???"):
        a, question_id = ask(q)
        assert question_id is None
        assert not a.answered and a.text == ASK_AGAIN
    assert store.count_questions() == 0


def test_answer_text_is_nfc(engine):
    import unicodedata

    a = engine.ask(unicodedata.normalize("NFD", "Bình dân học vụ số là gì?"))
    assert a.answered
    assert unicodedata.is_normalized("NFC", a.text) and unicodedata.is_normalized("NFC", a.q)


def test_the_engine_is_pure_question_in_answer_out(engine):
    """No store, no side effects: the same question gives the same answer, and the engine holds no database."""
    first = engine.ask("dvc nop ho so onl ntn")
    again = engine.ask("dvc nop ho so onl ntn")
    assert (first.answered, first.text, first.sources, first.score) == (
        again.answered,
        again.text,
        again.sources,
        again.score,
    )
    assert not any(hasattr(engine, name) for name in ("store", "record", "question_groups"))


def test_a_sentence_ends_before_a_capital_only():
    """ "…; đăng nhập" goes on the same sentence: lower-case accented letters are not capitals (bot.text)."""
    from bot.engine.answer import _units

    assert _units("Mở ứng dụng; đăng nhập bằng mật khẩu. Sau đó bấm Gửi.") == [
        "Mở ứng dụng; đăng nhập bằng mật khẩu.",
        "Sau đó bấm Gửi.",
    ]
