"""Which channels are on, from environment variables (or `.env`): a channel is enabled when its token
variables are set. Every platform's base URL can be pointed elsewhere (staging, the tests' fakes)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.config import _load_dotenv
from connectors.channels.telegram import TelegramConfig
from connectors.channels.zalo_bot import ZaloBotConfig
from connectors.channels.zalo_oa import ZaloOAConfig


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    zalo_oa: ZaloOAConfig | None = None
    zalo_bot: ZaloBotConfig | None = None
    telegram: TelegramConfig | None = None
    web_chat: bool = True

    @classmethod
    def from_env(cls) -> GatewayConfig:
        _load_dotenv()
        env = os.environ.get
        zalo_oa = None
        if env("ZALO_OA_APP_ID") and env("ZALO_OA_SECRET_KEY"):
            zalo_oa = ZaloOAConfig(
                app_id=env("ZALO_OA_APP_ID", ""),
                oa_secret_key=env("ZALO_OA_SECRET_KEY", ""),
                app_secret=env("ZALO_APP_SECRET", ""),
                access_token=env("ZALO_OA_ACCESS_TOKEN", ""),
                refresh_token=env("ZALO_OA_REFRESH_TOKEN", ""),
                api_base=env("ZALO_OA_API_BASE", "https://openapi.zalo.me").rstrip("/"),
                oauth_base=env("ZALO_OAUTH_BASE", "https://oauth.zaloapp.com").rstrip("/"),
            )
        zalo_bot = None
        if env("ZALO_BOT_TOKEN"):
            zalo_bot = ZaloBotConfig(
                token=env("ZALO_BOT_TOKEN", ""),
                secret_token=env("ZALO_BOT_SECRET_TOKEN", ""),
                api_base=env("ZALO_BOT_API_BASE", "https://bot-api.zaloplatforms.com").rstrip("/"),
                webhook_url=env("ZALO_BOT_WEBHOOK_URL", ""),
                polling=_flag("ZALO_BOT_POLLING"),
            )
        telegram = None
        if env("TELEGRAM_BOT_TOKEN"):
            telegram = TelegramConfig(
                token=env("TELEGRAM_BOT_TOKEN", ""),
                secret_token=env("TELEGRAM_SECRET_TOKEN", ""),
                api_base=env("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/"),
                webhook_url=env("TELEGRAM_WEBHOOK_URL", ""),
                polling=_flag("TELEGRAM_POLLING"),
                news_chat=env("TELEGRAM_NEWS_CHAT", "").strip(),
            )
        rasa_port = env("TROLYSO_RASA_PORT", "5005")
        host = env("TROLYSO_HOST", "127.0.0.1")
        return cls(
            host=host,
            port=int(env("TROLYSO_GATEWAY_PORT", "8000")),
            rasa_url=env("TROLYSO_RASA_URL", f"http://{host}:{rasa_port}"),
            zalo_oa=zalo_oa,
            zalo_bot=zalo_bot,
            telegram=telegram,
            web_chat=not _flag("TROLYSO_WEB_CHAT_OFF"),
        )

    def enabled(self) -> list[str]:
        names = [
            n
            for n, c in (("zalo-oa", self.zalo_oa), ("zalo-bot", self.zalo_bot), ("telegram", self.telegram))
            if c is not None
        ]
        return names + (["web"] if self.web_chat else [])
