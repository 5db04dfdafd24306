"""Run the real control plane (etcd, kube-apiserver, controller-manager, scheduler) on loopback.

Everything lives in one state folder, so a stopped cluster starts again with its objects:

    <state>/pki/          CA, API server certificate, service-account key pair, the API
                          server's kubelet client certificate, the kubelet's serving one
    <state>/tokens.csv    the admin's bearer token (group system:masters)
    <state>/admin.kubeconfig
    <state>/cluster.json  ports chosen at first start
    <state>/etcd/         etcd's data
    <state>/logs/         one log per program
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import pki
from .build import ControlPlaneBinaries
from .kubeletpki import ensure_client_certificate
from .processes import Supervisor, free_port, port_is_free

SERVICE_CIDR = "10.96.0.0/16"
API_AUDIENCE = "https://kubernetes.default.svc"
ADMISSION_PLUGINS = ",".join(
    [
        "NamespaceLifecycle",
        "LimitRanger",
        "ServiceAccount",
        "TaintNodesByCondition",
        "Priority",
        "DefaultTolerationSeconds",
        "PersistentVolumeClaimResize",
        "RuntimeClass",
        "MutatingAdmissionWebhook",
        "ValidatingAdmissionWebhook",
        "ResourceQuota",
    ]
)


class ControlPlaneError(RuntimeError):
    """A control-plane program did not come up; the message carries its log's tail."""


@dataclass
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int

    @classmethod
    def load_or_choose(cls, path: Path) -> Ports:
        if path.exists():
            data = json.loads(path.read_text())
            ports = cls(**data)
            if all(port_is_free(p) for p in (ports.etcd_client, ports.etcd_peer, ports.apiserver)):
                return ports
        ports = cls(free_port(), free_port(), free_port())
        path.write_text(json.dumps(ports.__dict__))
        return ports


