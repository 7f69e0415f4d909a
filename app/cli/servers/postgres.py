"""A PostgreSQL cluster of our own (Debian's ``postgresql`` package): loopback only, trust auth
for the role ``kestrel``, its own data folder; never the system's cluster on 5432.

    with PostgresServer(tmp / "pg", port) as pg:
        pg.create_database("backoffice")
        url = pg.url("backoffice")  # postgresql://kestrel@127.0.0.1:<port>/backoffice

The URL has no driver suffix, so SQLAlchemy picks psycopg2 in both environments. As root the
server runs as the ``postgres`` user (PostgreSQL refuses root), which then owns the data folder.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from app.cli.servers._common import Server, grant_traversal, is_root

ROLE = "kestrel"
HOST = "127.0.0.1"
SOCKET_PATH_LIMIT = 100  # a unix socket path is limited to ~107 bytes; TCP is enough for us


def postgres_bin() -> Path:
    """The newest installed server's bin folder (``/usr/lib/postgresql/<major>/bin``)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise FileNotFoundError(
            "PostgreSQL is not installed: run scripts/setup-test.sh --servers-only"
        )
    return found[-1].parent


class PostgresServer(Server):
    def __init__(self, data_dir: Path, port: int, max_connections: int = 200) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.max_connections = max_connections
        self.bin = postgres_bin()
        self.log_file = self.data_dir / "server.log"

    def url(self, db: str) -> str:
        return f"postgresql://{ROLE}@{HOST}:{self.port}/{db}"

    def _as_server_user(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if is_root() else command

    def _run(self, command: list[str], server_user: bool = False) -> str:
        full = self._as_server_user(command) if server_user else command
        done = subprocess.run(full, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
        return done.stdout

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def running(self) -> bool:
        """Whether the server of this data folder runs (its pid file names a live process);
        cheap enough to ask twice a second."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return False
        return Path(f"/proc/{pid}").exists()

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if is_root():
            grant_traversal(self.data_dir.parent)
            shutil.chown(self.data_dir, "postgres", "postgres")
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                ROLE,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ],
            server_user=True,
        )

    def start(self) -> PostgresServer:
        if not self.initialised():
            self._initdb()
        elif is_root():
            grant_traversal(self.data_dir.parent)
        sockets = str(self.data_dir) if len(str(self.data_dir)) < SOCKET_PATH_LIMIT else ""
        options = " ".join(
            shlex.quote(f"-c{setting}")
            for setting in (
                f"listen_addresses={HOST}",
                f"port={self.port}",
                f"unix_socket_directories={sockets}",
                f"max_connections={self.max_connections}",
            )
        )
        self._run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
            server_user=True,
        )
        return self

    def stop(self) -> None:
        if self.initialised() and self.running():
            self._run(
                [str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                server_user=True,
            )

    def _client(self, tool: str) -> list[str]:
        return [str(self.bin / tool), "-h", HOST, "-p", str(self.port), "-U", ROLE]

    def psql(self, sql: str, db: str = "postgres") -> str:
        """Run ``sql`` and return its rows, one per line, fields separated by ``|``."""
        return self._run([*self._client("psql"), "-d", db, "-X", "-q", "-tA", "-c", sql])

    def database_exists(self, name: str) -> bool:
        rows = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        return rows.strip() == "1"

    def create_database(self, name: str, template: str | None = None) -> None:
        """Create ``name`` (a copy of ``template`` if given); nothing if it already exists."""
        if self.database_exists(name):
            return
        extra = ["-T", template] if template else []
        self._run([*self._client("createdb"), *extra, name])

    def drop_database(self, name: str) -> None:
        self._run([*self._client("dropdb"), "--if-exists", "--force", name])
