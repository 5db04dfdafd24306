"""A real JupyterHub for the tests, in a folder of its own, until the context ends.

:func:`start_hub` runs ``jupyterhub`` with the real configurable-http-proxy, the
DummyAuthenticator (any password), SimpleLocalProcessSpawner (single-user servers are local
``jupyterhub-singleuser`` processes) and a driver service whose token makes users, tokens
and servers through the REST API (:meth:`Hub.api`). Everything listens on 127.0.0.1 on free
ports. With ``service_env`` the hub also runs the Karvdash hub service, configured by
:func:`~karvdash_hub.service.config.configure_karvdash_service` as ``jupyterhub_config.py``
does, and user servers reach it through the proxy (``KARVDASH_REGISTRY_GATEWAY_URL``).

What the suites add: hub admins, the user servers' environment and Jupyter server config,
and the service's environment. The hub itself sees no ``KARVDASH_*`` variable of the test
session and dies with it.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import requests

from karvdash.devcluster.processes import Child, die_with_parent, free_port

VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
TIMEOUT = 90.0
"""Seconds for the hub to come up and for a user server to start."""
DRIVER = "tests-driver"
"""The service whose token drives the hub."""


@dataclass
class Hub:
    url: str
    """The proxy (what ``proxy-public`` is in a cluster): ``http://127.0.0.1:<port>/``."""
    driver_token: str
    log: Path
    pid: int
    tokens: dict[str, str] = field(default_factory=dict)
    """User -> the API token :meth:`add_user` made."""

    @property
    def upstream(self) -> str:
        return self.url.removeprefix("http://").rstrip("/")

    @property
    def service_url(self) -> str:
        return f"{self.url}services/karvdash/"

    @property
    def registry_api(self) -> str:
        return f"{self.service_url}api/registry"

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A hub REST API request as the driver service."""
        return requests.request(
            method,
            f"{self.url}hub/api/{path}",
            headers={"Authorization": f"token {self.driver_token}"},
            timeout=60,
            **kwargs,
        )

    def token(self, user: str, **body: Any) -> str:
        """A new API token of ``user`` (``body``: e.g. its ``scopes``)."""
        answer = self.api("POST", f"users/{user}/tokens", json={"note": "karvdash tests", **body})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])

    def add_user(self, name: str) -> str:
        """Create ``name`` (if new); a new API token of theirs, kept in :attr:`tokens`."""
        answer = self.api("POST", f"users/{name}")
        assert answer.status_code in (201, 409), answer.text
        self.tokens[name] = self.token(name)
        return self.tokens[name]

    def call(self, user: str | None, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request to the service's registry gateway as ``user`` (None: no credentials)."""
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"token {self.tokens[user]}"
        return requests.request(
            method, self.registry_api + path, headers=headers, timeout=600, **kwargs
        )

    def spawn(self, name: str) -> None:
        answer = self.api("POST", f"users/{name}/server")
        assert answer.status_code in (201, 202), answer.text

    def wait_server(self, name: str, timeout: float = TIMEOUT) -> str:
        """Wait until ``name``'s server is ready; its URL."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"users/{name}").json()["servers"].get("", {})
            if server.get("ready"):
                return f"{self.url.rstrip('/')}{server['url']}"
            time.sleep(0.3)
        raise AssertionError(f"{name}'s server did not start:\n{self.log_tail()}")

    def start_server(self, name: str, timeout: float = TIMEOUT) -> str:
        """Spawn ``name``'s server, wait until ready; its URL."""
        self.spawn(name)
        return self.wait_server(name, timeout)

    def service_pid(self) -> int:
        """PID of the Karvdash hub service (a child of the hub)."""
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


class Ports(NamedTuple):
    public: int
    hub: int
    proxy_api: int
    service: int


def hub_config(
    folder: Path,
    driver_token: str,
    ports: Ports,
    *,
    admins: frozenset[str],
    user_env: Mapping[str, str],
    service_env: Mapping[str, str] | None,
) -> str:
    """The text of ``jupyterhub_config.py`` (the hub keeps its state in ``folder``)."""
    public = f"http://{HOST}:{ports.public}"
    user_env = {"JUPYTER_CONFIG_DIR": str(folder / "user-config"), **user_env}
    service = ""
    if service_env is not None:
        user_env["KARVDASH_REGISTRY_GATEWAY_URL"] = f"{public}/services/karvdash/"
        env = {**service_env, "PYTHONUNBUFFERED": "1"}
        service = f"""
from karvdash_hub.service.config import configure_karvdash_service

configure_karvdash_service(c, url="http://{HOST}:{ports.service}", env={env!r})
"""
    scopes = ["admin:users", "admin:servers", "tokens"]
    return f"""
c.JupyterHub.bind_url = "{public}"
c.JupyterHub.hub_bind_url = "http://{HOST}:{ports.hub}"
c.JupyterHub.hub_connect_ip = "{HOST}"
c.ConfigurableHTTPProxy.api_url = "http://{HOST}:{ports.proxy_api}"
c.ConfigurableHTTPProxy.command = [{str(VENV_BIN / "configurable-http-proxy")!r}]
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {set(admins)!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / "home") + "/{username}"!r}
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root"]
c.Spawner.ip = "{HOST}"
c.Spawner.start_timeout = {int(TIMEOUT)}
c.Spawner.http_timeout = {int(TIMEOUT)}
c.Spawner.environment = {user_env!r}
c.JupyterHub.services = [{{"name": "{DRIVER}", "api_token": {driver_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "{DRIVER}", "scopes": {scopes!r}, "services": ["{DRIVER}"]}}]
{service}"""


@contextmanager
def start_hub(
    folder: Path,
    *,
    admins: frozenset[str] = frozenset(),
    user_env: Mapping[str, str] | None = None,
    user_server_config: Mapping[str, Any] | None = None,
    service_env: Mapping[str, str] | None = None,
) -> Iterator[Hub]:
    """JupyterHub in ``folder`` until the context ends (its servers and service too).

    ``admins`` are hub admins; ``user_env`` is added to the user servers' environment and
    ``user_server_config`` is their ``jupyter_server_config.json``; with ``service_env``
    (its environment) the hub runs the Karvdash service."""
    user_config = folder / "user-config"
    user_config.mkdir(parents=True, exist_ok=True)
    (user_config / "jupyter_server_config.json").write_text(json.dumps(user_server_config or {}))
    driver = secrets.token_hex(16)
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    config = folder / "jupyterhub_config.py"
    config.write_text(
        hub_config(
            folder,
            driver,
            ports,
            admins=admins,
            user_env=user_env or {},
            service_env=service_env,
        )
    )
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
    hub = Hub(f"http://{HOST}:{ports.public}/", driver, log, proc.pid)
    try:
        deadline = time.monotonic() + TIMEOUT
        while "JupyterHub is now running" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"JupyterHub did not come up:\n{hub.log_tail()}")
            time.sleep(0.2)
        yield hub
    finally:
        Child("jupyterhub", proc, log, stop_timeout=20).stop()
