"""What a subscriber receives: the typed Event envelope, and a delivery to acknowledge."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from nats.aio.msg import Msg

from leadstore.domain.events import LeadEvent, load_event


class PublishedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """The Event envelope of API.md, as published on `leads.<account_id>.<EventType>`."""

    id: UUID
    type: str
    lead_id: UUID | None  # None for an administrative event (published on leads.<account_id>.admin.<Type>)
    account_id: UUID
    version: int
    position: str
    occurred_at: datetime
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    actor: dict[str, Any] = msgspec.field(default_factory=dict)
    request: dict[str, Any] = msgspec.field(default_factory=dict)

    def lead_event(self) -> LeadEvent:
        """The typed domain event of `data` (KeyError for a type this version does not know)."""
        return load_event(self.type, self.data)


decoder = msgspec.json.Decoder(PublishedEvent)


class RecentIds:
    """A bounded set of the most recently seen ids."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[UUID, None] = OrderedDict()

    def __contains__(self, item: UUID) -> bool:
        return item in self._ids

    def add(self, item: UUID) -> None:
        self._ids[item] = None
        self._ids.move_to_end(item)
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)


class Delivery:
    """One event handed to a subscriber; ack it once handled."""

    def __init__(self, event: PublishedEvent, msg: Msg, seen: RecentIds) -> None:
        self.event = event
        self.msg = msg
        self._seen = seen

    @property
    def sequence(self) -> int:
        """The message's sequence number in the LEADS stream."""
        return int(self.msg.metadata.sequence.stream)

    @property
    def redelivered(self) -> bool:
        return int(self.msg.metadata.num_delivered) > 1

    async def ack(self) -> None:
        """Done with it: it will not be delivered again, nor will a copy of it."""
        await self.msg.ack()
        self._seen.add(self.event.id)

    async def nak(self, delay: float | None = None) -> None:
        """Not handled: deliver it again (after `delay` seconds)."""
        await self.msg.nak(delay=delay)

    async def in_progress(self) -> None:
        """Still working on it: restart the ack timer."""
        await self.msg.in_progress()
