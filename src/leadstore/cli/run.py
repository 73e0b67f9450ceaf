"""`leadstore dev`, `serve`, `worker` and `migrate`: running the service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from leadstore.bootstrap import Container, bootstrap
from leadstore.cli.common import require_db, require_kek
from leadstore.cli.processes import on_parent_exit, process_count, supervise
from leadstore.embedded import EmbeddedPostgres, free_port
from leadstore.embedded_nats import EmbeddedNats
from leadstore.files import private_file
from leadstore.publishing import PublishingSettings
from leadstore.publishing.keys import write_key_file
from leadstore.publishing.signature import Signer, b64
from leadstore.settings import Settings
from leadstore.store.accounts import create_account
from leadstore.store.encryption import generate_kek
from leadstore.store.migrate import migrate_database
from leadstore.webhooks.secrets import SecretBox


def register(sub: Any) -> None:
    dev = sub.add_parser(
        "dev",
        help="run everything locally on embedded PostgreSQL and NATS",
        description="Start embedded PostgreSQL and NATS under --data-dir, apply migrations, "
        "create a demo account, and serve the API with its workers in one process. "
        "Prints the URL and an admin key and writes them to DATA_DIR/dev.json, with a NATS URL that may "
        "only read the stream and the public key of DATA_DIR/signing.key, which signs the published events. "
        "Webhook secrets are sealed with DATA_DIR/secrets.key (unless LEADSTORE_SECRETS_KEY(_FILE) is set), leads' "
        "personal data with data keys wrapped by DATA_DIR/kek.key (unless LEADSTORE_KEK(_FILE) is set), and "
        "webhooks may point at private and loopback addresses.",
    )
    dev.add_argument("--port", type=int, default=8000, help="HTTP port (a free one is used if taken)")
    dev.add_argument("--data-dir", type=Path, default=Path(".leadstore"), help="where data is kept")
    dev.set_defaults(handler=run_dev)

    serve = sub.add_parser(
        "serve",
        help="serve the API against LEADSTORE_DATABASE_URL",
        description="Serve the HTTP API on LEADSTORE_HOST:LEADSTORE_PORT, with the "
        "projection and publishing workers unless --no-workers.",
    )
    serve.add_argument("--no-workers", action="store_true", help="serve only; run workers elsewhere")
    serve.add_argument("--migrate", action="store_true", help="apply migrations before serving")
    serve.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="API processes sharing the port (default: LEADSTORE_PROCESSES, else one per core); "
        "the workers run once, in the process that supervises them",
    )
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)  # an API process of `--processes N`
    serve.add_argument("--parent-fd", type=int, help=argparse.SUPPRESS)
    serve.set_defaults(handler=run_serve)

    worker = sub.add_parser(
        "worker",
        help="run the projectors and the publisher only",
        description="Run every projection and the NATS publisher. Any number may run: "
        "each projection is active in one process, the others stand by.",
    )
    worker.set_defaults(handler=run_worker)

    mig = sub.add_parser(
        "migrate",
        help="apply migrations/ in order",
        description="Apply pending migrations under an advisory lock; safe to run from several processes at once.",
    )
    mig.set_defaults(handler=run_migrate)


async def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    applied = await migrate_database(require_db(settings))
    print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
    return 0


async def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    require_db(settings)
    require_kek(settings)
    processes = process_count(args.processes, settings.processes)
    if processes > 1 and args.listen_fd is None:
        return await supervise(settings, processes, workers=not args.no_workers, migrate=args.migrate)
    container = await bootstrap(settings, run_migrations=args.migrate, publishing=PublishingSettings.from_env())
    listen = None if args.listen_fd is None else socket.socket(fileno=args.listen_fd)
    return await _serve(
        container,
        settings.host,
        settings.port,
        workers=not args.no_workers,
        access_log=access_log(settings, True),
        listen=listen,
        parent_fd=args.parent_fd,
    )


async def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    require_db(settings)
    require_kek(settings)
    container = await bootstrap(settings, publishing=PublishingSettings.from_env())
    container.start_workers()
    stop = asyncio.Event()
    _on_signals(stop.set)
    try:
        await stop.wait()
    finally:
        await container.close()
    return 0


async def run_dev(args: argparse.Namespace, settings: Settings) -> int:
    data_dir: Path = args.data_dir
    postgres, nats = EmbeddedPostgres(data_dir), EmbeddedNats(data_dir)
    try:
        database_url = await asyncio.to_thread(postgres.start)
        nats_url = settings.nats_url or await asyncio.to_thread(nats.start)
        reader_url = settings.nats_url or nats.reader_url  # what dev.json offers subscribers: read rights only
        settings = msgspec.structs.replace(settings, database_url=database_url, nats_url=nats_url)
        if not (settings.signing_key or settings.signing_key_file):
            key_file = data_dir / "signing.key"
            await asyncio.to_thread(write_key_file, key_file)
            settings = msgspec.structs.replace(settings, signing_key_file=str(key_file))
        if not (settings.secrets_key or settings.secrets_key_file):
            secrets_file = data_dir / "secrets.key"
            await asyncio.to_thread(_write_secrets_key, secrets_file)
            settings = msgspec.structs.replace(settings, secrets_key_file=str(secrets_file))
        if not (settings.kek or settings.kek_file):
            kek_file = data_dir / "kek.key"
            await asyncio.to_thread(_write_kek, kek_file)
            settings = msgspec.structs.replace(settings, kek_file=str(kek_file))
        # a developer's receiver runs on this machine or the local network
        settings = msgspec.structs.replace(settings, webhooks_allow_private=True)
        container = await bootstrap(settings, run_migrations=True, publishing=PublishingSettings.from_env())
        port = free_port(args.port)
        info = await _dev_account(container, data_dir, port, reader_url)
        print(f"leadstore dev: {info['url']}  (API docs: {info['url']}/schema)")
        print(f"admin API key: {info['api_key']}   account: {info['account_id']}")
        print(f"details in {data_dir / 'dev.json'}; Ctrl+C stops")
        return await _serve(container, "127.0.0.1", port, workers=True, access_log=access_log(settings, False))
    finally:
        await asyncio.to_thread(nats.stop)
        await asyncio.to_thread(postgres.stop)


def _write_secrets_key(path: Path) -> None:
    """The key webhook secrets are sealed with, made on the first run and kept: losing it loses the secrets."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path, SecretBox.generate_key() + "\n")


