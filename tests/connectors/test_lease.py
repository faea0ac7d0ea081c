"""A message being answered stays leased to its gateway process however long Rasa takes: the worker renews the lease
(connectors/worker.py `_keep_lease`). Without it, another gateway process takes the row once the lease runs out and
sends the message to Rasa a second time while the first is still waiting (tests/e2e/test_fault_e2e.py found it:
"Tiếp theo" advanced the guide twice)."""

from __future__ import annotations

import asyncio

from bot.store import Store
from connectors.messages import Inbound
from connectors.metrics import Metrics
from connectors.queue import MessageQueue
from connectors.rasa_client import Reply
from connectors.worker import Worker


class SlowRasa:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.calls = 0

    async def send(self, sender, text, metadata=None, message_id=None) -> list[Reply]:
        self.calls += 1
        await asyncio.sleep(self.seconds)
        return [Reply("Dạ, em chào anh/chị.")]


def test_a_message_rasa_answers_slowly_is_not_taken_by_another_gateway_process(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    mine, other = MessageQueue(store, lease_seconds=0.6), MessageQueue(store, lease_seconds=0.6)
    row_id, _ = mine.accept(Inbound("web", "m-1", "r-1", "xin chào"))
    assert row_id is not None
    rasa = SlowRasa(2.0)  # more than three leases
    worker = Worker(mine, store, rasa, {}, Metrics())

    async def run() -> list:
        handled = asyncio.create_task(worker._handle("in", row_id, "web:r-1"))
        taken = []
        for _ in range(8):
            await asyncio.sleep(0.25)
            taken.append(await asyncio.to_thread(other.claim_inbound, row_id))
        await handled
        return taken

    taken = asyncio.run(run())
    assert taken == [None] * 8  # never claimable while the first process works on it
    assert rasa.calls == 1
    assert mine.inbound_status(row_id) == "done"
