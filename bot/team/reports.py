"""Reports for a period: what residents asked, how much the assistant answered, on which channels and topics,
what it could not answer, residents' feedback, hand-offs to the team and news subscriptions.

The same `Report` feeds the console page (/admin/reports, with charts), its CSV download and printable page,
and `trolyso report` on the command line. No web code here.

Periods
-------
A period is a range of calendar days in Việt Nam time (UTC+7, no daylight saving), both ends included; the
queries use the UTC bounds [first day 00:00 ICT, day after the last 00:00 ICT). A question asked at 23:30 on
9/6 in Việt Nam (16:30 UTC) belongs to a period ending 9/6; one at 00:10 on 10/6 (17:10 UTC on 9/6) does not.

Presets (`PRESETS`):

* ``this-month`` / ``last-month``: calendar months.
* ``half-current`` / ``half-previous``: the six-month reporting periods. The communes' plans ask for results
  "định kỳ trước ngày 10/6 và 10/12 hằng năm" (e.g. knowledge/plans/muong-mun-dien-bien.md), so the year is cut
  at those deadlines: **10/12 of the previous year – 9/6** for the report due before 10/6, and **10/6 – 9/12**
  for the report due before 10/12. Each period ends the day before its deadline, and the two tile the year
  with no gap and no overlap, so the two reports of a year add up to the year. ``half-current`` is the period
  that contains today (the next report due), ``half-previous`` the one before it (the report just due). The
  government's standard cut-off (Nghị định 09/2019/NĐ-CP: 15/12 – 14/6) would end after a 10/6 deadline; a
  commune whose plan uses other dates (Tân Hội: before 15/6 and 15/12) picks them as custom dates.
* ``custom``: any from/to dates (``YYYY-MM-DD`` or ``dd/mm/yyyy``), at most ten years.

What is counted
---------------
Questions by the time they were asked; feedback by the time it was given; hand-offs by the time they were
requested ("taken" = a team member took the conversation, whether or not it was later released);
subscriptions by their last change in the period (the table keeps only the latest state of each
conversation, so "new" means subscribed during the period and still subscribed, "ended" means unsubscribed
during the period). Topics and documents come from the sources of answered questions: each answered question
counts once for every distinct knowledge document (and every topic of those documents) its answer used.
Unanswered groups are the groups of bot/team/groups.py ranked by their questions asked in the period.

Everything is aggregated in SQL (GROUP BY); the only values parsed in Python are the *distinct* `sources`
strings of answered questions, which repeat heavily (one per knowledge section combination).

CSV
---
`to_csv` writes one tidy long table, UTF-8 with a byte order mark (so Excel shows the Vietnamese correctly),
comma-separated, with the header ``Phần,Mục,Chỉ số,Giá trị`` (section, item, measure, value), e.g.
``Kênh,Zalo OA,Tỷ lệ trả lời (%),81.3``. One shape for every section: it filters and pivots in Excel and
parses with any CSV reader. Dates in the CSV are ISO (``2026-06-09``), which Excel reads right in every
locale; percentages have one decimal with a point. Text from residents (group labels) is protected against
spreadsheet formulas. If Excel opens it in one column (a regional setting whose list separator is ";"), use
Data → From Text/CSV.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Date, case, cast, func, literal_column, select

from bot.clock import VIETNAM, as_utc, utcnow, vn_date, vn_today
from bot.engine.knowledge import check_file
from bot.labels import CHANNEL_NAMES, MESSAGE_KIND_NAMES, REASON_NAMES, STATUS_NAMES, TOPIC_NAMES
from bot.status import NON_TEXT, MessageKind
from bot.store import Store
from bot.store.schema import (
    channel_events,
    feedback,
    group_members,
    handoffs,
    question_groups,
    questions,
    subscriptions,
)

MAX_DAYS = 3660  # ten years
TOP = 10

PRESETS = {
    "this-month": "Tháng này",
    "last-month": "Tháng trước",
    "half-current": "Kỳ 6 tháng hiện tại",
    "half-previous": "Kỳ 6 tháng trước",
    "custom": "Tùy chọn ngày",
}
DEFAULT_PRESET = "this-month"


class PeriodError(ValueError):
    """A period that cannot be used; the message is for the user, in Vietnamese."""


def parse_day(text: str, what: str = "Ngày") -> _dt.date:
    """``2026-06-09`` (what a date input sends) or ``9/6/2026`` / ``09-06-2026`` (what people type)."""
    s = (text or "").strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", s)
    parts = (m.group(1), m.group(2), m.group(3)) if m else None
    if parts is None:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", s)
        parts = (m.group(3), m.group(2), m.group(1)) if m else None
    try:
        if parts is None:
            raise ValueError
        day = _dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise PeriodError(
            f"{what} “{s[:40]}” không hợp lệ: anh/chị nhập ngày theo dạng ngày/tháng/năm, ví dụ 09/06/2026."
        ) from None
    if not 2000 <= day.year <= 2100:
        raise PeriodError(f"{what} {vn_date(day)} nằm ngoài khoảng năm 2000–2100.")
    return day


def _month_start(d: _dt.date) -> _dt.date:
    return d.replace(day=1)


def _month_end(d: _dt.date) -> _dt.date:
    nxt = (d.replace(day=28) + _dt.timedelta(days=4)).replace(day=1)
    return nxt - _dt.timedelta(days=1)


def half_period(day: _dt.date) -> tuple[_dt.date, _dt.date]:
    """The six-month reporting period (see the module docstring) that contains `day`."""
    y = day.year
    if day >= _dt.date(y, 12, 10):
        return _dt.date(y, 12, 10), _dt.date(y + 1, 6, 9)
    if day >= _dt.date(y, 6, 10):
        return _dt.date(y, 6, 10), _dt.date(y, 12, 9)
    return _dt.date(y - 1, 12, 10), _dt.date(y, 6, 9)


@dataclass(frozen=True)
class Period:
    start: _dt.date
    end: _dt.date
    preset: str = "custom"

    def __post_init__(self):
        if self.start > self.end:
            raise PeriodError(f"Ngày bắt đầu ({vn_date(self.start)}) sau ngày kết thúc ({vn_date(self.end)}).")
        if (self.end - self.start).days + 1 > MAX_DAYS:
            raise PeriodError("Khoảng thời gian dài quá 10 năm, anh/chị chọn khoảng ngắn hơn.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[_dt.datetime, _dt.datetime]:
        """[start, end) in UTC: midnight Việt Nam time of the first day and of the day after the last."""
        lo = _dt.datetime.combine(self.start, _dt.time(), VIETNAM).astimezone(_dt.UTC)
        hi = _dt.datetime.combine(self.end + _dt.timedelta(days=1), _dt.time(), VIETNAM)
        return lo, hi.astimezone(_dt.UTC)

    @property
    def label(self) -> str:
        dates = f"{vn_date(self.start)} – {vn_date(self.end)}"
        if self.preset.startswith("half-"):
            due = self.end + _dt.timedelta(days=1)
            return f"6 tháng, báo cáo trước {due.day}/{due.month}/{due.year} ({dates})"
        if self.preset in ("this-month", "last-month"):
            return f"Tháng {self.start.month}/{self.start.year} ({dates})"
        return f"Từ {vn_date(self.start)} đến {vn_date(self.end)}"

    def query(self) -> dict[str, str]:
        """The GET parameters that select this period again."""
        if self.preset != "custom":
            return {"preset": self.preset}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    @classmethod
    def from_preset(cls, name: str, today: _dt.date | None = None) -> Period:
        today = today or vn_today()
        if name == "this-month":
            return cls(_month_start(today), _month_end(today), name)
        if name == "last-month":
            last = _month_start(today) - _dt.timedelta(days=1)
            return cls(_month_start(last), last, name)
        if name == "half-current":
            return cls(*half_period(today), name)
        if name == "half-previous":
            start, _ = half_period(today)
            return cls(*half_period(start - _dt.timedelta(days=1)), name)
        raise PeriodError(
            f"Không có kỳ báo cáo “{name[:40]}”. Các kỳ có sẵn: "
            + ", ".join(f"{v} ({k})" for k, v in PRESETS.items() if k != "custom")
            + "."
        )

    @classmethod
    def custom(cls, start: str | _dt.date, end: str | _dt.date) -> Period:
        s = start if isinstance(start, _dt.date) else parse_day(start, "Ngày bắt đầu")
        e = end if isinstance(end, _dt.date) else parse_day(end, "Ngày kết thúc")
        return cls(s, e, "custom")

    @classmethod
    def resolve(
        cls, preset: str | None = None, start: str | None = None, end: str | None = None, today: _dt.date | None = None
    ) -> Period:
        """From request/CLI parameters: a named preset wins; otherwise the dates (a missing end = today);
        nothing at all = the default preset. Raises PeriodError."""
        preset = (preset or "").strip()
        start, end = (start or "").strip(), (end or "").strip()
        if preset and preset != "custom":
            return cls.from_preset(preset, today)
        if not start and not end:
            if preset == "custom":
                raise PeriodError("Anh/chị chọn ngày bắt đầu và ngày kết thúc.")
            return cls.from_preset(DEFAULT_PRESET, today)
        if not start:
            raise PeriodError("Anh/chị chọn cả ngày bắt đầu.")
        return cls.custom(start, end or (today or vn_today()))


# --- the report ------------------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    """Percentage with one decimal, None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class ChannelRow:
    channel: str
    asked: int
    answered: int

    @property
    def name(self) -> str:
        return CHANNEL_NAMES.get(self.channel, self.channel)

    @property
    def share(self) -> float | None:
        return share(self.answered, self.asked)


