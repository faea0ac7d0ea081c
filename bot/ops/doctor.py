"""`trolyso doctor`: one line per check, in Vietnamese and English, and whether the installation can serve.

Nothing here writes: the database is opened only if its file exists, ports are probed by binding and releasing
them, and the platforms are asked about the webhook only with `online=True` (`trolyso doctor --online`)."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.config import Settings, SettingsError
from bot.engine.knowledge import check_file, iter_knowledge_files
from bot.engine.manifest import CURRENT, read_manifest
from bot.text import locality_places

# the files `bot.engine.embedding.ensure_model` writes into the model folder (sentence-transformers layout)
MODEL_FILES = ("modules.json", "config.json", "model.safetensors", "tokenizer.json")


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"  # worth knowing, does not stop the service
    FAIL = "FAIL"
    SKIP = "SKIP"  # not applicable here (a channel that is off, --online not given)


@dataclass(frozen=True)
class Check:
    status: Status
    vi: str  # "Cơ sở dữ liệu: đã nâng cấp (0003)"
    en: str  # "database migrated"

    def line(self) -> str:
        return f"{self.status.value:<4} {self.vi} / {self.en}"


def ok(vi: str, en: str) -> Check:
    return Check(Status.OK, vi, en)


def fail(vi: str, en: str) -> Check:
    return Check(Status.FAIL, vi, en)


def diagnose(environ: Mapping[str, str] | None = None, online: bool = False) -> list[Check]:
    """Every check, in order. `environ` as `Settings.from_env` takes it (None: the process environment and .env)."""
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        return [fail(f"Cấu hình: không đọc được ({exc})", "settings do not load")]
    checks = [ok(f"Cấu hình: đọc được (thư mục dữ liệu {settings.data_dir})", "settings load")]
    for step in (salt, commune, channels, ports, database, index, model, rasa_model):
        checks.extend(step(settings))
    checks.extend(webhooks(settings, online))
    return checks


def failed(checks: list[Check]) -> bool:
    return any(c.status == Status.FAIL for c in checks)


# --- settings --------------------------------------------------------------------------------------------------


def salt(settings: Settings) -> Iterator[Check]:
    from bot.stack import salt_warning

    if salt_warning(settings):
        yield fail(
            f"Chuỗi bí mật TROLYSO_USER_SALT: đang là giá trị mặc định công khai trong khi cổng mở ra ngoài "
            f"({settings.host})",
            "TROLYSO_USER_SALT is the public default and the gateway is not on loopback: set a long random secret",
        )
    elif settings.user_salt == Settings.user_salt:
        yield Check(
            Status.WARN,
            "Chuỗi bí mật TROLYSO_USER_SALT: mặc định (chỉ chấp nhận khi cổng chỉ mở trên máy này)",
            "TROLYSO_USER_SALT is the default (acceptable while the gateway listens on loopback only)",
        )
    else:
        yield ok("Chuỗi bí mật TROLYSO_USER_SALT: đã đặt", "user salt set")


def plan_communes(knowledge_dir: Path) -> dict[str, str]:
    """The home-commune slug each plan answers to ("muong-mun") -> the plan's locality as written."""
    found: dict[str, str] = {}
    for path in iter_knowledge_files(knowledge_dir):
        check = check_file(path, knowledge_dir)
        if check is None or check.meta.get("kind") != "plan":
            continue
        locality = str(check.meta.get("locality") or "")
        places = locality_places(locality)  # as the answer engine reads it (bot/engine/retrieval.py Localities)
        if places:
            found["-".join(places[0].split())] = locality
    return found


def commune(settings: Settings) -> Iterator[Check]:
    if not settings.knowledge_dir.is_dir():
        yield fail(
            f"Thư mục kiến thức: không có ({settings.knowledge_dir})",
            "knowledge folder missing (TROLYSO_KNOWLEDGE_DIR)",
        )
        return
    if not settings.commune:
        yield Check(
            Status.WARN,
            'Xã phục vụ: chưa đặt TROLYSO_COMMUNE (câu hỏi về "xã mình" sẽ được hỏi lại tên xã)',
            "TROLYSO_COMMUNE not set: 'our commune' questions ask which commune",
        )
        return
    plans = plan_communes(settings.knowledge_dir)
    if settings.commune in plans:
        yield ok(f'Xã phục vụ: {settings.commune} khớp kế hoạch "{plans[settings.commune]}"', "commune has a plan")
    else:
        known = ", ".join(sorted(plans)) or "không có kế hoạch nào"
        yield fail(
            f"Xã phục vụ: TROLYSO_COMMUNE={settings.commune} không khớp kế hoạch nào trong knowledge/plans ({known})",
            "TROLYSO_COMMUNE matches no plan's locality",
        )


