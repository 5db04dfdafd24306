"""The local "container runtime" of the dev kubelet: a pod's container as a local process.

Only JupyterHub single-user server pods run this way (their program, jupyterhub-singleuser,
is installed here; container images cannot run on this machine). The process gets:

* the container's ``command`` + ``args`` (KubeSpawner puts its cmd in ``args``), resolved
  on the PATH of the Python environment Karvdash runs from;
* the container's ``env`` (``value``, ``fieldRef``, ``secretKeyRef``, ``configMapKeyRef``;
  no value means empty), ``KUBERNETES_SERVICE_HOST/PORT`` like every pod, and
  ``JUPYTERHUB_SERVICE_URL`` with the pod's own address instead of ``0.0.0.0`` (the pod's
  address is its own loopback IP here, not a network namespace);
* a root folder ``<state>/pods/<namespace>/<name>/root`` as working directory and HOME, in
  which every volume mount appears at its mount path (``/local`` is ``root/local``):
  hostPath volumes as symlinks to the node folder, emptyDir as folders, configMap and
  secret volumes as files;
* the pod's service-account token (TokenRequest bound to the pod, like a projected token)
  in ``root/var/run/secrets/kubernetes.io/serviceaccount/`` and a kubeconfig using it in
  ``$KUBECONFIG``, so the code in the pod acts with exactly the pod's rights;
* pipes for stdout and stderr, copied into the instance's CRI-format log file
  ``<pod>/logs/<container>/<instance>.log`` (see ``logwriter.py``), where the kubelet's
  ``/containerLogs`` reads them.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from .logrequest import log_file
from .logwriter import ContainerLog, LogCopier, LogLimits, prune
from .processes import die_with_parent

Json = dict[str, Any]


@dataclass
class PodFiles:
    """What the runtime needs from the API server to start a pod's container."""

    token: str | None = None
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> data (base64)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> data


def _safe_join(root: Path, mount_path: str) -> Path:
    parts = [p for p in mount_path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"mount path {mount_path!r} leaves the container")
    return root.joinpath(*parts)


def resolve_env(
    pod: Mapping[str, Any], container: Mapping[str, Any], files: PodFiles, pod_ip: str, host_ip: str
) -> dict[str, str]:
    """The container's environment, as a kubelet resolves it."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    fields = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": pod_ip,
        "status.hostIP": host_ip,
    }
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        name = item.get("name")
        if not name:
            continue
        value = item.get("value")
        source = item.get("valueFrom") or {}
        if value is None and "fieldRef" in source:
            value = fields.get(source["fieldRef"].get("fieldPath", ""), "")
        elif value is None and "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            raw = files.secrets.get(ref.get("name", ""), {}).get(ref.get("key", ""))
            value = base64.b64decode(raw).decode() if raw else ""
        elif value is None and "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            value = files.config_maps.get(ref.get("name", ""), {}).get(ref.get("key", ""), "")
        env[name] = value or ""
    url = env.get("JUPYTERHUB_SERVICE_URL")
    if url:
        parts = urlsplit(url)
        if parts.hostname in ("0.0.0.0", "", None):  # noqa: S104
            netloc = f"{pod_ip}:{parts.port or 8888}"
            env["JUPYTERHUB_SERVICE_URL"] = urlunsplit(parts._replace(netloc=netloc))
    return env


def _write_volume(
    root: Path, pod: Mapping[str, Any], mount: Mapping[str, Any], files: PodFiles
) -> None:
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    volume = volumes.get(mount.get("name"))
    if volume is None:
        return
    target = _safe_join(root, mount.get("mountPath", ""))
    if mount.get("subPath"):
        return  # subPath mounts are not simulated
    target.parent.mkdir(parents=True, exist_ok=True)
    if "hostPath" in volume:
        host = Path(volume["hostPath"].get("path", ""))
        if volume["hostPath"].get("type") in ("DirectoryOrCreate", None, ""):
            host.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        target.symlink_to(host, target_is_directory=True)
    elif "emptyDir" in volume:
        target.mkdir(parents=True, exist_ok=True)
    elif "secret" in volume or "configMap" in volume:
        target.mkdir(parents=True, exist_ok=True)
        if "secret" in volume:
            data = files.secrets.get(volume["secret"].get("secretName", ""), {})
            for key, raw in data.items():
                (target / key).write_bytes(base64.b64decode(raw))
        else:
            for key, text in files.config_maps.get(volume["configMap"].get("name", ""), {}).items():
                (target / key).write_text(text)


def write_service_account(
    root: Path, token: str, ca_file: Path, server: str, namespace: str
) -> Path:
    """Place the pod's token where in-cluster clients look, and a kubeconfig that uses it."""
    sa_dir = root / "var" / "run" / "secrets" / "kubernetes.io" / "serviceaccount"
    sa_dir.mkdir(parents=True, exist_ok=True)
    (sa_dir / "token").write_text(token)
    (sa_dir / "namespace").write_text(namespace)
    shutil.copyfile(ca_file, sa_dir / "ca.crt")
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "cluster",
                "cluster": {"server": server, "certificate-authority": str(sa_dir / "ca.crt")},
            }
        ],
        "users": [{"name": "pod", "user": {"tokenFile": str(sa_dir / "token")}}],
        "contexts": [
            {
                "name": "pod",
                "context": {"cluster": "cluster", "user": "pod", "namespace": namespace},
            }
        ],
        "current-context": "pod",
    }
    path = sa_dir / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig, sort_keys=False))
    os.chmod(path, 0o600)
    return path


