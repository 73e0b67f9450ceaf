-- Webhook deliveries go out per stream in version order (issue 12): a pending row is due only when no earlier
-- version of its stream is pending for the same endpoint; this index answers that question per row.
CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (webhook_id, stream_id, version) WHERE state = 'pending';
