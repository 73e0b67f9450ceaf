"""A progress line on standard error: redrawn in place on a terminal (bar, rows/s, ETA), a plain line every few
seconds otherwise (a log or CI reads each one). Small enough that no progress-bar library is worth a dependency."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
PLAIN_EVERY_SECONDS = 5.0


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last_plain = 0.0
        self._drawn = False

    def show(self, done: int) -> None:
        """Show `done` of the total rows, with the rate since the start and the time left at that rate."""
        now = time.monotonic()
        if not self.tty and now - self._last_plain < PLAIN_EVERY_SECONDS and done < self.total:
            return
        self._last_plain = now
        line = self.line(done, now - self.started)
        if self.tty:
            self.stream.write(f"\r{line}\x1b[K")
            self._drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def line(self, done: int, elapsed: float) -> str:
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else None
        share = done / self.total if self.total else 1.0
        filled = int(BAR_WIDTH * share)
        eta = "--" if left is None else _duration(left)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        return f"[{bar}] {done:,}/{self.total:,} rows  {rate:,.0f} rows/s  ETA {eta}"

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"
