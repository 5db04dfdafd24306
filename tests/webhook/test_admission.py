"""Which reviews the webhook acts on, and what it answers (no HTTP)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from karvdash_webhook.admission import Webhook
from karvdash_webhook.namespaces import StaticNamespaceDirectory
from karvdash_webhook.review import AdmissionRequest, parse_review

from .helpers import NAMESPACE, SLUG, UID, container, decode_patch, make_policy, pod, review

WEBHOOK = Webhook(make_policy(), StaticNamespaceDirectory({NAMESPACE: SLUG}))
PRIVILEGED = pod(container("app", securityContext={"privileged": True}))


def request(doc: dict[str, Any]) -> AdmissionRequest:
    return parse_review(json.dumps(doc))


async def test_pod_created_in_a_user_namespace_is_patched() -> None:
    answer, result = await WEBHOOK.mutate(request(review(pod())))
    assert result == "patched"
    assert answer["response"]["uid"] == UID
    assert answer["response"]["allowed"] is True
    assert len(decode_patch(dict(answer))) == 2


@pytest.mark.parametrize(
    "doc",
    [
        review(pod(), namespace="default"),
        review(pod(), namespace=None),
        review(pod(), operation="UPDATE", old=pod()),
        review(pod(), sub_resource="ephemeralcontainers", operation="UPDATE"),
        review({"metadata": {"name": "x"}}, kind="ConfigMap"),
        review(pod(), kind="Pod", group="example.org"),
        review(None, operation="DELETE", old=pod()),
        review(
            {"spec": {"template": {"spec": {"containers": [{}]}}}}, kind="Deployment", group="apps"
        ),
    ],
    ids=[
        "other-namespace",
        "no-namespace",
        "update",
        "subresource",
        "configmap",
        "other-group",
        "delete",
        "deployment",
    ],
)
async def test_reviews_it_does_not_handle_are_allowed_unchanged(doc: dict[str, Any]) -> None:
    answer, result = await WEBHOOK.mutate(request(doc))
    assert result == "allowed"
    assert answer["response"] == {"uid": UID, "allowed": True}


async def test_bad_pod_is_denied_with_every_reason() -> None:
    bad = pod(container("app", securityContext={"privileged": True}), hostNetwork=True)
    answer, result = await WEBHOOK.validate(request(review(bad)))
    assert result == "denied"
    response = answer["response"]
    assert response["uid"] == UID
    assert response["allowed"] is False
    message = response["status"]["message"]
    assert message.startswith("The pod asks for hostNetwork")
    assert 'Container "app" asks for privileged mode' in message


async def test_good_pod_is_allowed() -> None:
    answer, result = await WEBHOOK.validate(request(review(pod())))
    assert (result, answer["response"]) == ("allowed", {"uid": UID, "allowed": True})


async def test_bad_deployment_is_denied_at_apply_time() -> None:
    deployment = {"spec": {"template": {"spec": PRIVILEGED["spec"]}}}
    doc = review(deployment, kind="Deployment", group="apps")
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"


async def test_bad_cronjob_of_batch_v1beta1_is_denied() -> None:
    cronjob = {"spec": {"jobTemplate": {"spec": {"template": {"spec": PRIVILEGED["spec"]}}}}}
    doc = review(cronjob, kind="CronJob", group="batch", version="v1beta1")
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"


@pytest.mark.parametrize(
    "doc",
    [
        review(PRIVILEGED, namespace="kube-system"),
        review(PRIVILEGED, operation="DELETE"),
        review(PRIVILEGED, operation="UPDATE", sub_resource="status", old=pod()),
        review({"data": {}}, kind="ConfigMap"),
    ],
    ids=["other-namespace", "delete", "status", "configmap"],
)
async def test_validation_leaves_other_reviews_alone(doc: dict[str, Any]) -> None:
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "allowed"


async def test_metadata_only_update_of_an_old_bad_pod_is_allowed() -> None:
    relabelled = json.loads(json.dumps(PRIVILEGED))
    relabelled["metadata"]["labels"] = {"x": "y"}
    doc = review(relabelled, operation="UPDATE", old=PRIVILEGED)
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "allowed"


async def test_update_that_changes_the_spec_is_checked() -> None:
    doc = review(PRIVILEGED, operation="UPDATE", old=pod())
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"


async def test_ephemeral_container_added_through_the_subresource_is_checked() -> None:
    debug = {"name": "debug", "image": "busybox", "securityContext": {"privileged": True}}
    doc = review(
        pod(ephemeralContainers=[debug]),
        operation="UPDATE",
        sub_resource="ephemeralcontainers",
        old=pod(),
    )
    answer, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"
    assert 'Ephemeral container "debug"' in answer["response"]["status"]["message"]


# A namespace named like a user's whose label is missing or names somebody else.
STRIPPED = Webhook(
    make_policy(), StaticNamespaceDirectory({NAMESPACE: SLUG, "karvdash-mallory": SLUG})
)
ROOT = pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}])


@pytest.mark.parametrize(
    "namespace", ["karvdash-bob", "karvdash-mallory"], ids=["no-label", "alice"]
)
async def test_user_namespace_with_an_untrusted_label_gets_no_node_folder(namespace: str) -> None:
    for unlabelled in (False, True):
        doc = review(ROOT, namespace=namespace)
        answer, result = await STRIPPED.validate(request(doc), unlabelled=unlabelled)
        assert result == "denied"
        message = answer["response"]["status"]["message"]
        assert 'Volume "root" mounts the node folder "/"' in message
        assert "the owner of this namespace is unknown" in message
    own = pod(volumes=[{"name": "x", "hostPath": {"path": "/mnt/local/alice"}}])
    _, result = await STRIPPED.validate(request(review(own, namespace=namespace)))
    assert result == "denied"
    _, result = await STRIPPED.validate(request(review(PRIVILEGED, namespace=namespace)))
    assert result == "denied"
    _, result = await STRIPPED.validate(request(review(pod(), namespace=namespace)))
    assert result == "allowed"


async def test_user_namespace_with_an_untrusted_label_gets_no_storage() -> None:
    answer, result = await STRIPPED.mutate(request(review(pod(), namespace="karvdash-mallory")))
    assert (result, answer["response"]) == ("allowed", {"uid": UID, "allowed": True})


async def test_operator_folders_stay_allowed_where_the_owner_is_unknown() -> None:
    webhook = Webhook(make_policy(allowed_host_paths=["/datasets"]), StaticNamespaceDirectory())
    data = pod(volumes=[{"name": "d", "hostPath": {"path": "/datasets/imagenet"}}])
    _, result = await webhook.validate(request(review(data, namespace="karvdash-bob")))
    assert result == "allowed"
    answer, _ = await webhook.validate(request(review(ROOT, namespace="karvdash-bob")))
    assert "pods here may only mount /datasets" in answer["response"]["status"]["message"]


async def test_unlabelled_namespaces_without_the_prefix_are_left_alone() -> None:
    for namespace in ("kube-system", "karvdash", "team-karvdash-x"):
        _, result = await STRIPPED.validate(
            request(review(ROOT, namespace=namespace)), unlabelled=True
        )
        assert result == "allowed", namespace


async def test_the_rightful_owner_keeps_their_folders() -> None:
    own = pod(volumes=[{"name": "x", "hostPath": {"path": "/mnt/local/alice"}}])
    for unlabelled in (False, True):
        _, result = await STRIPPED.validate(request(review(own)), unlabelled=unlabelled)
        assert result == "allowed"
