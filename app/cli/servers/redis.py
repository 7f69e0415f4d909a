"""A Redis of our own (Debian's ``redis-server``): loopback only, no persistence (the lock store
and the socket.io message queue hold nothing worth keeping), in the foreground as our child.

    with RedisServer(tmp / "redis", port) as redis:
        redis.url(1)  # redis://127.0.0.1:<port>/1
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

from app.cli.servers._common import Server, stop_process_group, wait_for_port

HOST = "127.0.0.1"


class RedisServer(Server):
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file = self.data_dir / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def command(self) -> list[str]:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        return [
            binary,
            "--bind",
            HOST,
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self.log_file),
        ]

    def start(self, timeout_s: float = 20.0) -> RedisServer:
        if not shutil.which("redis-server") and not Path("/usr/bin/redis-server").exists():
            raise FileNotFoundError(
                "redis-server is not installed: run scripts/setup-test.sh --servers-only"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, start_new_session=True
        )
        process = self.process
        wait_for_port(HOST, self.port, timeout_s, alive=lambda: process.poll() is None)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, signal.SIGTERM)
            self.process = None
