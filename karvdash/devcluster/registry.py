"""The dev registry: Debian's ``docker-registry`` (Docker Distribution 2.8) as a child process.

Everything lives in one state folder: ``config.yml``, ``htpasswd`` (bcrypt), ``pki/``
(a CA from :mod:`karvdash.pki` and the serving certificate for 127.0.0.1), ``storage/``,
``certs/`` (the CA alone, for ``skopeo --cert-dir``), ``logs/registry.log``, and the
password and port, kept so a restarted dev stack serves the same images at the same
address with the same credentials.

It listens with TLS on 127.0.0.1 only and wants a password, as a production registry
does: the hub service (the gateway) is the one client with the credentials; skopeo
trusts it with ``--cert-dir``/``--dest-cert-dir`` pointing at :attr:`DevRegistry.cert_dir`.
Deletion is enabled and there is no blob-descriptor cache, so a blob removed by garbage
collection is never reported as still present.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import bcrypt

from karvdash.pki import ensure_certificates, write_file
from karvdash.registry.gc import GcReport, is_empty_registry, parse_output, storage_usage
from karvdash.settings import ENV_PREFIX

from .processes import Child, Supervisor, free_port, port_is_free

BINARY = "/usr/bin/docker-registry"
HOST = "127.0.0.1"


class RegistryError(RuntimeError):
    """The dev registry did not start, or its garbage collection failed."""


def registry_config(
    *, port: int, storage: Path, htpasswd: Path, cert: Path, key: Path, secret: str
) -> dict[str, object]:
    """The registry's configuration (YAML is a superset of the JSON it is written as)."""
    return {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage)},
            "delete": {"enabled": True},
        },
        "http": {
            "addr": f"{HOST}:{port}",
            "secret": secret,
            "tls": {"certificate": str(cert), "key": str(key)},
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "auth": {"htpasswd": {"realm": "karvdash-dev-registry", "path": str(htpasswd)}},
        "health": {"storagedriver": {"enabled": False}},
    }


class DevRegistry:
    """``DevRegistry(state_dir).start()``; ``.url``, ``.username``, ``.password``, ``.stop()``."""

    username = "karvdash"

    def __init__(self, state_dir: str | os.PathLike[str], binary: str = BINARY) -> None:
        self.state_dir = Path(state_dir)
        self.binary = binary
        self.supervisor = Supervisor(self.state_dir / "logs")
        self.child: Child | None = None
        self.port = 0

    # --- files --------------------------------------------------------------------------

    @property
    def config_file(self) -> Path:
        return self.state_dir / "config.yml"

    @property
    def storage_dir(self) -> Path:
        return self.state_dir / "storage"

    @property
    def cert_dir(self) -> Path:
        """A folder holding only the CA (``ca.crt``), as ``skopeo --cert-dir`` wants."""
        return self.state_dir / "certs"

    @property
    def ca_file(self) -> Path:
        return self.cert_dir / "ca.crt"

    @property
    def password(self) -> str:
        return self._kept("password", lambda: secrets.token_urlsafe(24))

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``, as image references name the registry."""
        return f"{HOST}:{self.port}"

    @property
    def gc_command(self) -> list[str]:
        return [self.binary, "garbage-collect", "--delete-untagged", str(self.config_file)]

    def _kept(self, name: str, make: Callable[[], str]) -> str:
        path = self.state_dir / name
        if not path.is_file():
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_file(path, str(make()).encode(), private=True)
        return path.read_text().strip()

    def _choose_port(self) -> int:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        kept = self.state_dir / "port"
        if kept.is_file():
            previous = int(kept.read_text().strip() or 0)
            if previous and port_is_free(previous, HOST):
                return previous
        port = free_port(HOST)
        write_file(kept, str(port).encode())
        return port

    def _prepare(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.storage_dir.mkdir(exist_ok=True)
        pki = ensure_certificates(
            self.state_dir / "pki", [HOST, "localhost"], "Karvdash dev registry CA", "registry"
        )
        self.cert_dir.mkdir(exist_ok=True)
        write_file(self.ca_file, pki.ca_pem())
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=6)).decode()
        htpasswd = self.state_dir / "htpasswd"
        write_file(htpasswd, f"{self.username}:{hashed}\n".encode(), private=True)
        config = registry_config(
            port=self.port,
            storage=self.storage_dir,
            htpasswd=htpasswd,
            cert=pki.cert_file,
            key=pki.key_file,
            secret=self._kept("http-secret", lambda: secrets.token_hex(16)),
        )
        write_file(self.config_file, json.dumps(config, indent=2).encode(), private=True)

    # --- life cycle ---------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> DevRegistry:
        if self.child is not None and self.child.alive():
            return self
        if not Path(self.binary).exists():
            raise RegistryError(
                f"{self.binary} is missing: install Debian's docker-registry package"
            )
        if not self.port:
            self.port = self._choose_port()
        self._prepare()
        self.child = self.supervisor.start(
            "registry", [self.binary, "serve", self.config_file], stop_timeout=10
        )
        self._wait_ready(timeout)
        return self

    def stop(self) -> None:
        self.supervisor.stop_all()
        self.child = None

    def __enter__(self) -> DevRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self, timeout: float) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        auth = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - our own https URL
            f"{self.url}/v2/", headers={"Authorization": f"Basic {auth}"}
        )
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            assert self.child is not None
            if not self.child.alive():
                raise RegistryError(f"docker-registry exited at start:\n{self.child.log_tail()}")
            try:
                with urllib.request.urlopen(request, timeout=2, context=context) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
                last = str(exc)
            time.sleep(0.1)
        self.stop()
        raise RegistryError(f"docker-registry did not answer within {timeout} s ({last})")

    # --- maintenance --------------------------------------------------------------------

    def garbage_collect(self, timeout: float = 600.0) -> GcReport:
        """Stop the registry, run its collector (``--delete-untagged``), start it again.

        Stopping it is what makes the stop-the-world collector safe: nothing can push
        while it runs. The report counts what was deleted and the bytes freed.
        """
        was_running = self.child is not None and self.child.alive()
        self.stop()
        report = GcReport(bytes_before=storage_usage(self.storage_dir))
        started = time.monotonic()
        try:
            done = subprocess.run(
                self.gc_command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            output = done.stdout + done.stderr
            if done.returncode != 0 and not is_empty_registry(output):
                raise RegistryError(f"garbage collection failed: {output.strip()[-500:]}")
            parse_output(output, report)
            report.bytes_after = storage_usage(self.storage_dir)
            report.seconds = round(time.monotonic() - started, 3)
        finally:
            if was_running:
                self.start()
        return report

    def settings_env(self) -> dict[str, str]:
        """``KARVDASH_REGISTRY_*`` for the hub service, so its gateway uses this registry.

        The collector command is the registry's own: the gateway refuses writes while
        it runs (the registry keeps serving pulls).
        """
        return {
            ENV_PREFIX + "REGISTRY_URL": self.url,
            ENV_PREFIX + "REGISTRY_USERNAME": self.username,
            ENV_PREFIX + "REGISTRY_PASSWORD": self.password,
            ENV_PREFIX + "REGISTRY_CA_FILE": str(self.ca_file),
            ENV_PREFIX + "REGISTRY_GC_COMMAND": json.dumps(self.gc_command),
            ENV_PREFIX + "REGISTRY_STORAGE_DIR": str(self.storage_dir),
        }
