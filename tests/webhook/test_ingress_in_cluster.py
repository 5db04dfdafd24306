"""Ingress hosts in user namespaces, as the real kube-apiserver calls the webhook.

The user acts with their own rights (admin of their namespace, as the hub makes them);
the dev stack's webhook has the dev stack's settings, so its ``ingress_domain`` is the
one the template engine uses here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from kubernetes_asyncio import client as aclient

from karvdash.devstack import DevStack
from karvdash.errors import Forbidden
from karvdash.naming import namespace_annotations, namespace_labels, slug_from_namespace
from karvdash.services import ServiceManager
from karvdash.settings import Karvdash, load_settings
from karvdash.templates import ingress_annotations

from ..helpers import wait_until_pods_admitted
from .test_namespace_guard import bind, token_client

HOOK = 'admission webhook "validate.karvdash.io" denied the request'
NGINX = "nginx.ingress.kubernetes.io/"
SNIPPET = NGINX + "configuration-snippet"
OWNER_ONLY = "Services published from a user namespace must open to their owner only"


@pytest.fixture
def domain(cluster: DevStack) -> str:
    return load_settings(env=cluster.env).ingress_domain


@pytest.fixture
def slug(core: client.CoreV1Api, user_namespace: str) -> str:
    found = slug_from_namespace(core.read_namespace(user_namespace).to_dict())
    assert found
    return found


@pytest.fixture
def user(api_client: client.ApiClient, user_namespace: str) -> Iterator[client.NetworkingV1Api]:
    """The user of ``user_namespace`` with their own rights (admin of it)."""
    bind(api_client, user_namespace, "cluster-admin", "default")
    api = token_client(api_client, "default", user_namespace)
    yield client.NetworkingV1Api(api)
    api.close()


@pytest.fixture
def settings(cluster: DevStack) -> Karvdash:
    """The dev stack's settings, which its webhook has too."""
    return load_settings(env=cluster.env)


def ingress(
    name: str,
    *hosts: str | None,
    tls: list[str] | None = None,
    settings: Karvdash | None = None,
) -> dict[str, Any]:
    """An Ingress with one rule per host (``None``: a rule without host); with
    ``settings``, the ingress class and owner-only annotations the template engine gives
    (for the first host)."""
    backend = {"service": {"name": name, "port": {"number": 80}}}
    http = {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}
    rules = [{"http": http} if h is None else {"host": h, "http": http} for h in hosts]
    spec: dict[str, Any] = {"rules": rules}
    if tls is not None:
        spec["tls"] = [{"hosts": tls, "secretName": "karvdash-tls"}]
    metadata: dict[str, Any] = {"name": name}
    if settings is not None:
        first = next(h for h in hosts if h is not None)
        metadata["annotations"] = ingress_annotations(settings, first)
        spec["ingressClassName"] = settings.ingress_class
    return {"metadata": metadata, "spec": spec}


def refusal(call: Any) -> str:
    with pytest.raises(client.ApiException) as denied:
        call()
    assert denied.value.status == 403, denied.value.body
    message = str(json.loads(denied.value.body)["message"])
    assert message.startswith(HOOK), message
    return message


def form(slug: str, domain: str) -> str:
    return f"hosts of the form <name>-{slug}.{domain}"


def test_the_users_own_host_with_the_template_engines_annotations_is_accepted(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    host = f"web-{slug}.{domain}"
    body = ingress("web", host, tls=[host], settings=settings)
    user.create_namespaced_ingress(user_namespace, body)
    found = user.read_namespaced_ingress("web", user_namespace)
    assert [r.host for r in found.spec.rules] == [host]
    assert found.metadata.annotations == ingress_annotations(settings, host)


def test_another_users_host_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str
) -> None:
    victim = f"web-victim.{domain}"
    message = refusal(
        lambda: user.create_namespaced_ingress(user_namespace, ingress("steal", victim))
    )
    assert f'Ingress host "{victim}" (spec.rules[0].host) is refused.' in message
    assert form(slug, domain) in message
    assert user.list_namespaced_ingress(user_namespace).items == []


def test_a_catch_all_rule_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    body = ingress("all", f"web-{slug}.{domain}", None, settings=settings)
    message = refusal(lambda: user.create_namespaced_ingress(user_namespace, body))
    assert "Ingress rule spec.rules[1] has no host, so it would take the requests" in message
    assert form(slug, domain) in message


def test_a_tls_host_of_another_user_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    own, victim = f"web-{slug}.{domain}", f"web-victim.{domain}"
    body = ingress("web", own, tls=[own, victim], settings=settings)
    message = refusal(lambda: user.create_namespaced_ingress(user_namespace, body))
    assert f'TLS host "{victim}" (spec.tls[0].hosts[1]) is refused.' in message


