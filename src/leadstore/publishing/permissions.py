"""What each NATS user of a locked-down deployment may do: the service publishes the log, subscribers read it.

`compose.yaml`'s `nats-server.conf` grants the same; a test runs the same checks against both servers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple

from leadstore.publishing.stream import STREAM, SUBJECT_ROOT

SERVICE_USER = "leadstore"
SUBSCRIBER_USER = "subscriber"
_API = "$JS.API"
# Request replies (JetStream answers, publish acks, pulled messages) come back on the client's inbox.
REPLIES = ("_INBOX.>",)


class Permissions(NamedTuple):
    """The subjects a user may publish to and subscribe to; everything else is refused."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


# The publisher: events into the stream, and the three calls that create or update LEADS.
SERVICE = Permissions(
    publish=(
        f"{SUBJECT_ROOT}.>",
        f"{_API}.STREAM.INFO.{STREAM}",
        f"{_API}.STREAM.CREATE.{STREAM}",
        f"{_API}.STREAM.UPDATE.{STREAM}",
    ),
    subscribe=REPLIES,
)

# A subscriber: consumers on LEADS (ephemeral or durable), pulling, and acknowledging; no event subject.
SUBSCRIBER = Permissions(
    publish=(
        f"{_API}.STREAM.INFO.{STREAM}",
        f"{_API}.CONSUMER.CREATE.{STREAM}",
        f"{_API}.CONSUMER.CREATE.{STREAM}.>",
        f"{_API}.CONSUMER.DURABLE.CREATE.{STREAM}.*",
        f"{_API}.CONSUMER.INFO.{STREAM}.*",
        f"{_API}.CONSUMER.LIST.{STREAM}",
        f"{_API}.CONSUMER.NAMES.{STREAM}",
        f"{_API}.CONSUMER.DELETE.{STREAM}.*",
        f"{_API}.CONSUMER.MSG.NEXT.{STREAM}.*",
        f"$JS.ACK.{STREAM}.>",
    ),
    subscribe=REPLIES,
)

USERS = {SERVICE_USER: SERVICE, SUBSCRIBER_USER: SUBSCRIBER}


def authorization(passwords: Mapping[str, str]) -> str:
    """The `authorization` section of a nats-server configuration for these users and passwords."""
    users = [
        {
            "user": name,
            "password": passwords[name],
            "permissions": {
                "publish": {"allow": list(granted.publish)},
                "subscribe": {"allow": list(granted.subscribe)},
            },
        }
        for name, granted in USERS.items()
    ]
    return f"authorization: {json.dumps({'users': users}, indent=2)}\n"
