"""Fixtures of the CLI tests.

``cli_user`` (module)
    A fresh user on the dev cluster: ``(user, namespace, kubeconfig)``, the kubeconfig
    holding the namespace's service account token as a notebook pod's does.
``karvdash`` (function)
    Runs the installed ``karvdash`` command as that user (``KARVDASH_USER`` and
    ``KUBECONFIG`` set, as in a notebook pod's terminal); returns the finished process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client

from ..server.accounts import user_kubeconfig, user_namespace

KARVDASH = str(Path(sys.executable).parent / "karvdash")
Run = Callable[..., subprocess.CompletedProcess[str]]


def run_karvdash(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KARVDASH_", "KUBECONFIG"))}
    return subprocess.run(
        [KARVDASH, *args],
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_user(
    tmp_path_factory: pytest.TempPathFactory,
    core: client.CoreV1Api,
    api_client: client.ApiClient,
    kubeconfig: Path,
) -> Iterator[tuple[str, str, Path]]:
    for user, namespace in user_namespace(core, api_client, prefix="cli"):
        path = tmp_path_factory.mktemp("cli") / "kubeconfig"
        yield user, namespace, user_kubeconfig(core, kubeconfig, namespace, path)


@pytest.fixture
def karvdash(cli_user: tuple[str, str, Path]) -> Run:
    user, _, config = cli_user

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_karvdash(
            *args, env={"KARVDASH_USER": user, "KUBECONFIG": str(config)}, stdin=stdin
        )

    return run
