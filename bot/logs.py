"""Logging for every process (the gateway, the action server, `trolyso up`): identity, phone and bank account
numbers and e-mail addresses never reach a log line (bot/text.py `mask_personal_numbers`), whether they come in
the message, in its arguments or in an exception. A leaf: the standard library and bot.text only."""

from __future__ import annotations

import json
import logging
from typing import TextIO

from bot.text import mask_personal_numbers

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class MaskingFilter(logging.Filter):
    """Masks the message with its arguments filled in (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_numbers(record.getMessage())
        record.args = ()
        return True


class MaskingFormatter(logging.Formatter):
    """Text lines, with exceptions and stacks masked as well (the filter sees only the message)."""

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return mask_personal_numbers(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 (logging's name)
        return mask_personal_numbers(super().formatStack(stack_info))


class JsonFormatter(MaskingFormatter):
    """One JSON object a line: time, level, logger, message, and the exception as "error"."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def masked_handler(formatter: logging.Formatter | None = None, stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr by default) whose every record is masked."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter or MaskingFormatter(TEXT_FORMAT))
    handler.addFilter(MaskingFilter())
    return handler


def configure_logging(level: int = logging.INFO, json_lines: bool = False) -> None:
    """The root logger writes through one masked handler on stderr (text lines, or JSON lines)."""
    root = logging.getLogger()
    root.handlers[:] = [masked_handler(JsonFormatter() if json_lines else None)]
    root.setLevel(level)
