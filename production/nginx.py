"""nginx's configuration for ``make run-prod``, from deploy/nginx/run-prod.conf.template."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from production.environment import ROOT, Ports

TEMPLATE = ROOT / "deploy" / "nginx" / "run-prod.conf.template"
TEMP_FOLDERS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


def servers(ports: Iterable[int], host: str, fail_timeout: int) -> str:
    """``server`` lines of an upstream block: a server that failed is left alone ``fail_timeout`` s."""
    line = "        server {host}:{port} max_fails=1 fail_timeout={timeout}s;"
    return "\n".join(line.format(host=host, port=port, timeout=fail_timeout) for port in ports)


def write_config(state: Path, ports: Ports, action_timeout: float = 3.0, host: str = "127.0.0.1") -> Path:
    """Writes ``state/nginx.conf`` (and nginx's temporary folders); its path."""
    for folder in TEMP_FOLDERS:
        (state / folder).mkdir(parents=True, exist_ok=True)
    values = {
        "STATE": str(state), "HOST": host, "RASA_PORT": str(ports.rasa), "ACTION_PORT": str(ports.actions),
        "ACTION_TIMEOUT": f"{action_timeout:g}",
        "RASA_SERVERS": servers(ports.rasa_servers, host, 5),
        "ACTION_SERVERS": servers(ports.action_servers, host, 2),  # back in service within 2 s
    }
    config = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        config = config.replace(f"@{name}@", value)
    path = state / "nginx.conf"
    path.write_text(config, encoding="utf-8")
    return path
