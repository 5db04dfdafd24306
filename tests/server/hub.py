"""A real JupyterHub for the tests: DummyAuthenticator, SimpleLocalProcessSpawner (the
single-user servers are local ``jupyterhub-singleuser`` processes), the real
configurable-http-proxy, and a service token for driving it through its REST API."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from .servers import free_port, stop

VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0


@dataclass
class Hub:
    url: str
    token: str
    log: Path

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}hub/api/{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=30,
            **kwargs,
        )

    def add_user(self, name: str) -> str:
        """Create ``name`` and return a new API token of theirs."""
        answer = self.api("POST", f"users/{name}")
        assert answer.status_code in (201, 409), answer.text
        answer = self.api("POST", f"users/{name}/tokens", json={"note": "karvdash tests"})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def start_server(self, name: str, timeout: float = 60.0) -> str:
        """Spawn ``name``'s server, wait until ready, return its URL."""
        answer = self.api("POST", f"users/{name}/server")
        assert answer.status_code in (201, 202), answer.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"users/{name}").json()["servers"].get("", {})
            if server.get("ready"):
                return f"{self.url.rstrip('/')}{server['url']}"
            time.sleep(0.3)
        raise AssertionError(f"{name}'s server did not start:\n{self.log.read_text()}")


def _config(folder: Path, token: str, public: int) -> str:
    home = folder / "home"
    return f"""
c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(VENV_BIN / "configurable-http-proxy")!r}]
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(home) + "/{username}"!r}
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.Spawner.environment = {{"JUPYTER_CONFIG_DIR": {str(folder / "user-config")!r}}}
c.JupyterHub.services = [{{"name": "karvdash-tests", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "karvdash-tests",
        "scopes": ["admin:users", "admin:servers", "tokens"],
        "services": ["karvdash-tests"],
    }}
]
"""


@contextmanager
def start_hub(folder: Path) -> Iterator[Hub]:
    """Run JupyterHub in ``folder`` until the context ends (its user servers too)."""
    folder.mkdir(parents=True, exist_ok=True)
    token, public = secrets.token_hex(16), free_port()
    config = folder / "jupyterhub_config.py"
    config.write_text(_config(folder, token, public))
    log = folder / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(folder),
        )
    hub = Hub(f"http://127.0.0.1:{public}/", token, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "JupyterHub is now running" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"JupyterHub did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        yield hub
    finally:
        stop(proc)
