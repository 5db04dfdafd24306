"""Fixtures of the service tests (on the dev cluster).

``settings``
    The dev stack's settings (its storage domains).
``user``
    The user owning ``user_namespace``.
``manager`` / ``store``
    A :class:`ServiceManager` / :class:`TemplateStore` for that user, acting with the
    cluster's admin client (the RBAC of a user's own account is tested by the hub).
"""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client as aclient

from karvdash.devstack import DevStack
from karvdash.services import ServiceManager
from karvdash.settings import Karvdash, load_settings
from karvdash.templates import TemplateStore


@pytest.fixture
def settings(cluster: DevStack) -> Karvdash:
    return load_settings(env=cluster.env)


@pytest.fixture
def user(user_namespace: str) -> str:
    return user_namespace.removeprefix("karvdash-")


@pytest.fixture
def store(aapi_client: aclient.ApiClient, settings: Karvdash, user_namespace: str) -> TemplateStore:
    return TemplateStore(aapi_client, settings, user_namespace)


@pytest.fixture
def manager(
    aapi_client: aclient.ApiClient,
    settings: Karvdash,
    user: str,
    user_namespace: str,
    store: TemplateStore,
) -> ServiceManager:
    return ServiceManager(aapi_client, settings, user, user_namespace, templates=store)
