"""Publishing the event log to NATS JetStream, and consuming it: the publisher and the subscriber API."""

from leadstore.publishing.connection import NatsConnection
from leadstore.publishing.delivery import Delivery, PublishedEvent
from leadstore.publishing.publisher import Publisher
from leadstore.publishing.settings import PublishingSettings
from leadstore.publishing.stream import STREAM, filter_subject, subject_for
from leadstore.publishing.subscriber import EventSubscription

__all__ = [
    "STREAM",
    "Delivery",
    "EventSubscription",
    "NatsConnection",
    "PublishedEvent",
    "Publisher",
    "PublishingSettings",
    "filter_subject",
    "subject_for",
]
