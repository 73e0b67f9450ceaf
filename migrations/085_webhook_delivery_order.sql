-- Webhook deliveries go out per stream in version order (issue 12). The sender walks an endpoint's pending rows
-- in commit order (stopping at its LIMIT however long the backlog) and takes a row only when no earlier version
-- of its stream is pending for the same endpoint, which the second index answers per row.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, transaction_id, position) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (webhook_id, stream_id, version) WHERE state = 'pending';