def build_argv(container: Mapping[str, Any], pod_ip: str) -> list[str]:
    """command + args; a Jupyter server is bound to the pod's address (and may run as root)."""
    argv = [str(a) for a in (container.get("command") or [])] + [
        str(a) for a in (container.get("args") or [])
    ]
    if not argv:
        argv = ["jupyterhub-singleuser"]
    program = os.path.basename(argv[0])
    if program.startswith(("jupyterhub-singleuser", "jupyter-lab", "jupyter-server")):
        if not any(a.startswith(("--ip", "--ServerApp.ip")) for a in argv):
            argv.append(f"--ip={pod_ip}")
        if os.geteuid() == 0 and not any("allow_root" in a or a == "--allow-root" for a in argv):
            # The image would run as an unprivileged user; here we may be root.
            argv.append("--ServerApp.allow_root=True")
    return argv


def _which(program: str) -> str:
    if "/" in program:
        return program
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(program, path=search)
    if found is None:
        raise FileNotFoundError(f'executable "{program}" not found in the local environment')
    return found


@dataclass
class LocalContainer:
    """A running container process."""

    popen: subprocess.Popen[bytes]
    log: Path
    started_at: str
    copier: LogCopier | None = None

    def exit_code(self) -> int | None:
        return self.popen.poll()

    def stop(self, grace: float) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(max(grace, 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        if self.copier is not None:
            self.copier.join(2)


def start_container(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    pod_dir: Path,
    pod_ip: str,
    host_ip: str,
    files: PodFiles,
    api_server: str,
    ca_file: Path,
    started_at: str,
    instance: int = 0,
    log_limits: LogLimits | None = None,
) -> LocalContainer:
    """Prepare the pod's root folder and start the container's program in it; its output
    goes to the log file of ``instance`` (the container's restart count)."""
    root = pod_dir / "root"
    root.mkdir(parents=True, exist_ok=True)
    for mount in container.get("volumeMounts") or []:
        _write_volume(root, pod, mount, files)
    env = resolve_env(pod, container, files, pod_ip, host_ip)
    base_env = {
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": str(root),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOSTNAME": pod["metadata"]["name"],
        "KUBERNETES_SERVICE_HOST": urlsplit(api_server).hostname or "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(urlsplit(api_server).port or 443),
    }
    if files.token is not None:
        base_env["KUBECONFIG"] = str(
            write_service_account(
                root, files.token, ca_file, api_server, pod["metadata"]["namespace"]
            )
        )
    full_env = {**base_env, **env}
    argv = build_argv(container, pod_ip)
    argv[0] = _which(argv[0])
    workdir = root
    if container.get("workingDir"):
        workdir = _safe_join(root, container["workingDir"])
        workdir.mkdir(parents=True, exist_ok=True)
    path = log_file(pod_dir / "logs", container["name"], instance)
    prune(path.parent, instance)
    log = ContainerLog(path, log_limits or LogLimits())
    try:
        popen = subprocess.Popen(
            argv,
            cwd=workdir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    except BaseException:
        log.close()
        raise
    assert popen.stdout is not None
    assert popen.stderr is not None
    copier = LogCopier(log, {"stdout": popen.stdout, "stderr": popen.stderr})
    return LocalContainer(popen, path, started_at, copier)
