"""Running the services together: the action server and the gateway (this environment) and the Rasa server
(.venv-rasa).

`trolyso up` starts them as child processes, waits until each answers its health check, prints where they
listen and stops them cleanly (SIGTERM, then SIGKILL after a grace period) on Ctrl-C or when one dies.
Logs go to <data dir>/logs/<service>.log. The gateway (connectors/) serves the channels on port 8000.
Rasa is given <data dir>/endpoints.yml, written at each start: its SQL tracker store keeps conversations across
restarts, and with TROLYSO_REDIS_URL its Redis lock store lets several Rasa processes share them.

`trolyso up --workers N` runs N processes of each kind on one machine: action servers on actions_port…+N-1, Rasa
servers on rasa_port…+N-1 (Rasa i calls action server i mod N, through <data dir>/endpoints-<i>.yml), gateways on
gateway_port…+N-1, each spreading conversations over every Rasa (TROLYSO_RASA_URLS). Several Rasa processes need
TROLYSO_REDIS_URL (their lock store); processes of one kind start together.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    pass


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as resp:
                return resp.status == 200
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def log_tail(self, lines: int = 25) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@dataclass
class StackConfig:
    rasa_port: int = 5005
    actions_port: int = 5055
    gateway_port: int = 8000
    host: str = "127.0.0.1"  # the gateway's interface
    internal_host: str = "127.0.0.1"  # Rasa's and the action server's
    rasa_bin: Path = ROOT / ".venv-rasa" / "bin" / "rasa"
    model: Path = ROOT / "models" / "trolyso.tar.gz"
    # what Rasa's REST channel requires (nlu/rest_channel.py); only Rasa and the gateway are given it
    rasa_token: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    workers: int = 1  # processes of each kind (`trolyso up --workers N`)
    # other counts per kind (e.g. a fault test's 2 gateways, 3 Rasa, 2 action servers); 0 = `workers`
    actions_workers: int = 0
    rasa_workers: int = 0
    gateway_workers: int = 0

    @classmethod
    def from_settings(cls, settings: Settings, workers: int = 1) -> StackConfig:
        return cls(
            workers=workers,
            rasa_port=settings.rasa_port,
            actions_port=settings.actions_port,
            gateway_port=settings.gateway_port,
            host=settings.host,
            internal_host=settings.internal_host,
            rasa_bin=settings.rasa_bin,
            model=settings.rasa_model,
            rasa_token=settings.rasa_token or secrets.token_urlsafe(32),  # unset: a new one per start
        )

    @property
    def counts(self) -> tuple[int, int, int]:
        """How many action servers, Rasa servers and gateways."""
        return (
            self.actions_workers or self.workers,
            self.rasa_workers or self.workers,
            self.gateway_workers or self.workers,
        )

    @property
    def rasa_url(self) -> str:
        return f"http://{self.internal_host}:{self.rasa_port}"

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        return tuple(f"http://{self.internal_host}:{self.rasa_port + i}" for i in range(self.counts[1]))

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.internal_host}:{self.actions_port}"


def tracker_store_url(settings: Settings) -> str:
    """Where Rasa's SQL tracker store keeps each conversation (so a restarted Rasa carries on where a resident was):
    the store's PostgreSQL database when there is one (Rasa's table `events`, which bot.store.migrate leaves out of
    its comparisons; .venv-rasa connects with psycopg2), else a SQLite file of its own in the data directory."""
    scheme = re.match(r"postgres(ql)?(\+\w+)?://", settings.database_url)
    if scheme:
        return "postgresql+psycopg2://" + settings.database_url[scheme.end() :]
    return f"sqlite:///{settings.data_dir / 'rasa_tracker.db'}"


def rasa_endpoints(config: StackConfig, settings: Settings, actions_url: str = "") -> tuple[str, dict[str, str]]:
    """Rasa's endpoints.yml (action server — `actions_url`, default the first —, SQL tracker store, Redis lock store
    when TROLYSO_REDIS_URL is set) and the environment it needs: addresses that may hold passwords stay in the
    environment, the file names them as ${VAR} (Rasa interpolates them)."""
    text = f'action_endpoint:\n  url: "{actions_url or config.actions_url}/webhook"\n'
    text += "tracker_store:\n  type: SQL\n  url: ${TROLYSO_RASA_TRACKER_URL}\n"
    env = {"TROLYSO_RASA_TRACKER_URL": tracker_store_url(settings)}
    if settings.redis_url:
        redis = urllib.parse.urlsplit(settings.redis_url)
        text += f"lock_store:\n  type: redis\n  url: {redis.hostname}\n  port: {redis.port or 6379}\n"
        text += f"  db: {redis.path.strip('/') or 0}\n"
        if redis.username:
            text += f"  username: {urllib.parse.unquote(redis.username)}\n"
        if redis.password:
            text += "  password: ${TROLYSO_RASA_REDIS_PASSWORD}\n"
            env["TROLYSO_RASA_REDIS_PASSWORD"] = urllib.parse.unquote(redis.password)
        if redis.scheme == "rediss":
            text += "  use_ssl: true\n"
    return text, env


def scale_warnings(config: StackConfig, settings: Settings) -> list[str]:
    """What `trolyso up --workers N` prints before starting several processes of a kind."""
    if max(config.counts) == 1 or not settings.database_url.startswith("sqlite"):
        return []
    return [
        "Note: the store is a SQLite file: several processes share it on this machine only. To spread them over "
        "machines, use PostgreSQL (TROLYSO_DATABASE_URL=postgresql://…).\n"
        "Lưu ý: dữ liệu đang ở tệp SQLite, chỉ dùng chung được trên một máy. Muốn chạy trên nhiều máy, hãy dùng "
        "PostgreSQL (TROLYSO_DATABASE_URL=postgresql://…)."
    ]


def _name(kind: str, i: int, n: int) -> str:
    return kind if n == 1 else f"{kind}-{i}"


def build_services(config: StackConfig, settings: Settings) -> list[Service]:
    """The action servers, then the Rasa servers, then the gateways (one of each unless `config` asks for more);
    writes each Rasa's endpoints file."""
    if not config.rasa_bin.exists():
        raise StackError(f"Rasa is not installed at {config.rasa_bin}: run `make rasa-env` (or `make run`).")
    if not config.model.exists():
        raise StackError(f"No trained dialogue model at {config.model}: run `make train` (or `make run`).")
    n_actions, n_rasa, n_gateways = config.counts
    if n_rasa > 1 and not settings.redis_url:
        raise StackError(
            f"{n_rasa} Rasa processes need a shared lock store: set TROLYSO_REDIS_URL (e.g. redis://127.0.0.1:6379/0; "
            "Debian: apt install redis-server). Rasa's in-memory lock cannot be shared, and two Rasa processes "
            "answering one resident at once would mix up the conversation.\n"
            f"{n_rasa} tiến trình Rasa cần dùng chung khoá qua Redis: hãy đặt TROLYSO_REDIS_URL."
        )
    base = {
        "TROLYSO_DATA_DIR": str(settings.data_dir),
        "TROLYSO_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "PYTHONPATH": str(ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = []
    actions_urls = []
    for i in range(n_actions):
        port = config.actions_port + i
        env = dict(base)
        if i:
            # one action server runs the question sets after a knowledge change (the console reads its result)
            env["TROLYSO_EVAL_ON_CHANGE"] = "0"
            if settings.actions_metrics_port:
                env["TROLYSO_ACTIONS_METRICS_PORT"] = str(settings.actions_metrics_port + i)
        url = f"http://{config.internal_host}:{port}"
        actions_urls.append(url)
        services.append(
            Service(
                _name("actions", i, n_actions),
                [sys.executable, "-m", "actions", "--host", config.internal_host, "--port", str(port)],
                f"{url}/health",
                env,
            )
        )
    for i, rasa_url in enumerate(config.rasa_urls):
        endpoints = settings.data_dir / ("endpoints.yml" if n_rasa == 1 else f"endpoints-{i}.yml")
        endpoints_text, rasa_env = rasa_endpoints(config, settings, actions_urls[i % n_actions])
        endpoints.write_text(endpoints_text, encoding="utf-8")
        services.append(
            Service(
                _name("rasa", i, n_rasa),
                [
                    str(config.rasa_bin),
                    "run",
                    "--model",
                    str(config.model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(ROOT / "credentials.yml"),
                    "--interface",
                    config.internal_host,
                    "--port",
                    str(config.rasa_port + i),
                    "--quiet",
                ],
                f"{rasa_url}/webhooks/rest/",
                {**base, "TROLYSO_RASA_TOKEN": config.rasa_token, **rasa_env},
            )
        )
    for i in range(n_gateways):
        port = config.gateway_port + i
        env = {
            **base,
            "TROLYSO_RASA_URL": config.rasa_url,
            "TROLYSO_RASA_URLS": ",".join(config.rasa_urls),
            "TROLYSO_RASA_TOKEN": config.rasa_token,
        }
        if i:  # a platform's updates are polled by one process (Telegram refuses two); the others use webhooks
            env |= {"TELEGRAM_POLLING": "0", "ZALO_BOT_POLLING": "0"}
        services.append(
            Service(
                _name("gateway", i, n_gateways),
                [sys.executable, "-m", "connectors", "--host", config.host, "--port", str(port)],
                f"http://{config.host}:{port}/healthz",
                env,
            )
        )
    return services


DEFAULT_SALT = Settings.user_salt  # public (it is in the source): residents' hashes could be recomputed from it
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def _loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def salt_warning(settings: Settings) -> str | None:
    """The loud warning `trolyso up` prints when the gateway serves other machines with the public default salt."""
    if settings.user_salt != DEFAULT_SALT or _loopback(settings.host):
        return None
    bar = "!" * 100
    return (
        f"{bar}\n"
        f"WARNING: TROLYSO_USER_SALT is the public default ({DEFAULT_SALT!r}) and the gateway listens on "
        f"{settings.host}, not only on this machine.\n"
        "  Residents' ids are stored as salted hashes; with the public salt anyone can recompute them. Set\n"
        "  TROLYSO_USER_SALT to a long random secret (`python -c 'import secrets; print(secrets.token_hex(32))'`)\n"
        "  in .env before residents start writing (changing it later splits each resident's history in two).\n"
        f"CẢNH BÁO: TROLYSO_USER_SALT đang là giá trị mặc định công khai ({DEFAULT_SALT!r}) trong khi cổng kết nối "
        f"mở ra ngoài ({settings.host}).\n"
        "  Mã định danh của người dân được lưu dưới dạng băm kèm chuỗi bí mật này; để giá trị mặc định thì ai cũng\n"
        "  tính lại được. Hãy đặt TROLYSO_USER_SALT là một chuỗi ngẫu nhiên dài trong tệp .env trước khi người dân\n"
        "  bắt đầu nhắn tin (đổi về sau sẽ tách lịch sử của mỗi người dân làm hai).\n"
        f"{bar}"
    )


def upgrade_database(settings: Settings, echo=print) -> None:
    """`trolyso db upgrade` before any service opens the store: they refuse a database at an older schema."""
    from bot.store.migrate import SchemaError, SchemaKind, summary, upgrade_database

    try:
        before, after = upgrade_database(settings.database_url)
    except SchemaError as exc:
        raise StackError(str(exc)) from None
    if before.kind != SchemaKind.HEAD:
        echo(f"  {summary(before, after)}")


class Stack:
    """Start services in order, each waited for; stop them all in reverse order."""

    def __init__(self, services: list[Service], log_dir: Path, startup_timeout: float = 180.0):
        self.services = services
        self.log_dir = log_dir
        self.startup_timeout = startup_timeout

    def batches(self) -> list[list[Service]]:
        """Consecutive services of one kind ("rasa-0", "rasa-1" …) start together; kinds start one after another."""
        out: list[list[Service]] = []
        for service in self.services:
            kind = service.name.split("-")[0]
            if out and out[-1][0].name.split("-")[0] == kind:
                out[-1].append(service)
            else:
                out.append([service])
        return out

    def start(self, echo=print) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            for batch in self.batches():
                for service in batch:
                    if service.healthy():
                        raise StackError(
                            f"{service.name}: something already answers {service.health_url} — "
                            "stop it first or choose another port"
                        )
                t0 = time.monotonic()
                for service in batch:
                    service.log_path = self.log_dir / f"{service.name}.log"
                    log = open(service.log_path, "ab")
                    service.process = subprocess.Popen(
                        service.argv,
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env={**os.environ, **service.env},
                        start_new_session=True,
                    )
                    log.close()
                for service in batch:
                    self._wait_healthy(service, t0, echo)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, service: Service, t0: float, echo) -> None:
        assert service.process is not None  # started by start()
        while not service.healthy():
            if service.process.poll() is not None:
                raise StackError(
                    f"{service.name} exited with code {service.process.returncode}; "
                    f"last lines of {service.log_path}:\n{service.log_tail()}"
                )
            if time.monotonic() - t0 > self.startup_timeout:
                raise StackError(
                    f"{service.name} did not answer {service.health_url} within "
                    f"{self.startup_timeout:.0f} s; see {service.log_path}"
                )
            time.sleep(0.25)
        echo(
            f"  {service.name:<8} ready in {time.monotonic() - t0:4.1f} s  "
            f"{service.health_url.rsplit('/', 1)[0] if service.name.startswith('actions') else service.health_url}"
        )

    def dead(self) -> Service | None:
        return next((s for s in self.services if s.process is not None and s.process.poll() is not None), None)

    def restart(self, name: str, signum: int = signal.SIGTERM, grace: float = 10.0, echo=print) -> float:
        """Stop the service `name` (`signum` to its process group; SIGKILL is a crash: nothing flushed) and start it
        again with the same argv and environment, waiting until it answers its health check. Returns the seconds
        from the signal until it answers again."""
        [service] = [s for s in self.services if s.name == name]
        t0 = time.monotonic()
        p = service.process
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signum)
                p.wait(timeout=grace)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        Stack([service], self.log_dir, self.startup_timeout).start(echo)  # the same Service: stop() still stops it
        return time.monotonic() - t0

    def stop(self, grace: float = 10.0) -> None:
        for service in reversed(self.services):
            p = service.process
            if p is None or p.poll() is not None:
                continue
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def check(self) -> None:
        """Raise StackError, with the end of its log, if a service has stopped."""
        died = self.dead()
        if died:
            assert died.process is not None  # dead() returns a service whose process exited
            raise StackError(
                f"{died.name} stopped unexpectedly (code {died.process.returncode}); last "
                f"lines of {died.log_path}:\n{died.log_tail()}"
            )

    def wait(self) -> None:
        """Block until Ctrl-C / SIGTERM, or until a service dies (then raise)."""
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = True

        # Ctrl-C is handled here too, not left to Python's KeyboardInterrupt: a process started in the background of a
        # script inherits SIGINT ignored, and would otherwise never stop on it
        old = signal.signal(signal.SIGTERM, on_signal)
        old_int = signal.signal(signal.SIGINT, on_signal)
        try:
            while not stop["now"]:
                self.check()
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, old)
            signal.signal(signal.SIGINT, old_int)
