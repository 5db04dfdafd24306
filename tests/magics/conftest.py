"""Fixtures of the magics tests.

``shell`` (module)
    A real IPython ``InteractiveShell`` (history in a temporary folder) with
    ``%load_ext karvdash`` done, acting as user ``alice`` with no cluster.
``cluster_user`` (module)
    A fresh Karvdash user on the dev cluster: ``(user, namespace, kubeconfig)``, the
    kubeconfig holding the namespace's service account token as a notebook pod's does.
``user_env`` (function)
    The environment of that user's notebook: ``KARVDASH_USER`` and ``KUBECONFIG``.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from kubernetes import client

from ..server.accounts import user_kubeconfig, user_namespace


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InteractiveShell]:
    saved = {k: os.environ.get(k) for k in ("IPYTHONDIR", "KARVDASH_USER")}
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))
    os.environ["KARVDASH_USER"] = "alice"
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "karvdash")
    yield shell
    # close the history now: at interpreter exit its database is no longer writable
    shell.atexit_operations()
    atexit.unregister(shell.atexit_operations)
    InteractiveShell.clear_instance()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def cluster_user(
    tmp_path_factory: pytest.TempPathFactory,
    core: client.CoreV1Api,
    api_client: client.ApiClient,
    kubeconfig: Path,
) -> Iterator[tuple[str, str, Path]]:
    for user, namespace in user_namespace(core, api_client, prefix="nb"):
        path = tmp_path_factory.mktemp("notebook") / "kubeconfig"
        yield user, namespace, user_kubeconfig(core, kubeconfig, namespace, path)


@pytest.fixture
def user_env(
    monkeypatch: pytest.MonkeyPatch, cluster_user: tuple[str, str, Path]
) -> tuple[str, str]:
    user, namespace, config = cluster_user
    monkeypatch.setenv("KARVDASH_USER", user)
    monkeypatch.setenv("KUBECONFIG", str(config))
    return user, namespace
