"""The core works with a user's own account, administrator of their namespace only (as
in their JupyterLab pod), and touches nothing outside it."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes_asyncio import client as aclient
from kubernetes_asyncio import config as aconfig

from karvdash.errors import Forbidden
from karvdash.services import ServiceManager
from karvdash.settings import Karvdash
from karvdash.templates import TemplateStore

from ..helpers import wait_for
from ..templates.samples import SAMPLE
from .helpers import wait_for_status, wait_until_gone

pytestmark = pytest.mark.cluster


def _account_token(core: client.CoreV1Api, namespace: str) -> str:
    """The ``default`` ServiceAccount's token, bound to ``cluster-admin`` in ``namespace``."""
    rbac = client.RbacAuthorizationV1Api(core.api_client)
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "karvdash-user"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
        },
    )
    account = wait_for(
        lambda: (a := core.read_namespaced_service_account("default", namespace)).secrets and a,
        what="the default account's token",
    )
    secret = core.read_namespaced_secret(account.secrets[0].name, namespace)
    return base64.b64decode(secret.data["token"]).decode()


@pytest.fixture
async def user_api(
    kubeconfig: Path, core: client.CoreV1Api, user_namespace: str
) -> AsyncIterator[aclient.ApiClient]:
    admin = aclient.Configuration()
    await aconfig.load_kube_config(config_file=str(kubeconfig), client_configuration=admin)
    configuration = aclient.Configuration(host=admin.host)
    configuration.ssl_ca_cert = admin.ssl_ca_cert
    configuration.api_key = {"BearerToken": _account_token(core, user_namespace)}
    configuration.api_key_prefix = {"BearerToken": "Bearer"}
    api = aclient.ApiClient(configuration)
    yield api
    await api.close()


async def test_the_whole_life_of_a_service_with_the_users_account(
    user_api: Any, settings: Karvdash, user: str, user_namespace: str, namespace: str
) -> None:
    store = TemplateStore(user_api, settings, user_namespace)
    await store.add(SAMPLE, "sample")
    assert "sample" in [t.id for t in await store.list()]
    manager = ServiceManager(user_api, settings, user, user_namespace, templates=store)
    await manager.create("hello-kubernetes", name="mine")
    await wait_for_status(manager, "mine", "Running")
    assert [s.name for s in await manager.list()] == ["mine"]
    assert {o.kind for o in (await manager.get("mine")).objects} >= {"Service", "Deployment"}
    await manager.delete("mine")
    await wait_until_gone(user_api, user_namespace, "mine")
    await store.delete("sample")
    elsewhere = ServiceManager(user_api, settings, user, namespace)
    with pytest.raises(Forbidden, match="forbidden"):
        await elsewhere.list()
    with pytest.raises(Forbidden, match="forbidden"):
        await elsewhere.create("hello-kubernetes")
