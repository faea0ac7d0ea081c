"""Settings, read from environment variables (and a `.env` file in the working directory if present)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env without overriding variables already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    knowledge_dir: Path
    database_url: str
    model_dir: Path
    index_dir: Path
    user_salt: str
    zalo_window_days: float = 7.0  # Zalo accepts free-form messages this long after the resident last wrote
    handoff_release_minutes: float = 30.0  # a taken conversation returns to the bot after this long without the team

    @classmethod
    def from_env(cls) -> Settings:
        _load_dotenv()
        data = Path(os.environ.get("TROLYSO_DATA_DIR", "var")).resolve()
        knowledge = Path(os.environ.get("TROLYSO_KNOWLEDGE_DIR", "knowledge")).resolve()
        db = os.environ.get("TROLYSO_DATABASE_URL") or f"sqlite:///{data / 'trolyso.db'}"
        model = Path(os.environ.get("TROLYSO_MODEL_DIR", str(data / "models" / "e5-small"))).resolve()
        return cls(
            data_dir=data,
            knowledge_dir=knowledge,
            database_url=db,
            model_dir=model,
            index_dir=data / "index",
            user_salt=os.environ.get("TROLYSO_USER_SALT", "trolyso"),
            zalo_window_days=_positive("TROLYSO_ZALO_WINDOW_DAYS", 7.0),
            handoff_release_minutes=_positive("TROLYSO_HANDOFF_RELEASE_MINUTES", 30.0),
        )


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, not {raw!r}")
    return value
