"""The publisher's pure parts (waves, acked prefix, backoff, logging an outage once); this opens no socket."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

import pytest
from uuid_utils.compat import uuid7

from leadstore.publishing.batch import acked_prefix, waves
from leadstore.publishing.health import Backoff, Outage
from leadstore.publishing.settings import PublishingSettings
from leadstore.publishing.stream import filter_subject, subject_for
from leadstore.store.events import RecordedEvent


def recorded(stream_id: UUID, version: int, position: int) -> RecordedEvent:
    return RecordedEvent(
        position=position,
        event_id=uuid7(),
        account_id=uuid7(),
        stream_id=stream_id,
        stream_type="lead",
        version=version,
        type="LeadUpdated",
        data={},
        metadata={},
        occurred_at=datetime.now(UTC),
        transaction_id=position,
    )


def test_a_wave_holds_at_most_one_event_per_lead_in_version_order() -> None:
    a, b, c = uuid7(), uuid7(), uuid7()
    batch = [recorded(a, 1, 1), recorded(b, 1, 2), recorded(a, 2, 3), recorded(c, 4, 4), recorded(a, 3, 5)]
    assert waves(batch) == [[0, 1, 3], [2], [4]]
    assert waves([]) == []


def test_the_checkpoint_may_cover_only_the_acknowledged_prefix() -> None:
    assert acked_prefix([True, True, False, True]) == 2
    assert acked_prefix([False, True]) == 0
    assert acked_prefix([True, True]) == 2


def test_backoff_doubles_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(0.2, 1.0)
    delays = [backoff.next() for _ in range(6)]
    assert 0.1 <= delays[0] <= 0.2 and all(0.5 <= d <= 1.0 for d in delays[3:])
    backoff.reset()
    assert backoff.next() <= 0.2


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.outage")
    outage = Outage("NATS", logger)
    with caplog.at_level(logging.INFO, logger="test.outage"):
        for _ in range(5):
            outage.failed("connection refused", "retrying")
        outage.recovered("resumed")
        outage.recovered("resumed")
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert not outage.down and outage.last_error == "connection refused"


def test_subjects_are_one_token_per_part() -> None:
    account = UUID("01930000-0000-7000-8000-000000000001")
    assert subject_for(account, "LeadCreated") == f"leads.{account}.LeadCreated"
    assert subject_for(account, "odd.type name") == f"leads.{account}.odd_type_name"
    assert filter_subject(account) == f"leads.{account}.*"
    assert filter_subject(None, "LeadUpdated") == "leads.*.LeadUpdated"


def test_publishing_settings_come_from_the_environment() -> None:
    settings = PublishingSettings.from_env(
        {"LEADSTORE_NATS_STREAM_REPLICAS": "3", "LEADSTORE_NATS_DUPLICATE_WINDOW_SECONDS": "600", "OTHER": "x"}
    )
    assert (settings.nats_stream_replicas, settings.nats_duplicate_window_seconds) == (3, 600)
    assert settings.nats_stream_max_age_seconds == 0
