-- A delivery's generation grows each time its event is owed again (a replay re-marks the row pending). The
-- sender writes an attempt's outcome only onto the generation it sent, so a send in flight when a replay came
-- can not mark the row delivered (or failed) and swallow the redelivery the replay asked for.
ALTER TABLE webhook_deliveries ADD COLUMN generation integer NOT NULL DEFAULT 0;
