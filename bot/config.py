"""Settings: the one place the environment is read. Every process (gateway, action server, CLI, `trolyso up`)
builds one `Settings` with `Settings.from_env()` and passes it on; no other module reads `os.environ` for a
setting. Values come from environment variables, then a `.env` file in the working directory (variables already
set win). Standard library only. The README's "Configuration" table lists every variable."""

from __future__ import annotations

import builtins
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the checkout: credentials.yml, the Rasa model, .venv-rasa


class SettingsError(ValueError):
    """A variable that is set to something unusable; the message names it."""


def load_dotenv(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from .env without overriding variables already set."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


class _Env:
    """Typed reads of one environment mapping; a malformed value raises SettingsError naming the variable."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def str(self, name: str, default: str = "") -> str:
        return self.env.get(name, "").strip() or default

    # below, `str` is the method above: the type is spelled builtins.str
    def flag(self, name: builtins.str, default: bool = False) -> bool:
        raw = self.env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{name} must be 1 or 0, not {raw!r}")

    def number(self, name: builtins.str, default: float) -> float:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if value <= 0:
            raise SettingsError(f"{name} must be a positive number, not {raw!r}")
        return value

    def port(self, name: builtins.str, default: int) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise SettingsError(f"{name} must be a port number (1–65535), not {raw!r}")
        return int(raw)

    def count(self, name: builtins.str, default: int) -> int:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or int(raw) <= 0:
            raise SettingsError(f"{name} must be a positive whole number, not {raw!r}")
        return int(raw)

    def addresses(self, name: builtins.str) -> tuple[builtins.str, ...]:
        """A comma-separated list of IP addresses (IPv4 or IPv6), normalised; empty when unset."""
        found = []
        for item in self.env.get(name, "").split(","):
            if item.strip():
                try:
                    found.append(builtins.str(ipaddress.ip_address(item.strip())))
                except ValueError:
                    raise SettingsError(f"{name} must list IP addresses separated by commas, not {item!r}") from None
        return tuple(found)

    def slug(self, name: builtins.str) -> builtins.str:
        """A place slug such as "muong-mun": lower-case letters without diacritics, digits and hyphens."""
        raw = self.env.get(name, "").strip()
        if raw and not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", raw):
            raise SettingsError(f"{name} must be a place name like 'muong-mun' (no diacritics, hyphens), not {raw!r}")
        return raw

    def redis_url(self, name: builtins.str) -> builtins.str:
        """redis://[:password@]host[:port][/db] (rediss:// for TLS); empty when unset."""
        raw = self.env.get(name, "").strip()
        if raw and not re.fullmatch(r"rediss?://([^@/\s]*@)?[^@/:\s]+(:\d{1,5})?(/\d{1,2})?/?", raw):
            raise SettingsError(f"{name} must be an address like redis://127.0.0.1:6379/0, not {raw!r}")
        return raw

    def urls(self, name: builtins.str) -> tuple[builtins.str, ...]:
        """A comma-separated list of http(s) addresses, without trailing slashes; empty when unset."""
        found = []
        for item in self.env.get(name, "").split(","):
            if item.strip():
                if not re.fullmatch(r"https?://[^\s/?#,]+/?", item.strip()):
                    raise SettingsError(
                        f"{name} must list addresses like http://127.0.0.1:5005 separated by commas, not {item!r}"
                    )
                found.append(item.strip().rstrip("/"))
        return tuple(dict.fromkeys(found))

    def path(self, name: builtins.str, default: Path) -> Path:
        return Path(self.env.get(name, "").strip() or default).resolve()


@dataclass(frozen=True)
class ChannelSettings:
    """The platforms' tokens and addresses as configured; `connectors.config.GatewayConfig` turns them into the
    channel adapters' configs. Empty means not set (the channel stays off)."""

    zalo_oa_app_id: str = ""
    zalo_oa_secret_key: str = ""
    zalo_app_secret: str = ""
    zalo_oa_access_token: str = ""
    zalo_oa_refresh_token: str = ""
    zalo_oa_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_bot_token: str = ""
    zalo_bot_secret_token: str = ""
    zalo_bot_api_base: str = "https://bot-api.zaloplatforms.com"
    zalo_bot_webhook_url: str = ""
    zalo_bot_polling: bool = False
    telegram_bot_token: str = ""
    telegram_secret_token: str = ""
    telegram_api_base: str = "https://api.telegram.org"
    telegram_webhook_url: str = ""
    telegram_polling: bool = False
    telegram_news_chat: str = ""
    messenger_page_access_token: str = ""
    messenger_app_secret: str = ""
    messenger_verify_token: str = ""
    messenger_api_base: str = "https://graph.facebook.com/v19.0"
    web_chat: bool = True

    @classmethod
    def from_env(cls, e: _Env) -> ChannelSettings:
        return cls(
            zalo_oa_app_id=e.str("ZALO_OA_APP_ID"),
            zalo_oa_secret_key=e.str("ZALO_OA_SECRET_KEY"),
            zalo_app_secret=e.str("ZALO_APP_SECRET"),
            zalo_oa_access_token=e.str("ZALO_OA_ACCESS_TOKEN"),
            zalo_oa_refresh_token=e.str("ZALO_OA_REFRESH_TOKEN"),
            zalo_oa_api_base=e.str("ZALO_OA_API_BASE", cls.zalo_oa_api_base).rstrip("/"),
            zalo_oauth_base=e.str("ZALO_OAUTH_BASE", cls.zalo_oauth_base).rstrip("/"),
            zalo_bot_token=e.str("ZALO_BOT_TOKEN"),
            zalo_bot_secret_token=e.str("ZALO_BOT_SECRET_TOKEN"),
            zalo_bot_api_base=e.str("ZALO_BOT_API_BASE", cls.zalo_bot_api_base).rstrip("/"),
            zalo_bot_webhook_url=e.str("ZALO_BOT_WEBHOOK_URL"),
            zalo_bot_polling=e.flag("ZALO_BOT_POLLING"),
            telegram_bot_token=e.str("TELEGRAM_BOT_TOKEN"),
            telegram_secret_token=e.str("TELEGRAM_SECRET_TOKEN"),
            telegram_api_base=e.str("TELEGRAM_API_BASE", cls.telegram_api_base).rstrip("/"),
            telegram_webhook_url=e.str("TELEGRAM_WEBHOOK_URL"),
            telegram_polling=e.flag("TELEGRAM_POLLING"),
            telegram_news_chat=e.str("TELEGRAM_NEWS_CHAT"),
            messenger_page_access_token=e.str("MESSENGER_PAGE_ACCESS_TOKEN"),
            messenger_app_secret=e.str("MESSENGER_APP_SECRET"),
            messenger_verify_token=e.str("MESSENGER_VERIFY_TOKEN"),
            messenger_api_base=e.str("MESSENGER_API_BASE", cls.messenger_api_base).rstrip("/"),
            web_chat=not e.flag("TROLYSO_WEB_CHAT_OFF"),
        )


@dataclass(frozen=True)
class Settings:
    # where things are
    data_dir: Path
    knowledge_dir: Path
    database_url: str
    model_dir: Path
    index_dir: Path
    user_salt: str = "trolyso"
    # the services and how they find each other
    host: str = "127.0.0.1"  # the gateway's interface (0.0.0.0 to serve the platforms directly)
    internal_host: str = "127.0.0.1"  # Rasa and the action server: never reachable from outside by default
    gateway_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    actions_metrics_port: int = 0  # the action server's Prometheus metrics on internal_host; 0 = off
    rasa_url: str = ""  # default http://<internal_host>:<rasa_port>
    # the Rasa processes the gateway spreads conversations over (connectors/rasa_client.py AsyncRasaPool); default
    # (rasa_url,)
    rasa_urls: tuple[str, ...] = ()
    # Rasa's REST channel answers only `Authorization: Bearer <token>` (nlu/rest_channel.py); "" = `trolyso up` makes
    # one per start and gives it to Rasa and the gateway only
    rasa_token: str = ""
    rasa_bin: Path = ROOT / ".venv-rasa" / "bin" / "rasa"
    rasa_model: Path = ROOT / "models" / "trolyso.tar.gz"
    # Rasa's lock store (redis://host:port/db): several Rasa processes can then serve the same conversations in order;
    # "" = Rasa's in-memory lock (one Rasa process). Conversations themselves are kept by the SQL tracker store.
    redis_url: str = ""
    # the gateway
    retry_base: float = 1.0  # ceiling (s) of the first retry's random wait; doubles up to retry_max (bot/retry.py)
    retry_max: float = 60.0
    # a message or reply a gateway process took is taken again by another after this long without an outcome (the
    # process died): connectors/queue.py MessageQueue's lease
    queue_lease_seconds: float = 120.0
    zalo_window_days: float = 7.0  # Zalo accepts free-form messages this long after the resident last wrote
    handoff_release_minutes: float = 30.0  # a taken conversation returns to the bot after this long without the team
    # a Zalo OA message event stamped further from now (past or future) is refused; Zalo retries a delivery for
    # up to ~2 hours after an outage (docs/channels.md), and those retries must still be accepted
    zalo_event_window_minutes: float = 120.0
    metrics_token: str = ""  # /metrics also answers `Authorization: Bearer <token>` (always: loopback)
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    # the web chat's limits (connectors/ratelimit.py): moving windows, in memory, per gateway process
    web_rate_conversation: int = 20  # messages per minute per web conversation
    web_rate_ip: int = 60  # web chat requests per minute per client address
    web_new_conversations: int = 10  # new web conversations per hour per client address
    web_handoffs: int = 3  # "/human_handoff…" button payloads per hour per client address
    web_subscriptions: int = 3  # "/subscribe…" button payloads per hour per client address
    web_session_days: float = 30.0  # a web conversation's token expires after this long unused
    # residents' data (questions, conversations, hand-offs…) is deleted after this many days (bot/team/retention.py)
    retention_days: int = 365
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For names the client (nginx, Caddy)
    # the gateway's address as residents reach it ("https://troly.xa.gov.vn"): the bot's privacy notice links to
    # <it>/privacy; "" = taken from TELEGRAM_WEBHOOK_URL or ZALO_BOT_WEBHOOK_URL when set, else no link
    public_url: str = ""
    # the console
    session_hours: float = 8.0
    cookie_secure: bool = False  # 1 behind HTTPS
    commune_name: str = ""  # the printable report's header; "" = not set
    # the commune this installation serves, as in a plan's `locality` ("muong-mun" = xã Mường Mùn): "xã mình"
    # questions are answered from its plan first, its province's second; "" = ask which commune is meant
    commune: str = ""
    # the action server
    watch_knowledge: bool = True  # re-index when knowledge/ changes
    actions_warm: bool = True  # load the model and index before the first message (off in some tests)
    # after each knowledge change the action server asks the question sets (eval_dir/*.jsonl) of the old and the new
    # index in the background and writes <data dir>/eval/latest.json for the console (bot/engine/regression.py)
    eval_on_change: bool = True
    eval_dir: Path = Path("eval")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `environ` (default: the process environment after reading `.env`)."""
        if environ is None:
            load_dotenv()
            environ = os.environ
        e = _Env(environ)
        data = e.path("TROLYSO_DATA_DIR", Path("var"))
        host = e.str("TROLYSO_HOST", cls.host)
        internal_host = e.str("TROLYSO_INTERNAL_HOST", cls.internal_host)
        rasa_port = e.port("TROLYSO_RASA_PORT", cls.rasa_port)
        rasa_url = e.str("TROLYSO_RASA_URL", f"http://{internal_host}:{rasa_port}").rstrip("/")
        channels = ChannelSettings.from_env(e)
        for url, secret, url_name, secret_name in (
            (
                channels.zalo_bot_webhook_url,
                channels.zalo_bot_secret_token,
                "ZALO_BOT_WEBHOOK_URL",
                "ZALO_BOT_SECRET_TOKEN",
            ),
            (
                channels.telegram_webhook_url,
                channels.telegram_secret_token,
                "TELEGRAM_WEBHOOK_URL",
                "TELEGRAM_SECRET_TOKEN",
            ),
        ):
            if url and not secret:
                raise SettingsError(
                    f"{url_name} is set but {secret_name} is empty: the gateway would register the webhook and then "
                    f"refuse every delivery. Set {secret_name} (a long random string), or clear {url_name}."
                )
        if channels.messenger_page_access_token:
            for value, name in (
                (channels.messenger_app_secret, "MESSENGER_APP_SECRET"),
                (channels.messenger_verify_token, "MESSENGER_VERIFY_TOKEN"),
            ):
                if not value:
                    raise SettingsError(
                        f"MESSENGER_PAGE_ACCESS_TOKEN is set but {name} is empty: the gateway could not check Meta's "
                        f"webhook deliveries. Set {name} (docs/channels.md), or clear MESSENGER_PAGE_ACCESS_TOKEN."
                    )
        public_url = e.str("TROLYSO_PUBLIC_URL").rstrip("/")
        if public_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", public_url):
            raise SettingsError(
                f"TROLYSO_PUBLIC_URL must be an http(s) address such as https://troly.xa.gov.vn, not {public_url!r}"
            )
        return cls(
            data_dir=data,
            knowledge_dir=e.path("TROLYSO_KNOWLEDGE_DIR", Path("knowledge")),
            database_url=e.str("TROLYSO_DATABASE_URL", f"sqlite:///{data / 'trolyso.db'}"),
            model_dir=e.path("TROLYSO_MODEL_DIR", data / "models" / "e5-small"),
            index_dir=data / "index",
            user_salt=e.str("TROLYSO_USER_SALT", cls.user_salt),
            host=host,
            internal_host=internal_host,
            gateway_port=e.port("TROLYSO_GATEWAY_PORT", cls.gateway_port),
            rasa_port=rasa_port,
            actions_port=e.port("TROLYSO_ACTIONS_PORT", cls.actions_port),
            actions_metrics_port=(
                0
                if e.str("TROLYSO_ACTIONS_METRICS_PORT") == "0"
                else e.port("TROLYSO_ACTIONS_METRICS_PORT", cls.actions_metrics_port)
            ),
            rasa_url=rasa_url,
            rasa_urls=e.urls("TROLYSO_RASA_URLS") or (rasa_url,),
            rasa_token=e.str("TROLYSO_RASA_TOKEN"),
            rasa_bin=e.path("TROLYSO_RASA_BIN", cls.rasa_bin),
            rasa_model=e.path("TROLYSO_RASA_MODEL", cls.rasa_model),
            redis_url=e.redis_url("TROLYSO_REDIS_URL"),
            retry_base=e.number("TROLYSO_RETRY_BASE", cls.retry_base),
            retry_max=e.number("TROLYSO_RETRY_MAX", cls.retry_max),
            queue_lease_seconds=e.number("TROLYSO_QUEUE_LEASE_SECONDS", cls.queue_lease_seconds),
            zalo_window_days=e.number("TROLYSO_ZALO_WINDOW_DAYS", cls.zalo_window_days),
            handoff_release_minutes=e.number("TROLYSO_HANDOFF_RELEASE_MINUTES", cls.handoff_release_minutes),
            zalo_event_window_minutes=e.number("TROLYSO_ZALO_EVENT_WINDOW_MINUTES", cls.zalo_event_window_minutes),
            metrics_token=e.str("TROLYSO_METRICS_TOKEN"),
            channels=channels,
            web_rate_conversation=e.count("TROLYSO_WEB_RATE_CONVERSATION", cls.web_rate_conversation),
            web_rate_ip=e.count("TROLYSO_WEB_RATE_IP", cls.web_rate_ip),
            web_new_conversations=e.count("TROLYSO_WEB_NEW_CONVERSATIONS", cls.web_new_conversations),
            web_handoffs=e.count("TROLYSO_WEB_HANDOFFS", cls.web_handoffs),
            web_subscriptions=e.count("TROLYSO_WEB_SUBSCRIPTIONS", cls.web_subscriptions),
            web_session_days=e.number("TROLYSO_WEB_SESSION_DAYS", cls.web_session_days),
            retention_days=e.count("TROLYSO_RETENTION_DAYS", cls.retention_days),
            trusted_proxies=e.addresses("TROLYSO_TRUSTED_PROXIES"),
            public_url=public_url,
            session_hours=e.number("TROLYSO_SESSION_HOURS", cls.session_hours),
            cookie_secure=e.flag("TROLYSO_COOKIE_SECURE"),
            commune_name=e.str("TROLYSO_COMMUNE_NAME"),
            commune=e.slug("TROLYSO_COMMUNE"),
            watch_knowledge=e.flag("TROLYSO_WATCH_KNOWLEDGE", True),
            actions_warm=e.flag("TROLYSO_ACTIONS_WARM", True),
            eval_on_change=e.flag("TROLYSO_EVAL_ON_CHANGE", True),
            eval_dir=e.path("TROLYSO_EVAL_DIR", Path("eval")),
        )

    @property
    def report_header(self) -> str:
        """The commune's name as the printable report shows it."""
        return self.commune_name or "Xã ..."
