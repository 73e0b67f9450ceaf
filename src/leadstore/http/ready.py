"""GET /ready: cheap (two small queries on one pooled connection, under LEADSTORE_READY_TIMEOUT_SECONDS) and,
when it answers 503, naming why. A lagging reader, a NATS outage or a long transaction are reported but do not
make a process unready: every API process would be unready together, and writes go on regardless."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, NamedTuple

import asyncpg
import msgspec
from litestar import Response, get
from litestar.datastructures import State

from leadstore.bootstrap import Container
from leadstore.http.params import LIST_PROJECTION
from leadstore.store import replica, status
from leadstore.store.migrate import migrations_dir

UNREACHABLE = frozenset({"database_unreachable", "database_timeout"})


class Reason(msgspec.Struct, frozen=True):
    """Why a process is not ready: a stable code and what was found."""

    code: str
    detail: str


class DatabaseStatus(NamedTuple):
    server: status.ServerStatus | None
    readers: dict[str, status.ReaderStatus]
    failure: Reason | None  # why the database could not be asked, if it could not


@functools.cache
def code_migrations() -> frozenset[str]:
    """The migrations this code expects applied (read once: they ship with it)."""
    return frozenset(path.name for path in migrations_dir().glob("*.sql"))


def reader_names(container: Container) -> list[str]:
    """Every reader of the log this process runs or stands by for: the projections, the publisher and each
    webhook endpoint's reader."""
    names = [runner.name for runner in container.runners]
    names += [container.publisher.name] if container.publisher is not None else []
    return names + container.webhooks.reader_names()


async def database_status(container: Container) -> DatabaseStatus:
    """The server's and the readers' status, or why it could not be read within the time limit."""
    limit = container.settings.ready_timeout_seconds
    try:
        async with asyncio.timeout(limit), container.pool.acquire() as conn:
            server = await status.server(conn)
            readers = await status.readers(conn, reader_names(container))
    except TimeoutError:
        return DatabaseStatus(None, {}, Reason("database_timeout", f"no answer within {limit}s"))
    except asyncpg.UndefinedTableError as exc:
        return DatabaseStatus(None, {}, Reason("migrations_not_current", f"the schema is missing: {exc}"))
    except Exception as exc:  # whatever the failure, /ready answers (503), it never raises
        return DatabaseStatus(None, {}, Reason("database_unreachable", f"{type(exc).__name__}: {exc}"))
    return DatabaseStatus(server, {reader.name: reader for reader in readers}, None)


def _not_ready(container: Container, found: DatabaseStatus) -> list[Reason]:
    if found.failure is not None:
        return [found.failure]
    assert found.server is not None
    reasons = []
    if pending := sorted(code_migrations() - found.server.applied_migrations):
        reasons.append(Reason("migrations_not_current", f"not applied: {', '.join(pending)}"))
    for runner in container.runners:
        reader = found.readers.get(runner.name)
        if reader is None:
            reasons.append(Reason("projection_missing", f"{runner.name} has no checkpoint"))
            continue
        built_by, expected = reader.schema_version or 1, runner.projection.version
        if built_by != expected:
            then = "upgrade this process" if built_by > expected else "the active runner rebuilds it"
            detail = f"{runner.name} was built by schema version {built_by}, this code's is {expected}: {then}"
            reasons.append(Reason("projection_schema_not_current", detail))
    return reasons


def _lag(reader: status.ReaderStatus | None) -> dict[str, Any]:
    if reader is None:
        return {"checkpoint": None, "lag_events": None, "lag_seconds": None}
    return {"checkpoint": reader.checkpoint, "lag_events": reader.lag_events, "lag_seconds": reader.lag_seconds}


def report(container: Container, found: DatabaseStatus) -> dict[str, Any]:
    """The body of /ready: its status, the reasons it is not ready, and what it found."""
    reasons = _not_ready(container, found)
    server = found.server
    body: dict[str, Any] = {
        "status": "not_ready" if reasons else "ready",
        "reasons": msgspec.to_builtins(reasons),
        "database": {
            "reachable": found.failure is None or found.failure.code not in UNREACHABLE,
            "migrations_pending": sorted(code_migrations() - server.applied_migrations) if server else None,
            "oldest_transaction": msgspec.to_builtins(server.oldest_transaction) if server else None,
        },
        "projections": {},
    }
    for runner in container.runners:
        reader = found.readers.get(runner.name)
        body["projections"][runner.name] = {
            "active_here": runner.active,
            "applied_here": runner.applied,
            "schema_version": reader.schema_version if reader else None,
            "schema_current": reader is not None and (reader.schema_version or 1) == runner.projection.version,
            **_lag(reader),
        }
    if container.publisher is not None:
        lag = _lag(found.readers.get(container.publisher.name))
        body["publisher"] = container.publisher.status() | {
            "checkpoint": lag["checkpoint"],
            "lag": lag["lag_events"],
            "lag_seconds": lag["lag_seconds"],
        }
    if webhooks := container.webhooks.status():
        body["webhooks"] = {row["name"]: row | _lag(found.readers.get(str(row["name"]))) for row in webhooks}
    return body


@get("/ready", operation_id="getReadiness", tags=["Operations"], include_in_schema=False)
async def ready(state: State) -> Response[dict[str, Any]]:
    """200 when this process can serve; 503 naming the reasons when not. Each reader's checkpoint and lag."""
    container: Container = state.container
    body = report(container, await database_status(container))
    if container.read_pool is not container.pool:  # a standby that is down fails lists, not writes: still ready
        limit = container.settings.ready_timeout_seconds
        try:
            async with asyncio.timeout(limit):
                body["read_replica"] = await replica.status(container.read_pool, LIST_PROJECTION)
        except TimeoutError:
            body["read_replica"] = {"reachable": False, "error": "TimeoutError"}
    return Response(body, status_code=503 if body["reasons"] else 200)
