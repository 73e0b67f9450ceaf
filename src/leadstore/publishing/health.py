"""Capped exponential backoff, and an outage that is logged once when it starts and once when it ends."""

from __future__ import annotations

import logging
import random
import time


class Backoff:
    """Delays that double from `initial` up to `cap`, with jitter so standbys and restarts do not align."""

    def __init__(self, initial: float, cap: float) -> None:
        self.initial = initial
        self.cap = cap
        self._next = initial

    def next(self) -> float:
        """The delay to wait now; the following one doubles, up to the cap."""
        delay = self._next
        self._next = min(self.cap, self._next * 2)
        return delay / 2 + random.uniform(0, delay / 2)

    def reset(self) -> None:
        self._next = self.initial


class Outage:
    """Whether something (NATS, the database) is out, logging the change of state rather than every failure."""

    def __init__(self, what: str, logger: logging.Logger) -> None:
        self.what = what
        self.log = logger
        self.since: float | None = None
        self.last_error: str | None = None
        self.failures = 0

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: str, consequence: str) -> None:
        """Record a failure; only the first of an outage is logged as a warning."""
        self.last_error = error
        self.failures += 1
        if self.since is None:
            self.since = time.time()
            self.log.warning("%s unavailable: %s; %s", self.what, error, consequence)
        else:
            self.log.debug("%s still unavailable: %s", self.what, error)

    def recovered(self, detail: str = "") -> None:
        """Record a success; logged once when it ends an outage."""
        if self.since is not None:
            self.log.info(
                "%s available again after %.1fs (%d failed attempts)%s",
                self.what,
                time.time() - self.since,
                self.failures,
                f"; {detail}" if detail else "",
            )
        self.since = None
        self.failures = 0
