from pathlib import Path

import pytest

from bot.engine.knowledge import (
    IDENTITY_HEADING,
    KnowledgeFileError,
    admin_heading_level,
    chunk_document,
    identity_chunk,
    load_file,
    load_folder,
    parse_document,
)
from tests.conftest import write

GOOD = """---
title: Kế hoạch thử
kind: plan
topics: [PLAN, NQ57]
issuer: UBND xã Thử
issued: 2026-04
---
Phần mở đầu của kế hoạch.

## I. MỤC ĐÍCH, YÊU CẦU

### 1. Mục đích

- Nâng cao nhận thức của người dân.
- Tạo đồng thuận trong xã hội.

### 2. Yêu cầu

Tuyên truyền kịp thời, thiết thực.

## II. NỘI DUNG

| Nội dung | Đơn vị |
|---|---|
| Tuyên truyền trực quan | Phòng Văn hóa - Xã hội |
"""


def test_parse_valid_document():
    doc = parse_document(GOOD, "plans/thu.md")
    assert doc.title == "Kế hoạch thử"
    assert doc.meta["topics"] == ["PLAN", "NQ57"]
    assert doc.meta["issued"] == "2026-04"


@pytest.mark.parametrize(
    "text,line,words",
    [
        ("title: x\n", 1, "missing front matter"),
        ("---\ntitle: x\nkind: plan\n", 1, "not closed"),
        ("---\ntitle: x\nkind: plan\ntopics: [PLAN\n---\nbody\n", 4, "not valid YAML"),
        ("---\ntitle: x\n  kind: plan\ntopics: [PLAN]\n---\nbody\n", 3, "not valid YAML"),
        ("---\ntitle: x\nkind: pamphlet\ntopics: [PLAN]\n---\nbody\n", 3, "kind 'pamphlet'"),
        ("---\ntitle: x\nkind: plan\ntopics: [PLAN, WEATHER]\n---\nbody\n", 4, "unknown topic 'WEATHER'"),
        ("---\nkind: plan\ntopics: [PLAN]\n---\nbody\n", 1, "'title' is required"),
        ("---\ntitle: x\nkind: plan\ntopics: [PLAN]\nissued: tháng tư\n---\nbody\n", 5, "'issued' must be a date"),
        ("---\ntitle: x\nkind: faq\ntopics: [DVC]\n---\nbody\n", 3, "needs 'questions'"),
        ("---\ntitle: x\nkind: guide\ntopics: [DVC]\nflow: dvc\n---\nbody\n", 5, "also needs 'task'"),
        ("---\ntitle: x\nkind: plan\ntopics: [PLAN]\ncolour: red\n---\nbody\n", 5, "unknown field 'colour'"),
        ("---\ntitle: x\nkind: plan\ntopics: [PLAN]\n---\n\n", 6, "no text"),
        ("---\ntitle: x\nkind: guide\ntopics: [DVC]\nsources: Báo — https://x.vn\n---\nbody\n", 5, "'sources'"),
        (
            "---\ntitle: x\nkind: guide\ntopics: [DVC]\nissued: 2026\nsources:\n  - A — https://a.vn\n  - ''\n---\nb\n",
            6,
            "'sources'",
        ),
        ("---\ntitle: x\nkind: guide\ntopics: [DVC]\nsources: []\n---\nbody\n", 5, "'sources'"),
    ],
)
def test_front_matter_errors_name_file_and_line(text, line, words):
    with pytest.raises(KnowledgeFileError) as exc:
        parse_document(text, "plans/broken.md")
    err = exc.value.error
    assert err.path == "plans/broken.md"
    assert err.line == line, str(err)
    assert words in err.message
    assert str(err).startswith(f"plans/broken.md:{line}: ")