@dataclass
class EventRow:
    """Non-text messages (voice notes, pictures…), follows or unfollows of one kind on one channel (channel_events)."""

    channel: str
    kind: str  # bot.status.MessageKind
    count: int

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.channel, self.channel)

    @property
    def kind_name(self) -> str:
        return MESSAGE_KIND_NAMES.get(self.kind, self.kind)


@dataclass
class DayRow:
    day: _dt.date
    asked: int
    answered: int


@dataclass
class TopicRow:
    code: str
    questions: int

    @property
    def name(self) -> str:
        return TOPIC_NAMES.get(self.code, self.code)


@dataclass
class DocumentRow:
    path: str
    title: str
    questions: int
    kind: str = ""


@dataclass
class GroupRow:
    id: int
    label: str
    status: str
    questions: int
    residents: int

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)


@dataclass
class Report:
    period: Period
    generated_at: _dt.datetime
    asked: int = 0
    answered: int = 0
    residents: int = 0
    channels: list[ChannelRow] = field(default_factory=list)
    days: list[DayRow] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # unanswered questions by reason
    topics: list[TopicRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)  # the TOP most used
    groups: list[GroupRow] = field(default_factory=list)  # the TOP unanswered groups
    groups_by_status: dict[str, int] = field(default_factory=dict)  # groups with questions in the period
    helpful: int = 0
    wrong: int = 0
    handoffs_requested: int = 0
    handoffs_taken: int = 0
    subscribed: int = 0
    unsubscribed: int = 0
    subscribers_now: int = 0
    events: list[EventRow] = field(default_factory=list)  # non-text messages, follows, unfollows per channel

    def events_of(self, kind: str) -> int:
        return sum(e.count for e in self.events if e.kind == kind)

    @property
    def non_text(self) -> int:
        return sum(e.count for e in self.events if e.kind in NON_TEXT)

    @property
    def unanswered(self) -> int:
        return self.asked - self.answered

    @property
    def answered_share(self) -> float | None:
        return share(self.answered, self.asked)

    @property
    def feedback_total(self) -> int:
        return self.helpful + self.wrong

    @property
    def helpful_share(self) -> float | None:
        return share(self.helpful, self.feedback_total)

    @property
    def handoffs_taken_share(self) -> float | None:
        return share(self.handoffs_taken, self.handoffs_requested)


