"""Progress of long work for the operator (replay, export, import): events done, rate and time left, on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from leadstore.projection.rebuild import Until
from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint

COUNT_EVENTS = "SELECT count(*) FROM events"
COUNT_EVENTS_UNTIL = "SELECT count(*) FROM events WHERE (transaction_id, position) <= ($1::xid8, $2::bigint)"


async def events_to_replay(conn: Conn, until: Until = None) -> int:
    """How many events a replay up to `until` reads (a time bound reads the whole log)."""
    if isinstance(until, Checkpoint):
        count: int = await conn.fetchval(COUNT_EVENTS_UNTIL, until.transaction_id, until.position)
    else:
        count = await conn.fetchval(COUNT_EVENTS)
    return count


class ProgressLine:
    """A progress callback printing at most one line every `every` seconds (`total` 0: not known ahead)."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        out: TextIO | None = None,
        every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.every, self.clock = label, total, every, clock
        self.out = out if out is not None else sys.stderr
        self.started = self.printed = clock()
        self.applied = 0

    def __call__(self, applied: int, checkpoint: Checkpoint) -> None:
        self.applied = applied
        if self.clock() - self.printed >= self.every:
            self.printed = self.clock()
            print(self.line(), file=self.out, flush=True)

    def line(self) -> str:
        """`lead_list: 120,000 of 1,000,000 events (12%), 24,000 events/s, about 37s left`."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.applied / elapsed
        text = f"{self.label}: {self.applied:,}" + (f" of {self.total:,}" if self.total else "") + " events"
        if self.total:
            text += f" ({min(100, 100 * self.applied // self.total)}%)"
        text += f", {rate:,.0f} events/s"
        if rate > 0 and self.total > self.applied:
            text += f", about {(self.total - self.applied) / rate:,.0f}s left"
        return text

    def finish(self, note: str) -> None:
        """The closing line: the total and the overall rate, and what happened."""
        elapsed = max(self.clock() - self.started, 1e-9)
        summary = f"{self.applied:,} events in {elapsed:,.1f}s ({self.applied / elapsed:,.0f} events/s)"
        print(f"{self.label}: {summary}; {note}", file=self.out, flush=True)
