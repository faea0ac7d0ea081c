import unicodedata

from bot.text import (
    expand_abbreviations,
    fold,
    has_diacritics,
    hash_user_id,
    mask_personal_numbers,
    nfc,
    search_tokens,
    words,
)


def test_nfc_composes_decomposed_vietnamese():
    decomposed = unicodedata.normalize("NFD", "Nghị quyết")
    assert decomposed != "Nghị quyết"
    assert nfc(decomposed) == "Nghị quyết"
    assert nfc("a\u00a0b\u200b") == "a b"
    assert nfc(None) == ""


def test_fold_strips_diacritics_and_d_bar():
    assert fold("Đăng ký ĐỊNH DANH  điện tử") == "dang ky dinh danh dien tu"
    assert fold(unicodedata.normalize("NFD", "Bình dân học vụ số")) == "binh dan hoc vu so"


def test_has_diacritics():
    assert has_diacritics("vneid mức 2")
    assert has_diacritics("đăng ky")
    assert not has_diacritics("vneid muc 2 lam o dau")
    assert not has_diacritics("R&D 2% GDP?")


def test_expand_teencode_and_abbreviations():
    assert expand_abbreviations("ko biet dvc la j") == "không biet dịch vụ công la gì"
    assert expand_abbreviations("cccd dc ko?") == "căn cước công dân được không?"
    assert expand_abbreviations("ko bik thu tuc tren mxh") == "không biết thu tuc tren mạng xã hội"
    assert (
        expand_abbreviations("TCNSCĐ bản em, tổ cnscd") == "tổ công nghệ số cộng đồng bản em, tổ công nghệ số cộng đồng"
    )
    assert expand_abbreviations("NQ 57") == "nghị quyết 57"
    assert expand_abbreviations("nq57 va qd1169") == "nghị quyết 57 va quyết định 1169"
    # before a number "kh" is a plan, elsewhere "không"
    assert expand_abbreviations("KH 209 của tỉnh, kh.45, kh209") == "kế hoạch 209 của tỉnh, kế hoạch 45, kế hoạch 209"
    assert expand_abbreviations("em kh biet") == "em không biet"
    # before "của", "tuyên truyền", "xã mình", "số mấy" it is a plan too: "không" never stands there
    assert expand_abbreviations("kh cua binh giang so may") == "kế hoạch cua binh giang so may"
    assert expand_abbreviations("kh xa minh, KH tuyên truyền") == "kế hoạch xa minh, kế hoạch tuyên truyền"
    assert expand_abbreviations("minh kh co tien, co dc kh") == "minh không co tien, co được không"
    # "mk" is "mình" after a kin word or before a verb, else "mật khẩu"
    assert expand_abbreviations("con trai mk 8 tuoi, mk muon lam the") == "con trai mình 8 tuoi, mình muon lam the"
    assert expand_abbreviations("quên mk vneid, nhập mk sai") == "quên mật khẩu vneid, nhập mật khẩu sai"
    assert expand_abbreviations("Sở TT&TT, BCĐ, phòng VH-XH") == (
        "Sở thông tin và truyền thông, ban chỉ đạo, phòng văn hóa - xã hội"
    )
    # Words that merely contain an abbreviation are untouched.
    assert expand_abbreviations("khoa học") == "khoa học"


def test_words_and_search_tokens():
    assert words("Nghị quyết 57-NQ/TW, 80%") == ["nghị", "quyết", "57-nq/tw", "80%"]
    toks = search_tokens("Định danh mức 2")
    assert "dinh" in toks and "dinh_danh" in toks and "muc_2" in toks


def test_mask_phone_and_identity_numbers():
    masked = mask_personal_numbers("SĐT 0912 345 678, CCCD 001203004567, CMND 123456789, +84 912345678")
    assert "0912" not in masked and "345" not in masked
    assert "001203004567" not in masked and "123456789" not in masked
    assert "********78" in masked and "**********67" in masked
    # Ordinary numbers stay.
    assert mask_personal_numbers("Nghị quyết 57 năm 2024, 80%") == "Nghị quyết 57 năm 2024, 80%"


def test_hash_user_id_is_stable_and_not_reversible():
    a = hash_user_id("zalo:123", "salt")
    assert a == hash_user_id("zalo:123", "salt")
    assert a != hash_user_id("zalo:124", "salt")
    assert "123" not in a and len(a) == 24


