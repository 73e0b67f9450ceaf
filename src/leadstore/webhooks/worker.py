"""The webhook worker: finds active endpoints (every `webhooks_discover_seconds` and on NOTIFY) and runs one
deliverer for each, standing by where another process leads it; stops those deleted or disabled.

Cheap while there are no endpoints: one small query per look and one listening connection."""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import asyncpg

from leadstore.leadership import look_on_notice
from leadstore.settings import Settings
from leadstore.store.events import NOTIFY_CHANNEL
from leadstore.webhooks import store
from leadstore.webhooks.deliverer import EndpointDeliverer
from leadstore.webhooks.secrets import SecretBox
from leadstore.webhooks.shared import DeliveryContext

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 5.0  # how long a stopping worker lets its deliverers finish what they are sending
LOOK_GAP_SECONDS = 0.25  # at most four looks a second, however often the log notifies


class WebhookWorker:
    """Runs the deliverers of every active endpoint in this process."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool, self.settings = pool, settings
        self.deliverers: dict[UUID, tuple[EndpointDeliverer, asyncio.Task[None]]] = {}
        self._context: DeliveryContext | None = None
        self._wake = asyncio.Event()
        self._told_no_key = False

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await look_on_notice(
                stop,
                self.settings.database_url,
                NOTIFY_CHANNEL,
                self._wake,
                self._look,
                name="webhook worker",
                poll_seconds=self.settings.webhooks_discover_seconds,
                gap_seconds=LOOK_GAP_SECONDS,
            )
        finally:
            await self._stop_all()

    async def _look(self) -> None:
        async with self.pool.acquire() as conn:
            found = await store.active_endpoints(conn)
        self._reconcile(set(found))

    def _reconcile(self, found: set[UUID]) -> None:
        for webhook_id, (deliverer, task) in list(self.deliverers.items()):
            if task.done():
                del self.deliverers[webhook_id]
            elif webhook_id not in found:
                deliverer.stop.set()
        context = self._delivery_context() if found - self.deliverers.keys() else None
        if context is None:
            return
        for webhook_id in found - self.deliverers.keys():
            deliverer = EndpointDeliverer(self.pool, self.settings.database_url, webhook_id, context)
            self.deliverers[webhook_id] = (deliverer, asyncio.create_task(deliverer.run(), name=deliverer.name))

    def _delivery_context(self) -> DeliveryContext | None:
        if self._context is None:
            box = SecretBox.from_settings(self.settings.secrets_key, self.settings.secrets_key_file)
            if box is None:
                if not self._told_no_key:
                    log.error("webhooks: endpoints exist but LEADSTORE_SECRETS_KEY is not set: nothing is delivered")
                self._told_no_key = True
                return None
            self._context = DeliveryContext(self.settings, box)
        return self._context

    async def _stop_all(self) -> None:
        """Ask every deliverer to stop; cancel those still busy after STOP_GRACE_SECONDS (a send waiting on a
        slow receiver or a name lookup): fencing makes an interrupted batch harmless, it is read again."""
        for deliverer, _ in self.deliverers.values():
            deliverer.stop.set()
        tasks = [task for _, task in self.deliverers.values()]
        if tasks:
            _, busy = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in busy:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.deliverers.clear()

    def reader_names(self) -> list[str]:
        """The checkpoint names of the endpoints' readers this process runs or stands by for."""
        return [deliverer.name for deliverer, _ in self.deliverers.values()]

    def status(self) -> list[dict[str, object]]:
        """Each endpoint's deliverer in this process, for /ready."""
        return [deliverer.status() for deliverer, _ in self.deliverers.values()]
