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
        self.env = self.settings_env()
        if self.webhook:
            self._start_webhook()

    def stop_webhook(self) -> None:
        """Stop the webhook (its registration stays, as when its pods are down)."""
        for child in list(self.supervisor.children):
            if child.name == "webhook":
                child.stop()
                self.supervisor.children.remove(child)

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
        lines.append("  hub: not part of this release yet (the dev stack is cluster + webhook)")
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
        self.cluster.stop()
