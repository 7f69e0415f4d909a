"""`make run-scaled`: the scaled stack in the foreground until Ctrl-C (or SIGTERM).

PostgreSQL, Redis and nginx of our own plus two replicas each of Rasa, the action server and the
web app (app/cli/scaled.py), on the ports of `make run`: clients see no difference. Data lives
under var/scaled/ (the PostgreSQL cluster survives restarts; `make reset SCALED=1` re-seeds it),
each process logs to var/scaled/logs/<name>.log.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from app.bootstrap import get_settings
from app.cli.run import banner, ensure_tokens
from app.cli.scaled import ScaledConfig, ScaledStack, default_scaled_config
from app.cli.stack_config import ROOT


def scaled_banner(config: ScaledConfig, tokens: dict[str, str], public_url: str) -> str:
    def listed(urls: dict[str, str]) -> str:
        return ", ".join(f"{name} {url}" for name, url in urls.items())

    return (
        banner(config, tokens, public_url).replace(
            "Kestrel self-care is running.", "Kestrel self-care is running, scaled out."
        )
        + f"""
Behind nginx (Rasa's socket.io sticky per connection, the rest round-robin):
  Rasa replicas        {listed(config.rasa_replica_urls)}
  Action servers       {listed(config.action_replica_urls)}
  Web app replicas     {listed(config.web_replica_urls)}
  PostgreSQL           {config.database_url} (also rasa_tracker, rasa_events)
  Redis                {config.redis_url(1)} (lock store; db 2: socket.io queue)
  Logs                 {config.log_dir}/<name>.log, nginx: {config.data_dir}/nginx/logs/
  Back office chores   make reset SCALED=1, make kill-switch-on SCALED=1 (while this runs)
"""
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack as cleanly as Ctrl-C


def main() -> int:
    settings = get_settings()
    if settings.runs_tmf_reference:
        print(
            "error: make run-scaled serves the embedded SQL BSS or an operator's TMF BSS "
            "(TMF_BASE_URL), not the TMF reference BSS",
            file=sys.stderr,
        )
        return 2
    print("==> Checking the Rasa model", flush=True)
    subprocess.run([sys.executable, "-m", "app.cli.train_model"], check=True, cwd=ROOT)
    tokens = ensure_tokens()
    data_dir = ROOT / "var" / "scaled"
    config = default_scaled_config(
        rasa_port=int(settings.rasa_url.rsplit(":", 1)[-1]),
        action_port=settings.action_server_port,
        web_port=settings.web_port,
        demo_mode=settings.demo_mode,
        widget_origins=tuple(settings.widget_origins),
        data_dir=data_dir,
        log_dir=data_dir / "logs",
        work_dir=data_dir,
        env={**tokens, "BSS": settings.bss},
    )
    stack = ScaledStack(config, progress=True)
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT may arrive ignored from a parent
        signal.signal(signum, _interrupt)
    started = time.monotonic()
    try:
        stack.start()
        print("==> Waiting for the replicas (Rasa takes ~30-60 s)", flush=True)
        stack.wait_ready(progress=True)
        print(f"  ready in {time.monotonic() - started:.0f} s")
        print(scaled_banner(config, tokens, settings.public_base_url.rstrip("/")), flush=True)
        while not (dead := stack.dead()):
            time.sleep(0.5)
        print(f"error: {', '.join(dead)} stopped unexpectedly; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except (RuntimeError, TimeoutError, subprocess.CalledProcessError) as error:
        print(f"error: {error} (logs: {config.log_dir})", file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the stop
            signal.signal(signum, signal.SIG_IGN)
        stack.stop()
        print("Stopped (replicas, nginx, Redis, PostgreSQL).")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
