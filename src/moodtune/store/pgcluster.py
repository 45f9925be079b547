"""A throw-away PostgreSQL server for tests and benchmarks (Debian's ``postgresql`` package).

``TemporaryPostgres`` runs ``initdb`` in a temporary directory, starts the server on a free
loopback port with its socket in that directory, and removes everything on ``stop()``. As root
(where ``initdb`` refuses to run) it runs the server as the ``postgres`` system user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType

from moodtune.errors import MoodtuneError

__all__ = ["PG_BIN_DIRS", "PostgresUnavailable", "TemporaryPostgres", "find_pg_bin"]

PG_BIN_DIRS = tuple(f"/usr/lib/postgresql/{v}/bin" for v in (17, 16, 15, 14, 13))


class PostgresUnavailable(MoodtuneError):
    """The PostgreSQL server programs are not installed."""


def find_pg_bin() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``."""
    env = os.environ.get("MOODTUNE_PG_BIN")
    candidates = [env] if env else []
    candidates += list(PG_BIN_DIRS)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL server programs (initdb, pg_ctl) not found in "
        f"{', '.join(PG_BIN_DIRS[:3])}, ...: run scripts/bootstrap (it installs the Debian "
        "'postgresql' package) or set MOODTUNE_PG_BIN"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryPostgres:
    """A private PostgreSQL cluster on ``127.0.0.1:port`` with trust auth for user ``postgres``."""

    def __init__(self, *, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_pg_bin()
        self.port = 0
        self.base: Path | None = None
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise MoodtuneError(
                f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
            )

    def start(self) -> TemporaryPostgres:
        """Initialise and start the cluster (about a second)."""
        self.base = Path(tempfile.mkdtemp(prefix="moodtune-pg-"))
        self.base.chmod(0o755)
        if self._as_root:
            shutil.chown(self.base, user="postgres", group="postgres")
        data = self.base / "data"
        self._run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"
        )
        last_error: Exception | None = None
        for _attempt in range(5):  # another process may grab the port between probe and start
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
            )
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(data),
                    "-w",
                    "-l",
                    str(self.base / "log"),
                    "-o",
                    options,
                    "start",
                )
                return self
            except MoodtuneError as exc:
                last_error = exc
        raise MoodtuneError(f"could not start PostgreSQL: {last_error}")

    def stop(self) -> None:
        """Stop the server and delete its files."""
        if self.base is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self.base / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, *, template: str = "template0") -> str:
        """A new, empty database with a random name; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database behind ``url`` (closing any connections still open to it)."""
        import psycopg

        name = url.rsplit("/", 1)[-1]
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
