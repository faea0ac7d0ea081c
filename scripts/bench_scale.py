"""Scale benchmark: saturating load through the whole real stack (gateway webhooks → Rasa → action server → answer
engine → the reply at a fake Zalo OA / Graph API on 127.0.0.1), run twice in one invocation:

    layout A = 1 gateway / 1 Rasa / 1 action server
    layout B = 1 gateway / 3 Rasa / 2 action servers

Both use a real Redis lock store (tests/redis_server.py; several Rasa processes need it, and the single-Rasa
layout uses it too so that only the process counts differ) and the SQLite store and tracker store (one machine).
Residents write the same mix (guide steps and knowledge questions, scripts/bench_gateway.py's residents) round
after round; after a warm-up, a fixed window is measured: messages answered (inbox rows done) and every process's
CPU time (/proc/<pid>/stat utime+stime, summed over each service's session). From those: messages/s for each layout
and their ratio, CPU-milliseconds per message per stage and messages/s per core per stage (1000 / cpu-ms). Layout A
also measures the webhook intake alone: a burst while the Rasa processes are stopped (SIGSTOP; continued before
the gateway's Rasa client times out). Then a capacity table for a commune, a province and the country, from the
measured per-core figures and the assumptions given as options.

    .venv/bin/python scripts/bench_scale.py [--residents 64] [--warmup 15] [--duration 60]   (make bench-scale)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.stack import Stack, StackConfig, build_services, upgrade_database  # noqa: E402
from bot.status import InboxStatus, OutboxStatus  # noqa: E402
from scripts.bench_gateway import (  # noqa: E402
    CHANNELS,
    MESSENGER_SECRET,
    PAGE_TOKEN,
    SCRIPT,
    Delivered,
    Fake,
    platform_env,
    replies_per_conversation,
    resident,
    webhook,
)
from tests.fakes import FakeMessenger, FakeZaloOA  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.redis_server import available as redis_available  # noqa: E402

# bench_gateway's script (greeting, a guide's steps, a knowledge question) and two more knowledge questions
MIX = [*SCRIPT, "cách thanh toán tiền điện qua ngân hàng", "nhận tin nhắn trúng thưởng lạ thì phải làm gì"]
LAYOUTS = {"A": (1, 1, 1), "B": (1, 3, 2)}  # gateways, Rasa, action servers
STAGES = ("gateway", "rasa", "actions")  # the project's processes; "redis" is measured beside them
COUNTRY_COMMUNES = 3321
TICKS = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- CPU time


def session_cpu(sessions: Iterable[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by the live processes of each session (a service started with
    start_new_session: its session id is its pid), from /proc/<pid>/stat."""
    wanted = set(sessions)
    out = dict.fromkeys(wanted, 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # it ended meanwhile
        fields = stat[stat.rindex(b")") + 2 :].split()  # after "pid (comm) ": state, ppid, pgrp, session …
        session = int(fields[3])
        if session in wanted:
            out[session] += (int(fields[11]) + int(fields[12])) / TICKS
    return out


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process, with its threads."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def kind_of(service_name: str) -> str:
    return service_name.split("-")[0]


@dataclass
class Meter:
    """CPU seconds per stage (the project's services, summed per kind, plus redis-server and this process: the
    residents, the fake platforms) at one moment."""

    stack: Stack
    redis_pid: int

    def read(self) -> dict[str, float]:
        pids = {s.process.pid: kind_of(s.name) for s in self.stack.services if s.process is not None}
        per_session = session_cpu(pids)
        out = dict.fromkeys(STAGES, 0.0)
        for pid, seconds in per_session.items():
            out[pids[pid]] += seconds
        out["redis"] = process_cpu(self.redis_pid)
        out["load generator"] = process_cpu(os.getpid())
        return out


# --------------------------------------------------------------------------- the stack


def free_port_run(n: int, tries: int = 200) -> int:
    """The first of `n` consecutive TCP ports on 127.0.0.1 that were free a moment ago (the stack numbers each
    kind's processes from one port)."""
    for _ in range(tries):
        base = random.randint(20000, 60000 - n)
        socks = []
        try:
            for port in range(base, base + n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def done_count(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute("select count(*) from inbox where status = ?", (str(InboxStatus.DONE),)).fetchone()[0]


@dataclass
class Result:
    layout: str
    counts: tuple[int, int, int]  # gateways, Rasa, action servers
    window: float
    answered: int
    cpu: dict[str, float]  # CPU seconds per stage in the window
    ingest: tuple[int, float, float] | None = None  # webhooks, wall seconds, gateway CPU seconds
    exactly_once: bool = False
    notes: list[str] = field(default_factory=list)
    load: float = 0.0  # the machine's 1-minute load average at the end of the window

    @property
    def rate(self) -> float:
        return self.answered / self.window

    def cpu_ms(self, stage: str) -> float:
        return 1000 * self.cpu[stage] / self.answered if self.answered else math.nan


async def drive(
    config: StackConfig,
    fakes: dict[str, Fake],
    channels: list[str],
    residents: int,
    warmup: float,
    duration: float,
    snapshot: Callable[[], tuple[float, int, dict[str, float]]],
) -> tuple[tuple[float, int, dict[str, float]], tuple[float, int, dict[str, float]]]:
    """Residents write MIX round after round (a new conversation each round) until the window has been measured;
    returns the snapshots at its start and end. Every resident finishes its round before this returns."""
    delivered, stop_watch, stop = Delivered(fakes), asyncio.Event(), asyncio.Event()
    watcher = asyncio.create_task(delivered.watch(stop_watch))
    http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=residents + 10))
    for c in channels:  # one warm-up message per webhook
        await resident(0, c, config.gateway_url, http, delivered, [], [], ["xin chào"], prefix="warmup")

    async def writer(i: int) -> None:
        channel = channels[i % len(channels)]
        await asyncio.sleep(2.0 * i / residents)  # first messages spread over 2 s
        rounds = 0
        while not stop.is_set():
            await resident(i, channel, config.gateway_url, http, delivered, [], [], MIX, prefix=f"r{rounds}")
            rounds += 1

    writers = asyncio.gather(*(writer(i) for i in range(residents)))
    await asyncio.sleep(warmup)
    start = await asyncio.to_thread(snapshot)
    await asyncio.sleep(duration)
    end = await asyncio.to_thread(snapshot)
    stop.set()
    await writers
    await http.aclose()
    stop_watch.set()
    await watcher
    return start, end


async def ingest_burst(
    config: StackConfig, channels: list[str], stack: Stack, meter: Meter, n: int
) -> tuple[int, float, float]:
    """`n` webhooks from `n` new residents (20 at a time) while every Rasa process is stopped: the gateway only
    accepts and stores them (its worker waits on Rasa). Returns (webhooks, wall seconds, gateway CPU seconds); Rasa
    is continued before returning, well within its client's 30 s timeout, and answers them all."""
    rasa = [s.process.pid for s in stack.services if kind_of(s.name) == "rasa" and s.process is not None]
    limit = asyncio.Semaphore(20)
    async with httpx.AsyncClient(timeout=30) as http:

        async def post(i: int) -> None:
            path, body, headers = webhook(channels[i % len(channels)], f"ingest-{i}", 0, MIX[i % len(MIX)])
            async with limit:
                r = await http.post(f"{config.gateway_url}{path}", content=body, headers=headers)
                assert r.status_code == 200, r.text

        for pid in rasa:
            os.killpg(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(0.5)
            before, t0 = meter.read()["gateway"], time.perf_counter()
            await asyncio.gather(*(post(i) for i in range(n)))
            wall = time.perf_counter() - t0
            after = meter.read()["gateway"]
        finally:
            for pid in rasa:
                os.killpg(pid, signal.SIGCONT)
    return n, wall, after - before


def check_exactly_once(db: Path, fakes: dict[str, Fake], timeout: float = 180.0) -> tuple[bool, str]:
    """Wait until every stored message is done and every reply sent; then compare, per conversation, the replies
    the platforms received with the outbox rows sent."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(db, timeout=30) as conn:
            inbox = dict(conn.execute("select status, count(*) from inbox group by status").fetchall())
            outbox = dict(conn.execute("select status, count(*) from outbox group by status").fetchall())
            sent = dict(
                conn.execute(
                    "select conversation_id, count(*) from outbox where status = ? group by conversation_id",
                    (str(OutboxStatus.SENT),),
                ).fetchall()
            )
        settled = set(inbox) == {InboxStatus.DONE} and set(outbox) == {OutboxStatus.SENT}
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # the last deliveries reach the fakes
    received = replies_per_conversation(fakes)
    mismatched = sum(1 for c in set(received) | set(sent) if received.get(c, 0) != sent.get(c, 0))
    ok = settled and mismatched == 0
    return ok, f"inbox {inbox}; outbox {outbox}; conversations with lost or extra replies: {mismatched}"


def run_layout(
    name: str, args: argparse.Namespace, base: Settings, tmp: Path, redis: RedisServer, channels: list[str]
) -> Result:
    n_gateways, n_rasa, n_actions = LAYOUTS[name]
    data = tmp / f"layout-{name}"
    shutil.copytree(base.index_dir, data / "index")
    with (
        FakeZaloOA(app_id="bench", app_secret="s") as oa,
        FakeMessenger(page_access_token=PAGE_TOKEN, app_secret=MESSENGER_SECRET) as graph,
    ):
        fakes: dict[str, Fake] = {c: f for c, f in (("zalo-oa", oa), ("messenger", graph)) if c in channels}
        db = data / "trolyso.db"
        os.environ.update(
            {
                "TROLYSO_DATA_DIR": str(data),
                "TROLYSO_DATABASE_URL": f"sqlite:///{db}",
                "TROLYSO_MODEL_DIR": str(base.model_dir),
                "TROLYSO_KNOWLEDGE_DIR": str(base.knowledge_dir),
                "TROLYSO_REDIS_URL": redis.url,
                "TROLYSO_EVAL_ON_CHANGE": "0",  # no question-set runs in the background
                **platform_env(fakes),
            }
        )
        settings = Settings.from_env()
        config = StackConfig(
            rasa_port=free_port_run(n_rasa),
            actions_port=free_port_run(n_actions),
            gateway_port=free_port_run(n_gateways),
            gateway_workers=n_gateways,
            rasa_workers=n_rasa,
            actions_workers=n_actions,
        )
        upgrade_database(settings, echo=lambda *_: None)
        print(f"layout {name}: {n_gateways} gateway / {n_rasa} Rasa / {n_actions} action server(s), starting …")
        stack = Stack(build_services(config, settings), data / "logs")
        stack.start(echo=print)
        meter = Meter(stack, redis.process.pid if redis.process else 0)
        try:

            def snapshot() -> tuple[float, int, dict[str, float]]:
                return time.perf_counter(), done_count(db), meter.read()

            start, end = asyncio.run(
                drive(config, fakes, channels, args.residents, args.warmup, args.duration, snapshot)
            )
            stack.check()
            result = Result(
                layout=name,
                counts=(n_gateways, n_rasa, n_actions),
                window=end[0] - start[0],
                answered=end[1] - start[1],
                cpu={k: end[2][k] - start[2][k] for k in end[2]},
                load=os.getloadavg()[0],
            )
            if name == "A" and args.ingest:
                result.ingest = asyncio.run(ingest_burst(config, channels, stack, meter, args.ingest))
                if result.ingest[1] > 20:
                    result.notes.append("the intake burst took over 20 s: its figure may include Rasa timeouts")
            result.exactly_once, summary = check_exactly_once(db, fakes)
            result.notes.append(summary)
            stack.check()
        finally:
            stack.stop()
    return result


# --------------------------------------------------------------------------- capacity model


@dataclass
class Assumptions:
    residents_per_commune: int = 10_000  # residents of a commune who use the bot
    active_share: float = 0.10  # share of them who write on a peak day
    messages_per_active: float = 8.0  # messages each of them sends that day
    peak_hour_share: float = 0.20  # share of the day's messages in its busiest hour
    headroom: float = 2.0  # cores provisioned per core of measured need (bursts, GC, a process down)
    machine_cores: int = 2


def peak_rate(communes: int, a: Assumptions) -> float:
    """Messages per second in the peak hour."""
    day = communes * a.residents_per_commune * a.active_share * a.messages_per_active
    return day * a.peak_hour_share / 3600


def cores_needed(rate: float, per_core: dict[str, float], headroom: float) -> dict[str, float]:
    """Cores per stage: the peak rate over the stage's measured messages/s per core, times the headroom."""
    return {stage: rate / figure * headroom for stage, figure in per_core.items()}


def machines(total_cores: float, machine_cores: int) -> int:
    return max(1, math.ceil(total_cores / machine_cores))


def capacity_table(per_core: dict[str, float], a: Assumptions) -> list[str]:
    lines = [
        f"Assumptions: {a.residents_per_commune:,} residents per commune use the bot; {a.active_share:.0%} of them "
        f"write on a peak day, {a.messages_per_active:g} messages each; {a.peak_hour_share:.0%} of the day's messages "
        f"in the peak hour; headroom ×{a.headroom:g}; machines of {a.machine_cores} cores.",
        "peak msg/s = communes × residents × active share × messages × peak-hour share / 3600",
        "cores per stage = peak msg/s / (stage's msg/s per core) × headroom",
        "",
    ]
    header = f"{'':<10} {'communes':>8} {'peak msg/s':>10} " + " ".join(f"{s:>9}" for s in per_core)
    lines += [header + f" {'total':>8} {'machines':>8}", "-" * len(header + " " * 18)]
    for label, communes in (("commune", 1), ("province", 100), ("country", COUNTRY_COMMUNES)):
        rate = peak_rate(communes, a)
        cores = cores_needed(rate, per_core, a.headroom)
        total = sum(cores.values())
        lines.append(
            f"{label:<10} {communes:>8,} {rate:>10.2f} "
            + " ".join(f"{c:>9.2f}" for c in cores.values())
            + f" {total:>8.2f} {machines(total, a.machine_cores):>8,}"
        )
    rate = peak_rate(COUNTRY_COMMUNES, a)
    lines += [
        "",
        f"e.g. the country: {COUNTRY_COMMUNES:,} × {a.residents_per_commune:,} × {a.active_share:g} × "
        f"{a.messages_per_active:g} × {a.peak_hour_share:g} / 3600 = {rate:.1f} msg/s; "
        + "; ".join(
            f"{s} {rate:.1f} / {f:.1f} × {a.headroom:g} = {rate / f * a.headroom:.1f} cores"
            for s, f in per_core.items()
        ),
    ]
    return lines


# --------------------------------------------------------------------------- report


def report(results: list[Result], a: Assumptions, residents: int) -> bool:
    stages = [*STAGES, "redis"]
    print()
    print(
        f"{residents} residents writing {len(MIX)} messages a round (guide steps and knowledge questions), "
        f"on {os.cpu_count()} cores; load average now {os.getloadavg()[0]:.1f}"
    )
    for r in results:
        g, ra, ac = r.counts
        print(
            f"layout {r.layout} ({g} gateway / {ra} Rasa / {ac} action server(s)): {r.answered} messages answered in "
            f"{r.window:.1f} s = {r.rate:.2f} msg/s; exactly once: {'yes' if r.exactly_once else 'NO'}"
        )
        busy = sum(r.cpu[s] for s in stages) / r.window
        print(
            "  CPU in the window: "
            + ", ".join(f"{s} {r.cpu[s]:.1f} s" for s in [*stages, "load generator"])
            + f" (the stack kept {busy:.2f} cores busy)"
        )
        if busy < 0.8 * (os.cpu_count() or 1):
            print(f"  not saturated (under 80% of the {os.cpu_count()} cores): more --residents for the msg/s figure")
        if r.load > (os.cpu_count() or 1):
            print(
                f"  the machine was shared (load average {r.load:.1f} at the window's end): this msg/s is the share of "
                "the CPU the stack got (more processes get a larger share); the CPU-ms per message below still hold"
            )
        for note in r.notes:
            print(f"  {note}")
    if len(results) == 2:
        a_, b_ = results
        print(f"throughput B / A = {b_.rate / a_.rate:.2f} (bounded by the machine's {os.cpu_count()} cores)")
    print()
    print(f"{'stage':<28}" + "".join(f"{'cpu-ms/msg ' + r.layout:>16}" for r in results) + f"{'msg/s per core':>16}")
    per_core: dict[str, float] = {}
    for s in stages:
        worst = max(r.cpu_ms(s) for r in results)  # the costlier layout's figure: the model errs on the safe side
        per_core[s] = 1000 / worst
        print(f"{s:<28}" + "".join(f"{r.cpu_ms(s):>16.1f}" for r in results) + f"{per_core[s]:>16.1f}")
    total_ms = max(sum(r.cpu_ms(s) for s in stages) for r in results)
    print(
        f"{'whole pipeline':<28}"
        + "".join(f"{sum(r.cpu_ms(s) for s in stages):>16.1f}" for r in results)
        + f"{1000 / total_ms:>16.1f}"
    )
    for r in results:
        if r.ingest:
            n, wall, cpu = r.ingest
            print(
                f"{'webhook intake alone':<28}{1000 * cpu / n:>16.2f}{'':>16}{n / cpu if cpu else math.inf:>16.1f}"
                f"   ({n} webhooks in {wall:.1f} s = {n / wall:.0f}/s while Rasa was stopped; gateway CPU {cpu:.2f} s)"
            )
    dominant = max(STAGES, key=lambda s: 1000 / per_core[s])
    share = (1000 / per_core[dominant]) / total_ms
    print(
        f"The dominant cost is the {dominant} stage ({share:.0%} of the pipeline's CPU per message"
        + ("; the action server runs the answer engine: embeddings + search" if dominant == "actions" else "")
        + "). msg/s per core = 1000 / cpu-ms, from the costlier layout. Measured: the gateway (with its worker and "
        "the SQLite queue), Rasa (with its SQLite tracker store), the action servers and redis-server; the "
        "platforms are fakes in this process ('load generator', not counted). Not measured: PostgreSQL (not used "
        "here), TLS and a reverse proxy in front, the real platforms' latency."
    )
    print()
    for line in capacity_table({s: per_core[s] for s in stages}, a):
        print(line)
    return all(r.exactly_once for r in results)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--residents", type=int, default=64, help="residents writing at once (enough to saturate)")
    ap.add_argument("--warmup", type=float, default=15.0, help="seconds of load before the measured window")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of the measured window")
    ap.add_argument("--ingest", type=int, default=300, help="webhooks in layout A's intake burst (0: none)")
    ap.add_argument("--layouts", default="A,B", help="which layouts to run: A (1/1/1), B (1/3/2)")
    ap.add_argument("--channels", default=",".join(CHANNELS), help="webhooks the residents are split over")
    d = Assumptions()
    ap.add_argument("--residents-per-commune", type=int, default=d.residents_per_commune)
    ap.add_argument("--active-share", type=float, default=d.active_share)
    ap.add_argument("--messages-per-active", type=float, default=d.messages_per_active)
    ap.add_argument("--peak-hour-share", type=float, default=d.peak_hour_share)
    ap.add_argument("--headroom", type=float, default=d.headroom)
    ap.add_argument("--machine-cores", type=int, default=os.cpu_count() or d.machine_cores)
    args = ap.parse_args()
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    if not channels or not set(channels) <= set(CHANNELS):
        ap.error(f"--channels: one or more of {', '.join(CHANNELS)}")
    layouts = [x.strip().upper() for x in args.layouts.split(",") if x.strip()]
    if not layouts or not set(layouts) <= set(LAYOUTS):
        ap.error("--layouts: A, B or A,B")
    if not redis_available():
        ap.error("redis-server is not installed (make redis)")
    assumptions = Assumptions(
        residents_per_commune=args.residents_per_commune,
        active_share=args.active_share,
        messages_per_active=args.messages_per_active,
        peak_hour_share=args.peak_hour_share,
        headroom=args.headroom,
        machine_cores=args.machine_cores,
    )
    base = Settings.from_env()
    redis = RedisServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = [run_layout(name, args, base, Path(tmp), redis, channels) for name in layouts]
    finally:
        redis.stop()
    ok = report(results, assumptions, args.residents)
    print("every message answered, every reply delivered exactly once" if ok else "FAIL: lost or duplicated replies")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
