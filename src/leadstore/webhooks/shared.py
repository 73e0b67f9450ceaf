"""What every endpoint's deliverer in a process shares: settings, the secrets box and the slots that bound
deliveries in flight across all endpoints."""

from __future__ import annotations

import asyncio
import random
import uuid
from uuid import UUID

from leadstore.settings import Settings
from leadstore.webhooks.secrets import SecretBox
from leadstore.webhooks.store import Endpoint


class DeliveryContext:
    """Settings, secrets and global concurrency of one process's webhook deliveries."""

    def __init__(self, settings: Settings, box: SecretBox) -> None:
        self.settings = settings
        self.box = box
        self.slots = asyncio.Semaphore(max(1, settings.webhooks_concurrency))

    def secrets(self, endpoint: Endpoint) -> list[str]:
        """The endpoint's secrets to sign with: the current one, and the previous one while it is valid."""
        sealed = [endpoint.secret] + ([endpoint.previous_secret] if endpoint.previous_secret else [])
        return [self.box.open(endpoint.id, value) for value in sealed]

    def backoff(self, attempts: int, retry_after: float | None) -> float:
        """Seconds until the next attempt after `attempts` failed ones: the receiver's Retry-After when it gave
        one (up to the retry window), else exponential from the base, capped, with full jitter on its upper half."""
        settings = self.settings
        if retry_after is not None:
            return min(retry_after, settings.webhooks_retry_window_seconds)
        ceiling = min(
            settings.webhooks_backoff_max_seconds, settings.webhooks_backoff_base_seconds * 2 ** (attempts - 1)
        )
        return float(ceiling) * random.uniform(0.5, 1.0)


def delivery_id(webhook_id: UUID, event_id: UUID) -> str:
    """`Leadstore-Delivery-Id`: one event to one endpoint, the same on every retry and replay."""
    return str(uuid.uuid5(webhook_id, str(event_id)))