def write_kubeconfig(
    path: Path, server: str, ca_file: Path, token: str, user: str = "admin"
) -> Path:
    """A kubeconfig with one cluster, one token user and one current context."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "karvdash-dev",
                "cluster": {"server": server, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {"name": "karvdash-dev", "context": {"cluster": "karvdash-dev", "user": user}}
        ],
        "current-context": "karvdash-dev",
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    os.chmod(path, 0o600)
    return path


class ControlPlane:
    """The four control-plane programs over one state folder."""

    def __init__(self, state_dir: Path, binaries: ControlPlaneBinaries) -> None:
        self.state_dir = state_dir
        self.binaries = binaries
        self.pki_dir = state_dir / "pki"
        self.supervisor = Supervisor(state_dir / "logs")
        self.ports: Ports | None = None
        self.kubelet_client: tuple[Path, Path] | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "admin.kubeconfig"

    @property
    def server(self) -> str:
        assert self.ports is not None
        return f"https://127.0.0.1:{self.ports.apiserver}"

    @property
    def ca_file(self) -> Path:
        return self.pki_dir / "ca.crt"

    def _prepare(self) -> str:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.pki_dir.mkdir(exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        files = pki.ensure_certificates(
            self.pki_dir,
            [
                "127.0.0.1",
                "localhost",
                "10.96.0.1",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ],
            "karvdash-dev-ca",
            stem="apiserver",
        )
        pki.ensure_rsa_keypair(self.pki_dir, "sa")
        self.kubelet_client = ensure_client_certificate(self.pki_dir)
        tokens = self.state_dir / "tokens.csv"
        if not tokens.exists():
            token = secrets.token_urlsafe(32)
            tokens.write_text(f'{token},admin,admin-uid,"system:masters"\n')
            os.chmod(tokens, 0o600)
        token = tokens.read_text().split(",", 1)[0]
        self.ports = Ports.load_or_choose(self.state_dir / "cluster.json")
        write_kubeconfig(self.kubeconfig, self.server, files.ca_file, token)
        return token

    def start(self, timeout: float = 60.0) -> None:
        token = self._prepare()
        assert self.ports is not None
        assert self.kubelet_client is not None
        p = self.ports
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.state_dir)}
        etcd = self.supervisor.start(
            "etcd",
            [
                self.binaries.etcd,
                "--name=karvdash-dev",
                f"--data-dir={self.state_dir / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{p.etcd_client}",
                f"--advertise-client-urls=http://127.0.0.1:{p.etcd_client}",
                f"--listen-peer-urls=http://127.0.0.1:{p.etcd_peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{p.etcd_peer}",
                f"--initial-cluster=karvdash-dev=http://127.0.0.1:{p.etcd_peer}",
                "--listen-metrics-urls=",
                "--log-level=warn",
                "--quota-backend-bytes=2147483648",
            ],
            env=env,
        )
        self._wait_http(f"http://127.0.0.1:{p.etcd_client}/health", etcd.name, timeout)
        pk = self.pki_dir
        apiserver = self.supervisor.start(
            "kube-apiserver",
            [
                self.binaries.kube_apiserver,
                "--advertise-address=127.0.0.1",
                "--bind-address=127.0.0.1",
                f"--secure-port={p.apiserver}",
                "--insecure-port=0",
                f"--etcd-servers=http://127.0.0.1:{p.etcd_client}",
                f"--tls-cert-file={pk / 'apiserver.crt'}",
                f"--tls-private-key-file={pk / 'apiserver.key'}",
                f"--client-ca-file={pk / 'ca.crt'}",
                f"--token-auth-file={self.state_dir / 'tokens.csv'}",
                f"--service-account-issuer={API_AUDIENCE}",
                f"--service-account-signing-key-file={pk / 'sa.key'}",
                f"--service-account-key-file={pk / 'sa.pub'}",
                f"--api-audiences={API_AUDIENCE}",
                # pods/log, exec, port-forward: the API server calls the node's kubelet at
                # its InternalIP as kube-apiserver-kubelet-client, and checks its certificate
                f"--kubelet-client-certificate={self.kubelet_client[0]}",
                f"--kubelet-client-key={self.kubelet_client[1]}",
                f"--kubelet-certificate-authority={pk / 'ca.crt'}",
                "--kubelet-preferred-address-types=InternalIP,Hostname",
                "--authorization-mode=RBAC",
                f"--enable-admission-plugins={ADMISSION_PLUGINS}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",
                "--profiling=false",
                "--enable-priority-and-fairness=false",
                "--event-ttl=30m",
                "--v=1",
            ],
            env=env,
            stop_timeout=15,
        )
        self._wait_http(f"{self.server}/readyz", apiserver.name, timeout, token=token)
        kubeconfig = str(self.kubeconfig)
        self.supervisor.start(
            "kube-controller-manager",
            [
                self.binaries.kube_controller_manager,
                f"--kubeconfig={kubeconfig}",
                "--leader-elect=false",
                "--port=0",
                "--secure-port=0",
                f"--service-account-private-key-file={pk / 'sa.key'}",
                f"--root-ca-file={pk / 'ca.crt'}",
                "--use-service-account-credentials=false",
                "--controllers=*,-nodelifecycle,-cloud-node-lifecycle,-nodeipam,-route,-service",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--v=1",
            ],
            env=env,
        )
        self.supervisor.start(
            "kube-scheduler",
            [
                self.binaries.kube_scheduler,
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--leader-elect=false",
                "--port=0",
                f"--secure-port={free_port()}",
                "--bind-address=127.0.0.1",
                "--v=1",
            ],
            env=env,
        )
        time.sleep(0.5)
        failed = self.supervisor.check()
        if failed is not None:
            raise ControlPlaneError(f"{failed.name} exited at start:\n{failed.log_tail()}")

    def _wait_http(self, url: str, name: str, timeout: float, token: str | None = None) -> None:
        ctx = (
            ssl.create_default_context(cafile=str(self.ca_file))
            if url.startswith("https")
            else None
        )
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            failed = self.supervisor.check()
            if failed is not None:
                raise ControlPlaneError(f"{failed.name} exited at start:\n{failed.log_tail()}")
            req = urllib.request.Request(url)  # noqa: S310 - http(s) URLs we built
            if token:
                req.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(req, timeout=2, context=ctx) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.2)
        child = next(c for c in self.supervisor.children if c.name == name)
        raise ControlPlaneError(
            f"{name} did not become ready within {timeout:.0f} s ({last}):\n{child.log_tail()}"
        )

    def stop(self) -> None:
        self.supervisor.stop_all()
