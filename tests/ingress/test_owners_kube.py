"""The owners followed in a real cluster (the dev cluster's API server, list + watch).

Hosts are under the dev stack's ``ingress_domain``: its admission webhook refuses, in user
namespaces, Ingresses for hosts that are not the user's (tests/webhook).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from kubernetes import client as kclient
from kubernetes_asyncio import client as aclient

from karvdash.naming import namespace_annotations, namespace_labels
from karvdash.settings import load_settings
from karvdash.templates import ingress_annotations
from karvdash_hub.service.ingress_authority import IngressAuthority
from karvdash_hub.service.ingress_cookie import Signer
from karvdash_hub.service.ingress_watch import KubernetesOwners

from .conftest import DOMAIN


def owner_only(host: str) -> dict[str, str]:
    """The annotations the template engine gives an Ingress for ``host`` (the webhook
    admits no Ingress in a user namespace without them)."""
    return ingress_annotations(load_settings(), host)


def ingress(name: str, host: str, *, labelled: bool = True) -> dict[str, Any]:
    labels = {"karvdash.io/service": name} if labelled else {}
    backend = {"service": {"name": name, "port": {"number": 80}}}
    path = {"path": "/", "pathType": "Prefix", "backend": backend}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "labels": labels, "annotations": owner_only(host)},
        "spec": {
            "ingressClassName": load_settings().ingress_class,
            "rules": [{"host": host, "http": {"paths": [path]}}],
        },
    }


async def eventually(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def owners(aapi_client: aclient.ApiClient) -> AsyncIterator[KubernetesOwners]:
    followed = KubernetesOwners(aapi_client, DOMAIN)
    await followed.start()
    assert await followed.wait_ready(30)
    yield followed
    await followed.stop()


async def test_a_services_host_is_known_while_its_ingress_exists(
    owners: KubernetesOwners, api_client: kclient.ApiClient, user_namespace: str
) -> None:
    user = user_namespace.removeprefix("karvdash-")
    networking = kclient.NetworkingV1Api(api_client)
    host = f"web-{user}.{DOMAIN}"
    networking.create_namespaced_ingress(user_namespace, ingress("web", host))
    await eventually(lambda: owners.owner(host) == user, f"{host} to be {user}'s")
    networking.patch_namespaced_ingress(
        "web",
        user_namespace,
        {
            "metadata": {"annotations": owner_only(f"www-{user}.{DOMAIN}")},
            "spec": {"rules": [{"host": f"www-{user}.{DOMAIN}"}]},
        },
    )
    await eventually(lambda: owners.owner(f"www-{user}.{DOMAIN}") == user, "the new host")
    assert owners.owner(host) is None
    networking.delete_namespaced_ingress("web", user_namespace)
    await eventually(lambda: owners.owner(f"www-{user}.{DOMAIN}") is None, "the host to go")


@pytest.fixture
def late_user_namespace(core: kclient.CoreV1Api) -> Iterator[str]:
    """A namespace named like a user's that gets its label only later (by an administrator),
    as one that held Ingresses before the webhook checked their hosts."""
    name = f"karvdash-late{secrets.token_hex(3)}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


async def test_hosts_of_other_users_are_nobodys_and_unlabelled_ingresses_count(
    owners: KubernetesOwners,
    api_client: kclient.ApiClient,
    core: kclient.CoreV1Api,
    late_user_namespace: str,
) -> None:
    """The webhook refuses Ingresses for other users' hosts now; ones made before it still
    own nothing. An Ingress without Karvdash's label is the user's like any other: nginx
    routes by host whoever made it."""
    user = late_user_namespace.removeprefix("karvdash-")
    networking = kclient.NetworkingV1Api(api_client)
    victim = f"web-victim{secrets.token_hex(2)}.{DOMAIN}"
    networking.create_namespaced_ingress(late_user_namespace, ingress("steal", victim))
    networking.create_namespaced_ingress(
        late_user_namespace, ingress("plain", f"plain-{user}.{DOMAIN}", labelled=False)
    )
    networking.create_namespaced_ingress(
        late_user_namespace, ingress("web", f"web-{user}.{DOMAIN}")
    )
    metadata = {"labels": namespace_labels(user), "annotations": namespace_annotations(user)}
    core.patch_namespace(late_user_namespace, {"metadata": metadata})
    await eventually(lambda: owners.owner(f"web-{user}.{DOMAIN}") == user, "the real service")
    assert owners.owner(victim) is None
    await eventually(lambda: owners.owner(f"plain-{user}.{DOMAIN}") == user, "the plain one")


async def test_a_host_an_unlabelled_ingress_of_another_namespace_claims_is_nobodys(
    owners: KubernetesOwners,
    api_client: kclient.ApiClient,
    user_namespace: str,
    late_user_namespace: str,
) -> None:
    """Ingress-nginx may route the host to the squatter's older Ingress: the owner's
    check must not say yes there (lee's unlabelled web-ann-lee before ann-lee signed up)."""
    user = user_namespace.removeprefix("karvdash-")
    networking = kclient.NetworkingV1Api(api_client)
    host = f"web-{user}.{DOMAIN}"
    networking.create_namespaced_ingress(
        late_user_namespace, ingress("squat", host, labelled=False)
    )
    networking.create_namespaced_ingress(user_namespace, ingress("web", host))
    other = f"files-{user}.{DOMAIN}"
    networking.create_namespaced_ingress(user_namespace, ingress("files", other))
    await eventually(lambda: owners.owner(other) == user, "the user's other service")
    assert owners.owner(host) is None
    networking.delete_namespaced_ingress("squat", late_user_namespace)
    await eventually(lambda: owners.owner(host) == user, "the host once the squatter is gone")


async def test_ingresses_of_a_namespace_that_is_no_users_own_nothing(
    owners: KubernetesOwners, api_client: kclient.ApiClient, namespace: str
) -> None:
    networking = kclient.NetworkingV1Api(api_client)
    host = f"web-{namespace}.{DOMAIN}"
    networking.create_namespaced_ingress(namespace, ingress("web", host))
    networking.create_namespaced_ingress(namespace, ingress("probe", f"probe-x.{DOMAIN}"))
    await asyncio.sleep(1.0)  # long enough for the watch to have delivered both
    assert owners.owner(host) is None
    assert owners.owner(f"probe-x.{DOMAIN}") is None


async def test_without_the_right_to_list_every_request_is_told_to_wait(
    aapi_client: aclient.ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A hub without the list/watch rule: no decision is made up, the log says why."""
    configuration = copy.copy(aapi_client.configuration)
    configuration.api_key = {"authorization": "Bearer not-a-token"}
    stranger = aclient.ApiClient(configuration)
    followed = KubernetesOwners(stranger, DOMAIN, owns_client=True, max_backoff=0.2)
    authority = IngressAuthority(followed, Signer(b"s" * 32), domain=DOMAIN, ready_timeout=1.0)
    await followed.start()
    try:
        with caplog.at_level(logging.WARNING, logger="karvdash_hub.service"):
            first = await authority.decide(f"https://web-alice.{DOMAIN}/", "", "", no_tokens)
            started = asyncio.get_running_loop().time()
            second = await authority.decide(f"https://web-alice.{DOMAIN}/", "", "", no_tokens)
            waited = asyncio.get_running_loop().time() - started
        assert (first.status, second.status) == (503, 503)
        assert waited < 0.5  # only the first request waits
        assert 'cannot list resource "ingresses"' in caplog.text
    finally:
        await followed.stop()


async def no_tokens(token: str) -> None:
    raise AssertionError("no token was sent")
