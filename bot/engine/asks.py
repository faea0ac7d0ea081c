"""Two asks in one message: "VietQR là gì, quét xong phải kiểm tra gì?" is two questions. Each is answered on its
own (and the part the knowledge does not hold is named), instead of half an answer or a refusal."""

from __future__ import annotations

import re

from bot.engine.answer_type import without_told_some
from bot.text import fold

# A clause asks something when it holds a question word (folded, whole words).
_ASKS = re.compile(
    r"\b(?:khong|ko|k|gi|j|nao|sao|dau|bao nhieu|bn|may|ai|chua|the nao|ntn|bao gio|khi nao|bao lau|duoc khong|"
    r"dc khong|dc ko|la gi|o dau|nhu the nao|lam sao|co phai)\b"
)
# Where one ask ends and the next begins: a question mark or semicolon; a comma; "còn" ("…, còn X thì sao").
_SPLIT = re.compile(r"\s*[?;]\s*|\s*,\s*(?:con |va |voi lai |the (?!gioi\b))?|\s+(?:con|va lai|voi lai)\s+")
# A clause that draws its ask from the one before ("…, vậy …", "…, thế thì …", "…, nên …"). Folded.
_CONSEQUENCE = re.compile(r"(?:vay|vay thi|the thi|thi|nen|cho nen)\b")
# A resident's aside that asks nothing new: "em cũng chẳng biết trả lời sao", "mẹ không biết làm thế nào". Folded.
_ASIDE = re.compile(
    r"^(?:(?:em|toi|minh|con|chau|ba|me|bo|ong|nha|ca nha) )?(?:cung |thi |that su |con )?"
    r"(?:khong|chang|cha|ko|k|hok|hong) (?:biet|ro|hieu)(?: (?:phai |nen )?(?:tra loi|lam|noi|giai thich|xu ly|tinh))?"
    r"(?: (?:sao|the nao|ra sao|gi|ntn|j))?(?: (?:ca|luon|nua|het))?$"
)
MAX_PARTS = 3
MIN_WORDS = 2


def split_asks(question: str) -> list[str]:
    """The separate asks of a question, as typed (one item when it asks one thing). A piece that asks nothing
    ("Mẹ em 70 tuổi,") stays with the ask that follows it."""
    text = " ".join(question.split())
    folded = fold(text)
    if len(folded) != len(text):
        return [text]
    pieces: list[tuple[int, int, bool]] = []  # start, end, whether a question mark ends the piece
    start = 0
    for m in _SPLIT.finditer(folded):
        if m.group().strip() == "con" and text[m.start() : m.end()].strip().lower() == "con":
            continue  # "con" typed without its tone may be "con" (child): only a typed "còn" joins two asks
        if m.start() > start:
            pieces.append((start, m.start(), "?" in m.group()))
        start = m.end()
    if start < len(text):
        pieces.append((start, len(text), False))
    asks: list[str] = []
    pending = ""
    for a, b, closes in pieces:
        piece = text[a:b].strip(" ,.!")
        if not piece:
            continue
        if _ASIDE.match(fold(piece)):
            continue  # "em cũng chẳng biết trả lời sao": nothing to answer
        if asks and not pending and _CONSEQUENCE.match(fold(piece)):
            # "Mẹ em không xài điện thoại thông minh, vậy đóng tiền điện kiểu gì?": what came before is the situation
            pending = asks.pop()
        if _ASKS.search(without_told_some(fold(piece))) and len(piece.split()) >= MIN_WORDS:
            asks.append(f"{pending} {piece}".strip())
            pending = ""
        elif closes and asks and not pending:
            # "NQ 57 bảo ai là trung tâm, là chủ thể vậy? …": a piece the question mark closes ends the ask before it
            asks[-1] = f"{asks[-1]} {piece}"
        else:
            pending = f"{pending} {piece}".strip()
    if pending and asks:
        asks[-1] = f"{asks[-1]} {pending}"
    if len(asks) < 2 or len(asks) > MAX_PARTS:
        return [text]
    return asks