def test_chunks_keep_heading_paths_lists_and_tables():
    chunks = chunk_document(parse_document(GOOD, "plans/thu.md"))
    paths = [c.heading_path for c in chunks]
    assert paths == [
        [],
        ["I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích"],
        ["I. MỤC ĐÍCH, YÊU CẦU", "2. Yêu cầu"],
        ["II. NỘI DUNG"],
    ]
    assert chunks[1].text == "- Nâng cao nhận thức của người dân.\n- Tạo đồng thuận trong xã hội."
    assert chunks[3].text.startswith("| Nội dung | Đơn vị |\n|---|---|\n| Tuyên truyền")
    assert chunks[1].section == "I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích"
    assert "Kế hoạch thử — I. MỤC ĐÍCH, YÊU CẦU › 1. Mục đích" in chunks[1].passage()
    assert chunks[1].meta["issuer"] == "UBND xã Thử"


@pytest.mark.parametrize(
    "line,level",
    [
        ("I. MỤC ĐÍCH, YÊU CẦU", 2),
        ("IV. TỔ CHỨC THỰC HIỆN", 2),
        ("1. Mục đích", 3),
        ("2) Yêu cầu", 3),
        ("1.1. Nội dung tuyên truyền", 4),
        ("2.3 Hình thức", 4),
        ("a) Tuyên truyền trực quan", 5),
        ("- một gạch đầu dòng", None),
        ("Văn bản thường.", None),
        ("1. " + "rất dài " * 30, None),
    ],
)
def test_admin_numbering_levels(line, level):
    assert admin_heading_level(line) == level


def test_plain_text_document_is_chunked_by_administrative_numbering():
    text = (
        "---\ntitle: Kế hoạch dán\nkind: plan\ntopics: [PLAN]\n---\nMở đầu.\nI. MỤC ĐÍCH\n1. Mục đích\n"
        "- Ý một.\n2. Yêu cầu\nNội dung yêu cầu.\nII. NHIỆM VỤ\na) Tuyên truyền\nLàm tốt.\n"
    )
    chunks = chunk_document(parse_document(text, "plans/dan.md"))
    assert [c.heading_path for c in chunks] == [
        [],
        ["I. MỤC ĐÍCH", "1. Mục đích"],
        ["I. MỤC ĐÍCH", "2. Yêu cầu"],
        ["II. NHIỆM VỤ", "a) Tuyên truyền"],
    ]


def test_a_numbered_documents_identity_is_built_from_its_front_matter_and_signature():
    """ "Kế hoạch của xã mình số mấy, ký ngày nào, ai ký": the number and date stand in the front matter only and the
    signer in the signature block, so one section is built from both; none for a document without a number."""
    head = "---\ntitle: Kế hoạch thử\nkind: plan\ntopics: [PLAN]\nissuer: UBND xã Thử\n"
    body = "Mở đầu.\n## Người ký và nơi nhận\nNgười ký: KT. Chủ tịch — Phó Chủ tịch Nguyễn Văn A.\n"
    chunks = chunk_document(parse_document(head + f'number: "01/KH-UBND"\nissued: 2025-07-14\n---\n{body}', "p.md"))
    assert [c.heading_path for c in chunks] == [[], ["Người ký và nơi nhận"]]  # nothing added to what is indexed
    identity = identity_chunk(chunks)
    assert identity is not None and identity.heading_path == [IDENTITY_HEADING] and identity.path == "p.md"
    assert identity.text == (
        "Kế hoạch thử có số hiệu 01/KH-UBND, ban hành ngày 14/7/2025, của UBND xã Thử. "
        "Người ký: KT. Chủ tịch — Phó Chủ tịch Nguyễn Văn A."
    )
    undated = identity_chunk(chunk_document(parse_document(head + 'number: "5/KH"\n---\nNội dung.\n', "p.md")))
    assert undated is not None and undated.text == "Kế hoạch thử có số hiệu 5/KH, của UBND xã Thử."
    assert identity_chunk(chunk_document(parse_document(head + "---\nMở đầu.\n", "p.md"))) is None
    # no number, a date known to the month: said as such
    monthly = identity_chunk(chunk_document(parse_document(head + "issued: 2026-03\n---\nNội dung.\n", "p.md")))
    assert monthly is not None and monthly.text == "Kế hoạch thử, ban hành tháng 3/2026, của UBND xã Thử."


