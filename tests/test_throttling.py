from __future__ import annotations

from pathlib import Path

import pytest

from handlers.throttling import ThrottleMiddleware
from tests.harness import World, running_bot

FLOOD = 60


def test_a_burst_passes_then_updates_wait_then_a_flood_is_dropped() -> None:
    throttle = ThrottleMiddleware(burst=3, per_second=2, max_wait=1)
    waits = [throttle.reserve(7) for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 0.4 < (waits[3] or 0) <= 0.5  # the 4th waits half a second
    assert 0.9 < (waits[4] or 0) <= 1.0
    assert waits[5] is None  # more than a second of backlog: dropped
    assert throttle.reserve(8) == 0.0  # other people are not affected


@pytest.mark.asyncio(loop_scope="module")
async def test_the_running_bot_holds_a_flood_to_the_limit_and_still_answers_others(
    shared_world: World, tmp_path: Path
) -> None:
    """The other tests lift the flood limit (their people type faster than anyone can); this one
    runs the bot with the shipped one: a burst of 8, then 4 a second, 5 s of backlog at most."""
    async with running_bot(shared_world, tmp_path, flood_burst=8, flood_per_second=4) as shop:
        flooder, other = await shop.customer(), await shop.customer()
        since = shop.mark()
        for _ in range(FLOOD):
            await flooder.send("/help")
        query = await flooder.click("🛒 Services")  # a press in the flood is still answered
        assert "Too fast" in (await flooder.wait_answer(query)).get("text", "")
        await shop.ask(other, "/help")  # someone else is answered meanwhile
        await shop.fake.wait_for(lambda: shop.fake.pending_polls > 0 or None, 15.0)
        assert not await shop.app.in_flight.wait(15.0), "updates still waiting after 15 s"
        answered = [
            call
            for call in shop.fake.calls[since:]
            if call.method == "sendMessage" and call.params.get("chat_id") == flooder.user_id
        ]
        # A burst, then the steady rate for a few seconds; the rest of the flood is dropped.
        assert 8 <= len(answered) < FLOOD