def channels(settings: Settings) -> Iterator[Check]:
    """Each configured channel has the tokens it needs (Settings already refuses a webhook URL without a secret)."""
    ch = settings.channels
    if any((ch.zalo_oa_app_id, ch.zalo_oa_secret_key, ch.zalo_oa_access_token, ch.zalo_oa_refresh_token)):
        missing = [
            name
            for name, value in (
                ("ZALO_OA_APP_ID", ch.zalo_oa_app_id),
                ("ZALO_OA_SECRET_KEY", ch.zalo_oa_secret_key),
                ("ZALO_APP_SECRET", ch.zalo_app_secret),
                ("ZALO_OA_REFRESH_TOKEN", ch.zalo_oa_refresh_token or ch.zalo_oa_access_token),
            )
            if not value
        ]
        yield _channel("Zalo OA", missing)
    if ch.zalo_bot_token:
        yield _mode("Zalo Bot", ch.zalo_bot_webhook_url, ch.zalo_bot_polling, "ZALO_BOT")
    if ch.telegram_bot_token:
        yield _mode("Telegram", ch.telegram_webhook_url, ch.telegram_polling, "TELEGRAM")
    if ch.messenger_page_access_token:
        yield _channel("Messenger", [])  # its secrets are required by Settings: a start-up error without them
    platforms = (ch.zalo_oa_app_id, ch.zalo_oa_secret_key, ch.zalo_bot_token, ch.telegram_bot_token)
    if not any((*platforms, ch.messenger_page_access_token)):
        web = "chỉ có trang chat trên web" if ch.web_chat else "không có kênh nào (kể cả web)"
        yield Check(Status.OK if ch.web_chat else Status.FAIL, f"Kênh: {web}", "no platform channel configured")


def _channel(name: str, missing: list[str]) -> Check:
    if missing:
        return fail(f"Kênh {name}: thiếu {', '.join(missing)}", f"{name} channel is missing tokens")
    return ok(f"Kênh {name}: đủ mã truy cập", f"{name} tokens present")


def _mode(name: str, webhook_url: str, polling: bool, prefix: str) -> Check:
    if polling:
        return ok(f"Kênh {name}: có mã, nhận tin bằng cách hỏi định kỳ (polling)", f"{name} token present, polling")
    if webhook_url:
        return ok(f"Kênh {name}: có mã, webhook {webhook_url}", f"{name} token and webhook URL/secret present")
    return fail(
        f"Kênh {name}: có mã nhưng chưa đặt {prefix}_WEBHOOK_URL (và {prefix}_SECRET_TOKEN) hoặc {prefix}_POLLING=1",
        f"{name} has a token but neither a webhook URL nor polling",
    )


# --- ports ----------------------------------------------------------------------------------------------------


def _port_free(host: str, port: int) -> bool:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, port))
        return True
    except OSError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def ports(settings: Settings) -> Iterator[Check]:
    """Each service's port is free (nothing started yet) or our service answers its health check there."""
    probe = {"0.0.0.0": "127.0.0.1", "::": "::1"}
    for name, en, host, port, path in (
        ("cổng kết nối", "gateway", settings.host, settings.gateway_port, "/healthz"),
        ("Rasa", "Rasa", settings.internal_host, settings.rasa_port, "/"),
        ("máy chủ hành động", "action server", settings.internal_host, settings.actions_port, "/health"),
    ):
        if _port_free(host, port):
            yield ok(f"Cổng {port} ({name}): còn trống", f"{en} port {port} free")
            continue
        reach = probe.get(host, host)
        if _answers(f"http://{'[' + reach + ']' if ':' in reach else reach}:{port}{path}"):
            yield ok(f"Cổng {port} ({name}): dịch vụ của trợ lý đang chạy", f"{en} is listening on {port}")
        else:
            yield fail(
                f"Cổng {port} ({name}): đang bị chương trình khác dùng", f"{en} port {port} is used by another program"
            )


# --- data ------------------------------------------------------------------------------------------------------


def database(settings: Settings) -> Iterator[Check]:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import connect
    from bot.store.migrate import SchemaKind, state

    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        yield fail(
            f"Cơ sở dữ liệu: chưa có tệp {url[len('sqlite:///') :]} (chạy `trolyso db upgrade`)", "database missing"
        )
        return
    engine = connect(url)
    try:
        st = state(engine)
    except SQLAlchemyError as exc:
        yield fail(
            f"Cơ sở dữ liệu: không kết nối được ({exc.__class__.__name__})",
            f"database unreachable: {str(exc).splitlines()[0][:200]}",
        )
        return
    finally:
        engine.dispose()
    if st.kind == SchemaKind.HEAD:
        yield ok(f"Cơ sở dữ liệu: đã nâng cấp ({st.revision})", "database migrated")
    elif st.kind == SchemaKind.UNKNOWN:
        yield fail(
            f"Cơ sở dữ liệu: ở phiên bản {st.revision} của một bản trợ lý mới hơn (bản này cần {st.head})",
            "database is from a newer version",
        )
    else:
        yield fail(
            f"Cơ sở dữ liệu: cần nâng cấp ({st.revision or 'chưa có'} → {st.head}); sao lưu rồi chạy "
            "`trolyso db upgrade`",
            f"database {st.describe()}",
        )