# --- knowledge documents: path -> front matter (bot.engine.knowledge.check_file re-reads a file only when it changes)


def document_meta(knowledge_dir: Path | None, rel_path: str) -> dict | None:
    """{title, topics, kind} of a knowledge file from its front matter, None if it is gone or broken. Only
    files inside the knowledge folder are read."""
    if knowledge_dir is None or not rel_path or not rel_path.endswith(".md"):
        return None
    check = check_file(Path(knowledge_dir) / rel_path, Path(knowledge_dir))
    if check is None or check.error is not None:
        return None
    return {
        "title": check.meta["title"],
        "topics": list(check.meta.get("topics", [])),
        "kind": check.meta.get("kind", ""),
    }


# --- building ----------------------------------------------------------------------------------------


def _count_true(column):
    return func.coalesce(func.sum(case((column.is_(True), 1), else_=0)), 0)


def _local_day(column, dialect: str):
    """The Việt Nam calendar day of a stored UTC time, in SQL; None for a dialect we do not know."""
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); SQLite would round the
        return func.date(func.substr(column, 1, 19), "+7 hours")  # microseconds, so they are cut off
    if dialect == "postgresql":  # timestamptz shown at a fixed offset of +07:00
        return cast(func.timezone(literal_column("INTERVAL '+07:00'"), column), Date)
    return None


