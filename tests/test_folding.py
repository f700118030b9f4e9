"""Folded announcements (classes/folding.py): a burst of changes goes out as two sends, the second
carrying the burst's last state; a change after a quiet interval goes out at once."""

import asyncio

from playground.classes import folding


async def test_a_burst_is_sent_at_once_then_once_more_with_its_last_state():
    state, sent = {"n": 0}, []
    sent_all = asyncio.Event()

    async def send():
        sent.append(state["n"])
        if state["n"] == 10:
            sent_all.set()

    for n in range(1, 11):  # ten changes in one burst
        state["n"] = n
        await folding.fold("roster:BURST", send)
    assert sent == [1]  # the first at once; the nine others wait for one send
    async with asyncio.timeout(5):
        await sent_all.wait()
    assert sent == [1, 10]


async def test_keys_fold_apart_and_a_change_after_a_quiet_interval_goes_at_once():
    sent = []

    async def send_a():
        sent.append("a")

    async def send_b():
        sent.append("b")

    await folding.fold("A", send_a)
    await folding.fold("B", send_b)  # another class: not folded with A
    assert sent == ["a", "b"]
    await asyncio.sleep(folding.FOLD_S * 1.5)  # a quiet interval (no change due meanwhile)
    await folding.fold("A", send_a)
    assert sent == ["a", "b", "a"]