def test_long_sections_are_split_and_keep_their_path():
    items = "\n".join(f"- Ý số {i} " + "nội dung dài " * 10 for i in range(40))
    text = f"---\ntitle: Dài\nkind: explainer\ntopics: [NQ57]\n---\n## Phần dài\n{items}\n"
    chunks = chunk_document(parse_document(text, "explainers/dai.md"), max_words=100)
    assert len(chunks) > 5
    assert all(c.heading_path == ["Phần dài"] for c in chunks)
    assert all(len(c.text.split()) <= 100 for c in chunks)
    assert "".join(c.text for c in chunks).count("- Ý số") == 40


def test_guide_steps_are_numbered():
    text = (
        "---\ntitle: Hướng dẫn\nkind: guide\ntopics: [VNEID]\nflow: vneid\ntask: kich-hoat\n---\nGiới thiệu.\n"
        "## Bước 1. Tải ứng dụng\nTải từ CH Play.\n### Nếu bị vướng\n- Không tìm thấy: gõ VNeID.\n"
        "## Bước 2. Đăng nhập\nNhập số định danh.\n"
    )
    chunks = chunk_document(parse_document(text, "guides/g.md"))
    assert [c.meta.get("step") for c in chunks] == [None, 1, 2]
    # a step keeps its "Nếu bị vướng" sub-section in the same chunk
    assert chunks[1].heading_path == ["Bước 1. Tải ứng dụng"]
    assert chunks[1].text == "Tải từ CH Play.\nNếu bị vướng:\n- Không tìm thấy: gõ VNeID."
    assert chunks[1].meta["flow"] == "vneid"


def test_nfc_at_the_file_boundary(tmp_path: Path):
    import unicodedata

    write(tmp_path / "a.md", unicodedata.normalize("NFD", GOOD))
    chunks, errors = load_file(tmp_path / "a.md", tmp_path)
    assert not errors
    assert chunks[0].title == "Kế hoạch thử"
    assert all(unicodedata.is_normalized("NFC", c.text) for c in chunks)


def test_broken_file_is_reported_and_the_rest_loads(tmp_path: Path):
    write(tmp_path / "plans" / "good.md", GOOD)
    write(tmp_path / "plans" / "bad.md", "---\ntitle: x\nkind: plan\ntopics: [PLAN\n---\nbody\n")
    (tmp_path / "plans" / "latin1.md").write_bytes("---\ntitle: Kế\n".encode("cp1258", errors="replace") + b"\xff\xfe")
    write(tmp_path / "_drafts" / "skip.md", "not even front matter")
    write(tmp_path / "README.md", "not a knowledge file")
    chunks, errors = load_folder(tmp_path)
    assert {c.path for c in chunks} == {"plans/good.md"}
    assert sorted(e.path for e in errors) == ["plans/bad.md", "plans/latin1.md"]
    assert any("UTF-8" in e.message for e in errors)


def test_shipped_knowledge_is_valid():
    root = Path(__file__).resolve().parents[2] / "knowledge"
    chunks, errors = load_folder(root)
    assert not errors, [str(e) for e in errors]
    kinds = {c.kind for c in chunks}
    assert {"plan", "explainer", "guide"} <= kinds
    assert len({c.path for c in chunks if c.kind == "plan"}) == 5


def test_every_shipped_explainer_and_guide_names_its_sources():
    root = Path(__file__).resolve().parents[2] / "knowledge"
    checked = 0
    for path in sorted((root / "explainers").glob("*.md")) + sorted((root / "guides").glob("*.md")):
        doc = parse_document(path.read_text(encoding="utf-8"), path.name)
        sources = doc.meta.get("sources")
        assert sources and all(" — " in s for s in sources), f"{path.name}: 'sources' must list 'Title — URL'"
        checked += 1
    assert checked >= 20
