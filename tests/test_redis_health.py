"""RedisHealth by itself: the back-off between probes, and what its label shows."""

from __future__ import annotations

import asyncio

import pytest

from core import RedisHealth, RedisHealthBoard, RedisPolicy, RedisUnavailable
from tests.conftest import FakeTimer
from tests.redis_standin import refused_redis_url


async def _probe_finished(health: RedisHealth) -> None:
    # White-box: the probe runs in the background; wait for it, boundedly.
    for _ in range(200):
        if health._probe is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the probe never finished")


def test_probes_of_a_redis_that_stays_down_back_off_to_the_maximum() -> None:
    async def scenario() -> list[float]:
        timer = FakeTimer()
        policy = RedisPolicy(retry_after=1, max_retry_after=4)
        board = RedisHealthBoard(policy, timer)
        health = board.health(refused_redis_url())
        with pytest.raises(RedisUnavailable):
            await health.call("get", health.client.ping)
        waits = []
        for _ in range(4):
            probe_due = health._next_probe
            waits.append(probe_due - timer.now())
            # Not yet due: skipped without a probe.
            assert not health.usable()
            assert health._probe is None
            timer.advance(probe_due - timer.now())
            assert not health.usable()
            await _probe_finished(health)
        await board.aclose()
        return waits

    assert asyncio.run(scenario()) == [1, 2, 4, 4]


def test_every_user_of_one_url_shares_its_health() -> None:
    async def scenario() -> tuple[bool, bool]:
        board = RedisHealthBoard(RedisPolicy(), FakeTimer())
        url = refused_redis_url()
        health = board.health(url)
        with pytest.raises(RedisUnavailable):
            await health.call("get", health.client.ping)
        others = board.health(url), board.health("redis://127.0.0.1:6379/0")
        await board.aclose()
        return others[0].healthy, others[1].healthy

    assert asyncio.run(scenario()) == (False, True)


def test_the_label_never_shows_credentials() -> None:
    board = RedisHealthBoard(RedisPolicy(), FakeTimer())
    health = board.health("redis://user:s3cret@redis.internal:6380/2")
    assert health.label == "redis.internal:6380/2"
    asyncio.run(board.aclose())
