"""What a projection is to the engine: a name, the SQL of its table, and how a batch of events changes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from leadstore.store.db import Conn
from leadstore.store.events import RecordedEvent


class Projection(Protocol):
    """A read model built from the log. Its live table is named after it; rebuilds use other names."""

    name: str
    version: int  # of the table's schema: bump it when create_statements changes, so old tables get replayed

    def create_statements(self, table: str) -> list[str]:
        """DDL for an empty table called `table` with its indexes (index names derived from `table`)."""
        ...

    async def apply(self, conn: Conn, table: str, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch of events in commit order, inside the caller's transaction."""
        ...

    def row_key(self) -> str:
        """The column(s) that order the table's rows for comparisons (verify, tests)."""
        ...
