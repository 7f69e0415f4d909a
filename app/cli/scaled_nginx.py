"""The scaled stack's nginx configuration, from deploy/nginx.conf.template."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.cli.stack_config import ROOT

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def _servers(host: str, ports: Sequence[int]) -> str:
    # max_fails=0: never mark a replica down for a while. On loopback a stopped one refuses at
    # once and the request goes to the next; with nginx's default (1 failure -> 10 s out), a
    # replica still starting, or one stopped for a moment, left the others serving alone or
    # none at all ("no live upstreams", 502) although a replica was up.
    return "\n        ".join(f"server {host}:{port} max_fails=0;" for port in ports)


def render_nginx_conf(
    host: str,
    rasa_port: int,
    action_port: int,
    web_port: int,
    rasa_ports: Sequence[int],
    action_ports: Sequence[int],
    web_ports: Sequence[int],
) -> str:
    values = {
        "host": host,
        "rasa_port": str(rasa_port),
        "action_port": str(action_port),
        "web_port": str(web_port),
        "rasa_servers": _servers(host, rasa_ports),
        "action_servers": _servers(host, action_ports),
        "web_servers": _servers(host, web_ports),
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if re.search(r"\{\{\w+\}\}", text):
        raise ValueError(f"{TEMPLATE} has a placeholder nobody fills in")
    return text
