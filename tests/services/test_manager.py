"""Services on the dev cluster: launch, list, name clashes, singletons, failures, logs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes import client

from karvdash.devcluster.cluster import DevCluster
from karvdash.devstack import DevStack
from karvdash.errors import Conflict, InvalidRequest, NotFound
from karvdash.kube import request_json
from karvdash.services import ServiceManager
from karvdash.templates import SERVICE_LABEL, InvalidValue, TemplateStore

from ..templates.samples import DEPLOYMENT, META, SERVICE, template_text
from .helpers import leftovers, wait_for_status, wait_until_gone

pytestmark = pytest.mark.cluster

ATTACK = "hi\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n{}: '\"$NAMESPACE"


async def test_launch_list_and_delete_a_service(
    manager: ServiceManager, user: str, user_namespace: str, aapi_client: Any
) -> None:
    service = await manager.create("hello-kubernetes", {"MESSAGE": "Hello!"}, name="hello")
    assert service.name == "hello"
    assert service.template == "hello-kubernetes"
    assert service.url == f"https://hello-{user}.karvdash.localtest.me/"
    assert service.values == {"MESSAGE": "Hello!", "REPLICAS": 1}
    assert [str(o) for o in service.objects] == [
        "Service/hello",
        "Deployment/hello",
        "Ingress/hello",
    ]
    running = await wait_for_status(manager, "hello", "Running")
    assert len(running.pods) == 1
    listed = await manager.list()
    assert [(s.name, s.status, s.url) for s in listed] == [("hello", "Running", service.url)]
    assert listed[0].created == service.created
    deleted = await manager.delete("hello")
    # the objects the template made; its pods go too, by the manager's own delete or by
    # the garbage collector if that was first (which one is a race): nothing is left
    assert {o.kind for o in deleted} >= {"Service", "Deployment", "Ingress"}
    await wait_until_gone(aapi_client, user_namespace, "hello")
    assert await manager.list() == []


async def test_a_clashing_name_gets_a_short_random_suffix(manager: ServiceManager) -> None:
    first = await manager.create("hello-kubernetes", name="web")
    second = await manager.create("hello-kubernetes", name="web")
    assert first.name == "web"
    assert second.name.startswith("web-")
    assert len(second.name) == len("web-") + 4
    assert second.url is not None
    assert second.url.startswith(f"https://{second.name}-")
    assert sorted(s.name for s in await manager.list()) == sorted([first.name, second.name])


async def test_ten_concurrent_launches_with_one_name_give_ten_services(
    manager: ServiceManager,
) -> None:
    launched = await asyncio.gather(
        *(manager.create("hello-kubernetes", name="same") for _ in range(10))
    )
    names = {s.name for s in launched}
    assert len(names) == 10
    assert "same" in names
    listed = await manager.list()
    assert {s.name for s in listed} == names
    for service in launched:
        assert {o.name for o in service.objects} == {service.name}


async def test_second_singleton_is_refused_with_a_clear_message(
    manager: ServiceManager, aapi_client: Any, user_namespace: str
) -> None:
    await manager.create("filebrowser")
    with pytest.raises(Conflict) as caught:
        await manager.create("filebrowser", name="files2")
    assert "singleton" in caught.value.message
    assert "'files'" in caught.value.message
    assert [s.name for s in await manager.list()] == ["files"]
    assert await leftovers(aapi_client, user_namespace, f"{SERVICE_LABEL}=files2") == []


async def test_concurrent_singleton_launches_leave_exactly_one(
    manager: ServiceManager, aapi_client: Any, user_namespace: str
) -> None:
    results = await asyncio.gather(
        *(manager.create("filebrowser", name=f"files{i}") for i in range(4)),
        return_exceptions=True,
    )
    made = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(made) == 1
    assert all(isinstance(r, Conflict) for r in refused)
    assert [s.name for s in await manager.list()] == [made[0].name]
    for i in range(4):
        if f"files{i}" != made[0].name:
            await wait_until_gone(aapi_client, user_namespace, f"files{i}")


async def test_injection_through_values_stays_a_plain_string(
    manager: ServiceManager, aapi_client: Any, user_namespace: str
) -> None:
    service = await manager.create("hello-kubernetes", {"MESSAGE": ATTACK}, name="inj")
    path = f"/apis/apps/v1/namespaces/{user_namespace}/deployments/inj"
    deployment = await request_json(aapi_client, "GET", path)
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MESSAGE", "value": ATTACK} in env
    secrets = await request_json(aapi_client, "GET", f"/api/v1/namespaces/{user_namespace}/secrets")
    assert "stolen" not in {s["metadata"]["name"] for s in secrets["items"]}
    assert service.values["MESSAGE"] == ATTACK
    assert (await manager.get("inj")).values["MESSAGE"] == ATTACK


async def test_bad_values_are_refused_before_anything_is_created(
    manager: ServiceManager, aapi_client: Any, user_namespace: str
) -> None:
    cases = [
        ({"REPLICAS": 7}, "REPLICAS"),
        ({"HOSTNAME": "evil.example.com"}, "HOSTNAME"),
        ({"COLOR": "red"}, "COLOR"),
    ]
    for values, variable in cases:
        with pytest.raises(InvalidValue) as caught:
            await manager.create("hello-kubernetes", values, name="bad")
        assert caught.value.variable == variable
    with pytest.raises(InvalidValue, match="service name"):
        await manager.create("hello-kubernetes", name="Bad_Name")
    assert await leftovers(aapi_client, user_namespace, SERVICE_LABEL) == []


FAILING = template_text(
    META + "- name: REPLICAS\n  type: integer\n  default: 1\n",
    SERVICE,
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: $NAME\ndata:\n  message: $MESSAGE\n",
    DEPLOYMENT.replace("replicas: 1", "replicas: $REPLICAS"),
)


async def test_a_failing_creation_leaves_nothing_and_says_why(
    manager: ServiceManager, store: TemplateStore, aapi_client: Any, user_namespace: str
) -> None:
    await store.add(FAILING, "failing")
    with pytest.raises(InvalidRequest) as caught:
        await manager.create("failing", {"REPLICAS": -1}, name="broken")
    assert "creating Deployment broken" in caught.value.message
    assert "replicas" in caught.value.message
    assert await leftovers(aapi_client, user_namespace, SERVICE_LABEL) == []
    assert await manager.list() == []
    working = await manager.create("failing", {"REPLICAS": 1}, name="broken")
    assert working.name == "broken"


async def test_unknown_services_and_templates_are_not_found(manager: ServiceManager) -> None:
    with pytest.raises(NotFound, match="no service 'ghost'"):
        await manager.delete("ghost")
    with pytest.raises(NotFound, match="no service"):
        await manager.get("../etc")
    with pytest.raises(NotFound, match="no service"):
        await manager.logs("ghost")
    with pytest.raises(NotFound, match="no template 'ghost'"):
        await manager.create("ghost")


async def test_status_shows_why_a_pod_fails(
    manager: ServiceManager, core: client.CoreV1Api, user_namespace: str
) -> None:
    await manager.create("hello-kubernetes", name="pull")
    pod = (await wait_for_status(manager, "pull", "Running")).pods[0]
    core.delete_namespaced_pod(pod, user_namespace)
    deployment = client.AppsV1Api(core.api_client)
    patch = {
        "spec": {
            "template": {
                "metadata": {"annotations": {"dev.karvdash.io/simulate": "ImagePullBackOff"}}
            }
        }
    }
    deployment.patch_namespaced_deployment("pull", user_namespace, patch)
    failed = await wait_for_status(manager, "pull", "Failed")
    assert failed.reason == "ImagePullBackOff"


async def test_logs_come_from_the_pods_log_api(manager: ServiceManager, cluster: DevStack) -> None:
    await manager.create("hello-kubernetes", name="talk")
    service = await wait_for_status(manager, "talk", "Running")
    key = f"{service.pods[0]}/hello-kubernetes"
    logs = await manager.logs("talk")
    assert list(logs) == [key]
    if isinstance(cluster.cluster, DevCluster):
        # the local kubelet cannot run the image: the container printed nothing
        assert logs == {key: ""}


async def test_an_object_that_clashes_whatever_the_name_is_a_clear_conflict(
    manager: ServiceManager,
    store: TemplateStore,
    core: client.CoreV1Api,
    aapi_client: Any,
    user_namespace: str,
) -> None:
    fixed = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {a: b}\n"
    await store.add(template_text(META, SERVICE, fixed), "fixed")
    core.create_namespaced_config_map(user_namespace, {"metadata": {"name": "settings"}})
    with pytest.raises(Conflict) as caught:
        await manager.create("fixed", name="web")
    assert "creating ConfigMap settings" in caught.value.message
    assert "already exists" in caught.value.message
    assert await leftovers(aapi_client, user_namespace, SERVICE_LABEL) == []
    assert core.read_namespaced_config_map("settings", user_namespace).data is None
