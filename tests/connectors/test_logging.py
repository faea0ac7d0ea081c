"""The gateway's logs (connectors/gateway.py `configure_logging`, with bot/logs.py): JSON lines in which identity
numbers (CCCD, CMND) and phone numbers never appear, whether they come in the message, its arguments or an
exception."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from bot.logs import JsonFormatter, MaskingFilter
from connectors.gateway import configure_logging

CCCD, PHONE = "001203004567", "0912345678"


def record(msg: str, args: tuple = (), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("trolyso.gateway", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_the_filter_masks_numbers_in_the_message_and_in_its_arguments():
    r = record(f"CCCD {CCCD} nhắn từ %s (%d lần)", (f"số {PHONE}", 2))
    assert MaskingFilter().filter(r) is True  # masked, never dropped
    assert r.getMessage() == "CCCD **********67 nhắn từ số ********78 (2 lần)"
    line = json.loads(JsonFormatter().format(r))
    assert line["message"] == "CCCD **********67 nhắn từ số ********78 (2 lần)" and line["level"] == "WARNING"


def test_the_formatter_masks_numbers_in_an_exception():
    try:
        raise ValueError(f"không gửi được tới {PHONE}")
    except ValueError:
        r = record("worker: unexpected error on %s row %s", ("out", 7), sys.exc_info())
    MaskingFilter().filter(r)
    line = json.loads(JsonFormatter().format(r))
    assert "ValueError" in line["error"] and PHONE not in line["error"] and "********78" in line["error"]


@pytest.fixture
def root_logging():
    """configure_logging replaces the root logger's handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configured_logging_writes_masked_json_lines(root_logging, capsys):
    configure_logging()
    log = logging.getLogger("connectors.worker")
    log.info("reply %s on %s not delivered (%s): retry in %.1f s", 3, "zalo-oa", f"quoted '{CCCD} {PHONE}'", 0.5)
    try:
        raise RuntimeError(f"CCCD {CCCD}")
    except RuntimeError:
        log.exception("worker: unexpected error on %s row %s", "in", 4)
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]
    assert [entry["logger"] for entry in lines] == ["connectors.worker", "connectors.worker"]
    assert lines[0]["message"] == "reply 3 on zalo-oa not delivered (quoted '**********67 ********78'): retry in 0.5 s"
    assert "**********67" in lines[1]["error"]
    assert CCCD not in err and PHONE not in err
