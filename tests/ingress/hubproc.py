"""A real JupyterHub running the Karvdash hub service, for the ingress tests.

The hub config calls :func:`~karvdash_hub.service.config.configure_karvdash_service` as
``jupyterhub_config.py`` does; the service follows the dev cluster's Ingresses with the
hub's own ServiceAccount (a kubeconfig holding its token) and signs cookies with the key in
``secret_file``. Users log in with any password (DummyAuthenticator); a driver service
makes users and tokens through the hub's REST API. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from karvdash.devcluster.processes import die_with_parent, free_port

VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 90.0


@dataclass
class Hub:
    url: str
    """The proxy (what ``proxy-public`` is in a cluster): ``http://127.0.0.1:<port>/``."""
    driver_token: str
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def upstream(self) -> str:
        return self.url.removeprefix("http://").rstrip("/")

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}hub/api/{path}",
            headers={"Authorization": f"token {self.driver_token}"},
            timeout=60,
            **kwargs,
        )

    def add_user(self, name: str) -> str:
        """Create ``name`` (if new); an API token of theirs."""
        answer = self.api("POST", f"users/{name}")
        assert answer.status_code in (201, 409), answer.text
        token = self.api("POST", f"users/{name}/tokens", json={"note": "ingress tests"})
        assert token.status_code == 201, token.text
        self.tokens[name] = str(token.json()["token"])
        return self.tokens[name]


def _config(
    folder: Path, driver: str, ports: tuple[int, int], env: Mapping[str, str], admins: set[str]
) -> str:
    public, service = ports
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
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {admins!r}
c.JupyterHub.spawner_class = "simple"
c.JupyterHub.services = [{{"name": "ingress-tests", "api_token": {driver!r}}}]
c.JupyterHub.load_roles = [
    {{"name": "ingress-tests", "scopes": ["admin:users", "tokens"],
      "services": ["ingress-tests"]}},
]
configure_karvdash_service(c, url="http://127.0.0.1:{service}", env={dict(env)!r})
"""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def start_hub(
    folder: Path, service_env: Mapping[str, str], admins: frozenset[str] = frozenset()
) -> Iterator[Hub]:
    """JupyterHub in ``folder`` until the context ends; ``service_env`` goes to the service,
    ``admins`` are hub admins."""
    folder.mkdir(parents=True, exist_ok=True)
    driver, public, service = secrets.token_hex(16), free_port(), free_port()
    config = folder / "jupyterhub_config.py"
    env = {**service_env, "PYTHONUNBUFFERED": "1"}
    config.write_text(_config(folder, driver, (public, service), env, set(admins)))
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
    hub = Hub(f"http://127.0.0.1:{public}/", driver, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "JupyterHub is now running" not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"JupyterHub did not come up:\n{log.read_text()[-5000:]}")
            time.sleep(0.2)
        yield hub
    finally:
        _stop(proc)
