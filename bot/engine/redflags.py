"""Scam red flags in a resident's message: patterns, not a list of known questions.

A message shows a red flag when someone else demands something a scammer demands: an OTP, a password or card
numbers; a transfer, an account "verification", an app or a link, from a caller claiming to be the police, a bank,
the electricity company, a court…; money paid first to unlock a job, a prize, a parcel or a loan; money sent at
once for a relative "in hospital"; a fee to "get back" money already lost. Each flag needs the demand together
with the actor or channel that makes it one ("công an gọi bảo chuyển tiền"), so everyday questions that share a
word ("chuyển khoản bằng mã QR thế nào", "OTP là gì", "cách đổi mật khẩu VNeID", "nộp lệ phí trên dịch vụ công")
are not caught. Matching is on the folded text with teencode spelled out (bot/text.py), so diacritics, "ck",
"tk", "mk", "app" and "ko" do not matter. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text import expand_abbreviations, fold, nfc

# Teencode and shorthand seen in scam stories beyond bot.text.ABBREVIATIONS, on folded text (whole tokens).
_EXTRA = {
    "pass": "mat khau",
    "password": "mat khau",
    "pw": "mat khau",
    "cskh": "cham soc khach hang",
    "sms": "tin nhan",
    "nt": "nhan tin",
    "fb": "facebook",
    "ctv": "cong tac vien",
    "lk": "link",
    "ngta": "nguoi ta",
    "nta": "nguoi ta",
    "bv": "benh vien",
    "nv": "nhan vien",
    "cty": "cong ty",
    "thg": "thang",
    "bank": "chuyen khoan",
    "vid": "video",
    "xm": "xac minh",
    "tr": "trieu",
    "vks": "vien kiem sat",
    "e": "em",  # "chị gái e nhắn mượn tiền"
    "mik": "minh",
}
# "CA" is công an only next to a place or after "tự xưng", "giả danh", "bên" (elsewhere "ca" is "cả", "cá"…).
_CA = re.compile(r"\bca\b(?=\s+(?:phuong|xa|huyen|tinh|quan|thanh pho|tp)\b)|\b(xung|danh|ben|la) ca\b")


# Typed with their marks, "cái" (a thing) and "bật" (switch on) are not "cài" (install) and "bắt" (force): folding
# would make them so ("ngân hàng khuyên bật cái gì để app an toàn hơn").
_MARKED_APART = {"cái": "chiếc", "bật": "mở"}


def prepare(question: str) -> str:
    """The folded message with abbreviations and teencode spelled out, as the patterns read it."""
    question = re.sub(
        r"\b(?:cái|bật)\b", lambda m: _MARKED_APART[m.group().lower()], nfc(question), flags=re.IGNORECASE
    )
    text = fold(expand_abbreviations(question))
    text = re.sub(r"\b(\w+)\b", lambda m: _EXTRA.get(m.group(1), m.group(1)), text)
    return _CA.sub(lambda m: (m.group(1) + " " if m.group(1) else "") + "cong an", text)


def _any(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")\b"


# --- the pieces ------------------------------------------------------------------------------------------------
# Someone else (not the resident): a stranger, a pronoun for "them", or anyone claiming an official role.
_HO = r"ho(?!\s+(?:so|tro|khau|ten|gia dinh|kinh doanh|ngheo|chieu|dan|va ten|tich)\b)"  # họ, not hồ sơ / hỗ trợ
_NO = r"(?<!bi )(?<!tra )(?<!dang )(?<!khoan )no(?!\s+(?:tien|cuoc|xau|qua han|phi|dong|lai)\b)"  # nó, not nợ
OFFICIAL = _any(
    r"cong an",
    r"canh sat",
    r"police",
    r"an ninh",
    r"dieu tra vien",
    r"ngan hang",
    r"nhan vien ngan hang",
    r"dien luc",
    r"evn",
    r"nganh dien",
    r"toa an",
    r"toa (?:tinh|huyen|nhan dan)",
    r"vien kiem sat",
    r"buu dien",
    r"buu ta",
    r"nha mang",
    r"viettel",
    r"vinaphone",
    r"mobifone",
    r"tong dai",
    r"cuc thue",
    r"chi cuc thue",
    r"co quan thue",
    r"bao hiem xa hoi",
    r"hai quan",
    r"cham soc khach hang",
    r"giao hang",
    r"shipper",
    r"can bo",
    r"uy ban",
    r"bo cong an",
    r"c0[1-9]",  # police departments by their codes: "tự xưng C02", "cán bộ A05"
    r"a0[1-9]",
    r"cuc canh sat",
)
STRANGER = _any(
    r"nguoi la",
    r"so la",
    r"(?:tin nhan|cuoc goi|zalo|facebook|tai khoan|email) la",
    r"nguoi ta",
    r"ai do",
    r"co nguoi",
    r"mot nguoi",
    r"1 nguoi",
    r"nguoi nao do",
    _HO,
    _NO,
    r"han",
    r"ben kia",
    r"dau day",
    r"ke gian",
    r"doi tuong",
    r"tu xung",
    r"xung la",
    r"gia danh",
    r"mao danh",
    r"nhan vien",
    r"thang",
    r"con kia",
    r"ong kia",
    r"ba kia",
)
ACTOR = rf"(?:{OFFICIAL}|{STRANGER})"
CONTACT = _any(
    r"goi",
    r"goi dien",
    r"cuoc goi",
    r"qua dien thoai",
    r"nhan tin",
    r"tin nhan",
    r"zalo",
    r"facebook",
    r"messenger",
    r"telegram",
    r"viber",
    r"alo",
    r"video",
    r"email",
    r"gui link",
    r"tu xung",
    r"xung la",
    r"gia danh",
    r"mao danh",
)
# A verb by which someone asks or pushes the resident to do something ("đổi mật khẩu" is not "đòi", "nội dung" is not
# "nói").
_PUSH = (
    r"bao",
    r"bat",
    r"yeu cau",
    r"doi(?!\s+(?:mat khau|mat ma|ma pin|ma so|so the|the|sang|lai|ten|so dien thoai)\b)",
    r"keu",
    r"ep",
    r"de nghi",
    r"noi(?!\s+(?:dung|bo|tru|that|thanh|o|vu)\b)",
    r"doa",
    r"giuc",
    r"xui",
)
PUSH = _any(*_PUSH)
REQUEST = _any(*_PUSH, r"huong dan", r"nho", r"xin", r"hoi", r"can")
SEND = _any(*_PUSH, r"huong dan", r"gui", r"nhan", r"moi", r"dua")
# Words between a request and what is asked ("bảo em phải chuyển"), never a question word ("yêu cầu gì khi").
_GAP = r"(?: (?!(?:gi|nao|sao|the|khi|co|khong)\b)\w+){0,4} "
# What follows a transfer in a report, not in a demand ("báo chuyển khoản thành công").
_DONE = r"(?!(?: \w+){0,2} (?:thanh cong|that bai|xong|roi|bi loi|loi|bi tru)\b)"
SECRET = (
    r"(?<!doi )(?<!dat )(?<!tao )(?<!quen )(?<!nhap )(?<!sai )(?<!cai )(?<!lai )"
    r"\b(?:otp|smart otp|ma xac (?:thuc|nhan|minh)|ma (?:kich hoat|bao mat|pin|cvv|cvc|giao dich|dang nhap)"
    r"|mat khau|mat ma|so the|thong tin the|(?:3|ba) so (?:mat )?sau|ma so bi mat"
    r"|ma(?: so)?(?: \w+){0,3} (?:gui|ve|nhan duoc)(?: \w+){0,2} (?:dien thoai|may|tin nhan)"
    r"|(?:\d|sau|6) (?:chu )?so (?:vua )?(?:gui|nhan|ve)|(?:day|chuoi|ma) so vua (?:gui|nhan|ve)"
    r"|(?:video|clip|anh) (?:quay )?(?:khuon )?mat|quay (?:video |clip )?(?:khuon )?mat|sinh trac hoc"
    r"|anh (?:chup )?(?:\w+ ){0,2}(?:can cuoc|chung minh nhan dan|cmnd|the can cuoc))\b"
)
# The resident, as the one told to do something: "bảo em …", "bắt mẹ tôi …".
_RESIDENT = r"(?:em|toi|minh|chau|con|me|bo|ba|ong|anh|chi|co|chu|bac|di|cau)(?: (?:toi|em|minh))?"
GIVE = _any(r"doc", r"dua", r"cung cap", r"cho biet", r"chup", r"chia se", r"khai", r"dien", r"go", r"gui", r"bao")
MONEY_OUT = _any(
    r"chuyen tien",
    r"chuyen khoan",
    r"chuyen \d+\w*",
    r"chuyen (?:het |toan bo |them |mot so )?(?:tien|so tien)",
    r"chuyen (?:\w+ )?(?:trieu|tram|nghin|ngan|k|ty)",
    r"chuyen (?:vao|qua|sang|truoc|ngay|gap)",
    r"gui tien",
    r"nop tien",
    r"nap tien",
    r"nap \d+\w*",
    r"nap (?:them|vao|truoc)",
    r"(?:dong|nop|gui|tra) \d+(?:[.,]\d+)? ?(?:trieu|tram|nghin|ngan|k|ty|tr)",  # "đóng 8 triệu phí", "nộp 300k"
    r"dong tien",
    r"dat coc",
    r"tien coc",
    r"coc (?:truoc|\d+\w*)",
    r"bo tien",
    r"bo von",
    r"ung tien",
)
# What an impostor makes the resident do.
DEMAND = (
    rf"(?:{MONEY_OUT}|"
    + _any(
        r"tai khoan (?:an toan|tam giu|chuyen dung|cua (?:co quan|toa|cong an))",
        r"xac minh",
        r"xac thuc",
        r"dong bo",
        r"cap nhat",
        r"kich hoat lai",
        r"cai(?: dat)?",
        r"tai (?:ve|ung dung|file|tep)",
        r"ung dung",
        r"link",
        r"duong link",
        r"duong dan",
        r"bam vao",
        r"quet ma",
        r"quet (?:khuon )?mat",
        r"cung cap",
        r"phong toa",
        r"khoa tai khoan",
        r"nop phat",
        r"tien phat",
        r"giay trieu tap",
        r"lenh bat",
        r"cat dien",
        r"no tien dien",
        r"no cuoc",
        r"no thue",  # "xưng cán bộ thuế gọi, bảo nợ thuế đất phải nộp ngay"
        r"nop phi",
        r"dong phi",
        r"goi lai (?:so|cho so|vao so|den so|theo so) \+?\d+",  # "bảo em gọi lại số 069… để trình báo"
    )
    + ")"
)
# What an impostor threatens the resident with.
STAKES = _any(r"vu an", r"ma tuy", r"rua tien", r"duong day", r"dieu tra", r"tam giu", r"phong toa", r"truy na")
INSTALL = _any(
    r"link",
    r"duong link",
    r"duong dan",
    r"cai(?: dat)?(?: (?!gi\b|nao\b|de\b)\w+){0,3} (?:ung dung|app|phan mem)",  # not "cái gì để ứng dụng…"
    r"cai dat",
    r"tai (?:ung dung|file|tep|phan mem|ve)",
    r"ung dung la",
    r"quet ma(?: qr)?",
    r"apk",
)
TASK = _any(
    r"lam nhiem vu",
    r"nhiem vu (?:like|xem|danh gia|truc tuyen|mua hang|chot don|tha tim)",
    r"chot don",
    r"like (?:video|bai|trang|fanpage)",
    r"tha tim",
    r"follow",
    r"xem video",
    r"danh gia (?:san pham|5 sao|nam sao)",
    r"don (?:hang )?ao",
    r"cong tac vien",
    r"san thuong mai",
    r"tuyen (?:cong tac vien|nguoi lam (?:tai nha|truc tuyen))",
    r"viec (?:lam )?(?:tai nha|truc tuyen|qua mang|lam them)",
    r"kiem tien (?:truc tuyen|tai nha|qua mang|de)",
    r"lam them (?:truc tuyen|tai nha|qua mang)",
    r"hoa hong",
    r"lam viec tai nha",
)
# Returns promised on money put in: "lãi 30% một tháng", "lợi nhuận cao", "cam kết lãi".
RETURNS = _any(
    r"lai (?:suat )?\d+ ?(?:%|phan tram)(?: \w+){0,2} (?:mot |1 |moi )?(?:thang|tuan|ngay)",
    r"loi nhuan (?:cao|khung|\d+)",
    r"cam ket (?:lai|loi nhuan|hoan von)",
    r"x2 tai khoan|nhan doi so tien|gap doi so tien",
)
# Something the resident is told they will get once they pay (strong: any payment; weak: a fee or paying first).
PRIZE = _any(
    r"trung thuong",
    r"trung giai",
    r"giai thuong",
    r"nhan thuong",
    r"qua tang",
    r"qua tri an",
    r"tang qua",
    r"phan thuong",
    r"buu kien",
    r"buu pham",
    r"kien hang",
    r"goi hang",
    r"don hang",
    r"nhan hang",
    r"hang (?:quoc te|tu nuoc ngoai)",
    r"trung (?:xe|dien thoai|iphone|tien|sh)",
    r"hua (?:\w+ ){0,2}gui qua",  # "ông ấy hứa gửi quà": a parcel held until a fee is paid ("gửi qua Zalo" is not)
    r"qua tu nuoc ngoai",
)
LOAN = _any(
    r"khoan vay",
    r"vay (?:tien|von|nong|truc tuyen|nhanh|qua ung dung|tieu dung|tin chap)",
    r"giai ngan",
    r"ho so vay",
    r"duyet vay",
)
PRIZE_WEAK = _any(r"hoan tien", r"tien hoan", r"tro cap", r"tien ho tro", r"boi thuong", r"nhan tien", r"rut tien")
FEE = _any(
    r"nop phi",
    r"dong phi",
    r"tra phi",
    r"chuyen phi",
    r"mat phi",
    r"phi (?:giai ngan|mo khoa|van chuyen|ship|ho so|bao hiem|thu tuc|nhan|kich hoat|hai quan|thue|xac minh|rut"
    r"|dich vu|bao lanh|dang ky|tham gia)",
    r"tien thue",
    r"thue (?:thu nhap|hai quan)",
    r"dat coc",
    r"tien coc",
    r"coc",
    r"(?:nop|dong|chuyen|gui|nap|tra) (?:\w+ ){0,3}truoc",
    r"phi (?:\w+ )?nhan hang",
    r"truoc (?:moi|thi moi)",
)
# What follows a fee asked about, not demanded: "mất phí bao nhiêu", "có mất phí hồ sơ không" (a sum named is demanded)
_NOT_ASKED = r"(?!(?: [^\W\d]+){0,2} (?:bao nhieu|bn|khong|ko|k|gi|the nao|la bao nhieu)\b)"
INCIDENT = _any(
    r"cap cuu",
    r"tai nan",
    r"nhap vien",
    r"benh vien",
    r"phong mo",
    r"mo gap",
    r"phau thuat",
    r"bi bat",
    r"tam giam",
    r"bi giu",
    r"gap chuyen",
    r"gap nan",
    r"nguy kich",
    r"can mo",
    r"vien phi",
)
URGENT_MONEY = _any(
    r"chuyen tien",
    r"chuyen khoan",
    r"gui tien",
    r"nop tien",
    r"dong tien",
    r"vay tien",
    r"muon tien",
    r"can tien",
    r"chuyen gap",
    r"chuyen ngay",
    r"\d+ ?(?:trieu|k)",
)
RELATIVE_CONTACT = rf"(?:{CONTACT}|{STRANGER})"
# A relative or friend named as such ("con tôi", "bạn tôi", "người nhà"), or someone speaking for one.
KIN = (
    r"\b(?:(?:con|chau|chong|vo|bo|me|anh|chi|em|ban|cha|ong|ba)(?: trai| gai| ruot)? (?:cua )?"
    r"(?:toi|minh|em|nha|ho|tao)"
    r"|nguoi than|nguoi nha|nguoi quen|ban be|ban than|bac si|y ta|giao vien|thay giao|co giao|nha truong"
    r"|tu xung)\b"
)
BORROW = _any(r"muon tien", r"vay tien", r"vay gap", r"chuyen (?:tien )?gap", r"can tien gap", r"can gap tien")
RECOVER = _any(
    r"(?:lay|doi|thu|hoan) (?:lai|ve|hoi)(?: \w+){0,2} (?:tien|so tien|tai khoan)",
    r"thu hoi (?:tien|so tien)",
    r"khoi phuc tai khoan",
)
SERVICE = _any(
    r"dich vu",
    r"nhan (?:lay|thu|ho tro)",
    r"cam ket",
    r"chuyen nghiep",
    r"ho tro (?:lay|thu)",
    r"phi",
    r"nop",
    r"chuyen (?:tien|khoan)",
    r"dat coc",
    r"coc",
    r"fanpage",
    r"page",
    r"quang cao",
    r"luat su",
    r"hua",
    r"hacker",
    r"co nguoi",
    r"nguoi ta",
    r"ai do",
)
# A web address that dresses as a state portal but does not end in .gov.vn: "dichvucongquocgia.vn",
# "dichvucong.gov.vn.xyz", "vneid-capnhat.com", "dichvucong.gov.vn-capnhat.com" (".gov.vn" with more address after it).
# Read on the folded text, before teencode is spelled out.
LOOKALIKE = re.compile(
    r"\b(?![\w-]*\.gov\.vn\b(?![.\w-]))[\w-]*(?:dichvucong|dvc|vneid|bocongan|congan|chinhphu|baohiemxahoi|evn)"
    r"[\w.-]*\.(?:vn|com|net|org|info|xyz|top|online|site|cc|me)\b(?![\w-])"
)
LOST = _any(r"bi lua", r"lua dao", r"da mat", r"mat tien", r"bi chiem", r"bi hack", r"bi lay", r"da chuyen")


@dataclass(frozen=True)
class RedFlag:
    kind: str  # one of KINDS
    match: str  # the folded text that matched (for logs and tests)


# Each kind, with what the resident must not do (the "đừng …" of the warning), most pressing first.
KINDS: dict[str, str] = {
    "secret": "gửi hay đọc mã OTP, mật khẩu, số thẻ, ảnh hay video khuôn mặt cho bất kỳ ai",
    "relative": "chuyển tiền khi chưa tự gọi lại cho người thân bằng số quen",
    "recovery": "trả phí hay chuyển tiền cho người hứa lấy lại tiền, lấy lại tài khoản",
    "fee": "nộp phí, đặt cọc hay chuyển tiền trước để nhận thưởng, nhận hàng hay được vay",
    "task": "nạp hay chuyển tiền để nhận việc, làm nhiệm vụ",
    "impostor": "chuyển tiền, đừng bấm đường link hay cài ứng dụng theo yêu cầu của người gọi",
    "install": "bấm vào đường link lạ hay cài ứng dụng (tệp APK) do người khác gửi",
    "qr": "bấm xác nhận chuyển tiền khi tên người nhận hiện ra không đúng tên cửa hàng, người bán",
    "returns": "nạp tiền, chuyển tiền hay tham gia nơi hứa lãi cao, lợi nhuận cao",
    "site": "đăng nhập hay nhập thông tin vào trang web không có đuôi .gov.vn",
}
COVERS = {"impostor": "install"}  # the first one's "đừng" says the second's already
MAX_DONTS = 2  # the warning names the two most pressing

RULES: list[tuple[str, list[str]]] = [
    # (kind, patterns: any one matching is the flag)
    (
        "secret",
        [
            rf"{ACTOR}.{{0,60}}{REQUEST}.{{0,40}}{SECRET}",  # "họ bảo em đọc mã OTP", "ngân hàng hỏi mật khẩu"
            rf"{GIVE}(?: \w+){{0,4}} {SECRET}.{{0,40}}\b(?:cho|giup|{_HO})\b",  # "đọc mã OTP cho họ"
            rf"\b(?:cho|dua|gui)\b (?:nguoi khac|nguoi la|{_HO}|{_NO}|ai)\b.{{0,20}}{SECRET}",  # "cho người khác mã"
            rf"{SECRET}.{{0,30}}\b(?:cho|giup)\b (?:\w+ )?{ACTOR}",  # "mã OTP cho nhân viên ngân hàng"
            rf"{PUSH} {_RESIDENT}(?: \w+){{0,2}} {GIVE}(?: \w+){{0,3}} {SECRET}",  # "bảo em gửi ảnh căn cước"
            # "có người gọi tự xưng ngân hàng, bảo thẻ sắp bị khóa, muốn nâng hạn mức thì đọc mã vừa gửi về điện thoại"
            rf"\A(?=.*{CONTACT}).*{ACTOR}.{{0,120}}\b(?:thi|phai|can|de|roi)\s+{GIVE}(?: \w+){{0,2}} {SECRET}",
        ],
    ),
    (
        "impostor",
        [
            # "công an gọi bắt cài ứng dụng"
            rf"\A(?=.*{CONTACT})(?=.*{OFFICIAL}).*(?:{PUSH}|\bhuong dan\b){_GAP}{DEMAND}{_DONE}",
            rf"\A(?=.*{OFFICIAL}).*{PUSH}{_GAP}{MONEY_OUT}{_DONE}",  # "công an bảo tôi chuyển tiền"
            rf"\A(?=.*{OFFICIAL})(?=.*{STAKES}).*{MONEY_OUT}",  # "công an… vụ án ma túy… chuyển hết tiền"
            rf"\A(?=.*{CONTACT})(?=.*{OFFICIAL}).*\b(?:bat|yeu cau|ep|doa|giuc|de nghi)\b.{{0,80}}{DEMAND}",
            r"\btai khoan (?:an toan|tam giu|chuyen dung)\b",
            # "xưng công an huyện gọi, bảo mức 2 của mẹ bị sai phải làm lại qua điện thoại": never done by phone
            rf"\A(?=.*{OFFICIAL}).*\b(?:muc 2|muc hai|dinh danh|vneid|can cuoc)\b.{{0,60}}"
            r"\b(?:lam lai|cap nhat|kich hoat|dang ky|xac minh|sua)\b.{0,30}\bqua (?:dien thoai|zalo|mang|link)\b",
            r"\bchuyen (?:tien|khoan)\b.{0,30}\b(?:de )?(?:dieu tra|chung minh tai san|chung minh thu nhap)\b",
            # "người ta bảo đóng phí 22 nghìn để cập nhật định danh mức 2 qua link": the police do that in person
            rf"\A(?=.*{ACTOR}).*\b(?:dong|nop|tra|chuyen) (?:\w+ )?phi\b.{{0,60}}"
            r"\b(?:muc 2|muc hai|dinh danh|vneid|can cuoc)\b",
            r"\b(?:giay trieu tap|lenh bat)\b.{0,40}\b(?:qua|tren|zalo|link|tin nhan|facebook|email)\b",
        ],
    ),
    (
        "install",
        [
            r"\bapk\b",
            rf"{ACTOR}.{{0,60}}{SEND}.{{0,50}}{INSTALL}",  # "họ gửi link bảo cài ứng dụng"
            rf"{INSTALL}.{{0,30}}\b(?:ho|nguoi ta|nguoi la|no|ben kia|so la|ke gian) (?:gui|dua|nhan|bao)\b",
            r"\b(?:link|duong link|duong dan) la\b(?!\s+(?:gi|sao|cua|trang|dia chi|o dau|the nao|nhu the nao))",
            r"\bung dung la\b(?!\s+(?:gi|sao|cua|ung dung))",
            r"\b(?:bam|an|click|nhan|mo|vao|truy cap) (?:vao )?(?:link|duong link|duong dan)\b.{0,50}"
            r"\b(?:tin nhan|zalo|facebook|messenger|nguoi ta|ho|no|so la|nguoi la)\b",
            # "tin nhắn báo tài khoản bị khóa, bấm vào link để xác minh lại": a message sends one to a link to act
            rf"\A(?=.*{CONTACT}).*\b(?:bam|an|click|nhan|mo|vao|truy cap) (?:vao )?(?:link|duong link|duong dan)\b"
            r"(?: \w+){0,2} (?:de )?(?:xac minh|xac thuc|cap nhat|mo khoa|nhan (?:thuong|tien|qua))\b",
        ],
    ),
    (
        "qr",
        [
            # a scanned code whose receiver is not the shop: "quét mã QR dán trên bàn, tên người nhận lại là tên lạ"
            r"\A(?=.*\b(?:quet|ma qr|qr)\b).*\bten (?:nguoi nhan|tai khoan|chu tai khoan|nguoi huong)\b.{0,60}"
            r"\b(?:khac|sai|khong dung|khong phai|khong giong|nguoi la|ca nhan la|la ten (?:\w+ ){0,3}la)\b",
            r"\A(?=.*\b(?:quet|ma qr|qr)\b).*\bhien (?:ra )?ten (?:nguoi la|ca nhan|la)\b",
        ],
    ),
    (
        "returns",
        [rf"\A(?=.*{RETURNS}).*\b(?:co nen|nen|tham gia|nap|dau tu|chuyen|bo tien|choi)\b"],
    ),
    (
        "task",
        [
            r"\bviec nhe,? (?:ma )?luong cao\b",
            rf"\A(?=.*{TASK}).*{MONEY_OUT}",
        ],
    ),
    (
        "fee",
        [
            rf"\A(?=.*{PRIZE}).*(?:{MONEY_OUT}|{FEE}|\bphi\b)",
            # a fee demanded, not a fee asked about ("rút tiền từ ví về ngân hàng mất phí bao nhiêu")
            rf"\A(?=.*(?:{LOAN}|{PRIZE_WEAK})).*(?:{FEE}|\bphi\b){_NOT_ASKED}",
            rf"\A(?=.*{PRIZE})(?=.*{CONTACT}).*\btrung\b",  # "tin nhắn báo trúng thưởng"
            # a deposit to a person's own account to hold a booking or an order seen online ("trang bán combo du lịch
            # bắt cọc trước 50% vào stk cá nhân")
            r"\A(?=.*\b(?:facebook|zalo|trang|page|fanpage|tren mang|online|livestream)\b).*"
            r"\b(?:coc|chuyen)\b.{0,40}\btai khoan ca nhan\b",
        ],
    ),
    (
        "relative",
        [
            rf"\A(?=.*{INCIDENT})(?=.*{URGENT_MONEY})(?=.*{RELATIVE_CONTACT}).*{KIN}",
            rf"\A(?=.*(?:{CONTACT}|\bgia\b|\bgiong\b)).*{KIN}.{{0,80}}{BORROW}",
        ],
    ),
    (
        "recovery",
        [
            r"\b(?:thue|nho|dich vu|ben|nhom|tim) (?:\w+ )?hack\b",
            r"\bhack lai\b",
            r"\bhacker\b",
            rf"\A(?=.*{RECOVER})(?=.*{SERVICE}).*{LOST}",
        ],
    ),
]
_COMPILED = [(kind, [re.compile(p) for p in patterns]) for kind, patterns in RULES]


def red_flags(question: str) -> list[RedFlag]:
    """The scam red flags the message shows, one per kind, most pressing first (empty for everyday questions)."""
    text = prepare(question)
    found = {}
    site = LOOKALIKE.search(fold(question))
    if site:
        found["site"] = RedFlag("site", site.group(0))
    for kind, patterns in _COMPILED:
        for p in patterns:
            m = p.search(text)
            if m:
                found[kind] = RedFlag(kind, m.group(0))
                break
    return [found[k] for k in KINDS if k in found]


def warning(flags: list[RedFlag]) -> str:
    """The one fixed sentence of a scam alert: it is a scam, and what not to do."""
    kinds = {f.kind for f in flags}
    donts = [KINDS[k] for k in KINDS if k in kinds and not any(COVERS.get(o) == k for o in kinds)][:MAX_DONTS]
    return "Dạ, đây là dấu hiệu lừa đảo. Anh/chị đừng " + "; đừng ".join(donts) + "."
