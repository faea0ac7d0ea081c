"""Reports for a period: periods in Việt Nam time (boundaries, presets, bad dates), the numbers of
`build_report` over a seeded store (answered share, residents, channels, topics from the knowledge files'
front matter, feedback, hand-offs, subscriptions, unanswered groups), the CSV, `trolyso report` as a real
process, and the console pages through the real gateway process (anonymous refused, page, CSV download,
printable page; in Chromium with screenshots); the page stays fast with 10,000 stored questions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests
from sqlalchemy import insert, update

from bot.store import Store
from bot.store.schema import channel_events, feedback, handoffs, questions, subscriptions
from bot.team.groups import Features, QuestionGroups
from bot.team.reports import (
    Period,
    PeriodError,
    build_report,
    document_meta,
    format_text,
    half_period,
    to_csv,
)
from tests import pg
from tests.conftest import chromium
from tests.connectors.test_gateway import GatewayProcess, free_port
from tests.web import login

ROOT = Path(__file__).resolve().parents[2]
VN = dt.timezone(dt.timedelta(hours=7))
H1 = Period(dt.date(2025, 12, 10), dt.date(2026, 6, 9))  # the period of the report due before 10/6/2026
COMMUNE = "Xã Tân Hội"
DOCS = {
    "guides/a.md": "---\ntitle: Kích hoạt tài khoản VNeID\nkind: explainer\ntopics: [VNEID]\n---\nNội dung.\n",
    "guides/b.md": "---\ntitle: Nộp lệ phí dịch vụ công\nkind: explainer\ntopics: [DVC, THANHTOAN]\n---\nNội dung.\n",
}


def vn(*args) -> dt.datetime:
    """A Việt Nam wall-clock time, as the UTC time the store keeps."""
    return dt.datetime(*args, tzinfo=VN).astimezone(dt.UTC)


def vec(i: int) -> np.ndarray:
    v = np.zeros(384, "float32")
    v[i] = 1
    return v


def src(path: str, title: str, section: str = "") -> dict:
    return {"title": title, "path": path, "section": section}


def write_knowledge(root: Path) -> Path:
    for rel, text in DOCS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def seed(store: Store) -> None:
    """Questions, feedback, hand-offs and subscriptions around the edges of H1 (10/12/2025 – 9/6/2026)."""
    a, b = src("guides/a.md", "VNeID", "Bước 1"), src("guides/b.md", "Lệ phí")
    gone = src("faq/gone.md", "Câu hỏi đã xóa")
    asked = [  # (Việt Nam time, channel, resident, answered, reason, sources)
        (vn(2025, 12, 10, 0, 0), "web", "A", True, "answered", [a]),  # first minute of the period
        (vn(2025, 12, 9, 23, 59), "web", "A", True, "answered", [a]),  # the day before: out
        (vn(2026, 3, 15, 9, 0), "zalo-oa", "B", True, "answered", [a, b]),
        (vn(2026, 3, 15, 10, 0), "zalo-oa", "B", True, "answered", [a, b]),
        (vn(2026, 4, 1, 8, 0), "telegram", "C", True, "answered", [gone]),
        (vn(2026, 1, 20, 12, 0), "zalo-oa", "B", False, "personal_data", []),
    ]
    ids = [
        store.record_question(
            f"câu hỏi {i}",
            channel=ch,
            user_id=who,
            answered=ok,
            reason=why,
            score=0.9 if ok else 0.0,
            sources=s,
            when=t,
        )
        for i, (t, ch, who, ok, why, s) in enumerate(asked)
    ]
    groups = QuestionGroups(store)
    wifi = Features(vec(0), {"wifi": 1.0})
    for text, t, ch, who in (
        ("Mật khẩu wifi ở UBND xã là gì?", vn(2026, 6, 9, 23, 30), "zalo-oa", "D"),  # 16:30 UTC
        ("wifi ubnd pass la gi", vn(2026, 5, 2, 7, 0), "web", "E"),
        ("wifi xã gọi ai", vn(2026, 6, 10, 0, 10), "web", "F"),
    ):  # 10/6: out
        qid = store.record_question(text, channel=ch, user_id=who, answered=False, reason="no_match", score=0.1, when=t)
        groups.assign(qid, wifi, conversation_id=f"{ch}:{who}")
    qid = store.record_question(
        "=1+1 giá lúa hôm nay bao nhiêu?",
        channel="telegram",
        user_id="C",
        answered=False,
        reason="out_of_scope",
        score=0.0,
        when=vn(2026, 2, 1, 12, 0),
    )
    lua = groups.assign(qid, Features(vec(9), {"lua": 1.0}), conversation_id="telegram:C")
    groups.close(lua, "out_of_scope", "lan.team")

    for qid, helpful, t in (
        (ids[0], True, vn(2025, 12, 10, 8, 0)),
        (ids[2], False, vn(2026, 3, 15, 9, 5)),
        (ids[3], True, vn(2026, 6, 10, 1, 0)),
    ):  # the last one is given after H1
        store.record_feedback(qid, helpful, "câu trả lời")
        with store.engine.begin() as conn:
            conn.execute(update(feedback).where(feedback.c.question_id == qid).values(given_at=t))
    for conv, t, take in (
        ("zalo-oa:B", vn(2026, 3, 15, 10, 5), True),
        ("web:E", vn(2026, 5, 2, 7, 5), False),
        ("web:F", vn(2026, 6, 10, 0, 15), True),
    ):
        hid, _ = store.request_handoff(conv, channel=conv.split(":")[0])
        if take:
            store.take_handoff(hid, "lan.team")
            store.release_handoff(hid)
        with store.engine.begin() as conn:
            conn.execute(update(handoffs).where(handoffs.c.id == hid).values(requested_at=t))
    for conv, active, t in (
        ("zalo-oa:B", True, vn(2026, 1, 2, 9, 0)),
        ("telegram:C", False, vn(2026, 2, 3, 9, 0)),
        ("web:A", True, vn(2025, 11, 30, 9, 0)),
    ):
        store.set_subscription(conv, channel=conv.split(":")[0], active=active)
        with store.engine.begin() as conn:
            conn.execute(update(subscriptions).where(subscriptions.c.conversation_id == conv).values(updated_at=t))
    with store.engine.begin() as conn:  # non-text messages, follows, unfollows (counts only: connectors/queue.py)
        conn.execute(
            insert(channel_events),
            [
                {"channel": ch, "kind": kind, "at": t}
                for ch, kind, t in (
                    ("zalo-oa", "voice", vn(2025, 12, 10, 0, 0)),  # first minute of the period
                    ("zalo-oa", "voice", vn(2026, 2, 1, 8, 0)),
                    ("zalo-oa", "image", vn(2026, 2, 1, 8, 1)),
                    ("telegram", "voice", vn(2026, 6, 9, 23, 59)),  # last minute of the period
                    ("zalo-oa", "follow", vn(2026, 3, 1, 7, 0)),
                    ("zalo-oa", "follow", vn(2026, 3, 2, 7, 0)),
                    ("zalo-oa", "unfollow", vn(2026, 4, 2, 7, 0)),
                    ("zalo-oa", "voice", vn(2025, 12, 9, 23, 59)),  # the day before: out
                    ("telegram", "sticker", vn(2026, 6, 10, 0, 0)),  # the day after: out
                )
            ],
        )


@pytest.fixture
def seeded(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    seed(store)
    return store, write_knowledge(tmp_path / "knowledge")


# --- periods -----------------------------------------------------------------------------------------


def test_six_month_periods_tile_the_year_and_end_before_the_deadlines():
    assert half_period(dt.date(2026, 6, 9)) == (dt.date(2025, 12, 10), dt.date(2026, 6, 9))
    assert half_period(dt.date(2026, 6, 10)) == (dt.date(2026, 6, 10), dt.date(2026, 12, 9))
    assert half_period(dt.date(2026, 12, 10)) == (dt.date(2026, 12, 10), dt.date(2027, 6, 9))
    assert half_period(dt.date(2026, 1, 1)) == (dt.date(2025, 12, 10), dt.date(2026, 6, 9))
    today = dt.date(2026, 6, 10)
    current, previous = Period.from_preset("half-current", today), Period.from_preset("half-previous", today)
    assert (previous.start, previous.end) == (H1.start, H1.end)
    assert previous.end + dt.timedelta(days=1) == current.start
    assert "báo cáo trước 10/6/2026" in previous.label and "10/12/2025 – 9/6/2026" in previous.label
    jan = dt.date(2026, 1, 31)
    assert (Period.from_preset("this-month", jan).start, Period.from_preset("this-month", jan).end) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
    )
    last = Period.from_preset("last-month", jan)
    assert (last.start, last.end) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert Period.from_preset("last-month", dt.date(2024, 3, 1)).end == dt.date(2024, 2, 29)


def test_period_bounds_are_vietnam_days_in_utc():
    lo, hi = H1.utc_bounds()
    assert lo == dt.datetime(2025, 12, 9, 17, 0, tzinfo=dt.UTC)
    assert hi == dt.datetime(2026, 6, 9, 17, 0, tzinfo=dt.UTC)
    assert lo <= vn(2025, 12, 10, 0, 0) < hi and lo <= vn(2026, 6, 9, 23, 30) < hi
    assert not vn(2026, 6, 10, 0, 0) < hi and vn(2025, 12, 9, 23, 59) < lo
    assert H1.days == 182


def test_period_parameters_and_clear_errors():
    today = dt.date(2026, 6, 20)
    p = Period.resolve(None, "10/12/2025", "2026-06-09", today)
    assert (p.start, p.end, p.preset) == (H1.start, H1.end, "custom")
    assert p.query() == {"from": "2025-12-10", "to": "2026-06-09"}
    assert Period.resolve("half-previous", "2020-01-01", "2020-01-02", today).query() == {"preset": "half-previous"}
    assert Period.resolve(None, "1/6/2026", None, today).end == today  # a missing end is today
    assert Period.resolve(None, None, None, today).preset == "this-month"
    for args, message in (
        ((None, "31/02/2026", "2026-03-01"), "“31/02/2026” không hợp lệ"),
        ((None, "hôm qua", ""), "ví dụ 09/06/2026"),
        ((None, "2026-06-09", "2026-06-01"), "Ngày bắt đầu (9/6/2026) sau ngày kết thúc (1/6/2026)"),
        (("quy-3", None, None), "Không có kỳ báo cáo “quy-3”"),
        ((None, None, "2026-06-01"), "ngày bắt đầu"),
        ((None, "1990-01-01", "1990-02-01"), "năm 2000–2100"),
        ((None, "2001-01-01", "2026-01-01"), "10 năm"),
    ):
        with pytest.raises(PeriodError) as err:
            Period.resolve(*args, today=today)
        assert message in str(err.value), (args, str(err.value))


# --- the numbers -------------------------------------------------------------------------------------


def test_build_report_counts_the_period_in_vietnam_time(seeded):
    store, knowledge = seeded
    r = build_report(store, H1, knowledge)
    # in H1: 5 answered/unanswered knowledge questions + personal data + 2 wifi + 1 rice price; 3 are outside
    assert (r.asked, r.answered, r.unanswered, r.answered_share) == (8, 4, 4, 50.0)
    assert r.residents == 5  # A, B, C, D, E
    assert [(c.channel, c.name, c.asked, c.answered, c.share) for c in r.channels] == [
        ("zalo-oa", "Zalo OA", 4, 2, 50.0),
        ("telegram", "Telegram", 2, 1, 50.0),
        ("web", "Trang web", 2, 1, 50.0),
    ]
    days = {d.day: (d.asked, d.answered) for d in r.days}
    assert len(r.days) == 182 and r.days[0].day == H1.start and r.days[-1].day == H1.end
    assert sum(d.asked for d in r.days) == 8 and sum(d.answered for d in r.days) == 4
    assert days[dt.date(2025, 12, 10)] == (1, 1)  # 00:00 Việt Nam time = 17:00 UTC the day before
    assert days[dt.date(2026, 6, 9)] == (1, 0)  # 23:30 Việt Nam time = 16:30 UTC
    assert days[dt.date(2026, 3, 15)] == (2, 2)
    assert r.reasons == {"no_match": 2, "out_of_scope": 1, "personal_data": 1}
    # topics from the front matter of the files the answers used; a removed file keeps its source title
    assert [(t.code, t.questions) for t in r.topics] == [("VNEID", 3), ("DVC", 2), ("THANHTOAN", 2), ("", 1)]
    assert r.topics[0].name == "VNeID" and "không còn" in r.topics[-1].name
    assert [(d.path, d.title, d.questions) for d in r.documents] == [
        ("guides/a.md", "Kích hoạt tài khoản VNeID", 3),
        ("guides/b.md", "Nộp lệ phí dịch vụ công", 2),
        ("faq/gone.md", "Câu hỏi đã xóa", 1),
    ]
    assert [(g.label, g.status, g.questions, g.residents) for g in r.groups] == [
        ("Mật khẩu wifi ở UBND xã là gì?", "open", 2, 2),
        ("=1+1 giá lúa hôm nay bao nhiêu?", "out_of_scope", 1, 1),
    ]
    assert r.groups_by_status == {"open": 1, "out_of_scope": 1}
    assert (r.helpful, r.wrong, r.helpful_share) == (1, 1, 50.0)
    assert (r.handoffs_requested, r.handoffs_taken) == (2, 1)
    assert (r.subscribed, r.unsubscribed, r.subscribers_now) == (1, 1, 2)


def test_an_empty_period_and_a_single_day(seeded):
    store, knowledge = seeded
    empty = build_report(store, Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)), knowledge)
    assert (empty.asked, empty.answered_share, empty.channels, empty.topics, empty.groups) == (0, None, [], [], [])
    assert empty.subscribers_now == 2 and "Câu hỏi:                 0" in format_text(empty)
    day = build_report(store, Period(dt.date(2026, 6, 9), dt.date(2026, 6, 9)), knowledge)
    assert (day.asked, day.residents, [g.questions for g in day.groups]) == (1, 1, [1])
    # without a knowledge folder the sources' own titles are used, topics unknown
    bare = build_report(store, H1, None)
    assert [(t.code, t.questions) for t in bare.topics] == [("", 4)]
    assert bare.documents[0].title == "VNeID"


def test_topics_follow_the_front_matter_when_a_file_changes(seeded):
    store, knowledge = seeded
    path = knowledge / "guides" / "a.md"
    assert document_meta(knowledge, "guides/a.md")["topics"] == ["VNEID"]
    path.write_text(DOCS["guides/a.md"].replace("[VNEID]", "[LUADAO]"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    r = build_report(store, H1, knowledge)
    assert ("LUADAO", 3) in [(t.code, t.questions) for t in r.topics]
    (knowledge.parent / "outside.md").write_text(DOCS["guides/a.md"], encoding="utf-8")
    assert document_meta(knowledge, "../outside.md") is None  # only files inside the knowledge folder


def test_csv_is_one_long_table_excel_reads_and_csv_parses(seeded):
    store, knowledge = seeded
    text = to_csv(build_report(store, H1, knowledge), COMMUNE)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Phần", "Mục", "Chỉ số", "Giá trị"] and all(len(r) == 4 for r in rows)
    cell = {(r[0], r[1], r[2]): r[3] for r in rows}
    assert cell[("Kỳ báo cáo", "Đơn vị", "")] == COMMUNE
    assert cell[("Kỳ báo cáo", "Từ ngày", "")] == "2025-12-10" and cell[("Kỳ báo cáo", "Đến ngày", "")] == "2026-06-09"
    assert cell[("Tổng quan", "Câu hỏi", "Số lượng")] == "8"
    assert cell[("Tổng quan", "Đã trả lời", "Tỷ lệ (%)")] == "50.0"
    assert cell[("Tổng quan", "Người dân hỏi (khác nhau)", "Số lượng")] == "5"
    assert cell[("Kênh", "Zalo OA", "Câu hỏi")] == "4"
    assert cell[("Chủ đề", "VNeID", "Câu hỏi đã trả lời")] == "3"
    assert cell[("Góp ý của người dân", "Chưa đúng", "Số lượng")] == "1"
    assert cell[("Gặp cán bộ", "Đã có cán bộ nhận", "Số lượng")] == "1"
    assert cell[("Theo ngày", "2026-06-09", "Câu hỏi")] == "1"
    assert cell[("Nhóm câu hỏi chưa trả lời", "Mật khẩu wifi ở UBND xã là gì?", "Số lần hỏi")] == "2"
    # a resident's text never becomes a spreadsheet formula
    assert cell[("Nhóm câu hỏi chưa trả lời", "'=1+1 giá lúa hôm nay bao nhiêu?", "Trạng thái")] == "Ngoài phạm vi"
    assert not any(c.startswith(("=", "+", "@")) for r in rows for c in r)


def test_non_text_messages_follows_and_unfollows_per_kind_and_channel_in_vietnam_time(seeded):
    store, knowledge = seeded
    report = build_report(store, H1, knowledge)
    assert [(e.kind, e.channel, e.count) for e in report.events] == [
        ("voice", "telegram", 1),
        ("voice", "zalo-oa", 2),
        ("image", "zalo-oa", 1),
        ("follow", "zalo-oa", 2),
        ("unfollow", "zalo-oa", 1),
    ]
    assert (report.non_text, report.events_of("follow"), report.events_of("unfollow")) == (4, 2, 1)
    cell = {(r[0], r[1], r[2]): r[3] for r in csv.reader(io.StringIO(to_csv(report).lstrip("\ufeff")))}
    assert cell[("Tin không phải chữ và lượt quan tâm", "Tin nhắn thoại", "Số lượng (Zalo OA)")] == "2"
    assert cell[("Tin không phải chữ và lượt quan tâm", "Tin nhắn thoại", "Số lượng (Telegram)")] == "1"
    assert cell[("Tin không phải chữ và lượt quan tâm", "Bỏ quan tâm / chặn", "Số lượng (Zalo OA)")] == "1"
    assert "Tin không phải chữ:      4 (thoại, ảnh, tệp…); quan tâm 2, bỏ quan tâm 1" in format_text(report)
    after = build_report(store, Period(dt.date(2026, 6, 10), dt.date(2026, 6, 30)), knowledge)
    assert [(e.kind, e.channel, e.count) for e in after.events] == [("sticker", "telegram", 1)]
    assert build_report(store, Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31)), knowledge).events == []


@pytest.mark.skipif(not pg.available(), reason="PostgreSQL server binaries are installed by `make test`")
def test_the_same_report_on_postgresql(seeded, tmp_path):
    store, knowledge = seeded
    server = pg.PostgresServer().start()
    try:
        pg_store = Store(server.url)
        seed(pg_store)
        a, b = build_report(store, H1, knowledge), build_report(pg_store, H1, knowledge)
        for name in (
            "asked",
            "answered",
            "residents",
            "channels",
            "days",
            "reasons",
            "topics",
            "documents",
            "groups_by_status",
            "helpful",
            "wrong",
            "handoffs_requested",
            "handoffs_taken",
            "subscribed",
            "unsubscribed",
            "subscribers_now",
            "events",
        ):
            assert getattr(a, name) == getattr(b, name), name
        assert [(g.label, g.questions, g.residents) for g in a.groups] == [
            (g.label, g.questions, g.residents) for g in b.groups
        ]
        pg_store.engine.dispose()
    finally:
        server.stop()


# --- the command line --------------------------------------------------------------------------------


def test_trolyso_report_as_a_real_process(tmp_path):
    data = tmp_path / "var"
    seed(Store(f"sqlite:///{data / 'trolyso.db'}"))
    env = {k: v for k, v in os.environ.items() if k != "TROLYSO_DATABASE_URL"}
    env.update(
        TROLYSO_DATA_DIR=str(data),
        TROLYSO_KNOWLEDGE_DIR=str(write_knowledge(tmp_path / "knowledge")),
        TROLYSO_COMMUNE_NAME=COMMUNE,
    )

    def trolyso(*args):
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "report", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )

    out = trolyso("--from", "2025-12-10", "--to", "9/6/2026")
    assert out.returncode == 0, out.stderr
    assert "Xã Tân Hội" in out.stdout and "Từ 10/12/2025 đến 9/6/2026" in out.stdout
    assert re.search(r"Câu hỏi:\s+8\n", out.stdout) and re.search(r"Đã trả lời:\s+4 \(50,0%\)", out.stdout)
    assert re.search(r"Zalo OA\s+4 câu hỏi", out.stdout) and "VNeID" in out.stdout
    as_csv = trolyso("--csv", "--from", "2025-12-10", "--to", "2026-06-09")
    assert as_csv.returncode == 0 and as_csv.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(as_csv.stdout.lstrip("\ufeff"))))
    assert ["Tổng quan", "Câu hỏi", "Số lượng", "8"] in rows
    bad = trolyso("--from", "2026-02-30")
    assert bad.returncode == 2 and "“2026-02-30” không hợp lệ" in bad.stderr and not bad.stdout
    backwards = trolyso("--from", "2026-06-09", "--to", "2026-06-01")
    assert backwards.returncode == 2 and "sau ngày kết thúc" in backwards.stderr
    assert trolyso("--preset", "quy-3").returncode == 2


# --- the console through the real gateway -----------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("console-reports")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_", "TROLYSO_DATABASE"))}
    env.update(
        {
            "TROLYSO_DATA_DIR": str(data),
            "TROLYSO_KNOWLEDGE_DIR": str(write_knowledge(data / "knowledge")),
            "TROLYSO_GATEWAY_PORT": str(free_port()),
            "TROLYSO_RASA_URL": f"http://127.0.0.1:{free_port()}",
            "TROLYSO_COMMUNE_NAME": COMMUNE,
        }
    )
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "user", "add", "lan.team", "--role", "team", "--password-stdin"],
        input="mat-khau-lan.team\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    seed(store)
    g = GatewayProcess(env, data).start()
    yield {"g": g, "url": g.url, "store": store}
    g.stop()


H1_QUERY = "from=2025-12-10&to=2026-06-09"


@pytest.mark.parametrize("path", ["/admin/reports", "/admin/reports.csv", "/admin/reports/print"])
def test_reports_refuse_anonymous_users(site, path):
    r = requests.get(f"{site['url']}{path}?{H1_QUERY}", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"


def test_team_member_sees_the_report_downloads_the_csv_and_prints(site):
    s = login(site["g"], "lan.team")
    page = s.get(f"{site['url']}/admin/reports?{H1_QUERY}")
    assert page.status_code == 200
    assert "Từ 10/12/2025 đến 9/6/2026" in page.text and "<svg" in page.text
    assert re.search(r"<b>8</b>\s*câu hỏi", page.text) and "50,0%" in page.text
    assert "Mật khẩu wifi ở UBND xã là gì?" in page.text and "Kích hoạt tài khoản VNeID" in page.text
    assert 'href="/admin/reports.csv?from=2025-12-10&amp;to=2026-06-09"' in page.text
    assert s.get(f"{site['url']}/admin/reports").status_code == 200  # the default period
    assert 'value="half-previous"' in s.get(f"{site['url']}/admin/reports?preset=half-previous").text

    dl = s.get(f"{site['url']}/admin/reports.csv?{H1_QUERY}")
    assert dl.status_code == 200 and dl.headers["content-type"] == "text/csv; charset=utf-8"
    assert dl.headers["content-disposition"] == 'attachment; filename="bao-cao-tro-ly-so-2025-12-10-den-2026-06-09.csv"'
    assert dl.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(dl.content.decode("utf-8-sig"))))
    assert ["Tổng quan", "Câu hỏi", "Số lượng", "8"] in rows and ["Kỳ báo cáo", "Đơn vị", "", COMMUNE] in rows

    printed = s.get(f"{site['url']}/admin/reports/print?{H1_QUERY}")
    assert printed.status_code == 200
    assert "XÃ TÂN HỘI" in printed.text and "từ ngày 10/12/2025 đến ngày 9/6/2026" in printed.text
    assert "window.print()" in printed.text and "@media print" in printed.text and "size: A4" in printed.text
    assert "<header>" not in printed.text  # no console menu on paper


def test_bad_dates_are_a_clear_message_not_an_error(site):
    s = login(site["g"], "lan.team")
    page = s.get(f"{site['url']}/admin/reports?from=2026-02-30&to=2026-03-01")
    assert page.status_code == 400 and "“2026-02-30” không hợp lệ" in page.text and "Xem theo ngày" in page.text
    backwards = s.get(f"{site['url']}/admin/reports.csv?from=2026-06-09&to=2026-06-01")
    assert backwards.status_code == 400 and "sau ngày kết thúc" in backwards.text
    assert s.get(f"{site['url']}/admin/reports/print?preset=quy-3").status_code == 400


def test_the_report_page_is_fast_with_ten_thousand_questions(site):
    """10,000 questions in 2024 (a year no other test looks at), then GET the 2024 report: < 300 ms."""
    store = site["store"]
    rng = np.random.default_rng(7)
    sources = [json.dumps([src("guides/a.md", "VNeID", f"Bước {i}")], ensure_ascii=False) for i in range(40)] + [
        json.dumps([src("guides/a.md", "VNeID"), src("guides/b.md", "Lệ phí", f"Mục {i}")], ensure_ascii=False)
        for i in range(40)
    ]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(10_000):
        ok = bool(rng.random() < 0.8)
        rows.append(
            {
                "asked_at": start + dt.timedelta(seconds=int(rng.integers(0, 360 * 86400))),
                "channel": ("zalo-oa", "zalo-bot", "telegram", "web")[i % 4],
                "user_hash": f"perf{int(rng.integers(0, 3000))}",
                "text": f"câu hỏi {i}",
                "answered": ok,
                "reason": "answered" if ok else "no_match",
                "score": 0.5,
                "sources": sources[int(rng.integers(0, len(sources)))] if ok else "[]",
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(questions), rows)
    s = login(site["g"], "lan.team")
    url = f"{site['url']}/admin/reports?from=2024-01-01&to=2024-12-31"
    first = s.get(url)
    assert first.status_code == 200 and re.search(r"<b>10000</b>", first.text)
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        assert s.get(url).status_code == 200
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"\nGET /admin/reports over 10,000 questions: median {statistics.median(times):.0f} ms, max {max(times):.0f} ms"
    )
    assert statistics.median(times) < 300


def test_reports_in_chromium(site):
    shots = ROOT / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{site['url']}/admin/login")
        page.get_by_label("Tên đăng nhập").fill("lan.team")
        page.get_by_label("Mật khẩu").fill("mat-khau-lan.team")
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url("**/admin/")
        page.get_by_role("link", name="Báo cáo").click()
        page.get_by_role("heading", name="Báo cáo", exact=True).wait_for()
        page.get_by_label("Hoặc từ ngày").fill("10/12/2025")
        page.get_by_label("Đến ngày").fill("9/6/2026")
        page.get_by_role("button", name="Xem theo ngày").click()
        page.get_by_text("Từ 10/12/2025 đến 9/6/2026").wait_for()
        assert page.locator("svg.chart rect").count() > 0
        page.screenshot(path=str(shots / "console-reports.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots / "console-reports-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        with page.expect_download() as info:
            page.get_by_role("link", name="Tải CSV").click()
        download = info.value
        assert download.suggested_filename == "bao-cao-tro-ly-so-2025-12-10-den-2026-06-09.csv"
        text = Path(download.path()).read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert ["Tổng quan", "Câu hỏi", "Số lượng", "8"] in rows
        assert ["Kênh", "Zalo OA", "Tỷ lệ trả lời (%)", "50.0"] in rows
        page.get_by_role("link", name="Bản in").click()
        page.get_by_role("button", name="In báo cáo").wait_for()
        assert page.get_by_text("từ ngày 10/12/2025 đến ngày 9/6/2026").is_visible()
        page.screenshot(path=str(shots / "console-report-print.png"), full_page=True)
        page.emulate_media(media="print")
        assert not page.get_by_role("button", name="In báo cáo").is_visible()
