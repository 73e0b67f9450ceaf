"""PostgreSQL: connections, migrations and the event store."""
