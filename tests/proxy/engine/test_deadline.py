"""``proxy.engine.deadline``: ``asyncio.timeout``'s behaviour on a shared, coarse timer."""

from __future__ import annotations

import asyncio
import time

import pytest

from proxy.engine import deadline as module
from proxy.engine.deadline import TICK, deadline


async def test_a_block_that_ends_in_time_is_left_alone() -> None:
    async with deadline(1.0):
        await asyncio.sleep(0.01)


async def test_a_block_past_its_deadline_is_cancelled_and_raises_timeout_error() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError) as raised:
        async with deadline(0.1):
            await asyncio.sleep(5)
    took = time.monotonic() - started
    assert 0.1 <= took < 0.1 + TICK + 0.1, took  # late by at most a tick (and a loaded machine)
    assert isinstance(raised.value.__cause__, asyncio.CancelledError)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]  # our cancel taken back


async def test_none_means_no_deadline() -> None:
    async with deadline(None):
        await asyncio.sleep(TICK * 2)


async def test_a_cancellation_from_elsewhere_wins_over_an_expired_deadline() -> None:
    async def body() -> None:
        async with deadline(0.05):
            try:
                await asyncio.sleep(5)
            finally:
                asyncio.current_task().cancel()  # type: ignore[union-attr]  # the caller cancels too
                await asyncio.sleep(0)

    task = asyncio.create_task(body())
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_the_caller_cancelling_is_not_turned_into_a_timeout() -> None:
    async def body() -> None:
        async with deadline(5.0):
            await asyncio.sleep(5)

    task = asyncio.create_task(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_nested_blocks_the_shorter_one_fires() -> None:
    with pytest.raises(TimeoutError):
        async with deadline(5.0), deadline(0.05):
            await asyncio.sleep(5)
    outer_fired = False
    try:
        async with deadline(0.05), deadline(5.0):
            await asyncio.sleep(5)
    except TimeoutError:
        outer_fired = True
    assert outer_fired


async def test_blocks_of_another_duration_do_not_hold_up_expiry() -> None:
    """Each duration is swept on its own: a long block entered first does not hide a short one."""

    async def long() -> None:
        async with deadline(60.0):
            await asyncio.sleep(2)

    keeper = asyncio.create_task(long())
    await asyncio.sleep(0)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with deadline(0.05):
            await asyncio.sleep(2)
    assert time.monotonic() - started < 1.0
    keeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await keeper


async def test_the_shared_timer_stops_once_no_block_is_open() -> None:
    for _ in range(100):
        async with deadline(30.0):
            pass
    wheel = module._wheel(asyncio.get_running_loop())
    assert all(not blocks for blocks in wheel.by_duration.values())
    await asyncio.sleep(TICK * 3)
    assert wheel.timer is None and not wheel.by_duration