def _as_date(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    return _dt.date.fromisoformat(str(value)[:10])


def build_report(store: Store, period: Period, knowledge_dir: Path | None = None) -> Report:
    lo, hi = period.utc_bounds()
    report = Report(period=period, generated_at=utcnow())
    q = questions.c
    in_period = (q.asked_at >= lo) & (q.asked_at < hi)
    dialect = store.engine.dialect.name
    with store.engine.connect() as conn:
        asked, answered, residents = conn.execute(
            select(func.count(), _count_true(q.answered), func.count(func.distinct(q.user_hash))).where(in_period)
        ).one()
        report.asked, report.answered, report.residents = int(asked), int(answered or 0), int(residents)
        if report.asked:
            _fill_questions(conn, report, in_period, dialect, period, lo, hi, knowledge_dir)

        for helpful, n in conn.execute(
            select(feedback.c.helpful, func.count())
            .where(feedback.c.given_at >= lo, feedback.c.given_at < hi)
            .group_by(feedback.c.helpful)
        ):
            if helpful:
                report.helpful = int(n)
            else:
                report.wrong = int(n)

        requested, taken = conn.execute(
            select(func.count(), func.count(handoffs.c.taken_by)).where(
                handoffs.c.requested_at >= lo, handoffs.c.requested_at < hi
            )
        ).one()
        report.handoffs_requested, report.handoffs_taken = int(requested), int(taken)

        for active, n in conn.execute(
            select(subscriptions.c.active, func.count())
            .where(subscriptions.c.updated_at >= lo, subscriptions.c.updated_at < hi)
            .group_by(subscriptions.c.active)
        ):
            if active:
                report.subscribed = int(n)
            else:
                report.unsubscribed = int(n)
        report.subscribers_now = int(
            conn.execute(
                select(func.count()).select_from(subscriptions).where(subscriptions.c.active.is_(True))
            ).scalar_one()
        )
        e = channel_events.c
        order = {str(k): i for i, k in enumerate(MessageKind)}
        report.events = sorted(
            (
                EventRow(channel, kind, int(n))
                for channel, kind, n in conn.execute(
                    select(e.channel, e.kind, func.count()).where(e.at >= lo, e.at < hi).group_by(e.channel, e.kind)
                )
            ),
            key=lambda r: (order.get(r.kind, len(order)), r.channel),
        )
    return report


def _fill_questions(
    conn, report: Report, in_period, dialect: str, period: Period, lo, hi, knowledge_dir: Path | None
) -> None:
    q = questions.c
    report.channels = sorted(
        (
            ChannelRow(channel, int(n), int(a or 0))
            for channel, n, a in conn.execute(
                select(q.channel, func.count(), _count_true(q.answered)).where(in_period).group_by(q.channel)
            )
        ),
        key=lambda r: (-r.asked, r.channel),
    )

    report.reasons = {
        reason: int(n)
        for reason, n in conn.execute(
            select(q.reason, func.count())
            .where(in_period, q.answered.is_(False))
            .group_by(q.reason)
            .order_by(func.count().desc(), q.reason)
        )
    }

    # per day (Việt Nam calendar days), every day of the period, zeros included
    counts: dict[_dt.date, tuple[int, int]] = {}
    day = _local_day(q.asked_at, dialect)
    if day is not None:
        for d, n, a in conn.execute(
            select(day.label("day"), func.count(), _count_true(q.answered)).where(in_period).group_by(day)
        ):
            counts[_as_date(d)] = (int(n), int(a or 0))
    else:  # an unknown database: count the times in Python
        for at, ok in conn.execute(select(q.asked_at, q.answered).where(in_period)):
            d = as_utc(at).astimezone(VIETNAM).date()
            n, a = counts.get(d, (0, 0))
            counts[d] = (n + 1, a + int(bool(ok)))
    report.days = [
        DayRow(period.start + _dt.timedelta(days=i), *counts.get(period.start + _dt.timedelta(days=i), (0, 0)))
        for i in range(period.days)
    ]

    # topics and documents: the distinct source lists of answered questions, each with its count
    topic_counts: dict[str, int] = {}
    doc_counts: dict[str, list] = {}
    for sources, n in conn.execute(
        select(q.sources, func.count()).where(in_period, q.answered.is_(True)).group_by(q.sources)
    ):
        try:
            items = json.loads(sources or "[]")
        except ValueError:
            continue
        docs: dict[str, str] = {}
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and (item.get("path") or item.get("title")):
                docs.setdefault(str(item.get("path") or ""), str(item.get("title") or item.get("path")))
        topics: set[str] = set()
        for path, title in docs.items():
            meta = document_meta(knowledge_dir, path)
            key = path or title
            row = doc_counts.setdefault(key, [meta["title"] if meta else title, meta["kind"] if meta else "", 0])
            row[2] += int(n)
            topics.update(meta["topics"] if meta else [""])
        for t in topics:
            topic_counts[t] = topic_counts.get(t, 0) + int(n)
    report.topics = [
        TopicRow(code, n) for code, n in sorted(topic_counts.items(), key=lambda kv: (-kv[1], kv[0] == "", kv[0]))
    ]
    report.documents = [
        DocumentRow(path, title, n, kind)
        for path, (title, kind, n) in sorted(doc_counts.items(), key=lambda kv: (-kv[1][2], kv[1][0]))[:TOP]
    ]

    # unanswered groups with the most questions asked in the period
    g = question_groups.c
    j = group_members.join(questions, questions.c.id == group_members.c.question_id).join(
        question_groups, question_groups.c.id == group_members.c.group_id
    )
    n_questions = func.count().label("n")
    report.groups = [
        GroupRow(int(gid), label, status, int(n), int(people))
        for gid, label, status, n, people in conn.execute(
            select(g.id, g.label, g.status, n_questions, func.count(func.distinct(q.user_hash)))
            .select_from(j)
            .where(in_period)
            .group_by(g.id, g.label, g.status)
            .order_by(n_questions.desc(), g.id)
            .limit(TOP)
        )
    ]
    per_group = (
        select(group_members.c.group_id)
        .select_from(group_members.join(questions, questions.c.id == group_members.c.question_id))
        .where(in_period)
        .distinct()
        .subquery()
    )
    report.groups_by_status = {
        status: int(n)
        for status, n in conn.execute(
            select(g.status, func.count())
            .select_from(question_groups.join(per_group, per_group.c.group_id == g.id))
            .group_by(g.status)
        )
    }


# --- output ------------------------------------------------------------------------------------------

CSV_HEADER = ("Phần", "Mục", "Chỉ số", "Giá trị")


class CsvRow(NamedTuple):
    """One line of the CSV, in the order of CSV_HEADER."""

    section: str  # Phần
    item: str  # Mục
    measure: str  # Chỉ số
    value: str | int | float | None  # Giá trị (None: nothing to divide, an empty cell)


def _cell(value) -> str | int | float:
    """Numbers as numbers; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(report: Report, commune: str | None = None) -> list[CsvRow]:
    p = report.period
    rows: list[CsvRow] = [
        CsvRow("Kỳ báo cáo", "Từ ngày", "", p.start.isoformat()),
        CsvRow("Kỳ báo cáo", "Đến ngày", "", p.end.isoformat()),
        CsvRow("Kỳ báo cáo", "Tên kỳ", "", p.label),
        CsvRow("Kỳ báo cáo", "Lập lúc", "", report.generated_at.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")),
    ]
    if commune:
        rows.insert(0, CsvRow("Kỳ báo cáo", "Đơn vị", "", commune))
    rows += [
        CsvRow("Tổng quan", "Câu hỏi", "Số lượng", report.asked),
        CsvRow("Tổng quan", "Đã trả lời", "Số lượng", report.answered),
        CsvRow("Tổng quan", "Đã trả lời", "Tỷ lệ (%)", report.answered_share),
        CsvRow("Tổng quan", "Chưa trả lời", "Số lượng", report.unanswered),
        CsvRow("Tổng quan", "Người dân hỏi (khác nhau)", "Số lượng", report.residents),
    ]
    for c in report.channels:
        rows += [
            CsvRow("Kênh", c.name, "Câu hỏi", c.asked),
            CsvRow("Kênh", c.name, "Đã trả lời", c.answered),
            CsvRow("Kênh", c.name, "Tỷ lệ trả lời (%)", c.share),
        ]
    rows += [CsvRow("Chưa trả lời theo lý do", REASON_NAMES.get(r, r), "Câu hỏi", n) for r, n in report.reasons.items()]
    rows += [CsvRow("Chủ đề", t.name, "Câu hỏi đã trả lời", t.questions) for t in report.topics]
    rows += [CsvRow("Tài liệu dùng nhiều nhất", d.title, "Câu hỏi đã trả lời", d.questions) for d in report.documents]
    for gr in report.groups:
        rows += [
            CsvRow("Nhóm câu hỏi chưa trả lời", gr.label, "Số lần hỏi", gr.questions),
            CsvRow("Nhóm câu hỏi chưa trả lời", gr.label, "Số người hỏi", gr.residents),
            CsvRow("Nhóm câu hỏi chưa trả lời", gr.label, "Trạng thái", gr.status_name),
        ]
    rows += [
        CsvRow("Nhóm câu hỏi trong kỳ", STATUS_NAMES.get(s, s), "Số nhóm", n)
        for s, n in sorted(report.groups_by_status.items())
    ]
    rows += [
        CsvRow("Góp ý của người dân", "Hữu ích", "Số lượng", report.helpful),
        CsvRow("Góp ý của người dân", "Chưa đúng", "Số lượng", report.wrong),
        CsvRow("Góp ý của người dân", "Hữu ích", "Tỷ lệ (%)", report.helpful_share),
        CsvRow("Gặp cán bộ", "Yêu cầu gặp cán bộ", "Số lượng", report.handoffs_requested),
        CsvRow("Gặp cán bộ", "Đã có cán bộ nhận", "Số lượng", report.handoffs_taken),
        CsvRow("Đăng ký nhận tin", "Đăng ký mới", "Số lượng", report.subscribed),
        CsvRow("Đăng ký nhận tin", "Hủy đăng ký", "Số lượng", report.unsubscribed),
        CsvRow("Đăng ký nhận tin", "Đang nhận tin (lúc lập báo cáo)", "Số lượng", report.subscribers_now),
    ]
    rows += [
        CsvRow("Tin không phải chữ và lượt quan tâm", e.kind_name, f"Số lượng ({e.channel_name})", e.count)
        for e in report.events
    ]
    for d in report.days:
        rows += [
            CsvRow("Theo ngày", d.day.isoformat(), "Câu hỏi", d.asked),
            CsvRow("Theo ngày", d.day.isoformat(), "Đã trả lời", d.answered),
        ]
    return rows


def to_csv(report: Report, commune: str | None = None) -> str:
    """The report as one long table (see the module docstring), UTF-8 text starting with a BOM."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in csv_rows(report, commune):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def percent(value: float | None) -> str:
    """81.3 -> '81,3%' (Vietnamese decimal comma); None -> '–'."""
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def format_text(report: Report, commune: str | None = None) -> str:
    """A readable summary for the terminal."""
    p = report.period
    lines = [
        f"BÁO CÁO TRỢ LÝ SỐ XÃ{' — ' + commune if commune else ''}",
        f"Kỳ báo cáo: {p.label}",
        f"Lập lúc: {report.generated_at.astimezone(VIETNAM).strftime('%H:%M %d/%m/%Y')}",
        "",
        f"Câu hỏi:                 {report.asked}",
        f"Đã trả lời:              {report.answered} ({percent(report.answered_share)})",
        f"Chưa trả lời:            {report.unanswered}",
        f"Người dân hỏi:           {report.residents}",
        f"Góp ý Hữu ích/Chưa đúng: {report.helpful}/{report.wrong} (hữu ích {percent(report.helpful_share)})",
        f"Gặp cán bộ:              {report.handoffs_requested} yêu cầu, {report.handoffs_taken} đã nhận",
        (
            f"Đăng ký nhận tin:        {report.subscribed} mới, {report.unsubscribed} hủy, "
            f"{report.subscribers_now} đang nhận tin"
        ),
        (
            f"Tin không phải chữ:      {report.non_text} (thoại, ảnh, tệp…); quan tâm "
            f"{report.events_of(MessageKind.FOLLOW)}, bỏ quan tâm {report.events_of(MessageKind.UNFOLLOW)}"
        ),
    ]
    if report.events:
        lines += ["", "Tin không phải chữ và lượt quan tâm, theo kênh:"] + [
            f"  {e.count:>6}  {e.kind_name} ({e.channel_name})" for e in report.events
        ]
    if report.channels:
        lines += ["", "Theo kênh:"] + [
            f"  {c.name:<14} {c.asked:>6} câu hỏi, trả lời {percent(c.share)}" for c in report.channels
        ]
    if report.topics:
        lines += ["", "Chủ đề được hỏi nhiều nhất:"] + [f"  {t.questions:>6}  {t.name}" for t in report.topics]
    if report.reasons:
        lines += ["", "Chưa trả lời theo lý do:"] + [
            f"  {n:>6}  {REASON_NAMES.get(r, r)}" for r, n in report.reasons.items()
        ]
    if report.groups:
        lines += ["", "Nhóm câu hỏi chưa trả lời nhiều nhất:"] + [
            f"  {g.questions:>6}  {g.label[:80]} [{g.status_name}]" for g in report.groups
        ]
    return "\n".join(lines) + "\n"
