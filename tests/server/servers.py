"""Real Jupyter servers for the REST API tests, each a subprocess as a user runs it.

:func:`start_jupyter_server` runs ``jupyter server`` with its own token and config
folder, so nothing of the developer's own Jupyter configuration is read; the Karvdash
extension is enabled only by what ``pip install`` put in ``<prefix>/etc/jupyter``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from karvdash.devcluster.processes import Child, free_port

from .openapi import check_answer

START_TIMEOUT = 60.0


@dataclass
class Server:
    """A running server: its URL (ending in ``/``), token and log file."""

    url: str
    token: str
    log: Path
    proc: subprocess.Popen[bytes]

    def api(self, path: str) -> str:
        return f"{self.url}karvdash/api/{path.lstrip('/')}"

    def call(
        self, method: str, path: str, token: str | None = "", **kwargs: Any
    ) -> requests.Response:
        """One API request; ``token=""`` uses the server's token, ``None`` sends none.

        Every answer is checked against docs/openapi.yaml."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"token {token or self.token}"
        answer = requests.request(
            method, self.api(path), headers=headers, timeout=60, allow_redirects=False, **kwargs
        )
        check_answer(method, "/" + path.split("?")[0].strip("/"), answer)
        return answer

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"jupyter server exited:\n{server.log_text()}")
        try:
            answer = requests.get(
                f"{server.url}api/status",
                headers={"Authorization": f"token {server.token}"},
                timeout=5,
            )
            if answer.status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"jupyter server did not come up:\n{server.log_text()}")


@contextmanager
def start_jupyter_server(
    folder: Path,
    env: Mapping[str, str],
    base_url: str = "/",
    args: tuple[str, ...] = (),
) -> Iterator[Server]:
    """Run ``jupyter server`` in ``folder`` with ``env`` added; stop it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("config", "runtime", "root"):
        (folder / sub).mkdir(exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KARVDASH_", "JUPYTER"))},
        "JUPYTER_CONFIG_DIR": str(folder / "config"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        **env,
    }
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.base_url={base_url}",
                f"--ServerApp.root_dir={folder / 'root'}",
                f"--IdentityProvider.token={token}",
                *args,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(folder),
        )
    server = Server(f"http://127.0.0.1:{port}{base_url}", token, log, proc)
    try:
        _wait_ready(server)
        yield server
    finally:
        Child("jupyter server", proc, log, stop_timeout=20).stop()
