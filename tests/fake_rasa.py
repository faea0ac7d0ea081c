"""A fake Rasa REST channel on 127.0.0.1 for the gateway tests: real HTTP, records what it receives, can be
switched "down" (connection refused) and back "up" on the same port.

Replies: "/buttons N" → a text with N buttons (payloads /opt1…/optN); "/long N" → a text of N characters
made of sentences; "/silent" → [] (what Rasa answers when an action fails); anything else → "Đáp: <text>"
with two buttons.
"""

from __future__ import annotations

import http.server
import json
import threading
import time


def reply_for(message: str) -> list[dict]:
    if message.startswith("/buttons "):
        n = int(message.split()[1])
        return [
            {
                "text": "Anh/chị chọn một mục:",
                "buttons": [{"title": f"Mục {i}", "payload": f"/opt{i}"} for i in range(1, n + 1)],
            }
        ]
    if message.startswith("/long "):
        n = int(message.split()[1])
        sentence = "Đây là một câu trả lời dài để thử chia tin nhắn. "
        text = (sentence * (n // len(sentence) + 1))[:n].strip()
        return [{"text": text}]
    if message == "/silent":
        return []
    return [
        {
            "text": f"Đáp: {message}",
            "buttons": [{"title": "Tiếp theo", "payload": "/next_step"}, {"title": "Về menu", "payload": "/menu"}],
        }
    ]


class FakeRasa:
    def __init__(self, port: int = 0, delay: float = 0.0):
        self.received: list[dict] = []
        self.delay = delay
        self._lock = threading.Lock()
        self.port = port
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> FakeRasa:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(200, b'{"status": "ok"}')

            def do_POST(self):
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with fake._lock:
                    fake.received.append(data)
                if fake.delay:
                    time.sleep(fake.delay)
                out = [dict(m, recipient_id=data.get("sender")) for m in reply_for(data.get("message", ""))]
                self._send(200, json.dumps(out, ensure_ascii=False).encode())

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def messages_from(self, sender: str) -> list[str]:
        with self._lock:
            return [r["message"] for r in self.received if r.get("sender") == sender]
