"""Coarse deadlines for whole calls: ``async with deadline(seconds):`` as ``asyncio.timeout`` does.

``asyncio.timeout`` arms one event-loop timer per block and cancels it at the end: about 4 µs a
block on uvloop, paid on every legacy call (the call's deadline, and the spool's direct-send
limit). Here the blocks of one loop share one timer that looks every ``TICK`` seconds while any
block is open: entering and leaving a block is a dict insert and delete. A block therefore
expires up to ``TICK`` late, which is nothing against the deadlines it bounds (seconds).

Semantics are ``asyncio.timeout``'s (Python 3.11): on expiry the task is cancelled; leaving the
block with that cancellation raises ``TimeoutError`` (chained to it) unless the task was also
cancelled from elsewhere, which then wins; ``None`` means no deadline.

Blocks of the same duration expire in the order they were entered (the loop's clock is
monotonic), so each duration keeps its blocks in entry order and a sweep stops at the first
block still running: a sweep costs what expires, not what is open.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

TICK = 0.05  # seconds between sweeps while a block is open; the most a block expires late


class _Wheel:
    """One loop's open blocks, by duration then entry order."""

    __slots__ = ("by_duration", "loop", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.by_duration: dict[float, dict[int, deadline]] = {}
        self.timer: asyncio.TimerHandle | None = None

    def add(self, block: deadline) -> None:
        blocks = self.by_duration.get(block.duration)
        if blocks is None:
            blocks = self.by_duration[block.duration] = {}
        blocks[id(block)] = block
        if self.timer is None:
            self.timer = self.loop.call_later(TICK, self.sweep)

    def discard(self, block: deadline) -> None:
        blocks = self.by_duration.get(block.duration)
        if blocks is not None:
            blocks.pop(id(block), None)

    def sweep(self) -> None:
        self.timer = None
        now = self.loop.time()
        open_blocks = False
        for seconds in list(self.by_duration):
            blocks = self.by_duration[seconds]
            while blocks:
                key = next(iter(blocks))
                block = blocks[key]
                if block.when > now:
                    break
                del blocks[key]
                block.expire()
            if blocks:
                open_blocks = True
            else:
                del self.by_duration[seconds]
        if open_blocks:
            self.timer = self.loop.call_later(TICK, self.sweep)


_wheels: dict[asyncio.AbstractEventLoop, _Wheel] = {}


def _wheel(loop: asyncio.AbstractEventLoop) -> _Wheel:
    wheel = _wheels.get(loop)
    if wheel is None:
        for old in [known for known in _wheels if known.is_closed()]:
            del _wheels[old]  # a closed loop's (tests open many): nothing of it runs again
        wheel = _wheels[loop] = _Wheel(loop)
    return wheel


class deadline:  # used like asyncio.timeout
    """``async with deadline(seconds):`` the block is cancelled, and ``TimeoutError`` raised,
    once ``seconds`` (within ``TICK``) have passed; ``None``: no deadline."""

    __slots__ = ("cancelling", "duration", "expired", "seconds", "task", "wheel", "when")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = False

    async def __aenter__(self) -> deadline:
        if self.seconds is None:
            return self
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("deadline() must be used inside a task")
        self.task = task
        self.cancelling = task.cancelling()
        self.duration: float = self.seconds
        loop = task.get_loop()  # not get_running_loop(): each of those is a getpid system call
        self.when = loop.time() + self.seconds
        self.wheel = _wheel(loop)
        self.wheel.add(self)
        return self

    def expire(self) -> None:
        self.expired = True
        self.task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.seconds is None:
            return
        if not self.expired:
            self.wheel.discard(self)
            return
        # Expired: take back our cancellation; a cancellation from elsewhere still propagates.
        if self.task.uncancel() <= self.cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc
