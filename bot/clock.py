"""Time, in one place: every stored time is UTC; staff and residents read Việt Nam time (UTC+7, no daylight
saving) and Vietnamese dates. Standard library only."""

from __future__ import annotations

import datetime as _dt
import re
from typing import overload

VIETNAM = _dt.timezone(_dt.timedelta(hours=7), "ICT")


def utcnow() -> _dt.datetime:
    """Now, in UTC: what every stored time is."""
    return _dt.datetime.now(_dt.UTC)


@overload
def as_utc(value: _dt.datetime) -> _dt.datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: _dt.datetime | None) -> _dt.datetime | None: ...
def as_utc(value: _dt.datetime | None) -> _dt.datetime | None:
    """SQLite hands datetimes back without their zone; they were stored as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=_dt.UTC)
    return value


def vn_now() -> _dt.datetime:
    return _dt.datetime.now(VIETNAM)


def vn_today() -> _dt.date:
    """Today's date in Việt Nam."""
    return vn_now().date()


def vn_date(value: _dt.date | str | None) -> str:
    """A date as Vietnamese text: 2026-04-05 → "5/4/2026"; a month "2026-04" → "4/2026"; a year stays a year.
    Anything else (free text in a knowledge file's front matter) is returned as it is."""
    if isinstance(value, _dt.datetime):
        value = value.astimezone(VIETNAM).date() if value.tzinfo else value.date()
    if isinstance(value, _dt.date):
        return f"{value.day}/{value.month}/{value.year}"
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", (value or "").strip())
    if not m:
        return value or ""
    y, mo, d = m.groups()
    if d:
        return f"{int(d)}/{int(mo)}/{y}"
    if mo:
        return f"{int(mo)}/{y}"
    return y
