"""Fixtures of the browser tests (Playwright driving Debian's chromium against the dev
stack of the session ``cluster`` fixture: hub, spawner, dev cluster, registry).

``browser`` (session)
    A headless chromium.
``hub_admin`` (session)
    A :class:`~tests.hub.hubclient.HubClient` logged in as the dev stack's first admin
    (approves sign-ups, as the admin does at ``/hub/authorize``).
``new_user`` (module)
    ``new_user(prefix)`` signs a fresh user up in the browser, has the admin approve them
    and returns ``(name, password)``; at the end the users are deleted, their servers
    stopped and their namespaces removed.
``shots`` (session)
    The folder screenshots go to (see tests/browser/lab.py).
``lab_of`` (module)
    ``lab_of(name, password)``: a new browser context (1280x800) logged in as that user
    with JupyterLab loaded; returns ``(page, base_url)``. At the end the contexts are
    closed and those users' servers stopped.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from kubernetes import client
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for

from ..hub.hubclient import HubClient, api, wait_stopped
from . import lab


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: Playwright's sync API runs an event loop in the main thread while it is
    # open, which would break every asyncio test that runs after the browser tests.
    with sync_playwright() as playwright:
        chromium = lab.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lab.screenshot_dir(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture(scope="session")
def hub_admin(cluster: DevStack) -> HubClient:
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    admin = HubClient(cluster.hub.url)
    admin.log_in("admin", cluster.hub.admin_password)
    assert admin.logged_in
    return admin


@pytest.fixture(scope="module")
def new_user(
    cluster: DevStack, browser: Browser, hub_admin: HubClient, core: client.CoreV1Api
) -> Iterator[Callable[[str], tuple[str, str]]]:
    assert cluster.hub is not None
    hub_url = cluster.hub.url
    token = hub_admin.new_token("admin", note="browser tests")
    made: list[str] = []

    def make(prefix: str = "user") -> tuple[str, str]:
        name, password = f"{prefix}{secrets.token_hex(3)}", secrets.token_urlsafe(12)
        made.append(name)
        context = browser.new_context()
        try:
            lab.sign_up(context.new_page(), hub_url, name, password)
        finally:
            context.close()
        approved = hub_admin.session.get(f"{hub_url}/hub/authorize/{quote(name)}", timeout=10)
        approved.raise_for_status()
        return name, password

    yield make
    for name in made:
        model = api(hub_url, token, "GET", f"/users/{quote(name)}")
        if model.status_code == 200:
            if model.json().get("servers"):
                api(hub_url, token, "DELETE", f"/users/{quote(name)}/server")
                wait_stopped(hub_url, token, name)
            api(hub_url, token, "DELETE", f"/users/{quote(name)}")
        try:
            core.delete_namespace(namespace_for(name))
        except client.ApiException as exc:
            if exc.status != 404:
                raise


@pytest.fixture(scope="module")
def lab_of(
    cluster: DevStack, browser: Browser, hub_admin: HubClient
) -> Iterator[Callable[[str, str], tuple[Page, str]]]:
    assert cluster.hub is not None
    hub_url = cluster.hub.url
    contexts: list[BrowserContext] = []
    users: list[str] = []

    def open_lab(name: str, password: str) -> tuple[Page, str]:
        context = browser.new_context(viewport=lab.VIEWPORT, accept_downloads=True)
        contexts.append(context)
        users.append(name)
        page = context.new_page()
        base = lab.log_in_to_lab(page, hub_url, name, password)
        page.reload()
        lab.wait_for_lab(page)
        return page, base

    yield open_lab
    for context in contexts:
        context.close()
    token = hub_admin.new_token("admin", note="browser tests")
    for name in users:  # their servers stop (the admin's too): the next tests start clean
        if api(hub_url, token, "GET", f"/users/{quote(name)}").json().get("servers"):
            api(hub_url, token, "DELETE", f"/users/{quote(name)}/server")
            wait_stopped(hub_url, token, name)
