from __future__ import annotations

import contextlib
import inspect
import os
import re
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Fixtures that load the converted embedding model (and with it the shipped index): a test using any of them
# is marked `model`, so `pytest -m "not model"` runs in seconds. Modules that start the model or Rasa in
# processes of their own say so with `pytestmark = pytest.mark.model`.
MODEL_FIXTURES = frozenset({"embedder", "shipped_index", "engine", "recorder", "ask"})


# The end-to-end modules (tests/e2e/) run the real Rasa: they need its environment and the trained model, which
# `make test` builds before it sets TROLYSO_E2E=1.
E2E = [
    pytest.mark.model,
    pytest.mark.skipif(
        os.environ.get("TROLYSO_E2E") != "1",
        reason="needs the Rasa environment and a trained model (make test sets TROLYSO_E2E=1)",
    ),
]

# Tests that start other processes or servers (the gateway, PostgreSQL, Chromium, fake platforms on 127.0.0.1, the
# CLI as a subprocess) are marked `process`: `pytest -m "not model and not process"` is the quick in-process run.
PROCESS_FIXTURES = frozenset(
    {
        "console",
        "gateway",
        "gw",
        "pg_url",
        "pg_server",
        "pg_db",
        "stack",
        "web_gateway",
        "browser",
        "fakes",
        "oa",
        "tg",
        "zbot",
        "fake_rasa",
        "env",
        "running_stack",
    }
)
PROCESS_CALLS = re.compile(
    r"subprocess\.|Popen\(|GatewayProcess\(|\bpg\.|chromium\(|Fake(ZaloOA|ZaloBot|Telegram|Rasa|Messenger)\("
)


def _starts_processes(item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if PROCESS_FIXTURES & names or ("site" in names and "inprocess" not in item.nodeid):
        return True
    try:
        return bool(PROCESS_CALLS.search(inspect.getsource(item.function)))
    except (OSError, TypeError):
        return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        if MODEL_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
        if _starts_processes(item):
            item.add_marker(pytest.mark.process)


@pytest.fixture(scope="session")
def settings():
    from bot.config import Settings

    old = os.getcwd()
    os.chdir(ROOT)
    try:
        return Settings.from_env()
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def embedder(settings):
    from bot.engine.embedding import Embedder

    return Embedder(settings.model_dir)


@pytest.fixture(scope="session")
def shipped_index(settings, embedder):
    """The index over the shipped knowledge/ (incrementally brought up to date, as `make test` does)."""
    from bot.engine.index import KnowledgeIndex

    try:
        previous = KnowledgeIndex.load(settings.index_dir)
    except FileNotFoundError:
        previous = None
    index, report = KnowledgeIndex.update(settings.knowledge_dir, embedder, previous)
    if report.chunks_embedded:
        index.save(settings.index_dir)
    return index


@pytest.fixture
def store(tmp_path):
    from bot.store import Store

    return Store(f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture(scope="module")
def fakes():
    """Fake Zalo OA, Zalo Bot, Telegram and Rasa servers on 127.0.0.1 (the gateway and news tests share it)."""
    from tests.fake_rasa import FakeRasa
    from tests.fakes import FakeTelegram, FakeZaloBot, FakeZaloOA

    oa = FakeZaloOA(app_id="app1", app_secret="appsecret", access_token="at-0", refresh_token="rt-0").start()
    bot = FakeZaloBot(token="123:abc").start()
    tg = FakeTelegram(token="42:TEST").start()
    rasa = FakeRasa().up()
    yield {"oa": oa, "bot": bot, "tg": tg, "rasa": rasa}
    for f in (oa, bot, tg):
        f.stop()
    rasa.down()


@pytest.fixture(scope="session")
def engine(shipped_index, embedder):
    """The answer engine over the shipped knowledge: pure, so one serves the whole session."""
    from bot.engine.answer import AnswerEngine

    return AnswerEngine(shipped_index, embedder)


@pytest.fixture
def recorder(engine, store):
    """Records judged questions in this test's store and groups the unanswered ones, as the action server does."""
    from bot.team.groups import QuestionGroups
    from bot.team.recorder import Recorder

    return Recorder(store, QuestionGroups(store), lambda a: engine.group_features(a.q, a.retrieval))


@pytest.fixture
def ask(engine, recorder):
    """Ask as a resident would through the action server: the engine answers, the recorder stores the question.
    Returns the answer and the stored question's id."""

    def ask(question: str, channel: str = "cli", user_id: str | None = None):
        answer = engine.ask(question)
        return answer, recorder.record(answer, channel=channel, user_id=user_id)

    return ask


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_stack(
    tmp: Path,
    settings,
    setup=lambda store: None,
    env: dict[str, str] | None = None,
    counts: tuple[int, int, int] = (1, 1, 1),
):
    """The whole real stack (action server with the knowledge watcher, Rasa, gateway with the console) on free
    ports, with a temporary data directory holding a copy of the index and a temporary copy of knowledge/ (so
    a test can edit files as content staff do). `setup(store)` runs before the services start. Yields a dict
    with config, data, knowledge, store. `env` adds or overrides settings (TROLYSO_DATABASE_URL, TROLYSO_REDIS_URL).
    `counts`: how many action servers, Rasa servers and gateways (bot/stack.py StackConfig.counts).
    Needs `.venv-rasa` and the trained model (make test)."""
    import pytest

    from bot.config import Settings
    from bot.stack import Stack, StackConfig, build_services
    from bot.store import Store

    if not settings.index_dir.exists():
        pytest.fail("no index: run `make index` first")
    data = tmp / "data"
    shutil.copytree(settings.index_dir, data / "index")
    knowledge = tmp / "knowledge"
    shutil.copytree(settings.knowledge_dir, knowledge)
    env = {
        "TROLYSO_DATA_DIR": str(data),
        "TROLYSO_KNOWLEDGE_DIR": str(knowledge),
        "TROLYSO_MODEL_DIR": str(settings.model_dir),
        "TROLYSO_DATABASE_URL": f"sqlite:///{data / 'e2e.db'}",
        # as in production, whatever other test modules set in this process: warm start + knowledge watcher
        "TROLYSO_ACTIONS_WARM": "1",
        "TROLYSO_WATCH_KNOWLEDGE": "1",
        # the question sets after each knowledge change take minutes of CPU: not while other tests time replies
        "TROLYSO_EVAL_ON_CHANGE": "0",
        **(env or {}),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        store = Store(env["TROLYSO_DATABASE_URL"])
        setup(store)
        n_actions, n_rasa, n_gateways = counts
        config = StackConfig(
            rasa_port=free_port(),
            actions_port=free_port(),
            gateway_port=free_port(),
            actions_workers=n_actions,
            rasa_workers=n_rasa,
            gateway_workers=n_gateways,
        )
        stack = Stack(build_services(config, Settings.from_env()), data / "logs")
        stack.start(echo=lambda *_: None)
        try:
            yield {"config": config, "stack": stack, "data": data, "knowledge": knowledge, "store": store}
        finally:
            stack.stop()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, driven by Playwright through executable_path (nothing is downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
