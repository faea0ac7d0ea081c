"""A throw-away Redis server for the tests (Debian's `redis-server`, installed by `make redis`): started on a free
port on 127.0.0.1 in a temporary folder, nothing saved to disk, stopped afterwards. `command` speaks Redis's
protocol over a socket, so the tests need no Redis client library."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.fakes import free_port


def available() -> bool:
    return shutil.which("redis-server") is not None


class RedisServer:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="trolyso-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> str:
        """One command; the reply as text (a bulk string's content, "" for nil, a status line, an integer)."""
        request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(request.encode())
            reply = b""
            while b"\r\n" not in reply or (reply.startswith(b"$") and len(reply) < self._bulk_end(reply)):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        head, _, rest = reply.partition(b"\r\n")
        if head.startswith(b"-"):
            raise RuntimeError(head[1:].decode())
        if head == b"$-1":
            return ""  # nil
        return rest[:-2].decode() if head.startswith(b"$") else head[1:].decode()

    @staticmethod
    def _bulk_end(reply: bytes) -> int:
        head = reply.split(b"\r\n", 1)[0]
        return 0 if head == b"$-1" else len(head) + 2 + int(head[1:]) + 2

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.command("PING") == "PONG":
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
