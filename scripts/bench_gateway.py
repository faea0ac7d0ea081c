"""Load benchmark for the gateway: N residents at once, split over the Zalo OA and the Messenger webhooks
(`--channels`), each writing like a person (a message, wait for the reply, the next message), through the whole
real stack — gateway, Rasa, action server, answer engine — with a fake Zalo OA and a fake Graph API on 127.0.0.1
receiving the replies.

Prints, per channel and overall, the webhook acknowledgement latency (target p95 ≤ 50 ms), the end-to-end reply
latency (webhook POST → the reply reaching the platform) and checks every reply was delivered exactly once.

    .venv/bin/python scripts/bench_gateway.py [--residents 200] [--channels zalo-oa,messenger]  (make bench-gateway)
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
from tests.fakes import FakeMessenger, FakeZaloOA, free_port  # noqa: E402

Fake = FakeZaloOA | FakeMessenger

SECRET = "bench-oa-secret"
MESSENGER_SECRET = "bench-app-secret"
PAGE_TOKEN = "bench-page-token"
CHANNELS = ("zalo-oa", "messenger")  # the webhooks the residents can be split over
SCRIPT = ["xin chào", "/flow_dvc", "2", "/next_step", "vneid mức 2 là gì"]


def replies_per_conversation(fakes: dict[str, Fake]) -> dict[str, int]:
    """The replies each fake platform received, per conversation ("zalo-oa:bench-3")."""
    counts: dict[str, int] = {}
    for channel, fake in fakes.items():
        for b in fake.sent():
            user = b["recipient"]["user_id"] if channel == "zalo-oa" else b["recipient"]["id"]
            counts[f"{channel}:{user}"] = counts.get(f"{channel}:{user}", 0) + 1
    return counts


class Delivered:
    """Replies received by the fake platforms, counted per conversation once per tick (not once per resident:
    the fakes run in this process, and 200 residents each scanning their logs would steal the CPU)."""

    def __init__(self, fakes: dict[str, Fake]):
        self.fakes = fakes
        self.counts: dict[str, int] = {}

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.counts = replies_per_conversation(self.fakes)
            await asyncio.sleep(0.02)


def platform_env(fakes: dict[str, Fake]) -> dict[str, str]:
    """The gateway's settings for the fake platforms in `fakes` ("zalo-oa", "messenger"): tokens, secrets, addresses."""
    env: dict[str, str] = {}
    oa = fakes.get("zalo-oa")
    if isinstance(oa, FakeZaloOA):
        env |= {
            "ZALO_OA_APP_ID": "bench",
            "ZALO_OA_SECRET_KEY": SECRET,
            "ZALO_APP_SECRET": "s",
            "ZALO_OA_ACCESS_TOKEN": oa.access_token,
            "ZALO_OA_REFRESH_TOKEN": oa.refresh_token,
            "ZALO_OA_API_BASE": oa.url,
            "ZALO_OAUTH_BASE": oa.url,
        }
    graph = fakes.get("messenger")
    if isinstance(graph, FakeMessenger):
        env |= {
            "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
            "MESSENGER_APP_SECRET": MESSENGER_SECRET,
            "MESSENGER_VERIFY_TOKEN": "bench-verify",
            "MESSENGER_API_BASE": graph.url,
        }
    return env


def webhook(channel: str, user: str, n: int, text: str) -> tuple[str, bytes, dict[str, str]]:
    """A resident's n-th message as its platform posts it: the webhook's path, the raw body and its signature."""
    ts = int(time.time() * 1000)  # the gateway refuses a Zalo OA event stamped outside its window
    if channel == "messenger":
        event = {
            "sender": {"id": user},
            "recipient": {"id": "page1"},
            "timestamp": ts,
            "message": {"mid": f"{user}-{n}", "text": text},
        }
        raw = json.dumps(
            {"object": "page", "entry": [{"id": "page1", "time": ts, "messaging": [event]}]}, ensure_ascii=False
        ).encode()
        return "/webhooks/messenger", raw, {"X-Hub-Signature-256": FakeMessenger.sign(MESSENGER_SECRET, raw)}
    raw = json.dumps(
        {
            "event_name": "user_send_text",
            "app_id": "bench",
            "sender": {"id": user},
            "recipient": {"id": "oa"},
            "message": {"text": text, "msg_id": f"{user}-{n}"},
            "timestamp": str(ts),
        },
        ensure_ascii=False,
    ).encode()
    return "/webhooks/zalo-oa", raw, {"X-ZEvent-Signature": FakeZaloOA.sign("bench", raw, str(ts), SECRET)}


