"""What the three servers share: running as an unprivileged user when we are root, waiting for a
TCP port, stopping a process group, and serving as a context manager."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import TypeVar

S = TypeVar("S", bound="Server")


class Server(ABC):
    """``with server:`` starts it and always stops it."""

    @abstractmethod
    def start(self: S) -> S: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def stop_process_group(process: subprocess.Popen[bytes], stop_signal: signal.Signals) -> None:
    """``stop_signal``, 10 s to exit, then SIGKILL for it and anything of its group left behind."""
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def is_root() -> bool:
    return os.geteuid() == 0


def grant_traversal(path: Path) -> None:
    """Let an unprivileged server user reach ``path`` (search permission only, no listing).

    PostgreSQL refuses to run as root, so as root we run it as ``postgres``; pytest's
    ``/tmp/pytest-of-root`` is 0700, which would keep that user out of a test's data folder.
    """
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def wait_for_port(host: str, port: int, timeout_s: float, alive: object = None) -> None:
    """Until something accepts on ``host:port``; ``alive()`` False (the server died) stops early."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if callable(alive) and not alive():
                raise RuntimeError(
                    f"the server for port {port} exited before it listened"
                ) from None
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on {host}:{port} after {timeout_s:.0f} s"
                ) from None
            time.sleep(0.1)