def test_an_update_to_another_users_host_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    own, victim = f"web-{slug}.{domain}", f"web-victim.{domain}"
    user.create_namespaced_ingress(user_namespace, ingress("web", own, settings=settings))
    patch = {"spec": {"rules": ingress("web", victim)["spec"]["rules"]}}
    message = refusal(lambda: user.patch_namespaced_ingress("web", user_namespace, patch))
    assert f'Ingress host "{victim}"' in message
    user.patch_namespaced_ingress("web", user_namespace, {"metadata": {"labels": {"a": "b"}}})
    found = user.read_namespaced_ingress("web", user_namespace)
    assert [r.host for r in found.spec.rules] == [own]


# --- owner-only annotations --------------------------------------------------------------


def test_an_ingress_without_the_owner_only_annotations_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    host = f"web-{slug}.{domain}"
    body = ingress("web", host, tls=[host])
    body["spec"]["ingressClassName"] = settings.ingress_class
    message = refusal(lambda: user.create_namespaced_ingress(user_namespace, body))
    assert (
        f"The annotation {NGINX}auth-url is missing; it must be "
        f'"{settings.ingress_auth_url}?host={host}"' in message
    )
    assert f"The annotation {NGINX}auth-signin is missing" in message
    assert f"The annotation {NGINX}auth-response-headers is missing" in message
    assert OWNER_ONLY in message
    assert "Launch the service through Karvdash" in message
    assert user.list_namespaced_ingress(user_namespace).items == []


def test_an_ingress_with_a_snippet_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    host = f"web-{slug}.{domain}"
    body = ingress("web", host, tls=[host], settings=settings)
    body["metadata"]["annotations"][SNIPPET] = "more_clear_input_headers Authorization;"
    message = refusal(lambda: user.create_namespaced_ingress(user_namespace, body))
    assert f"The annotation {SNIPPET}: " in message
    assert "nginx configuration of its own" in message
    assert user.list_namespaced_ingress(user_namespace).items == []


def test_an_update_that_removes_auth_url_is_refused(
    user: client.NetworkingV1Api, user_namespace: str, slug: str, domain: str, settings: Karvdash
) -> None:
    host = f"web-{slug}.{domain}"
    user.create_namespaced_ingress(user_namespace, ingress("web", host, settings=settings))
    patch = {"metadata": {"annotations": {NGINX + "auth-url": None}}}
    message = refusal(lambda: user.patch_namespaced_ingress("web", user_namespace, patch))
    assert f"The annotation {NGINX}auth-url is missing" in message
    found = user.read_namespaced_ingress("web", user_namespace)
    assert found.metadata.annotations[NGINX + "auth-url"] == (
        f"{settings.ingress_auth_url}?host={host}"
    )


@pytest.mark.parametrize("group", ["networking.k8s.io", "extensions"])
def test_older_ingress_apis_are_checked_too(
    api_client: client.ApiClient, user_namespace: str, domain: str, group: str
) -> None:
    """Kubernetes 1.20 also serves Ingress as v1beta1; the hook sees those requests too."""
    backend = {"serviceName": "web", "servicePort": 80}
    body = {
        "apiVersion": f"{group}/v1beta1",
        "kind": "Ingress",
        "metadata": {"name": "old"},
        "spec": {
            "rules": [{"host": f"web-victim.{domain}", "http": {"paths": [{"backend": backend}]}}]
        },
    }
    path = f"/apis/{group}/v1beta1/namespaces/{user_namespace}/ingresses"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    request = api_client.param_serialize(
        "POST", path, header_params=headers, body=body, auth_settings=["BearerToken"]
    )

    def post() -> None:
        answer = api_client.call_api(*request)
        answer.read()
        api_client.response_deserialize(answer, {"201": "object"})

    message = refusal(post)
    assert f'Ingress host "web-victim.{domain}"' in message
    assert f"The annotation {NGINX}auth-url is missing" in message  # owner-only checked too


def test_ingresses_outside_user_namespaces_are_untouched(
    api_client: client.ApiClient, namespace: str, domain: str
) -> None:
    """Other hosts, a catch-all, no class, no auth annotations and a snippet: not ours."""
    networking = client.NetworkingV1Api(api_client)
    body = ingress("any", f"web-victim.{domain}", None)
    body["metadata"]["annotations"] = {SNIPPET: "return 200;"}
    networking.create_namespaced_ingress(namespace, body)
    found = networking.read_namespaced_ingress("any", namespace)
    assert [r.host for r in found.spec.rules] == [f"web-victim.{domain}", None]
    assert found.metadata.annotations == {SNIPPET: "return 200;"}