def index(settings: Settings) -> Iterator[Check]:
    manifest = read_manifest(settings.index_dir)
    if not (settings.index_dir / CURRENT).is_file() or not manifest:
        yield fail(f"Chỉ mục kiến thức: chưa có trong {settings.index_dir} (chạy `trolyso index`)", "index missing")
        return
    files = len(manifest.get("files", {}))
    built = str(manifest.get("built_at", ""))[:16]
    yield ok(f"Chỉ mục kiến thức: có ({files} tệp, lập lúc {built})", "index present")


def model(settings: Settings) -> Iterator[Check]:
    missing = [name for name in MODEL_FILES if not (settings.model_dir / name).is_file()]
    if missing:
        yield fail(
            f"Mô hình nhúng: thiếu {', '.join(missing)} trong {settings.model_dir} (chạy `trolyso setup`)",
            "embedding model missing",
        )
    else:
        yield ok(f"Mô hình nhúng: có ({settings.model_dir})", "embedding model present")


def rasa_model(settings: Settings) -> Iterator[Check]:
    if settings.rasa_model.is_file():
        yield ok(f"Mô hình Rasa: có ({settings.rasa_model.name})", "Rasa model present")
    else:
        yield fail(f"Mô hình Rasa: chưa có {settings.rasa_model} (chạy `make train`)", "Rasa model missing")


# --- the platforms (online only) ---------------------------------------------------------------------------------


def webhooks(settings: Settings, online: bool) -> Iterator[Check]:
    """With `online`, ask Telegram and Zalo Bot which webhook they deliver to; Zalo OA has no such API."""
    ch = settings.channels
    asks: list[tuple[str, str, Callable[[], str]]] = []
    if ch.telegram_bot_token and ch.telegram_webhook_url and not ch.telegram_polling:
        asks.append(("Telegram", ch.telegram_webhook_url, lambda: asyncio.run(_telegram_webhook(settings))))
    if ch.zalo_bot_token and ch.zalo_bot_webhook_url and not ch.zalo_bot_polling:
        asks.append(("Zalo Bot", ch.zalo_bot_webhook_url, lambda: asyncio.run(_zalo_bot_webhook(settings))))
    if ch.zalo_oa_app_id and ch.zalo_oa_secret_key:
        yield Check(
            Status.SKIP,
            "Webhook Zalo OA: Zalo không có API để kiểm tra, xem trang quản trị ứng dụng của Zalo",
            "Zalo OA webhook: no API to check it",
        )
    for name, wanted, ask in asks:
        if not online:
            yield Check(Status.SKIP, f"Webhook {name}: không kiểm tra (thêm --online)", f"{name} webhook not checked")
            continue
        try:
            registered = ask()
        except Exception as exc:  # the platform's errors are many; the line names the one met
            yield fail(f"Webhook {name}: không hỏi được nền tảng ({exc})", f"{name} webhook check failed")
            continue
        if registered == wanted:
            yield ok(f"Webhook {name}: nền tảng đang gửi tới {wanted}", f"{name} webhook registered")
        else:
            yield fail(
                f"Webhook {name}: nền tảng gửi tới {registered or '(không có)'}, không phải {wanted} (khởi động lại "
                "cổng kết nối để đăng ký lại)",
                f"{name} webhook not registered",
            )


async def _telegram_webhook(settings: Settings) -> str:
    from connectors.channels.telegram import TelegramClient
    from connectors.config import GatewayConfig

    config = GatewayConfig.from_settings(settings).telegram
    assert config is not None
    client = TelegramClient(config)
    async with client.bot:
        info = await client.bot.get_webhook_info()
    return info.url or ""


async def _zalo_bot_webhook(settings: Settings) -> str:
    import httpx

    from connectors.channels.zalo_bot import ZaloBotClient
    from connectors.config import GatewayConfig

    config = GatewayConfig.from_settings(settings).zalo_bot
    assert config is not None
    async with httpx.AsyncClient() as http:
        data = await ZaloBotClient(config, http).call("getWebhookInfo", {}, timeout=10)
    if not data.get("ok"):
        raise RuntimeError(f"getWebhookInfo: {data.get('description') or data.get('error_code')}")
    return str((data.get("result") or {}).get("url") or "")
