"""An nginx of our own (Debian's ``nginx``): our configuration text, its pid file, logs and
temporary files under ``prefix_dir``, in the foreground (``daemon off``) as our child.

    with NginxServer(tmp / "nginx", conf_text, ports=(5005, 8000)) as nginx: ...

``ports`` are the ones the configuration listens on: ``start`` returns once all accept.
The configuration is usually rendered from ``deploy/nginx.conf.template`` (app/cli/scaled_nginx.py).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

from app.cli.servers._common import (
    Server,
    grant_traversal,
    is_root,
    stop_process_group,
    wait_for_port,
)

HOST = "127.0.0.1"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise FileNotFoundError("nginx is not installed: run scripts/setup-test.sh --servers-only")
    return found


class NginxServer(Server):
    def __init__(self, prefix_dir: Path, conf_text: str, ports: tuple[int, ...] = ()) -> None:
        self.prefix_dir = Path(prefix_dir).resolve()
        self.conf_text = conf_text
        self.ports = ports
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def conf_file(self) -> Path:
        return self.prefix_dir / "nginx.conf"

    def command(self) -> list[str]:
        return [
            nginx_binary(),
            "-p",
            f"{self.prefix_dir}/",
            "-c",
            str(self.conf_file),
            "-g",
            "daemon off;",
        ]

    def start(self, timeout_s: float = 20.0) -> NginxServer:
        for folder in ("logs", "temp"):
            (self.prefix_dir / folder).mkdir(parents=True, exist_ok=True)
        if is_root():  # the workers run as nobody (the config says so) and read the temp folder
            grant_traversal(self.prefix_dir)
        self.conf_file.write_text(self.conf_text)
        check = subprocess.run([*self.command(), "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refuses {self.conf_file}: {check.stderr}")
        log = open(self.prefix_dir / "logs" / "stderr.log", "ab")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()  # the child has its own copy
        process = self.process
        for port in self.ports:
            wait_for_port(HOST, port, timeout_s, alive=lambda: process.poll() is None)
        return self

    def stop(self) -> None:
        if self.process is not None:
            # SIGQUIT: graceful, the workers finish their requests
            stop_process_group(self.process, signal.SIGQUIT)
            self.process = None
