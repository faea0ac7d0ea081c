"""Load benchmark for the gateway: N residents at once, each writing to the Zalo OA webhook like a person
(a message, wait for the reply, the next message), through the whole real stack — gateway, Rasa, action
server, answer engine — with a fake Zalo OA on 127.0.0.1 receiving the replies.

Prints the webhook acknowledgement latency (target p95 ≤ 50 ms), the end-to-end reply latency (webhook
POST → the reply reaching the platform) and checks every reply was delivered exactly once.

    .venv/bin/python scripts/bench_gateway.py [--residents 200]      (make bench-gateway)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.stack import Stack, StackConfig, build_services  # noqa: E402
from bot.stats import percentile  # noqa: E402
from bot.status import InboxStatus, OutboxStatus  # noqa: E402
from connectors.metrics import histogram_quantile  # noqa: E402
from tests.fakes import FakeZaloOA, free_port  # noqa: E402

SECRET = "bench-oa-secret"
SCRIPT = ["xin chào", "/flow_dvc", "2", "/next_step", "vneid mức 2 là gì"]


class Delivered:
    """Replies received by the fake platform, counted per resident once per tick (not once per resident:
    the fake runs in this process, and 200 residents each scanning its log would steal the CPU)."""

    def __init__(self, fake: FakeZaloOA):
        self.fake = fake
        self.counts: dict[str, int] = {}

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            counts: dict[str, int] = {}
            for b in self.fake.sent():
                counts[b["recipient"]["user_id"]] = counts.get(b["recipient"]["user_id"], 0) + 1
            self.counts = counts
            await asyncio.sleep(0.02)


async def resident(
    i: int,
    url: str,
    http: httpx.AsyncClient,
    delivered: Delivered,
    acks: list,
    e2e: list,
    script: list[str],
    prefix: str = "bench",
    start_delay: float = 0.0,
) -> None:
    user = f"{prefix}-{i}"
    await asyncio.sleep(start_delay)
    for n, text in enumerate(script):
        before = delivered.counts.get(user, 0)
        ts = str(1700000000000 + i * 100 + n)
        body = json.dumps(
            {
                "event_name": "user_send_text",
                "app_id": "bench",
                "sender": {"id": user},
                "recipient": {"id": "oa"},
                "message": {"text": text, "msg_id": f"{user}-{n}"},
                "timestamp": ts,
            },
            ensure_ascii=False,
        ).encode()
        sig = FakeZaloOA.sign("bench", body, ts, SECRET)
        t0 = time.perf_counter()
        r = await http.post(f"{url}/webhooks/zalo-oa", content=body, headers={"X-ZEvent-Signature": sig})
        acks.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
        deadline = time.perf_counter() + 120
        while delivered.counts.get(user, 0) <= before:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no reply for {user} message {n}")
            await asyncio.sleep(0.02)
        e2e.append(time.perf_counter() - t0)
        await asyncio.sleep(0.3)  # the last parts of a multi-part reply arrive before the next message


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, default=200)
    ap.add_argument("--messages", type=int, default=len(SCRIPT))
    ap.add_argument(
        "--ramp",
        type=float,
        default=1.0,
        help="seconds over which the residents' first messages are spread (0 = the same instant)",
    )
    args = ap.parse_args()
    script = SCRIPT[: args.messages]
    settings = Settings.from_env()
    with tempfile.TemporaryDirectory() as tmp, FakeZaloOA(app_id="bench", app_secret="s") as fake:
        data = Path(tmp)
        shutil.copytree(settings.index_dir, data / "index")
        os.environ.update(
            {
                "TROLYSO_DATA_DIR": str(data),
                "TROLYSO_MODEL_DIR": str(settings.model_dir),
                "TROLYSO_KNOWLEDGE_DIR": str(settings.knowledge_dir),
                "ZALO_OA_APP_ID": "bench",
                "ZALO_OA_SECRET_KEY": SECRET,
                "ZALO_APP_SECRET": "s",
                "ZALO_OA_ACCESS_TOKEN": fake.access_token,
                "ZALO_OA_REFRESH_TOKEN": fake.refresh_token,
                "ZALO_OA_API_BASE": fake.url,
                "ZALO_OAUTH_BASE": fake.url,
            }
        )
        config = StackConfig(rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port())
        stack = Stack(build_services(config, Settings.from_env()), data / "logs")
        stack.start()
        try:
            acks: list[float] = []
            e2e: list[float] = []

            async def run_all() -> float:
                delivered, stop = Delivered(fake), asyncio.Event()
                watcher = asyncio.create_task(delivered.watch(stop))
                # one client for all residents (each client builds its own TLS context: ~25 ms of CPU apiece)
                http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=args.residents + 10))
                await resident(0, config.gateway_url, http, delivered, [], [], ["xin chào"], prefix="warmup")
                t0 = time.perf_counter()
                await asyncio.gather(
                    *(
                        resident(
                            i,
                            config.gateway_url,
                            http,
                            delivered,
                            acks,
                            e2e,
                            script,
                            start_delay=args.ramp * i / args.residents,
                        )
                        for i in range(args.residents)
                    )
                )
                await http.aclose()
                stop.set()
                await watcher
                return time.perf_counter() - t0

            wall = asyncio.run(run_all())
            time.sleep(2.0)
            exposition = httpx.get(f"{config.gateway_url}/metrics").text
            server = {
                name: round((histogram_quantile(exposition, "trolyso_ack_seconds", q) or 0.0) * 1000, 1)
                for name, q in (("p50", 0.5), ("p95", 0.95))
            }
            db = sqlite3.connect(data / "trolyso.db")
            inbox = dict(db.execute("select status, count(*) from inbox group by status").fetchall())
            outbox = dict(db.execute("select status, count(*) from outbox group by status").fetchall())
            delivered = len([b for b in fake.sent() if b["recipient"]["user_id"].startswith("bench-")])
            sent_rows = db.execute(
                "select count(*) from outbox where status='sent' and conversation_id like 'zalo-oa:bench-%'"
            ).fetchone()[0]
            per_user_dupes = sum(
                1
                for u in range(args.residents)
                if len([b for b in fake.sent() if b["recipient"]["user_id"] == f"bench-{u}"])
                != db.execute(
                    "select count(*) from outbox where conversation_id=? and status='sent'", (f"zalo-oa:bench-{u}",)
                ).fetchone()[0]
            )
        finally:
            stack.stop()
    n = args.residents * len(script)
    print(
        f"{args.residents} residents at once (first messages spread over {args.ramp:g} s), {len(script)} messages "
        f"each ({n} webhooks), {wall:.1f} s wall"
    )
    print(
        f"webhook acknowledgement: median {statistics.median(acks) * 1000:.1f} ms, "
        f"p95 {percentile(acks, 0.95) * 1000:.1f} ms, max {max(acks) * 1000:.1f} ms"
    )
    print(f"  (inside the gateway, from its histogram's buckets: median ~{server['p50']} ms, p95 ~{server['p95']} ms)")
    print(
        f"end-to-end reply (webhook → reply at the platform): median {statistics.median(e2e) * 1000:.0f} ms, "
        f"p95 {percentile(e2e, 0.95) * 1000:.0f} ms, max {max(e2e) * 1000:.0f} ms"
    )
    print(f"inbox {inbox}; outbox {outbox}; replies received by the platform {delivered}")
    ok = (
        inbox == {InboxStatus.DONE: n + 1}
        and delivered == sent_rows
        and per_user_dupes == 0
        and set(outbox) == {OutboxStatus.SENT}
    )
    print("every message answered, every reply delivered exactly once" if ok else "FAIL: lost or duplicated replies")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
