"""The JetStream stream LEADS: its subjects and its configuration, created or updated on connect."""

from __future__ import annotations

import functools
import re
from uuid import UUID

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from leadstore.domain.account_events import ACCOUNT_EVENT_TYPES
from leadstore.publishing.settings import PublishingSettings

STREAM = "LEADS"
SUBJECT_ROOT = "leads"
MSG_ID = "Nats-Msg-Id"
ADMIN_TOKEN = "admin"  # administrative events' subjects: leads.<account_id>.admin.<EventType>
_NOT_A_TOKEN = re.compile(r"[^A-Za-z0-9_-]")
# the parts of the configuration leadstore owns; anything else an operator set is left alone
_OWNED = ("subjects", "retention", "storage", "num_replicas", "max_age", "max_bytes", "duplicate_window", "discard")


def subject_token(value: str) -> str:
    """A value made safe as one subject token (event types and ids already are)."""
    return _NOT_A_TOKEN.sub("_", value) or "_"


@functools.lru_cache(maxsize=4096)
def subject_for(account_id: UUID | str, event_type: str, administrative: bool = False) -> str:
    """`leads.<account_id>.<EventType>`, the subject an event is published on; an administrative event's is
    `leads.<account_id>.admin.<EventType>`."""
    kind = f"{ADMIN_TOKEN}.{subject_token(event_type)}" if administrative else subject_token(event_type)
    return f"{SUBJECT_ROOT}.{subject_token(str(account_id))}.{kind}"


def files_under(subject: str, account_id: UUID | str, event_type: str) -> bool:
    """Whether an event of this account and type is published on `subject`: the account second, the type last."""
    tokens = subject.split(".")
    return (
        len(tokens) >= 3
        and tokens[0] == SUBJECT_ROOT
        and tokens[1] == subject_token(str(account_id))
        and tokens[-1] == subject_token(event_type)
    )


def filter_subject(account_id: UUID | str | None = None, event_type: str | None = None) -> str:
    """The subject filter for one account and/or one event type (`*` where not given): lead events, or the
    administrative events when `event_type` names one of those."""
    account = subject_token(str(account_id)) if account_id else "*"
    kind = subject_token(event_type) if event_type else "*"
    if event_type in ACCOUNT_EVENT_TYPES:
        kind = f"{ADMIN_TOKEN}.{kind}"
    return f"{SUBJECT_ROOT}.{account}.{kind}"


def stream_config(settings: PublishingSettings) -> StreamConfig:
    """Limits retention on file storage: every subscriber reads the whole feed, nothing expires by default."""
    return StreamConfig(
        name=STREAM,
        description="leadstore lead events (the audit log), one message per event",
        subjects=[f"{SUBJECT_ROOT}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        num_replicas=settings.nats_stream_replicas,
        max_age=settings.nats_stream_max_age_seconds,
        max_bytes=settings.nats_stream_max_bytes,
        discard=DiscardPolicy.OLD,
        duplicate_window=settings.nats_duplicate_window_seconds,
    )


def _differs(current: StreamConfig, wanted: StreamConfig) -> bool:
    return any(getattr(current, field) != getattr(wanted, field) for field in _OWNED)


async def ensure_stream(js: JetStreamContext, settings: PublishingSettings) -> StreamInfo:
    """Create LEADS, or update it when the configuration leadstore owns has changed."""
    wanted = stream_config(settings)
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        return await js.add_stream(wanted)
    if _differs(info.config, wanted):
        return await js.update_stream(wanted)
    return info