async def test_a_system_template_with_an_ingress_launches_through_the_service_manager(
    aapi_client: aclient.ApiClient,
    cluster: DevStack,
    core: client.CoreV1Api,
    user_namespace: str,
    slug: str,
    domain: str,
) -> None:
    settings = load_settings(env=cluster.env)
    manager = ServiceManager(aapi_client, settings, slug, user_namespace)
    service = await manager.create("hello-kubernetes", name="hello")
    assert service.url == f"https://hello-{slug}.{domain}/"
    networking = client.NetworkingV1Api(core.api_client)
    found = networking.read_namespaced_ingress("hello", user_namespace)
    assert [r.host for r in found.spec.rules] == [f"hello-{slug}.{domain}"]
    await manager.delete("hello")


async def test_a_service_manager_with_another_domain_is_refused_and_leaves_nothing(
    aapi_client: aclient.ApiClient,
    cluster: DevStack,
    core: client.CoreV1Api,
    user_namespace: str,
    slug: str,
) -> None:
    """The webhook is on: a template engine out of step with it cannot publish."""
    settings = load_settings(env=cluster.env, overrides={"ingress_domain": "elsewhere.example"})
    manager = ServiceManager(aapi_client, settings, slug, user_namespace)
    with pytest.raises(Forbidden) as refused:
        await manager.create("hello-kubernetes", name="hello")
    assert f'Ingress host "hello-{slug}.elsewhere.example"' in refused.value.message
    assert await manager.list() == []


# --- a host that is also another user's address -----------------------------------------


def make_user(api_client: client.ApiClient, slug: str) -> tuple[str, client.ApiClient]:
    """Namespace ``karvdash-<slug>`` as the hub makes it, and a client with its user's rights."""
    name = f"karvdash-{slug}"
    labels = {**namespace_labels(slug), "karvdash.io/test": "true"}
    metadata = {"name": name, "labels": labels, "annotations": namespace_annotations(slug)}
    core = client.CoreV1Api(api_client)
    core.create_namespace({"metadata": metadata})
    wait_until_pods_admitted(core, name)
    bind(api_client, name, "cluster-admin", "default")
    return name, token_client(api_client, "default", name)


@pytest.fixture
def lee_and_ann_lee(
    api_client: client.ApiClient,
) -> Iterator[dict[str, tuple[str, str, client.NetworkingV1Api]]]:
    """Users ``lee<hex>`` and ``ann-lee<hex>``: slug, namespace and API as that user."""
    suffix = secrets.token_hex(3)
    users: dict[str, tuple[str, str, client.NetworkingV1Api]] = {}
    clients = []
    try:
        for who in ("ann-lee", "lee"):  # ann-lee first: the webhook has seen it before lee acts
            slug = f"{who}{suffix}"
            name, api = make_user(api_client, slug)
            clients.append(api)
            users[who] = (slug, name, client.NetworkingV1Api(api))
        yield users
    finally:
        for api in clients:
            api.close()
        for who in ("lee", "ann-lee"):
            try:
                client.CoreV1Api(api_client).delete_namespace(f"karvdash-{who}{suffix}")
            except client.ApiException as exc:
                if exc.status != 404:
                    raise


def test_a_host_that_is_also_another_users_address_goes_to_the_longer_slug_only(
    lee_and_ann_lee: dict[str, tuple[str, str, client.NetworkingV1Api]],
    domain: str,
    settings: Karvdash,
) -> None:
    lee, lee_namespace, lee_api = lee_and_ann_lee["lee"]
    ann_lee, ann_lee_namespace, ann_lee_api = lee_and_ann_lee["ann-lee"]
    host = f"web-{ann_lee}.{domain}"
    assert host == f"web-ann-{lee}.{domain}"  # lee's service web-ann, ann-lee's service web

    body = ingress("web-ann", host, tls=[host], settings=settings)
    message = refusal(lambda: lee_api.create_namespaced_ingress(lee_namespace, body))
    assert f'Ingress host "{host}" (spec.rules[0].host) is ambiguous' in message
    assert f'service "web" of user "{ann_lee}"' in message
    assert 'Choose another service name, one that does not end in "-ann"' in message
    assert lee_api.list_namespaced_ingress(lee_namespace).items == []

    body = ingress("web", host, tls=[host], settings=settings)
    ann_lee_api.create_namespaced_ingress(ann_lee_namespace, body)
    found = ann_lee_api.read_namespaced_ingress("web", ann_lee_namespace)
    assert [r.host for r in found.spec.rules] == [host]

    other = f"web-bob-{lee}.{domain}"  # bob-lee<hex> is nobody
    body = ingress("web-bob", other, tls=[other], settings=settings)
    lee_api.create_namespaced_ingress(lee_namespace, body)
    found = lee_api.read_namespaced_ingress("web-bob", lee_namespace)
    assert [r.host for r in found.spec.rules] == [other]