def _write_kek(path: Path) -> None:
    """The key-encryption key of every lead's data key, made on the first run and kept: losing it loses every
    lead's personal data."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path, generate_kek() + "\n")


async def _dev_account(container: Container, data_dir: Path, port: int, nats_url: str) -> dict[str, Any]:
    """The demo account: reused from dev.json across restarts, created on the first run."""
    path = data_dir / "dev.json"
    info: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    if "api_key" not in info:
        async with container.pool.acquire() as conn:
            new = await create_account(conn, "Demo", "admin@demo.example", command="dev")
        info = {"api_key": new.api_key, "account_id": str(new.account_id)}
    info.update(url=f"http://127.0.0.1:{port}", database_url=container.settings.database_url, nats_url=nats_url)
    if container.keys.configured is not None:
        info["signing_public_key"] = b64(Signer(container.keys.configured).public_key)
    path.write_text(json.dumps(info, indent=2) + "\n")
    path.chmod(0o600)
    return info


def access_log(settings: Settings, default: bool) -> bool:
    """LEADSTORE_ACCESS_LOG when set, else the command's default (on in `serve`, off in `dev`)."""
    return default if settings.access_log is None else settings.access_log


async def _serve(
    container: Container,
    host: str,
    port: int,
    *,
    workers: bool,
    access_log: bool,
    listen: socket.socket | None = None,
    parent_fd: int | None = None,
) -> int:
    """Serve on host:port, or on `listen` (a socket the supervisor shares, until its pipe `parent_fd` closes)."""
    from leadstore.http.app import create_app
    from leadstore.http.metrics_server import metrics_server
    from leadstore.http.server import server_config

    if workers:
        container.start_workers()
    server_class = _server_class()
    settings = container.settings
    config = server_config(
        create_app(container),
        host=host,
        port=port,
        proxies=settings.trusted_proxies,
        access_log=access_log,
        metrics=container.metrics,
        shutdown_seconds=settings.shutdown_seconds,
        read_seconds=settings.request_read_seconds,
    )
    server = server_class(config)
    if parent_fd is not None:
        on_parent_exit(parent_fd, lambda: server.handle_exit(signal.SIGTERM, None))
    try:
        async with metrics_server(container):
            await server.serve(sockets=None if listen is None else [listen])
    finally:
        await container.close()
    return 0


def _server_class() -> type[Any]:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn re-raises SIGTERM after shutting down, which would skip our clean-up of the embedded servers."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.handle_exit, sig, None)
            try:
                yield
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)

    return Server


def _on_signals(callback: Any) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, callback)
