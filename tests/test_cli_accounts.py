"""`trolyso user …` as an admin runs it on the server: real processes on a private data dir. Disabling, enabling,
a new password and ending sessions take effect at once and are in the audit log (as "cli")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.store import Store
from bot.team.accounts import Accounts
from bot.team.audit import AuditLog

ROOT = Path(__file__).resolve().parents[1]


def test_user_lifecycle_commands_take_effect_and_are_audited(tmp_path):
    env = {**os.environ, "TROLYSO_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("TROLYSO_DATABASE_URL", None)

    def trolyso(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "user", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )

    assert trolyso("add", "lan.team", "--role", "team", "--password-stdin", input="mat-khau-cua-lan\n").returncode == 0
    store = Store(f"sqlite:///{tmp_path / 'trolyso.db'}")
    accounts = Accounts(store)
    tokens = [accounts.login("lan.team", "mat-khau-cua-lan") for _ in range(2)]

    listed = trolyso("sessions", "lan.team")
    assert listed.returncode == 0 and "2 open sessions of lan.team" in listed.stdout
    ended = trolyso("sessions", "lan.team", "--end")
    assert ended.returncode == 0 and "2 sessions of lan.team ended" in ended.stdout
    assert [accounts.session(t) for t in tokens] == [None, None]

    token = accounts.login("lan.team", "mat-khau-cua-lan")
    disabled = trolyso("disable", "lan.team")
    assert disabled.returncode == 0, disabled.stderr
    assert accounts.session(token) is None and accounts.login("lan.team", "mat-khau-cua-lan") is None
    assert "disabled" in trolyso("list").stdout
    assert trolyso("enable", "lan.team").returncode == 0
    token = accounts.login("lan.team", "mat-khau-cua-lan")
    assert token

    short = trolyso("passwd", "lan.team", "--password-stdin", input="ngan\n")
    assert short.returncode != 0 and "at least 10" in short.stderr
    changed = trolyso("passwd", "lan.team", "--password-stdin", input="mat-khau-moi-cua-lan\n")
    assert changed.returncode == 0, changed.stderr
    assert accounts.session(token) is None and accounts.login("lan.team", "mat-khau-moi-cua-lan")
    missing = trolyso("disable", "khong.co")
    assert missing.returncode != 0 and "no user khong.co" in missing.stderr

    done = [(e.username, e.action, e.target) for e in reversed(AuditLog(store).recent(50))]
    assert done == [
        ("cli", "account_created", "lan.team"),
        ("cli", "sessions_ended", "lan.team"),
        ("cli", "account_disabled", "lan.team"),
        ("cli", "account_enabled", "lan.team"),
        ("cli", "password_changed", "lan.team"),
    ]
