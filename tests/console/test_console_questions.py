"""The team's question work and the knowledge page through the real gateway process: grouped unanswered
questions answered into FAQ files (and sent to the residents who asked), out of scope, feedback, the knowledge
folder with its errors, uploads that cannot escape knowledge/, roles and CSRF on every form."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import requests

from bot.store import Store
from bot.team.groups import Features, QuestionGroups
from connectors.web_sessions import WebSessions
from tests.connectors.test_gateway import GatewayProcess, free_port
from tests.web import csrf_of, login

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "Dạ, Wi-Fi cho người dân ở trụ sở UBND xã tên UBND-KHACH, mật khẩu dán ở bàn một cửa."


def vec(i: int) -> np.ndarray:
    v = np.zeros(384, "float32")
    v[i] = 1
    return v


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("console-q")
    knowledge = data / "knowledge"
    shutil.copytree(ROOT / "knowledge" / "guides", knowledge / "guides")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
    env.update(
        {
            "TROLYSO_DATA_DIR": str(data),
            "TROLYSO_KNOWLEDGE_DIR": str(knowledge),
            "TROLYSO_GATEWAY_PORT": str(free_port()),
            "TROLYSO_RASA_URL": f"http://127.0.0.1:{free_port()}",
        }
    )
    for name, role in (("lan.team", "team"), ("minh.editor", "editor")):
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "user", "add", name, "--role", role, "--password-stdin"],
            input=f"mat-khau-{name}\n",
            text=True,
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    groups = QuestionGroups(store)
    wifi = Features(vec(0), {"wifi": 1.0})
    for text, who in (
        ("Mật khẩu wifi ở UBND xã là gì?", "web:ba-lan"),
        ("wifi ubnd pass la gi", "web:chu-tu"),
        ("wifi xa sdt 0912345678 goi ai", "zalo-oa:998877"),
    ):
        qid = store.record_question(
            text, channel=who.split(":")[0], user_id=who, answered=False, reason="no_match", score=0.0
        )
        groups.assign(qid, wifi, conversation_id=who)
    qid = store.record_question(
        "Giá lúa hôm nay bao nhiêu?",
        channel="telegram",
        user_id="telegram:5",
        answered=False,
        reason="out_of_scope",
        score=0.0,
    )
    groups.assign(qid, Features(vec(9), {"lua": 1.0}), conversation_id="telegram:5")
    answered = store.record_question(
        "VNeID mức 2 làm ở đâu?",
        channel="web",
        user_id="web:x",
        answered=True,
        reason="answered",
        score=0.9,
        sources=[{"title": "Kích hoạt VNeID", "path": "guides/vneid-kich-hoat-muc-2.md", "section": "Bước 1"}],
    )
    store.record_feedback(answered, False, "Dạ, anh/chị ra Công an xã …")
    g = GatewayProcess(env, data).start()
    yield {"g": g, "url": g.url, "knowledge": knowledge, "store": store, "groups": groups}
    g.stop()


def test_groups_are_listed_with_counts_channels_and_masked_numbers(site):
    s = login(site["g"], "lan.team")
    page = s.get(f"{site['url']}/admin/questions")
    assert page.status_code == 200
    assert "Mật khẩu wifi ở UBND xã là gì?" in page.text and ">3<" in page.text
    assert "0912345678" not in page.text and "********78" in page.text
    assert "Zalo OA 1" in page.text and "Trang web 2" in page.text


def test_answering_a_group_writes_an_faq_and_tells_the_residents_who_asked(site):
    s = login(site["g"], "lan.team")
    group = next(g for g in site["groups"].groups("open") if g.size == 3)
    page = s.get(f"{site['url']}/admin/questions/{group.id}")
    assert "wifi ubnd pass la gi" in page.text and "2 người còn nhận được" in page.text  # web yes, Zalo: never wrote
    csrf = csrf_of(s, f"{site['url']}/admin/questions/{group.id}")
    form = {
        "csrf": csrf,
        "title": "Mật khẩu Wi-Fi ở UBND xã là gì?",
        "questions": "Mật khẩu wifi ở UBND xã là gì?\nwifi ubnd pass la gi",
        "answer": ANSWER,
        "source": "Văn phòng UBND xã",
        "topics": "TOCNSCD",
        "notify": "1",
    }
    assert s.post(f"{site['url']}/admin/questions/{group.id}/answer", data=form | {"answer": "ngắn"}).status_code == 400
    r = s.post(f"{site['url']}/admin/questions/{group.id}/answer", data=form)
    assert r.status_code == 200 and "Đã lưu câu trả lời" in r.text and "Đã gửi câu trả lời cho 2" in r.text
    faq = site["knowledge"] / "faq" / "mat-khau-wi-fi-o-ubnd-xa-la-gi.md"
    text = faq.read_text(encoding="utf-8")
    assert "kind: faq" in text and "author: lan.team" in text and ANSWER in text and "wifi ubnd pass la gi" in text
    for user in ("ba-lan", "chu-tu"):
        token = WebSessions(site["store"]).create(f"web:{user}").token  # as the resident's browser holds it
        msgs = requests.get(f"{site['url']}/api/chat/messages", headers={"X-Chat-Token": token}).json()
        assert any(ANSWER in m["text"] for m in msgs["messages"]), msgs
        told = next(m["text"] for m in msgs["messages"] if ANSWER in m["text"])
        # each resident reads the question as the team wrote it, never another resident's own wording
        assert "“Mật khẩu Wi-Fi ở UBND xã là gì?”" in told and "Mật khẩu wifi ở UBND xã" not in told
    history = s.get(f"{site['url']}/admin/questions?tab=answered")
    assert "Mật khẩu wifi ở UBND xã là gì?" in history.text and "lan.team" in history.text
    assert s.post(f"{site['url']}/admin/questions/{group.id}/answer", data=form).status_code == 409


def test_out_of_scope_and_reopen(site):
    s = login(site["g"], "lan.team")
    group = next(g for g in site["groups"].groups("open") if "lúa" in g.label)
    url = f"{site['url']}/admin/questions/{group.id}"
    assert s.post(f"{url}/out-of-scope", data={"csrf": "forged"}).status_code == 403
    assert s.post(f"{url}/out-of-scope", data={"csrf": csrf_of(s, url)}).status_code == 200
    assert site["groups"].group(group.id).status == "out_of_scope"
    assert s.post(f"{url}/reopen", data={"csrf": csrf_of(s, url)}).status_code == 200
    assert site["groups"].group(group.id).status == "open"


def test_feedback_page_shows_question_answer_and_sources(site):
    s = login(site["g"], "lan.team")
    page = s.get(f"{site['url']}/admin/feedback")
    assert "VNeID mức 2 làm ở đâu?" in page.text and "Kích hoạt VNeID" in page.text
    link = re.search(r'href="(/admin/faq/new\?feedback=\d+)"', page.text).group(1)
    form = s.get(f"{site['url']}{link}")
    assert "Người dân đánh giá" in form.text and 'value="VNeID mức 2 làm ở đâu?"' in form.text


def test_knowledge_page_reports_a_broken_file_and_editors_upload(site):
    broken = site["knowledge"] / "guides" / "zz-hong.md"
    broken.write_text("---\ntitle: Hỏng\nkind: guide\ntopics: [KHONGCO]\n---\nnội dung\n", encoding="utf-8")
    team = login(site["g"], "lan.team")
    page = team.get(f"{site['url']}/admin/knowledge")
    assert "guides/zz-hong.md" in page.text and "unknown topic" in page.text
    assert "Tải lên" not in page.text  # team members do not upload
    assert (
        team.post(
            f"{site['url']}/admin/knowledge/upload",
            data={"csrf": csrf_of(team, f"{site['url']}/admin/knowledge")},
            files={"file": ("x.md", b"x")},
        ).status_code
        == 403
    )
    doc = team.get(f"{site['url']}/admin/knowledge/guides/zz-hong.md")
    assert doc.status_code == 200 and "KHONGCO" in doc.text
    assert team.get(f"{site['url']}/admin/knowledge/../trolyso.db").status_code in (400, 404)
    assert team.get(f"{site['url']}/admin/knowledge/guides/%2e%2e/%2e%2e/trolyso.db").status_code in (400, 404)

    editor = login(site["g"], "minh.editor")
    csrf = csrf_of(editor, f"{site['url']}/admin/knowledge")
    good = (
        "---\ntitle: Giờ làm việc bộ phận một cửa\nkind: faq\ntopics: [TOCNSCD]\nquestions: [một cửa mấy giờ]\n"
        "---\n\nDạ, bộ phận một cửa làm việc từ 7 giờ đến 17 giờ các ngày trong tuần.\n"
    ).encode()

    def up(name, body, **extra):
        return editor.post(
            f"{site['url']}/admin/knowledge/upload",
            data={"csrf": csrf, "folder": "faq", **extra},
            files={"file": (name, body, "text/markdown")},
        )

    for bad in ("../../evil.md", "..\\evil.md", ".an.md", "x.py"):
        assert up(bad, good).status_code == 400
    assert not list(site["knowledge"].parent.glob("evil*"))
    assert (
        up("broken.md", b"---\ntitle: x\n---\n").status_code == 400
        and not (site["knowledge"] / "faq" / "broken.md").exists()
    )
    assert up("mot-cua.md", good).status_code == 200
    assert (site["knowledge"] / "faq" / "mot-cua.md").read_bytes() == good
    assert up("mot-cua.md", good).status_code == 409  # no silent overwrite
    assert up("mot-cua.md", good.replace(b"17", b"16"), replace="1").status_code == 200
    kept = list((site["g"].data / "knowledge-history").rglob("mot-cua.md.*"))
    assert kept and b"17 gi" in kept[0].read_bytes()  # the replaced version is kept
    broken.unlink()
