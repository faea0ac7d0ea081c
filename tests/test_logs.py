"""bot/logs.py, the masked logging every process uses, and `trolyso up`'s own output (bot/cli.py `up`): its lines
and its errors, which quote the end of a service's log, keep no identity, phone or bank account number."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from click.testing import CliRunner

import bot.stack
from bot.cli import main
from bot.logs import MaskingFormatter, masked_handler

CCCD, PHONE = "001203004567", "0912 345 678"


def test_a_text_handler_masks_the_message_its_arguments_and_the_exception():
    stream = io.StringIO()
    log = logging.getLogger("tests.logs")
    log.addHandler(masked_handler(MaskingFormatter("%(levelname)s %(message)s"), stream))
    log.propagate = False
    try:
        try:
            raise RuntimeError(f"CCCD {CCCD}")
        except RuntimeError:
            log.error("gửi tới %s thất bại, e-mail %s", PHONE, "lan.tran@gmail.com", exc_info=sys.exc_info())
    finally:
        log.handlers.clear()
        log.propagate = True
    out = stream.getvalue()
    assert out.startswith("ERROR gửi tới ********78 thất bại, e-mail ***@gmail.com\n")
    assert "RuntimeError: CCCD **********67" in out and CCCD not in out and "0912" not in out


@pytest.fixture
def root_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_trolyso_up_masks_its_own_lines_and_the_log_tail_of_a_failed_service(tmp_path, monkeypatch, root_logging):
    def upgrade(settings, echo=print):
        echo(f"  schema upgraded (resident {PHONE} was waiting)")

    def start(self, echo=print):
        echo("  actions  ready in  1.0 s  http://127.0.0.1:5055")
        raise bot.stack.StackError(f"rasa exited with code 1; last lines of rasa.log:\nuser said: CCCD {CCCD}")

    monkeypatch.setattr(bot.stack, "build_services", lambda config, settings: [])
    monkeypatch.setattr(bot.stack, "upgrade_database", upgrade)
    monkeypatch.setattr(bot.stack.Stack, "start", start)
    result = CliRunner().invoke(main, ["up"], env={"TROLYSO_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "schema upgraded (resident ********78 was waiting)" in result.output
    assert "http://127.0.0.1:5055" in result.output  # addresses and times stay
    assert "user said: CCCD **********67" in result.output
    assert CCCD not in result.output and "0912" not in result.output
