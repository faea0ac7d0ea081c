"""Console page benchmark: seeds a store with 10,000 questions (answered ones with sources, unanswered ones
grouped by meaning), feedback, hand-offs with their conversations, subscriptions and users, starts the real
gateway process on it, logs in and times every console page over HTTP.

Prints median / p95 / max per page; with --check exits 1 when a page's p95 reaches the target (300 ms).

    .venv/bin/python scripts/bench_console.py [--questions 10000] [--rounds 20] [--check]   (make bench-console)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.stats import percentile  # noqa: E402
from bot.status import Origin, Reason  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.team.groups import Features, QuestionGroups  # noqa: E402
from connectors.messages import Inbound, Part  # noqa: E402
from connectors.queue import MessageQueue  # noqa: E402
from tests.fakes import free_port  # noqa: E402

TARGET_MS = 300.0
TOPICS = [
    "wifi ở UBND xã",
    "lớp học kỹ năng số cho người cao tuổi",
    "đổi sim chính chủ",
    "giờ làm việc một cửa",
    "máy tính công cộng ở nhà văn hoá",
    "tặng điện thoại cho hộ nghèo",
    "nhóm Zalo của xã",
    "lịch cắt điện",
    "sóng điện thoại yếu",
    "in giấy tờ ở xã",
]
SOURCES = [
    {
        "title": "Kích hoạt tài khoản định danh điện tử mức 2",
        "path": "guides/vneid-kich-hoat-muc-2.md",
        "section": "Bước 1",
    },
    {"title": "Nghị quyết 57-NQ/TW", "path": "explainers/nq57.md", "section": ""},
]


def seed(data: Path, n_questions: int) -> None:
    rng = random.Random(57)
    store = Store(f"sqlite:///{data / 'trolyso.db'}")
    groups = QuestionGroups(store)
    queue = MessageQueue(store)
    now = _dt.datetime.now(_dt.UTC)
    directions = {}
    channels = ["zalo-oa", "telegram", "web", "zalo-bot"]
    unanswered = n_questions * 3 // 10
    for i in range(n_questions):
        when = now - _dt.timedelta(minutes=rng.randint(0, 60 * 24 * 180))
        channel = rng.choice(channels)
        user = f"{channel}:{rng.randint(1, 3000)}"
        if i < unanswered:
            k = rng.randint(0, 399)  # ~400 different things residents ask
            topic = TOPICS[k % len(TOPICS)]
            text = f"{topic} số {k} hỏi lần {i} sđt 09{rng.randint(10000000, 99999999)}"
            if k not in directions:
                directions[k] = np.random.default_rng(k).standard_normal(384).astype("float32")
            vec = directions[k] + 0.05 * np.random.default_rng(i).standard_normal(384).astype("float32")
            qid = store.record_question(
                text, channel=channel, user_id=user, answered=False, reason=Reason.NO_MATCH, score=0.5, when=when
            )
            groups.assign(qid, Features(vec, {f"t{k}": 1.0}), conversation_id=user)
        else:
            qid = store.record_question(
                f"Câu hỏi đã trả lời số {i} về VNeID",
                channel=channel,
                user_id=user,
                answered=True,
                reason=Reason.ANSWERED,
                score=0.9,
                sources=[rng.choice(SOURCES)],
                when=when,
            )
            if i % 12 == 0:
                store.record_feedback(qid, i % 24 == 0, "Dạ, anh/chị làm theo các bước sau …")
    for i in range(60):
        conversation = f"web:nguoi-dan-{i}"
        store.request_handoff(conversation, channel="web", context="đang làm: kích hoạt VNeID mức 2")
        for j in range(15):
            row_id, _ = queue.accept(Inbound("web", f"h{i}-{j}", f"nguoi-dan-{i}", f"tin nhắn {j}"))
            queue.enqueue("web", f"nguoi-dan-{i}", [Part(f"Dạ, trả lời tin {j}")], origin=Origin.BOT)
        if i % 3 == 0:
            store.set_subscription(conversation, channel="web", active=True)
    store.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a page's p95 reaches {TARGET_MS:.0f} ms")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        seed(data, args.questions)
        print(f"seeded {args.questions} questions in {time.perf_counter() - t0:.1f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ZALO_", "TELEGRAM_"))}
        port = free_port()
        env.update(
            {
                "TROLYSO_DATA_DIR": str(data),
                "TROLYSO_GATEWAY_PORT": str(port),
                "TROLYSO_RASA_URL": f"http://127.0.0.1:{free_port()}",
            }
        )
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "user", "add", "bench.admin", "--role", "admin", "--password-stdin"],
            input="mat-khau-bench-1\n",
            text=True,
            env=env,
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        log = open(data / "gateway.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "connectors"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    print((data / "gateway.log").read_text()[-2000:])
                    return 2
                time.sleep(0.2)
            s = requests.Session()
            csrf = re.search(r'name="csrf" value="([^"]+)"', s.get(f"{url}/admin/login").text).group(1)
            s.post(f"{url}/admin/login", data={"csrf": csrf, "username": "bench.admin", "password": "mat-khau-bench-1"})
            group = re.search(r'href="/admin/questions/(\d+)"', s.get(f"{url}/admin/questions").text).group(1)
            pages = [
                "/admin/",
                "/admin/questions",
                f"/admin/questions/{group}",
                "/admin/questions?tab=answered",
                "/admin/feedback",
                "/admin/knowledge",
                "/admin/knowledge/guides/vneid-kich-hoat.md",
                "/admin/handoffs",
                "/admin/handoffs/1",
                "/admin/reports",
                "/admin/reports?preset=half-previous",
                "/admin/reports.csv",
                "/admin/reports/print",
                "/admin/news",
                "/admin/users",
            ]
            worst = 0.0
            print(f"{'page':52s} {'median':>8s} {'p95':>8s} {'max':>8s}  (ms, {args.rounds} requests each)")
            for page in pages:
                times = []
                for _ in range(args.rounds + 2):
                    t = time.perf_counter()
                    r = s.get(url + page)
                    times.append((time.perf_counter() - t) * 1000)
                    if r.status_code != 200:
                        print(f"{page}: HTTP {r.status_code}")
                        return 2
                times = sorted(times[2:])  # the first two warm caches
                p95 = percentile(times, 0.95)
                worst = max(worst, p95)
                print(f"{page:52s} {statistics.median(times):8.1f} {p95:8.1f} {max(times):8.1f}")
            print(f"slowest page p95: {worst:.1f} ms (target < {TARGET_MS:.0f} ms)")
            return 1 if args.check and worst >= TARGET_MS else 0
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
