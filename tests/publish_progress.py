"""When a publisher's count of acknowledged events moved: how long publishing paused (tests and benchmarks)."""

from __future__ import annotations

import asyncio
import math
import time

from leadstore.publishing import Publisher


class Progress:
    """When the publisher's count of acknowledged events moved, sampled every 10 ms."""

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self.moved_at: list[float] = []
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        seen = self.publisher.published
        while True:
            await asyncio.sleep(0.01)
            if self.publisher.published != seen:
                seen = self.publisher.published
                self.moved_at.append(time.monotonic())

    def resumed_after(self, moment: float) -> bool:
        return bool(self.moved_at) and self.moved_at[-1] > moment

    def first_move_after(self, moment: float) -> float:
        return next(at for at in self.moved_at if at > moment)

    def longest_gap(self, since: float = -math.inf, until: float = math.inf) -> float:
        """The longest stretch without progress that ended between `since` and `until`."""
        pairs = zip(self.moved_at, self.moved_at[1:], strict=False)
        return max((later - earlier for earlier, later in pairs if since < later <= until), default=0.0)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
