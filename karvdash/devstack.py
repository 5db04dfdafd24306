"""The development stack: the cluster plus Karvdash's own programs, as child processes.

Used by ``karvdash dev`` and by the test suite, so both run the same thing. The core never
imports the webhook: it is started as a program (``python -m karvdash_webhook``).
"""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .devcluster.cluster import Cluster, DevCluster
from .devcluster.processes import Supervisor, free_port
from .devcluster.registry import DevRegistry
from .devhub import DevHub
from .manifests import apply, deploy_dir, load_documents
from .settings import ENV_PREFIX


class StackError(RuntimeError):
    """A program of the dev stack did not come up."""


def dev_storage_domains(data_dir: Path) -> list[dict[str, object]]:
    """Storage domains under the dev state folder (no root-owned /mnt needed)."""
    return [
        {
            "name": "local",
            "mount_path": "/local",
            "host_path": str(data_dir / "local"),
            "per_user": True,
        },
        {
            "name": "remote",
            "mount_path": "/remote",
            "host_path": str(data_dir / "remote"),
            "per_user": True,
        },
        {
            "name": "shared",
            "mount_path": "/shared",
            "host_path": str(data_dir / "shared"),
            "per_user": False,
        },
    ]


class DevStack:
    def __init__(
        self,
        cluster: Cluster,
        *,
        webhook: bool = True,
        state_dir: Path | None = None,
        progress: Callable[[str], None] = print,
        webhook_address: str = "127.0.0.1",
        hub: bool = True,
        hub_port: int | None = None,
        hub_extra_config: list[Path] | None = None,
        registry: bool = True,
    ) -> None:
        self.cluster = cluster
        self.webhook = webhook
        if state_dir is None:
            state_dir = (
                cluster.state_dir
                if isinstance(cluster, DevCluster)
                else Path.cwd() / ".karvdash-dev"
            )
        self.state_dir = state_dir
        self.log_dir = state_dir / "logs"
        self.supervisor = Supervisor(self.log_dir)
        self.progress = progress
        self.webhook_address = webhook_address
        self.webhook_port: int | None = None
        self.env: dict[str, str] = {}
        self.registry = DevRegistry(state_dir / "registry") if registry else None
        self.hub: DevHub | None = None
        if hub:
            self.hub = DevHub(
                state_dir / "hub",
                cluster.kubeconfig,
                public_port=hub_port,
                extra_config=list(hub_extra_config or []),
                progress=progress,
            )

    @property
    def webhook_url(self) -> str:
        return f"https://{self.webhook_address}:{self.webhook_port}"

    def settings_env(self) -> dict[str, str]:
        """``KARVDASH_*`` settings of the dev stack; the caller's own environment wins."""
        env = {
            ENV_PREFIX + "STORAGE_DOMAINS": json.dumps(
                dev_storage_domains(self.state_dir / "data")
            ),
        }
        env.update({k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)})
        return env

    def start(self) -> None:
        self.cluster.start()
        self._apply_crds()
        self.env = self.settings_env()
        if self.webhook:
            self._start_webhook()
        if self.registry is not None:
            self.registry.start()
            self.env.update(self.registry.settings_env())
            self.progress(f"registry ready at {self.registry.url}")
        if self.hub is not None:
            self.hub.start(self.supervisor, self.env)

    def _apply_crds(self, timeout: float = 30.0) -> None:
        """Apply every CustomResourceDefinition in ``deploy/crds/`` (the manifests an
        operator applies) and wait until the API server serves each (``Established``)."""
        from kubernetes import client, config

        folder = deploy_dir() / "crds"
        api = config.new_client_from_config(str(self.cluster.kubeconfig))
        try:
            names = [
                a.split("/", 1)[1]
                for a in apply(api, load_documents(sorted(folder.glob("*.yaml"))))
            ]
            crds = client.ApiextensionsV1Api(api)
            deadline = time.monotonic() + timeout
            for name in names:
                while not any(
                    c.type == "Established" and c.status == "True"
                    for c in crds.read_custom_resource_definition(name).status.conditions or []
                ):
                    if time.monotonic() > deadline:
                        raise StackError(f"CustomResourceDefinition {name} is not Established")
                    time.sleep(0.1)
        finally:
            api.close()
        self.progress(f"custom resources installed: {', '.join(names)}")

    def stop_hub(self) -> None:
        """Stop the hub (and with it the proxy); user servers keep running, as in a cluster."""
        self._stop_child("hub")

    def restart_hub(self, extra_config: list[Path] | None = None) -> None:
        """Restart the hub, optionally with other extra config files (same URL and state)."""
        assert self.hub is not None
        self.stop_hub()
        if extra_config is not None:
            self.hub.extra_config = list(extra_config)
        self.hub.start(self.supervisor, self.env)

    def _stop_child(self, name: str) -> None:
        for child in list(self.supervisor.children):
            if child.name == name:
                child.stop()
                self.supervisor.children.remove(child)

    def stop_webhook(self) -> None:
        """Stop the webhook (its registration stays, as when its pods are down)."""
        self._stop_child("webhook")

    def restart_webhook(self) -> None:
        self.stop_webhook()
        self._start_webhook()

    def _start_webhook(self) -> None:
        if self.webhook_port is None:
            self.webhook_port = free_port(self.webhook_address)
        cert_dir = self.state_dir / "webhook-pki"
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        env.update(self.env)
        env["PYTHONUNBUFFERED"] = "1"
        self.supervisor.start(
            "webhook",
            [
                sys.executable,
                "-m",
                "karvdash_webhook",
                f"--address={self.webhook_address}",
                f"--port={self.webhook_port}",
                f"--self-signed={cert_dir}",
                f"--san={self.webhook_address}",
                f"--kubeconfig={self.cluster.kubeconfig}",
                "--register",
                f"--url={self.webhook_url}",
            ],
            env=env,
        )
        self._wait_webhook(cert_dir / "ca.crt")
        self.progress(f"admission webhook ready at {self.webhook_url} and registered")

    def _wait_webhook(self, ca_file: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            failed = self.supervisor.check()
            if failed is not None:
                raise StackError(f"{failed.name} exited at start:\n{failed.log_tail()}")
            if ca_file.exists():
                ctx = ssl.create_default_context(cafile=str(ca_file))
                try:
                    with urllib.request.urlopen(  # noqa: S310 - our own https URL
                        f"{self.webhook_url}/readyz", timeout=2, context=ctx
                    ) as r:
                        if r.status == 200:
                            return
                except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
                    last = str(exc)
            time.sleep(0.2)
        raise StackError(f"the webhook was not ready within {timeout:.0f} s ({last})")

    def summary(self) -> list[str]:
        lines = [
            "",
            "Karvdash development stack is running.",
            f"  kubeconfig: {self.cluster.kubeconfig}",
            f"    try: KUBECONFIG={self.cluster.kubeconfig} kubectl get nodes",
        ]
        if isinstance(self.cluster, DevCluster):
            lines.append(f"  state and logs: {self.cluster.state_dir}")
        if self.webhook:
            lines.append(f"  admission webhook: {self.webhook_url}")
        if self.registry is not None:
            lines.append(f"  image registry: {self.registry.url} (through the hub's gateway)")
        if self.hub is not None:
            lines.append(f"  Karvdash (JupyterHub): {self.hub.url}/")
            if self.hub.created_admin:
                lines.append(
                    f"  first admin: user 'admin', password {self.hub.admin_password}"
                    " (shown this once; change it at /hub/change-password)"
                )
            else:
                lines.append("  first admin: user 'admin' (its password was shown at first start)")
            lines.append(
                "  new users sign up at /hub/signup; the admin approves them at /hub/authorize"
            )
        return lines

    def failed(self) -> str | None:
        child = self.supervisor.check()
        if child is not None:
            return child.name
        if isinstance(self.cluster, DevCluster):
            return self.cluster.alive()
        return None

    def stop(self) -> None:
        self.supervisor.stop_all()
        if self.registry is not None:
            self.registry.stop()
        self.cluster.stop()
