"""The action server's logs (actions/__main__.py `configure_logging`, with bot/logs.py): identity, phone and bank
account numbers never reach them, whether in the message, its arguments or an exception, and whether the line
comes from the actions, rasa-sdk or Sanic (which rasa-sdk starts without handlers of its own)."""

from __future__ import annotations

import logging
import os

import pytest

os.environ.setdefault("TROLYSO_ACTIONS_WARM", "0")

from rasa_sdk.endpoint import create_app  # noqa: E402
from rasa_sdk.executor import ActionExecutor  # noqa: E402

from actions.__main__ import configure_logging  # noqa: E402

CCCD, PHONE, ACCOUNT = "001 099 012 345", "0912.345.678", "1903 1234 5678 90"


@pytest.fixture
def root_logging():
    """configure_logging replaces the root logger's handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_action_servers_log_lines_are_masked(root_logging, capsys):
    configure_logging()
    create_app(ActionExecutor(), cors_origins=None)  # what `python -m actions` serves
    logging.getLogger("actions.people").info(f"hand-off: CCCD {CCCD}, gọi %s (%d lần)", PHONE, 2)
    logging.getLogger("rasa_sdk.executor").debug("not shown at INFO: %s", PHONE)
    try:
        raise ValueError(f"không ghi được số tài khoản {ACCOUNT}")
    except ValueError:
        logging.getLogger("sanic.error").exception("Exception occurred while handling uri: %s", f"/webhook?sdt={PHONE}")
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0].endswith("INFO actions.people: hand-off: CCCD **********45, gọi ********78 (2 lần)")
    assert "ERROR sanic.error: Exception occurred while handling uri: /webhook?sdt=********78" in lines[1]
    assert "ValueError: không ghi được số tài khoản ************90" in err
    for number in (CCCD, PHONE, ACCOUNT, "0912", "5678"):
        assert number not in err
