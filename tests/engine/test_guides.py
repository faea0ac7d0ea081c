"""bot.engine.guides: how the guided flows read guide files (steps, stuck help, methods, triage, live reload)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.engine.guides import GuideLibrary, parse_guide
from bot.engine.knowledge import KnowledgeFileError

GUIDE = """---
title: "Trả tiền thử"
kind: guide
topics: [THANHTOAN]
issuer: "Trợ lý số xã (tổng hợp)"
reviewed: 2026-11-22
flow: [thanhtoan, dvc]
task: tien-thu
button: "Trả tiền thử"
triage:
  - question: "Anh/chị đã chuyển tiền chưa?"
    if_yes: [2]
---
Lời dẫn của hướng dẫn.

## Cách trả: App ngân hàng

Mở app ngân hàng.

## Cách trả: Ví điện tử

Mở ví.

## Bước 1. Mở ứng dụng

Anh/chị mở ứng dụng.

### Nếu bị vướng

- Không thấy ứng dụng: cài từ CH Play.
- Quên mật khẩu: bấm “Quên mật khẩu”.

## Bước 2. Xác nhận

Nhập OTP vào ứng dụng của mình.

## Lưu ý an toàn

- Không đưa OTP cho ai.
"""


def test_parse_guide_reads_steps_stuck_methods_safety_triage():
    g = parse_guide(GUIDE, "guides/thu.md")
    assert g.flows == ("thanhtoan", "dvc") and g.task == "tien-thu"
    assert g.intro == "Lời dẫn của hướng dẫn."
    assert [(s.number, s.title) for s in g.steps] == [(1, "Mở ứng dụng"), (2, "Xác nhận")]
    assert g.step(1).text == "Anh/chị mở ứng dụng."
    assert g.step(1).stuck == ("Không thấy ứng dụng: cài từ CH Play.", "Quên mật khẩu: bấm “Quên mật khẩu”.")
    assert g.step(2).stuck == ()
    assert [m[:2] for m in g.methods] == [("app-ngan-hang", "App ngân hàng"), ("vi-dien-tu", "Ví điện tử")]
    assert g.safety == ("Không đưa OTP cho ai.",)
    assert g.triage[0].question == "Anh/chị đã chuyển tiền chưa?" and g.triage[0].if_yes == (2,)
    assert g.source_line == "Nguồn: Trả tiền thử · Trợ lý số xã (tổng hợp), rà soát 22/11/2026"


def test_a_file_without_flow_is_not_a_flow_guide():
    assert parse_guide(GUIDE.replace("flow: [thanhtoan, dvc]\n", ""), "guides/thu.md") is None


@pytest.mark.parametrize(
    "change,message",
    [
        (("## Bước 2. Xác nhận", "## Bước 3. Xác nhận"), "numbered 1, 2, 3"),
        (("if_yes: [2]", "if_yes: [9]"), "step 9 does not exist"),
        (("if_yes: [2]", "if_yes: hai"), "'triage' must be a list"),
        (("flow: [thanhtoan, dvc]", "flow: [thanhtoan, chat]"), "flow 'chat' is not one of"),
    ],
)
def test_broken_guides_are_reported(change, message):
    with pytest.raises(KnowledgeFileError, match=message):
        parse_guide(GUIDE.replace(*change), "guides/thu.md")


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_library_rereads_changed_files_and_keeps_last_good_version(tmp_path):
    path = tmp_path / "guides" / "thu.md"
    path.parent.mkdir()
    path.write_text(GUIDE, encoding="utf-8")
    lib = GuideLibrary(tmp_path)
    assert [g.task for g in lib.guides("dvc")] == ["tien-thu"]
    path.write_text(GUIDE.replace("Anh/chị mở ứng dụng.", "Anh/chị mở ứng dụng mới."), encoding="utf-8")
    _touch_later(path)
    assert lib.get("guides/thu.md").step(1).text == "Anh/chị mở ứng dụng mới."
    path.write_text(GUIDE.replace("## Bước 1.", "## Bước 5."), encoding="utf-8")  # content staff slip
    _touch_later(path)
    assert lib.get("guides/thu.md").step(1).text == "Anh/chị mở ứng dụng mới.", "last good version serves"
    assert len(lib.errors()) == 1 and lib.errors()[0].path == "guides/thu.md"
    path.unlink()
    assert lib.guides() == []


def test_find_by_slug_number_and_typed_words(tmp_path):
    (tmp_path / "guides").mkdir()
    for task, button in (("khai-sinh", "Khai sinh cho con"), ("thuong-tru", "Đăng ký thường trú")):
        (tmp_path / "guides" / f"{task}.md").write_text(
            GUIDE.replace("task: tien-thu", f"task: {task}").replace('button: "Trả tiền thử"', f'button: "{button}"'),
            encoding="utf-8",
        )
    lib = GuideLibrary(tmp_path)
    assert lib.find("dvc", "thuong-tru").task == "thuong-tru"
    assert lib.find("dvc", "1").task == "khai-sinh" and lib.find("dvc", "3") is None
    assert lib.find("dvc", "lam khai sinh cho con").task == "khai-sinh"
    assert lib.find("dvc", "đăng ký thường trú thế nào").task == "thuong-tru"
    assert lib.find("dvc", "khai sinh là gì?") is None, "a question is not a pick"
    assert lib.find("dvc", "thời tiết hôm nay") is None


def test_by_task_and_a_message_that_names_a_guide(tmp_path):
    (tmp_path / "guides").mkdir()
    for task, button, flow in (
        ("tien-dien", "Trả tiền điện", "thanhtoan"),
        ("tien-nuoc", "Trả tiền nước", "thanhtoan"),
        ("nop-le-phi", "Nộp phí, lệ phí", "[dvc, thanhtoan]"),
    ):
        (tmp_path / "guides" / f"{task}.md").write_text(
            GUIDE.replace("task: tien-thu", f"task: {task}")
            .replace('button: "Trả tiền thử"', f'button: "{button}"')
            .replace("flow: [thanhtoan, dvc]", f"flow: {flow}"),
            encoding="utf-8",
        )
    lib = GuideLibrary(tmp_path)
    assert lib.by_task("nop-le-phi", prefer_flow="dvc").task == "nop-le-phi" and lib.by_task("khong-co") is None
    assert lib.named_in("thanhtoan", "tôi muốn trả tiền điện").task == "tien-dien"
    assert lib.named_in("thanhtoan", "tôi muốn trả tiền") is None, "words every option has name none"
