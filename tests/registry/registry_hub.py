"""The hub of the registry tests: :mod:`tests.hubproc` running the Karvdash hub service
with the dev registry's settings, an admin ``regadmin`` and a user ``alice``.

Their single-user servers load :mod:`tests.registry.imagesext` (the images routes of the
server extension) instead of the whole ``karvdash_server``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from karvdash.devcluster.registry import DevRegistry

from ..hubproc import TIMEOUT, Hub, start_hub

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN, USER = "regadmin", "alice"
EXTENSIONS = {"karvdash_server": False, "tests.registry.imagesext": True}


def wait_service(hub: Hub, timeout: float = TIMEOUT) -> None:
    """Wait until the registry gateway answers the admin."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if hub.call(ADMIN, "GET", "").status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the Karvdash service did not answer:\n{hub.log_tail()}")


@contextmanager
def start_registry_hub(folder: Path, registry: DevRegistry) -> Iterator[Hub]:
    """The hub in ``folder``, its service on ``registry``, once the gateway answers."""
    with start_hub(
        folder,
        admins=frozenset({ADMIN}),
        user_env={"PYTHONPATH": str(REPO_ROOT)},
        user_server_config={"ServerApp": {"jpserver_extensions": EXTENSIONS}},
        service_env=registry.settings_env(),
    ) as hub:
        for name in (ADMIN, USER):
            hub.add_user(name)
        wait_service(hub)
        yield hub
