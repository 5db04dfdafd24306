"""A real JupyterHub running the Karvdash hub service, for the registry tests.

The hub config calls :func:`~karvdash_hub.service.config.configure_karvdash_service`
exactly as ``jupyterhub_config.py`` does, with the dev registry's settings. Users are
made and given tokens through the hub's REST API by a driver service; single-user
servers are local ``jupyterhub-singleuser`` processes (SimpleLocalProcessSpawner) that
load :mod:`tests.registry.imagesext` (the images routes of the server extension).
Everything listens on 127.0.0.1 on free ports and stops at the end of the session.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from karvdash.devcluster.processes import die_with_parent, free_port
from karvdash.devcluster.registry import DevRegistry

VENV_BIN = Path(sys.executable).parent
REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0
ADMIN, USER = "regadmin", "alice"


@dataclass
class Hub:
    url: str
    driver_token: str
    log: Path
    pid: int
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def service_url(self) -> str:
        return f"{self.url}services/karvdash/"

    @property
    def registry_api(self) -> str:
        return f"{self.service_url}api/registry"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}hub/api/{path}",
            headers={"Authorization": f"token {self.driver_token}"},
            timeout=60,
            **kwargs,
        )

    def token(self, user: str, **body: Any) -> str:
        answer = self.api("POST", f"users/{user}/tokens", json={"note": "registry tests", **body})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def call(self, user: str | None, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request to the registry gateway as ``user`` (None: no credentials)."""
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"token {self.tokens[user]}"
        return requests.request(
            method, self.registry_api + path, headers=headers, timeout=600, **kwargs
        )

    def start_server(self, name: str, timeout: float = 90.0) -> str:
        self.spawn(name)
        return self.wait_server(name, timeout)

    def spawn(self, name: str) -> None:
        answer = self.api("POST", f"users/{name}/server")
        assert answer.status_code in (201, 202), answer.text

    def wait_server(self, name: str, timeout: float = 90.0) -> str:
        """Wait until ``name``'s server is ready; its URL."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"users/{name}").json()["servers"].get("", {})
            if server.get("ready"):
                return f"{self.url.rstrip('/')}{server['url']}"
            time.sleep(0.3)
        raise AssertionError(f"{name}'s server did not start:\n{self.log.read_text()[-3000:]}")

    def service_pid(self) -> int:
        """PID of the hub service (a child of the hub)."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.pid and b"karvdash_hub.service" in cmdline:
                return int(entry.name)
        raise AssertionError("the hub service is not running")


def _config(folder: Path, registry: DevRegistry, driver: str, public: int, service: int) -> str:
    env = {**registry.settings_env(), "PYTHONUNBUFFERED": "1"}
    user_env = {
        "KARVDASH_REGISTRY_GATEWAY_URL": f"http://127.0.0.1:{public}/services/karvdash/",
        "PYTHONPATH": str(REPO_ROOT),
        "JUPYTER_CONFIG_DIR": str(folder / "user-config"),
    }
    user_config = folder / "user-config"
    user_config.mkdir(parents=True, exist_ok=True)
    extensions = {"karvdash_server": False, "tests.registry.imagesext": True}
    (user_config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}})
    )
    return f"""
from karvdash_hub.service.config import configure_karvdash_service

c.JupyterHub.bind_url = "http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.JupyterHub.hub_connect_ip = "127.0.0.1"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(VENV_BIN / "configurable-http-proxy")!r}]
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {{{ADMIN!r}}}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / "home") + "/{username}"!r}
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.Spawner.environment = {user_env!r}
c.JupyterHub.services = [{{"name": "registry-tests", "api_token": {driver!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "registry-tests", "scopes": ["admin:users", "admin:servers", "tokens"],
      "services": ["registry-tests"]}},
]
configure_karvdash_service(c, url="http://127.0.0.1:{service}", env={env!r})
"""


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_service(hub: Hub, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if hub.call(ADMIN, "GET", "").status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the Karvdash service did not answer:\n{hub.log.read_text()[-3000:]}")


@contextmanager
def start_hub(folder: Path, registry: DevRegistry) -> Iterator[Hub]:
    """Run JupyterHub in ``folder`` until the context ends (its servers and service too)."""
    folder.mkdir(parents=True, exist_ok=True)
    driver, public, service = secrets.token_hex(16), free_port(), free_port()
    config = folder / "jupyterhub_config.py"
    config.write_text(_config(folder, registry, driver, public, service))
    log = folder / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(folder),
            env={k: v for k, v in os.environ.items() if not k.startswith("KARVDASH_")},
            preexec_fn=die_with_parent,
        )
    hub = Hub(f"http://127.0.0.1:{public}/", driver, log, proc.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "JupyterHub is now running" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"JupyterHub did not come up:\n{log.read_text()[-5000:]}")
            time.sleep(0.2)
        for name, admin in ((ADMIN, True), (USER, False)):
            answer = hub.api("POST", f"users/{name}", json={"admin": admin})
            assert answer.status_code in (201, 409), answer.text
            hub.tokens[name] = hub.token(name)
        wait_service(hub, deadline)
        yield hub
    finally:
        stop(proc)
