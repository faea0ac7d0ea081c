"""Reports (bot/team/reports.py) for any period: on screen with simple charts drawn on the server (inline SVG and
CSS bars, no script), as a CSV download, and as a printable A4 page the commune attaches to its periodic
reports. The period comes from GET parameters: `preset`, or `from` and `to` (see `Period.resolve`).
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.clock import vn_date, vn_today
from bot.console.web import Console
from bot.status import Role
from bot.team.accounts import Session
from bot.team.reports import (
    PRESETS,
    REASON_NAMES,
    STATUS_NAMES,
    DayRow,
    Period,
    PeriodError,
    Report,
    build_report,
    percent,
    to_csv,
)

CHART_W, CHART_H, CHART_LEFT, CHART_BOTTOM, CHART_TOP = 640, 210, 44, 30, 10
ASKED_COLOR, ANSWERED_COLOR = "#9dbde6", "#0b4f9c"


def _nice_ceiling(value: int) -> int:
    """1, 2, 5 × 10^k at or above value (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


class ChartBin(NamedTuple):
    """One bar of the chart."""

    label: str  # the day, week or month it counts ("09/06", "09/06–15/06", "06/2026")
    asked: int
    answered: int


class ChartBins(NamedTuple):
    unit: str  # what one bar counts: "ngày", "tuần" or "tháng"
    bins: list[ChartBin]


def chart_bins(days: list[DayRow]) -> ChartBins:
    """One bar per day up to two months, per 7 days up to ~14 months, per calendar month beyond."""
    if len(days) <= 62:
        return ChartBins("ngày", [ChartBin(d.day.strftime("%d/%m"), d.asked, d.answered) for d in days])
    if len(days) <= 430:
        bins: list[ChartBin] = []
        for i in range(0, len(days), 7):
            part = days[i : i + 7]
            bins.append(
                ChartBin(
                    f"{part[0].day.strftime('%d/%m')}–{part[-1].day.strftime('%d/%m')}",
                    sum(d.asked for d in part),
                    sum(d.answered for d in part),
                )
            )
        return ChartBins("tuần", bins)
    months: dict[str, list[int]] = {}
    for d in days:
        m = months.setdefault(d.day.strftime("%m/%Y"), [0, 0])
        m[0] += d.asked
        m[1] += d.answered
    return ChartBins("tháng", [ChartBin(label, a, b) for label, (a, b) in months.items()])


def chart_svg(days: list[DayRow]) -> Markup:
    """Questions asked (light) and answered (dark) over the period as an inline SVG bar chart: scales with
    the page, prints (unlike CSS backgrounds), each bar has a tooltip with its numbers."""
    unit, bins = chart_bins(days)
    if not bins:
        return Markup("")
    top = _nice_ceiling(max(b.asked for b in bins))
    plot_w, plot_h = CHART_W - CHART_LEFT - 6, CHART_H - CHART_BOTTOM - CHART_TOP
    base = CHART_TOP + plot_h
    step = plot_w / len(bins)
    gap = min(2.0, step * 0.2)
    out = [
        (
            f'<svg class="chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
            f'aria-label="Số câu hỏi theo {unit}" xmlns="http://www.w3.org/2000/svg" font-size="14" '
            f'font-family="system-ui, Arial, sans-serif">'
        )
    ]
    for value in sorted({0, top // 2, top} if top > 1 else {0, 1}):
        y = base - plot_h * value / top
        out.append(
            f'<line x1="{CHART_LEFT}" y1="{y:.1f}" x2="{CHART_W - 6}" y2="{y:.1f}" stroke="#d8dee6"/>'
            f'<text x="{CHART_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5a6472">{value}</text>'
        )
    for i, (label, asked, answered) in enumerate(bins):
        x, w = CHART_LEFT + i * step + gap / 2, max(step - gap, 0.5)
        h1, h2 = plot_h * asked / top, plot_h * answered / top
        tip = escape(f"{label}: {asked} câu hỏi, {answered} đã trả lời")
        out.append(
            f"<g><title>{tip}</title>"
            f'<rect x="{x:.2f}" y="{base - h1:.2f}" width="{w:.2f}" height="{h1:.2f}" fill="{ASKED_COLOR}"/>'
            f'<rect x="{x:.2f}" y="{base - h2:.2f}" width="{w:.2f}" height="{h2:.2f}" '
            f'fill="{ANSWERED_COLOR}"/></g>'
        )
    for i in sorted({0, len(bins) // 2, len(bins) - 1}):
        x = CHART_LEFT + (i + 0.5) * step
        anchor = "start" if i == 0 and len(bins) > 1 else "end" if i == len(bins) - 1 and len(bins) > 1 else "middle"
        x = CHART_LEFT if anchor == "start" else CHART_W - 6 if anchor == "end" else x
        out.append(
            f'<text x="{x:.1f}" y="{CHART_H - 8}" text-anchor="{anchor}" fill="#5a6472">{escape(bins[i].label)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def csv_filename(period: Period) -> str:
    if period.start == period.end:
        return f"bao-cao-tro-ly-so-{period.end.isoformat()}.csv"
    return f"bao-cao-tro-ly-so-{period.start.isoformat()}-den-{period.end.isoformat()}.csv"


def preset_choices() -> dict[str, str]:
    """The period select: each preset with its dates today."""
    choices = {}
    for key, name in PRESETS.items():
        if key != "custom":
            p = Period.from_preset(key)
            choices[key] = f"{name}: {vn_date(p.start)} – {vn_date(p.end)}"
    return choices


def routes(console: Console) -> list[Route]:
    store, settings = console.store, console.settings

    def period_of(request: Request) -> Period:
        p = request.query_params
        return Period.resolve(p.get("preset"), p.get("from"), p.get("to"))

    async def report_for(period: Period) -> Report:
        return await asyncio.to_thread(build_report, store, period, settings.knowledge_dir)

    def context(period: Period, report: Report | None) -> dict:
        return {
            "period": period,
            "report": report,
            "presets": preset_choices(),
            "query": urlencode(period.query()),
            "chart": chart_svg(report.days) if report else "",
            "chart_unit": chart_bins(report.days).unit if report else "",
            "percent": percent,
            "vn_date": vn_date,
            "reason_names": REASON_NAMES,
            "status_names": STATUS_NAMES,
            "commune": settings.report_header,
            "today": vn_today(),
        }

    @console.guard(Role.TEAM)
    async def reports_page(request: Request, session: Session) -> Response:
        try:
            period = period_of(request)
        except PeriodError as exc:
            fallback = Period.from_preset("this-month")
            ctx = context(fallback, None)
            ctx.update(
                error=str(exc),
                form_from=request.query_params.get("from", ""),
                form_to=request.query_params.get("to", ""),
            )
            return console.page(request, "reports.html", session, 400, **ctx)
        return console.page(request, "reports.html", session, **context(period, await report_for(period)))

    @console.guard(Role.TEAM)
    async def reports_csv(request: Request, session: Session) -> Response:
        try:
            period = period_of(request)
        except PeriodError as exc:
            return console.refuse(request, session, str(exc))
        text = to_csv(await report_for(period), settings.report_header)
        return Response(
            text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{csv_filename(period)}"',
                "Cache-Control": "no-store",
            },
        )

    @console.guard(Role.TEAM)
    async def reports_print(request: Request, session: Session) -> Response:
        try:
            period = period_of(request)
        except PeriodError as exc:
            return console.refuse(request, session, str(exc))
        return console.page(request, "report_print.html", session, **context(period, await report_for(period)))

    return [
        Route("/reports", reports_page, methods=["GET"]),
        Route("/reports.csv", reports_csv, methods=["GET"]),
        Route("/reports/print", reports_print, methods=["GET"]),
    ]