def test_strip_courtesy_keeps_only_the_question():
    from bot.text import strip_courtesy

    assert strip_courtesy("Dạ cho em hỏi nghị quyết 57 là gì vậy ạ?") == "nghị quyết 57 là gì?"
    assert strip_courtesy("nghi quyet 57 la gi vay a?") == "nghi quyet 57 la gi?"
    assert strip_courtesy("ad ơi, cho mình hỏi làm lại thẻ ở đâu vậy") == "làm lại thẻ ở đâu"
    assert strip_courtesy("cho toi hoi xiu, dvc la gi nhe ad, cam on") == "dvc la gi"
    # how to answer is not what is asked
    assert strip_courtesy("muc tieu chung cua xa ta la gi, noi ngan gon thoi a") == "muc tieu chung cua xa ta la gi"
    assert strip_courtesy("VNeID mức 2 là gì, giải thích dễ hiểu giúp em với") == "VNeID mức 2 là gì"
    assert strip_courtesy("ngắn gọn là gì") == "ngắn gọn là gì"
    assert strip_courtesy("VNeID mức 2 là gì, ad giải đáp giúp em với") == "VNeID mức 2 là gì"
    assert strip_courtesy("Bot ơi cho con hỏi cách cài VNeID với ạ") == "cách cài VNeID"
    assert strip_courtesy("cho mik hoi to cnscd co tu bao gio") == "to cnscd co tu bao gio"  # "mik": mình
    assert strip_courtesy("em muốn hỏi là VNeID mức 2 làm thế nào ạ") == "VNeID mức 2 làm thế nào"
    # "ad ơi", "a/c ơi" (anh/chị) on their own, and "a/c cho e hỏi"; a leading "ban", "anh chị em" are content
    assert strip_courtesy("a/c oi to giac lua dao goi so may") == "to giac lua dao goi so may"
    assert strip_courtesy("ad ơi nq57 là gì vậy") == "nq57 là gì"
    assert strip_courtesy("a/c cho e hoi vneid la gi") == "vneid la gi"
    assert strip_courtesy("ban chi dao la gi") == "ban chi dao la gi"
    assert strip_courtesy("chi cho nghien cuu theo nq57 la bao nhieu") == "chi cho nghien cuu theo nq57 la bao nhieu"
    assert strip_courtesy("anh chi em trong to cnscd la ai") == "anh chi em trong to cnscd la ai"
    # "vay" is also "borrow": it is a particle only after a question word
    assert strip_courtesy("toi muon vay") == "toi muon vay"
    assert strip_courtesy("cho em vay tien") == "cho em vay tien"
    assert strip_courtesy("chuyen tien cho ai vay") == "chuyen tien cho ai vay"
    # a question word one or two words back: "ai ký vậy", "mục nào bấm vậy"; never "cho vay", "muốn vay"
    assert strip_courtesy("nq57 do co quan nao ban hanh, ai ky vay ad") == "nq57 do co quan nao ban hanh, ai ky"
    assert strip_courtesy("vao muc nao bam vay a") == "vao muc nao bam"
    assert strip_courtesy("co ai cho vay") == "co ai cho vay"
    assert strip_courtesy("nq 66 ban hanh ngay nao vay mn") == "nq 66 ban hanh ngay nao"  # "mn": mọi người
    assert strip_courtesy("nen tang nao muon vay") == "nen tang nao muon vay"
    # typed with its tone, "vậy" is only the particle, wherever it ends the question
    assert strip_courtesy("mấy nhóm nhiệm vụ giải pháp vậy ạ?") == "mấy nhóm nhiệm vụ giải pháp?"
    assert strip_courtesy("ngân hàng nào cho vay") == "ngân hàng nào cho vay"
    # "thẻ" folds to "the", like the particle "thế": kept unless it follows a question word
    assert strip_courtesy("lam lai the") == "lam lai the"
    assert strip_courtesy("vneid la gi the") == "vneid la gi"
    # nothing left: unchanged, so the engine can ask again
    assert strip_courtesy("ạ") == "ạ"


def test_abbreviations_are_spelled_out():
    from bot.text import spelled_out

    assert spelled_out("Thực hiện Kế hoạch của UBND tỉnh; Đề nghị MTTQVN xã.") == (
        "ủy ban nhân dân mặt trận tổ quốc việt nam"
    )
    assert spelled_out("Nghị quyết 57-NQ/TW") == ""
