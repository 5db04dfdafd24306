"""JupyterHub (and its proxy) in the dev stack, with the hub's least-privilege account.

The hub runs as a child process with ``jupyterhub_config.py``, exactly as on a real
cluster, with these differences only: it listens on loopback, and it talks to the cluster
with a kubeconfig holding the token of the ``karvdash-hub`` ServiceAccount, whose rights
come from ``deploy/hub/rbac.yaml``. The dev stack never hands the hub its admin token, so
a right missing from the shipped manifest fails here as it would in production.

The first admin's password is made at the first start, printed once by ``karvdash dev``
and given to the hub, which creates the account; later starts do not pass it again.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .devcluster.processes import Supervisor, free_port, port_is_free
from .manifests import apply, deploy_dir, load_documents

HUB_NAMESPACE = "karvdash"
HUB_ACCOUNT = "karvdash-hub"
ADMIN_USER = "admin"
TOKEN_SECONDS = 365 * 24 * 3600
JUPYTERHUB_PORT = 8000
"""The public port of a new dev hub when it is free (JupyterHub's own default), else any."""


class HubError(RuntimeError):
    """The hub did not come up."""


def hub_config_file() -> Path:
    """``jupyterhub_config.py`` of a source checkout, else the installed copy."""
    for candidate in (
        Path(__file__).resolve().parent.parent / "jupyterhub_config.py",
        Path(sys.prefix) / "share" / "karvdash" / "jupyterhub_config.py",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("jupyterhub_config.py of Karvdash is not installed")


def hub_kubeconfig(admin_kubeconfig: Path, token: str) -> dict[str, Any]:
    """A kubeconfig for the same API server as ``admin_kubeconfig``, with ``token``."""
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    current = admin.get("current-context")
    context = next(c for c in admin["contexts"] if c["name"] == current)["context"]
    cluster = next(c for c in admin["clusters"] if c["name"] == context["cluster"])
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{**cluster, "name": "karvdash"}],
        "users": [{"name": HUB_ACCOUNT, "user": {"token": token}}],
        "contexts": [
            {"name": HUB_ACCOUNT, "context": {"cluster": "karvdash", "user": HUB_ACCOUNT}}
        ],
        "current-context": HUB_ACCOUNT,
    }


def provision_hub_account(admin_kubeconfig: Path) -> str:
    """Apply the hub's namespace, ServiceAccount and RBAC; return a token of the account."""
    from kubernetes import client, config

    api = config.new_client_from_config(str(admin_kubeconfig))
    try:
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": HUB_NAMESPACE}}
        apply(api, [namespace])
        apply(api, load_documents([deploy_dir() / "hub" / "rbac.yaml"]))
        request = {"spec": {"audiences": [], "expirationSeconds": TOKEN_SECONDS}}
        core = client.CoreV1Api(api)
        for attempt in range(20):
            try:
                answer = core.create_namespaced_service_account_token(
                    HUB_ACCOUNT, HUB_NAMESPACE, request
                )
                return str(answer.status.token)
            except client.ApiException as exc:
                if exc.status != 404 or attempt == 19:
                    raise
                time.sleep(0.25)
        raise AssertionError("unreachable")
    finally:
        api.close()


@dataclass
class DevHub:
    """The hub of the dev stack: its state folder, ports, first admin, and process."""

    state_dir: Path
    admin_kubeconfig: Path
    address: str = "127.0.0.1"
    public_port: int | None = None
    extra_config: list[Path] = field(default_factory=list)
    progress: Callable[[str], None] = print
    admin_password: str | None = None  # known only to the process that made the account
    created_admin: bool = False  # whether the last start made the first admin's account
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.ports['public']}"

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "hub.kubeconfig"

    def _ports(self) -> dict[str, int]:
        """Ports persisted in the state folder, so the URL stays the same across restarts."""
        path = self.state_dir / "ports.json"
        ports: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}
        if self.public_port is not None:
            ports["public"] = self.public_port
        elif "public" not in ports and port_is_free(JUPYTERHUB_PORT, self.address):
            ports["public"] = JUPYTERHUB_PORT  # where people look for a JupyterHub first
        for name in ("public", "hub", "proxy_api", "service"):
            if name not in ports:
                ports[name] = free_port(self.address)
        path.write_text(json.dumps(ports))
        return ports

    def _first_admin_password(self) -> str | None:
        marker = self.state_dir / "first-admin-created"
        if marker.exists():
            return None
        return secrets.token_urlsafe(12)

    def environment(self, settings_env: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        env.update(settings_env)
        env.update(
            {
                "KUBECONFIG": str(self.kubeconfig),
                "KARVDASH_HUB_STATE_DIR": str(self.state_dir),
                "KARVDASH_PROXY_BIND_URL": self.url,
                "KARVDASH_HUB_BIND_URL": f"http://{self.address}:{self.ports['hub']}",
                "KARVDASH_PROXY_API_URL": f"http://{self.address}:{self.ports['proxy_api']}",
                "KARVDASH_SERVICE_BIND_URL": f"http://{self.address}:{self.ports['service']}",
                "KARVDASH_ADMIN_USER": ADMIN_USER,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("KARVDASH_ADMIN_PASSWORD", None)
        if self.created_admin and self.admin_password:
            env["KARVDASH_ADMIN_PASSWORD"] = self.admin_password
        env["KARVDASH_HUB_EXTRA_CONFIG"] = os.pathsep.join(str(p) for p in self.extra_config)
        return env

    def start(self, supervisor: Supervisor, settings_env: dict[str, str]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = provision_hub_account(self.admin_kubeconfig)
        self.kubeconfig.write_text(yaml.safe_dump(hub_kubeconfig(self.admin_kubeconfig, token)))
        self.kubeconfig.chmod(0o600)
        self.ports = self._ports()
        fresh = self._first_admin_password()
        self.created_admin = fresh is not None
        if fresh:
            self.admin_password = fresh
        supervisor.start(
            "hub",
            [sys.executable, "-m", "jupyterhub", "-f", str(hub_config_file())],
            env=self.environment(settings_env),
            cwd=self.state_dir,
        )
        self._wait(supervisor)
        if self.created_admin:
            (self.state_dir / "first-admin-created").write_text(ADMIN_USER + "\n")
        self.progress(f"JupyterHub ready at {self.url}")

    def _wait(self, supervisor: Supervisor, timeout: float = 90.0) -> None:
        """Until the hub answers through the proxy (its API's version document)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            failed = supervisor.check()
            if failed is not None:
                raise HubError(f"{failed.name} exited at start:\n{failed.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and "version" in json.load(answer):
                        return
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.3)
        raise HubError(f"the hub did not answer at {self.url} within {timeout:.0f} s ({last})")
