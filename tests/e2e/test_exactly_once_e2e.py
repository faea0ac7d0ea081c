"""End to end through the real Rasa: a message sent twice with the same `message_id` is processed once.

A gateway process can die after Rasa processed a resident's message but before it stored the reply; once the lease
expires another gateway process sends the message again, with the same `message_id` (the inbox row,
connectors/rasa_client.py `message_id_for`). nlu/rest_channel.py then answers from the conversation's tracker: the same
replies, one user turn in the tracker store, and the guide's step advanced once. Without the check the second copy is
a second "Tiếp theo" and the resident skips a step. Needs `.venv-rasa` and the trained model (`make test` sets
TROLYSO_E2E=1).
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from bot.engine.guides import GuideLibrary
from connectors.rasa_client import RasaClient
from tests.conftest import E2E, running_stack

pytestmark = [*E2E, pytest.mark.process]


def user_turns(tracker_db, sender: str, message_id: str) -> int:
    engine = create_engine(f"sqlite:///{tracker_db}")
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user' AND data LIKE :m"),
                {"s": sender, "m": f'%"message_id": "{message_id}"%'},
            ).scalar_one()
    finally:
        engine.dispose()


def payload(replies, title: str) -> str:
    found = [b["payload"] for r in replies for b in r.buttons if b["title"] == title]
    assert found, f"no button {title!r} in {[b['title'] for r in replies for b in r.buttons]}"
    return found[0]


def test_a_message_sent_twice_is_answered_twice_but_processed_once(tmp_path, settings):
    with running_stack(tmp_path, settings) as run:
        config = run["config"]
        client = RasaClient(config.rasa_url, timeout=60, token=config.rasa_token)
        guide = GuideLibrary(run["knowledge"]).get("guides/vneid-kich-hoat.md")
        n = len(guide.steps)
        assert n >= 5
        resident = f"once-{uuid.uuid4().hex[:8]}"
        menu = client.send(resident, "/flow_vneid", message_id="trolyso-1")
        assert client.send(resident, "/x", message_id="trolyso-1") == menu  # the same id: the menu again, not "/x"
        step1 = client.send(resident, payload(menu, guide.button), message_id="trolyso-2")
        assert guide.step(1).text in "\n".join(r.text for r in step1)
        step2 = client.send(resident, payload(step1, "Tiếp theo"), message_id="trolyso-3")
        assert f"Bước 2/{n}" in "\n".join(r.text for r in step2)
        again = client.send(resident, payload(step1, "Tiếp theo"), message_id="trolyso-3")  # from another gateway
        assert again == step2
        assert user_turns(run["data"] / "rasa_tracker.db", resident, "trolyso-3") == 1
        # the guide advanced once: the next new message brings step 3, not step 4
        after = "\n".join(r.text for r in client.send(resident, "tiếp", message_id="trolyso-4"))
        assert f"Bước 3/{n}. {guide.step(3).title}" in after, after
        # without a message_id (the terminal chat, the benchmark) every message is processed
        assert f"Bước 4/{n}" in "\n".join(r.text for r in client.send(resident, "tiếp"))
        # two copies at the same moment (a lease ran out while Rasa was still at it): the look-up and the
        # processing hold the conversation's lock together, so one copy is processed and the other replayed
        with ThreadPoolExecutor(2) as pool:
            copies = list(pool.map(lambda _: client.send(resident, "tiếp", message_id="trolyso-5"), range(2)))
        assert copies[0] == copies[1] and f"Bước 5/{n}" in "\n".join(r.text for r in copies[0]), copies
        assert user_turns(run["data"] / "rasa_tracker.db", resident, "trolyso-5") == 1
        client.close()
