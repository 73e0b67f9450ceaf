"""The composition root: builds every dependency from Settings. HTTP, CLI and tests all start here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import asyncpg

from leadstore.handler import LeadCommandHandler
from leadstore.imports.worker import ImportWorker
from leadstore.limits import RequestLimits
from leadstore.metrics import Metrics
from leadstore.projection.base import Projection
from leadstore.projection.runner import ProjectionRunner
from leadstore.publishing import NatsConnection, Publisher, PublishingSettings
from leadstore.publishing.keys import SigningKeys
from leadstore.settings import Settings
from leadstore.store import db, encryption
from leadstore.store.accounts import PrincipalCache
from leadstore.store.encryption import KeyRing
from leadstore.store.idempotency import purge_idempotency_keys
from leadstore.store.lead_store import LeadStore, PostgresLeadStore
from leadstore.store.migrate import migrate_database
from leadstore.store.rate_limits import PostgresBuckets, purge_full_buckets
from leadstore.webhooks.secrets import SecretBox
from leadstore.webhooks.worker import WebhookWorker
from projections import all_projections

log = logging.getLogger(__name__)


class Container:
    """Everything a process needs, built once by `bootstrap`; `start_workers` runs projectors and the publisher."""

    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        *,
        handler: LeadCommandHandler,
        runners: Sequence[ProjectionRunner],
        publisher: Publisher | None,
        keys: SigningKeys,
        metrics: Metrics,
        read_pool: asyncpg.Pool | None = None,
        secrets: SecretBox | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        # Lists, the feed and as_of reads: a streaming replica's pool, or the primary's when there is none.
        self.read_pool = pool if read_pool is None else read_pool
        self.handler = handler
        self.keys = keys  # what signs published events; GET /v1/signing-key serves its public half
        self.secrets = secrets  # seals webhook signing secrets; None when no LEADSTORE_SECRETS_KEY is set
        self.principals = PrincipalCache()
        self.metrics = metrics
        self.limits = RequestLimits(
            PostgresBuckets(pool),
            per_second=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            lease=settings.rate_limit_lease,
            failures_per_minute=settings.auth_failures_per_minute,
        )
        self.runners = list(runners)
        self.publisher = publisher  # None when NATS_URL is empty (publishing disabled); status() is for /ready
        self.webhooks = WebhookWorker(pool, settings)  # each active endpoint's deliverer (issue 12)
        self.imports = ImportWorker(pool, handler, settings)  # runs uploaded imports (issue 14)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def runner(self, name: str) -> ProjectionRunner:
        return next(r for r in self.runners if r.name == name)

    async def setup_projections(self) -> None:
        for runner in self.runners:
            await runner.setup()

    def start_workers(self) -> None:
        """Run every projection, the publisher, the webhook deliverers and the imports (standing by where another
        process is active)."""
        for runner in self.runners:
            self._tasks.append(asyncio.create_task(runner.run(self._stop), name=f"projection:{runner.name}"))
        if self.publisher is not None:
            self._tasks.append(asyncio.create_task(self.publisher.run(self._stop), name=self.publisher.name))
        self._tasks.append(asyncio.create_task(self.webhooks.run(self._stop), name="webhooks"))
        self._tasks.append(asyncio.create_task(self.imports.run(self._stop), name="imports"))
        self._tasks.append(asyncio.create_task(purge_idempotency_keys(self.pool, self._stop), name="maintenance"))
        self._tasks.append(asyncio.create_task(purge_full_buckets(self.pool, self._stop), name="rate-limit buckets"))

    async def close(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=10)
        await self.handler.close()
        await self.pool.close()
        self.metrics.close()
        if self.read_pool is not self.pool:
            await self.read_pool.close()


def use_kek(settings: Settings) -> KeyRing:
    """Install the KEK of the settings as this process's keys, or keep the ring the process already has (the
    test suite installs a throwaway one); KekMissing naming the setting when there is neither."""
    ring = KeyRing.from_settings(settings)
    if ring is not None:
        encryption.install(ring)
        return ring
    return encryption.keyring()


async def bootstrap(
    settings: Settings,
    *,
    run_migrations: bool = False,
    projections: Sequence[Projection] | None = None,
    publishing: PublishingSettings | None = None,
    store: Callable[[asyncpg.Pool], LeadStore] = PostgresLeadStore,
    metrics: Metrics | None = None,
) -> Container:
    """Connect, optionally migrate, and build the container from its parts: the read models to run (every
    one of `projections/` by default), the publisher's settings (their defaults; the CLI reads them from
    the environment), the write lane's store and the metrics (a registry of this container's own)."""
    if not settings.database_url:
        raise ValueError("LEADSTORE_DATABASE_URL is not set")
    keys = SigningKeys.from_settings(settings)  # a bad key setting stops the process here, not at its first event
    use_kek(settings)  # no KEK, no service: personal data is never written in plaintext
    secrets = SecretBox.from_settings(settings.secrets_key, settings.secrets_key_file)  # likewise
    if run_migrations:
        await migrate_database(settings.database_url)
    pool = await db.create_pool(settings.database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size)
    read_pool = None
    if settings.read_database_url:  # connected on first use: workers never use it, and a standby that is down
        # fails only the reads it serves, never the start of a process
        read_pool = await db.create_pool(settings.read_database_url, min_size=0, max_size=settings.pool_max_size)
    runners = [
        ProjectionRunner(
            pool,
            settings.database_url,
            projection,
            batch_size=settings.projection_batch_size,
            poll_seconds=settings.projection_poll_seconds,
            lease_seconds=settings.lease_seconds,
        )
        for projection in (all_projections() if projections is None else projections)
    ]
    publisher = None
    if settings.nats_url:
        connection = NatsConnection.from_settings(settings)
        tuning, lease = publishing or PublishingSettings(), settings.lease_seconds
        publisher = Publisher(settings.database_url, connection, tuning, keys=keys, lease_seconds=lease)
    metrics = metrics or Metrics()
    metrics.watch_pool(pool)
    container = Container(
        settings,
        pool,
        handler=LeadCommandHandler(store(pool), metrics=metrics),
        runners=runners,
        publisher=publisher,
        keys=keys,
        metrics=metrics,
        read_pool=read_pool,
        secrets=secrets,
    )
    await container.setup_projections()
    return container
