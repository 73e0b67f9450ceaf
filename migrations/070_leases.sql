-- Who leads each follower of the log (each projection, the publisher): a lease renewed on the database's
-- clock (DESIGN.md decision 11). `token` grows by one each time the lease changes hands; the leader's
-- checkpoint writes name it and lock this row, so a leader that lost its lease (frozen, cut off) can write
-- nothing after a standby took over. `backend_pid` and `backend_start` name the leader's working session,
-- which the next leader ends (a frozen process keeps its session, its open transaction and its row locks).
CREATE TABLE leases (
    name          text        PRIMARY KEY,
    holder        text        NOT NULL,
    token         bigint      NOT NULL,
    expires_at    timestamptz NOT NULL,
    acquired_at   timestamptz NOT NULL,
    renewed_at    timestamptz NOT NULL,
    backend_pid   integer,
    backend_start timestamptz
);
