"""The cluster Karvdash runs against: the embedded dev cluster, or one chosen explicitly.

``DevCluster`` starts the real control plane and the local kubelet over a state folder
(default ``~/.local/state/karvdash/dev``; its objects survive a restart).
``ExternalCluster`` wraps a kubeconfig the user named explicitly (``karvdash dev
--kubeconfig PATH``, or ``$KARVDASH_TEST_KUBECONFIG`` for the tests): kind, k3d, minikube
or a real cluster. An ambient ``$KUBECONFIG`` is never used by either.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Protocol

import yaml
from kubernetes import client, config

from .build import Progress, _say, ensure_control_plane
from .controlplane import ControlPlane, ControlPlaneError
from .kubeletpki import ensure_kubelet_serving
from .processes import Supervisor

TEST_KUBECONFIG_ENV = "KARVDASH_TEST_KUBECONFIG"
"""Names the cluster the test suite runs against instead of its own dev cluster."""

HOST_IP = "127.0.0.1"
"""The node's address (its InternalIP), where the local kubelet serves its API."""


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "karvdash" / "dev"


class Cluster(Protocol):
    @property
    def kubeconfig(self) -> Path: ...

    def start(self) -> Path: ...

    def stop(self) -> None: ...


def check_kubeconfig(path: Path) -> None:
    """Refuse, with a message a user understands, a file that is not a kubeconfig."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ControlPlaneError(
            f"{path} is not a kubeconfig: it is not readable YAML ({exc})"
        ) from exc
    sections = data if isinstance(data, dict) else {}
    missing = [k for k in ("clusters", "users", "contexts") if not sections.get(k)]
    if missing:
        raise ControlPlaneError(
            f"{path} is not a kubeconfig: it has no {', '.join(missing)} "
            "(expected the YAML file kubectl uses, e.g. from `kind get kubeconfig`)"
        )


class ExternalCluster:
    """A cluster named explicitly by a kubeconfig; Karvdash starts nothing for it."""

    local = False

    def __init__(self, kubeconfig: Path) -> None:
        if not kubeconfig.is_file():
            raise FileNotFoundError(f"kubeconfig {kubeconfig} does not exist")
        self.kubeconfig = kubeconfig

    def start(self) -> Path:
        check_kubeconfig(self.kubeconfig)
        try:
            api = config.new_client_from_config(str(self.kubeconfig))
        except Exception as exc:  # the client raises several kinds for a bad file
            raise ControlPlaneError(f"{self.kubeconfig} is not a usable kubeconfig: {exc}") from exc
        try:
            client.VersionApi(api).get_code()
        except Exception as exc:
            raise ControlPlaneError(
                f"cannot reach the cluster of {self.kubeconfig}: {exc}"
            ) from exc
        finally:
            api.close()
        return self.kubeconfig

    def stop(self) -> None:
        pass


class DevCluster:
    """The real control plane on loopback plus the local kubelet."""

    local = True

    def __init__(
        self,
        state_dir: Path | None = None,
        *,
        pod_cidr: str = "127.0.16.0/20",
        node_name: str = "karvdash-dev",
        progress: Progress = _say,
    ) -> None:
        self.state_dir = state_dir or default_state_dir()
        self.pod_cidr = pod_cidr
        self.node_name = node_name
        self.progress = progress
        self.control_plane: ControlPlane | None = None
        self.supervisor = Supervisor(self.state_dir / "logs")

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "admin.kubeconfig"

    def start(self, timeout: float = 90.0) -> Path:
        binaries = ensure_control_plane(self.progress)
        started = time.monotonic()
        self.control_plane = ControlPlane(self.state_dir, binaries)
        try:
            self.control_plane.start()
            self._start_kubelet()
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.progress(
            f"dev cluster ready in {time.monotonic() - started:.1f} s "
            f"(Kubernetes v1.20.2; kubeconfig {self.kubeconfig})"
        )
        return self.kubeconfig

    def _start_kubelet(self) -> None:
        tls = ensure_kubelet_serving(self.state_dir / "pki", [HOST_IP, self.node_name])
        self.supervisor.start(
            "kubelet",
            [
                sys.executable,
                "-m",
                "karvdash.devcluster.kubeletmain",
                f"--kubeconfig={self.kubeconfig}",
                f"--state-dir={self.state_dir / 'kubelet'}",
                f"--node-name={self.node_name}",
                f"--pod-cidr={self.pod_cidr}",
                f"--host-ip={HOST_IP}",
                f"--tls-cert-file={tls.cert_file}",
                f"--tls-private-key-file={tls.key_file}",
                f"--client-ca-file={tls.ca_file}",
            ],
            env={**_clean_env(), "PYTHONUNBUFFERED": "1"},
        )

    def restart_kubelet(self) -> None:
        """Stop the local kubelet (its processes end, as on a node reboot) and start it."""
        self.supervisor.stop_all()
        self._start_kubelet()

    def _wait_ready(self, timeout: float) -> None:
        api = config.new_client_from_config(str(self.kubeconfig))
        v1 = client.CoreV1Api(api)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                failed = self.supervisor.check()
                if failed is not None:
                    raise ControlPlaneError(f"{failed.name} exited:\n{failed.log_tail()}")
                if self._node_ready(v1) and self._has_default_account(v1):
                    return
                time.sleep(0.2)
        finally:
            api.close()
        raise ControlPlaneError(f"the dev cluster was not ready within {timeout:.0f} s")

    def _node_ready(self, v1: client.CoreV1Api) -> bool:
        try:
            node = v1.read_node(self.node_name)
        except client.ApiException:
            return False
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        tainted = any(
            t.key.startswith("node.kubernetes.io/not-ready") for t in node.spec.taints or []
        )
        return ready and not tainted

    @staticmethod
    def _has_default_account(v1: client.CoreV1Api) -> bool:
        try:
            v1.read_namespaced_service_account("default", "default")
        except client.ApiException:
            return False
        return True

    def alive(self) -> str | None:
        """The name of a program of the cluster that has exited, or None."""
        for supervisor in (self.supervisor, self.control_plane and self.control_plane.supervisor):
            if supervisor:
                failed = supervisor.check()
                if failed is not None:
                    return failed.name
        return None

    def stop(self) -> None:
        self.supervisor.stop_all()
        if self.control_plane is not None:
            self.control_plane.stop()


def _clean_env() -> dict[str, str]:
    """Our environment without KUBECONFIG: children get the cluster explicitly."""
    return {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
