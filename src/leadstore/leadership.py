"""Leaders hold leases (DESIGN.md decision 11): how a follower of the log runs in one process at a time.

A follower (a projection, the publisher) stands by until its lease is free or has lapsed, then takes it with
a new fencing token and, while it leads, renews it every third of its duration on a connection of its own.
Its checkpoint saves name the token (`Lease.save`): once a standby has taken over (the leader froze, or could
not reach the database for longer than the lease) they write nothing, and whatever the leader wrote in the
same transaction (a projection's rows) rolls back with them. Taking over, the new leader also ends the old
leader's working session, which a frozen process keeps open with its transaction, locks and transaction id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg

from leadstore.store import checkpoints, db, leases
from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint
from leadstore.store.notifier import wait_or_stop

log = logging.getLogger(__name__)

SET_SETTING = "SELECT set_config($1, $2, false)"
DATABASE_ERRORS = db.DATABASE_ERRORS  # a lost connection in every form, InternalClientError included


class LeaseLost(Exception):
    """The lease was taken over, or not renewed in time: its holder must stop writing."""


def holder_id() -> str:
    """Who holds a lease, for operators: host, process, and a nonce telling apart followers of one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    """The lease `name` as one instance (`holder`) of a follower stands for, holds and renews it."""

    def __init__(self, dsn: str, name: str, seconds: float = 10.0, *, on_lost: Callable[[], object] = lambda: None):
        if seconds <= 0:
            raise ValueError(f"a lease lasts a positive number of seconds, not {seconds}")
        self.dsn, self.name, self.seconds = dsn, name, seconds
        self.holder = holder_id()
        self.token: int | None = None
        self._on_lost = on_lost
        self._valid_until = 0.0  # by this process's monotonic clock, counted from when the renewal was sent
        self._lost = False

    @property
    def renew_every(self) -> float:
        return self.seconds / 3

    @property
    def held(self) -> bool:
        """Whether this holder may still lead: it holds a token and renewed it less than a lease ago."""
        return self.token is not None and not self._lost and time.monotonic() < self._valid_until

    def check(self, failure: Exception | None = None) -> None:
        """Raise LeaseLost unless the lease is held; given the `failure` of the follower's work (its session was
        ended by a successor, say), as its cause, since the lapse is what explains it."""
        if isinstance(failure, LeaseLost) or (failure is None and self.held):
            return
        if not self.held:
            raise LeaseLost(f"lease {self.name} is no longer held by {self.holder}") from failure

    async def save(self, conn: Conn, checkpoint: Checkpoint, *, forward: bool = False) -> None:
        """Save the follower's checkpoint, fenced by the lease; LeaseLost (nothing written) after a takeover."""
        token = self.token
        if token is None or not await checkpoints.save_fenced(
            conn, self.name, checkpoint, self.holder, token, forward=forward
        ):
            self._lose("another holder took it over")
            raise LeaseLost(f"lease {self.name}: token {token} of {self.holder} was superseded")

    @contextlib.asynccontextmanager
    async def term(
        self, stop: asyncio.Event, working: Conn, standing_by: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[bool]:
        """Stand by until elected (True) or stopped (False); hold the lease while the block runs, then release it.

        `working` is the connection the follower reads and writes on: the session a successor ends. A
        transaction left idle on it for a lease is ended by the server too (a successor may not end sessions
        of another role). `standing_by` runs between looks while another holds the lease.
        """
        await working.fetchval(SET_SETTING, "idle_in_transaction_session_timeout", f"{int(self.seconds * 1000)}")
        conn = await db.connect(self.dsn)  # its own: renewals must not queue behind the follower's batches
        try:
            await conn.fetchval(SET_SETTING, "lock_timeout", f"{int(self.renew_every * 1000)}")
            if not await self._stand_by(conn, stop, working.get_server_pid(), standing_by):
                yield False
                return
            keeping = asyncio.create_task(self._keep(conn), name=f"lease {self.name}")
            try:
                yield True
            finally:
                keeping.cancel()
                await asyncio.gather(keeping, return_exceptions=True)
                await self._release(conn)
        finally:
            self.token = None
            await close_quietly(conn)

    async def _stand_by(
        self, conn: Conn, stop: asyncio.Event, working_pid: int, standing_by: Callable[[], Awaitable[None]] | None
    ) -> bool:
        """Look at the lease until it is free, lapsed or this holder's own, and take it; False when stopped."""
        while not stop.is_set():
            holding = await leases.look(conn, self.name)
            wait = self.renew_every  # a lease released on a clean stop is taken within this
            if holding is None or holding.remaining <= 0 or holding.holder == self.holder:
                if await self._take(conn, holding, working_pid):
                    return True
            else:
                wait = min(wait, holding.remaining + 0.01)  # look again as it lapses, by the database's clock
            if standing_by is not None:
                await standing_by()
            await wait_or_stop(stop, wait)
        return False

    async def _take(self, conn: Conn, lapsed: leases.Holding | None, working_pid: int) -> bool:
        if lapsed is not None and lapsed.holder != self.holder:
            await self._end_session(conn, lapsed)
        sent = time.monotonic()
        try:
            token = await leases.take(conn, self.name, self.holder, self.seconds, working_pid)
        except asyncpg.LockNotAvailableError:
            return False  # a write of the lapsed holder in flight: look again
        if token is None:
            return False
        self.token, self._valid_until, self._lost = token, sent + self.seconds, False
        name, holder = self.name, self.holder
        if lapsed is not None and lapsed.holder != holder:
            log.warning("lease %s taken over by %s (token %s): %s let it lapse", name, holder, token, lapsed.holder)
        else:
            log.info("lease %s taken by %s (token %s)", name, holder, token)
        return True

    async def _end_session(self, conn: Conn, lapsed: leases.Holding) -> None:
        try:
            if await leases.end_session(conn, lapsed):
                log.warning("lease %s: ended the working session of %s, whose lease lapsed", self.name, lapsed.holder)
        except asyncpg.InsufficientPrivilegeError as exc:
            log.warning(
                "lease %s: could not end the session of %s (%s); the server ends it after %ss idle in a transaction",
                self.name,
                lapsed.holder,
                exc,
                self.seconds,
            )

    async def _keep(self, conn: Conn) -> None:
        """Renew the lease every third of its duration until it is lost."""
        while True:
            await asyncio.sleep(self.renew_every)
            assert self.token is not None
            sent = time.monotonic()
            try:
                renewing = leases.renew(conn, self.name, self.holder, self.token, self.seconds)
                renewed = await asyncio.wait_for(renewing, max(self._valid_until - sent, 0.001))
            except asyncpg.LockNotAvailableError:
                continue  # a standby's look at a lapsed lease, or a save in flight: two more tries remain
            except DATABASE_ERRORS as exc:  # a renewal not answered in time too: TimeoutError is an OSError
                self._lose(f"it could not be renewed ({type(exc).__name__}: {exc})")
                return
            if not renewed:
                self._lose("another holder took it over")
                return
            self._valid_until = sent + self.seconds

    def _lose(self, reason: str) -> None:
        if self._lost or self.token is None:
            return
        self._lost = True
        log.warning("lease %s lost by %s (token %s): %s; standing down", self.name, self.holder, self.token, reason)
        self._on_lost()

    async def _release(self, conn: Conn) -> None:
        """Let the lease lapse now if it is still this holder's, so that a standby need not wait for it."""
        if self.token is None or self._lost:
            return
        with contextlib.suppress(*DATABASE_ERRORS, TimeoutError):
            await asyncio.wait_for(leases.release(conn, self.name, self.holder, self.token), 5)


async def close_quietly(conn: asyncpg.Connection) -> None:
    """Close a connection; drop the socket when the server does not answer."""
    try:
        await asyncio.wait_for(conn.close(), 5)
    except Exception:
        conn.terminate()


async def look_on_notice(
    stop: asyncio.Event,
    dsn: str,
    channel: str,
    wake: asyncio.Event,
    look: Callable[[], Awaitable[None]],
    *,
    name: str,
    poll_seconds: float,
    gap_seconds: float = 0.0,
) -> None:
    """Run `look` now and again whenever `channel` is notified (or `wake` set some other way), at most once per
    `gap_seconds`, and every `poll_seconds` anyway, until `stop`: the loop of the workers that start and stop
    tasks as rows appear (imports, webhook endpoints). A lost database is logged, and the listening
    connection is made again on the next look."""
    listener: asyncpg.Connection | None = None
    try:
        while not stop.is_set():
            try:
                if listener is None or listener.is_closed():
                    listener = await db.connect(dsn)
                    await listener.add_listener(channel, lambda *_: wake.set())
                await look()
            except DATABASE_ERRORS as exc:
                log.warning("%s: database unavailable (%s); looking again", name, exc)
                if listener is not None:
                    await close_quietly(listener)
                    listener = None
            if gap_seconds:
                await wait_or_stop(stop, gap_seconds)
            wake.clear()
            await wait_or_stop(stop, poll_seconds, wake)
    finally:
        if listener is not None:
            await close_quietly(listener)
