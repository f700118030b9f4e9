"""The embedded channel layer (playground/layers.py): a group message reaches every member, in order, as its own copy;
a member whose queue is full misses it while the others still get it (as Channels' own layer does)."""

import asyncio

from playground.layers import InMemoryLayer


def test_group_send_reaches_every_member_in_order_each_its_own_copy():
    async def scenario():
        layer = InMemoryLayer(capacity=10)
        members = [await layer.new_channel() for _ in range(3)]
        for channel in members:
            await layer.group_add("class-x", channel)
        for k in range(4):
            await layer.group_send("class-x", {"type": "class.round", "k": k, "runs": [{"id": "a"}]})
        got = {channel: [await layer.receive(channel) for _ in range(4)] for channel in members}
        return members, got

    members, got = asyncio.run(scenario())
    for channel in members:
        assert [m["k"] for m in got[channel]] == [0, 1, 2, 3]
    got[members[0]][0]["runs"][0]["id"] = "changed by one member"
    assert got[members[1]][0]["runs"][0]["id"] == "a"  # a copy each: no member sees another's change


def test_a_full_member_misses_the_message_and_the_others_still_get_it():
    async def scenario():
        layer = InMemoryLayer(capacity=1)
        full, other = await layer.new_channel(), await layer.new_channel()
        for channel in (full, other):
            await layer.group_add("class-x", channel)
        await layer.send(full, {"type": "class.roster", "rev": 1})  # its queue now holds its one message
        await layer.group_send("class-x", {"type": "class.stage", "rev": 2})
        return await layer.receive(full), await layer.receive(other), layer.channels.get(full)

    from_full, from_other, left = asyncio.run(scenario())
    assert from_full == {"type": "class.roster", "rev": 1}
    assert from_other == {"type": "class.stage", "rev": 2}
    assert left is None  # nothing else was queued for the full member
