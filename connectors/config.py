"""Which channels are on, from the settings (bot/config.py): a channel is enabled when its token variables are
set. Every platform's base URL can be pointed elsewhere (staging, the tests' fakes)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from connectors.channels.messenger import MessengerConfig
from connectors.channels.telegram import TelegramConfig
from connectors.channels.zalo_bot import ZaloBotConfig
from connectors.channels.zalo_oa import ZaloOAConfig


@dataclass(frozen=True)
class GatewayConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_urls: tuple[str, ...] = ()  # several Rasa processes (TROLYSO_RASA_URLS); () = rasa_url alone
    rasa_token: str = ""  # sent as `Authorization: Bearer` to Rasa's REST channel (nlu/rest_channel.py)
    zalo_oa: ZaloOAConfig | None = None
    zalo_bot: ZaloBotConfig | None = None
    telegram: TelegramConfig | None = None
    messenger: MessengerConfig | None = None
    web_chat: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewayConfig:
        """The gateway's channels from the settings: a channel is on when its tokens are set."""
        ch = settings.channels
        zalo_oa = None
        if ch.zalo_oa_app_id and ch.zalo_oa_secret_key:
            zalo_oa = ZaloOAConfig(
                app_id=ch.zalo_oa_app_id,
                oa_secret_key=ch.zalo_oa_secret_key,
                app_secret=ch.zalo_app_secret,
                access_token=ch.zalo_oa_access_token,
                refresh_token=ch.zalo_oa_refresh_token,
                api_base=ch.zalo_oa_api_base,
                oauth_base=ch.zalo_oauth_base,
                event_window=settings.zalo_event_window_minutes * 60,
            )
        zalo_bot = None
        if ch.zalo_bot_token:
            zalo_bot = ZaloBotConfig(
                token=ch.zalo_bot_token,
                secret_token=ch.zalo_bot_secret_token,
                api_base=ch.zalo_bot_api_base,
                webhook_url=ch.zalo_bot_webhook_url,
                polling=ch.zalo_bot_polling,
            )
        telegram = None
        if ch.telegram_bot_token:
            telegram = TelegramConfig(
                token=ch.telegram_bot_token,
                secret_token=ch.telegram_secret_token,
                api_base=ch.telegram_api_base,
                webhook_url=ch.telegram_webhook_url,
                polling=ch.telegram_polling,
                news_chat=ch.telegram_news_chat,
            )
        messenger = None
        if ch.messenger_page_access_token:
            messenger = MessengerConfig(
                page_access_token=ch.messenger_page_access_token,
                app_secret=ch.messenger_app_secret,
                verify_token=ch.messenger_verify_token,
                api_base=ch.messenger_api_base,
            )
        return cls(
            host=settings.host,
            port=settings.gateway_port,
            rasa_url=settings.rasa_url,
            rasa_urls=settings.rasa_urls,
            rasa_token=settings.rasa_token,
            zalo_oa=zalo_oa,
            zalo_bot=zalo_bot,
            telegram=telegram,
            messenger=messenger,
            web_chat=ch.web_chat,
        )

    @property
    def rasa_servers(self) -> tuple[str, ...]:
        """The Rasa processes the worker spreads conversations over."""
        return self.rasa_urls or (self.rasa_url,)

    def enabled(self) -> list[str]:
        names = [
            n
            for n, c in (
                ("zalo-oa", self.zalo_oa),
                ("zalo-bot", self.zalo_bot),
                ("telegram", self.telegram),
                ("messenger", self.messenger),
            )
            if c is not None
        ]
        return names + (["web"] if self.web_chat else [])