async def resident(
    i: int,
    channel: str,
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
    conversation = f"{channel}:{user}"
    await asyncio.sleep(start_delay)
    for n, text in enumerate(script):
        before = delivered.counts.get(conversation, 0)
        path, body, headers = webhook(channel, user, n, text)
        t0 = time.perf_counter()
        r = await http.post(f"{url}{path}", content=body, headers=headers)
        acks.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
        deadline = time.perf_counter() + 120
        while delivered.counts.get(conversation, 0) <= before:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no reply for {conversation} message {n}")
            await asyncio.sleep(0.02)
        e2e.append(time.perf_counter() - t0)
        await asyncio.sleep(0.3)  # the last parts of a multi-part reply arrive before the next message


def spread(seconds: list[float], decimals: int) -> str:
    if not seconds:
        return "no messages"
    ms = [v * 1000 for v in seconds]
    return (
        f"median {statistics.median(ms):.{decimals}f} ms, p95 {percentile(ms, 0.95):.{decimals}f} ms, "
        f"max {max(ms):.{decimals}f} ms"
    )


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
    ap.add_argument(
        "--channels",
        default=",".join(CHANNELS),
        help=f"comma-separated webhooks the residents are split over, in turn (of {', '.join(CHANNELS)})",
    )
    args = ap.parse_args()
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    if not channels or not set(channels) <= set(CHANNELS) or len(set(channels)) != len(channels):
        ap.error(f"--channels: one or more of {', '.join(CHANNELS)}, each once")
    if args.residents < len(channels):
        ap.error("--residents: at least one resident per channel")
    script = SCRIPT[: args.messages]
    channel_of = {i: channels[i % len(channels)] for i in range(args.residents)}
    settings = Settings.from_env()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeZaloOA(app_id="bench", app_secret="s") as oa,
        FakeMessenger(page_access_token=PAGE_TOKEN, app_secret=MESSENGER_SECRET) as graph,
    ):
        fakes: dict[str, Fake] = {c: f for c, f in (("zalo-oa", oa), ("messenger", graph)) if c in channels}
        data = Path(tmp)
        shutil.copytree(settings.index_dir, data / "index")
        os.environ.update(
            {
                "TROLYSO_DATA_DIR": str(data),
                "TROLYSO_MODEL_DIR": str(settings.model_dir),
                "TROLYSO_KNOWLEDGE_DIR": str(settings.knowledge_dir),
            }
        )
        os.environ.update(platform_env(fakes))
        config = StackConfig(rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port())
        stack = Stack(build_services(config, Settings.from_env()), data / "logs")
        stack.start()
        try:
            acks: dict[str, list[float]] = {c: [] for c in channels}
            e2e: dict[str, list[float]] = {c: [] for c in channels}

            async def run_all() -> float:
                delivered, stop = Delivered(fakes), asyncio.Event()
                watcher = asyncio.create_task(delivered.watch(stop))
                # one client for all residents (each client builds its own TLS context: ~25 ms of CPU apiece)
                http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=args.residents + 10))
                for c in channels:  # one warm-up message per webhook
                    await resident(0, c, config.gateway_url, http, delivered, [], [], ["xin chào"], prefix="warmup")
                t0 = time.perf_counter()
                await asyncio.gather(
                    *(
                        resident(
                            i,
                            channel_of[i],
                            config.gateway_url,
                            http,
                            delivered,
                            acks[channel_of[i]],
                            e2e[channel_of[i]],
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

            def server(**where: str) -> str:
                p50, p95 = (
                    round((histogram_quantile(exposition, "trolyso_ack_seconds", q, **where) or 0.0) * 1000, 1)
                    for q in (0.5, 0.95)
                )
                return f"median ~{p50} ms, p95 ~{p95} ms"

            db = sqlite3.connect(data / "trolyso.db")
            inbox = dict(db.execute("select status, count(*) from inbox group by status").fetchall())
            outbox = dict(db.execute("select status, count(*) from outbox group by status").fetchall())
            received = replies_per_conversation(fakes)
            sent_rows = dict(
                db.execute(
                    "select conversation_id, count(*) from outbox where status='sent' group by conversation_id"
                ).fetchall()
            )
            answered = dict(
                db.execute(
                    "select channel, count(*) from inbox where status='done' and conversation_id like ? "
                    "group by channel",
                    ("%:bench-%",),
                ).fetchall()
            )
            per_channel = {}
            for c in channels:
                users = [f"{c}:bench-{i}" for i in range(args.residents) if channel_of[i] == c]
                per_channel[c] = {
                    "residents": len(users),
                    "answered": answered.get(c, 0),
                    "received": sum(received.get(u, 0) for u in users),
                    "sent_rows": sum(sent_rows.get(u, 0) for u in users),
                    "mismatched": sum(1 for u in users if received.get(u, 0) != sent_rows.get(u, 0)),
                }
            servers = {c: server(channel=c) for c in channels} | {"overall": server()}
        finally:
            stack.stop()
    n = args.residents * len(script)
    split = ", ".join(f"{c} {per_channel[c]['residents']}" for c in channels)
    print(
        f"{args.residents} residents at once ({split}; first messages spread over {args.ramp:g} s), {len(script)} "
        f"messages each ({n} webhooks), {wall:.1f} s wall"
    )
    every_ack = [v for c in channels for v in acks[c]]
    every_e2e = [v for c in channels for v in e2e[c]]
    print(f"webhook acknowledgement: overall {spread(every_ack, 1)}")
    for c in channels:
        print(f"  {c}: {spread(acks[c], 1)}")
    print(
        "  (inside the gateway, from its histogram's buckets: "
        + "; ".join(f"{k} {v}" for k, v in servers.items())
        + ")"
    )
    print(f"end-to-end reply (webhook → reply at the platform): overall {spread(every_e2e, 0)}")
    for c in channels:
        print(f"  {c}: {spread(e2e[c], 0)}")
    ok = inbox == {InboxStatus.DONE: n + len(channels)} and set(outbox) == {OutboxStatus.SENT}
    for c, r in per_channel.items():
        print(
            f"{c}: messages answered {r['answered']}/{r['residents'] * len(script)}, replies received by the platform "
            f"{r['received']} for {r['sent_rows']} sent outbox rows, residents with lost or extra replies "
            f"{r['mismatched']}"
        )
        ok = ok and r["answered"] == r["residents"] * len(script) and r["received"] == r["sent_rows"]
        ok = ok and r["mismatched"] == 0
    print(f"inbox {inbox}; outbox {outbox}")
    print("every message answered, every reply delivered exactly once" if ok else "FAIL: lost or duplicated replies")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
