"""Property tests: random and damaged reviews never crash the webhook.

Every answer is either HTTP 200 with an AdmissionReview echoing the uid (and, with a
patch, one that applies to the original object and leaves nothing for a second run),
or HTTP 400 with a JSON message. Never a 500.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import requests
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.mutate import pod_patch
from karvdash_webhook.policy import normalize_path

from .helpers import SLUG, apply, decode_patch, make_policy

POLICY = make_policy()
OVER_HTTP = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PURE = settings(max_examples=400, deadline=None, database=None)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
names = st.sampled_from(
    ["notebook", "app", "data", "karvdash-local", "karvdash-local-2"]
) | st.text(min_size=1, max_size=6)
paths = st.sampled_from(
    [
        "/local",
        "/local/",
        "//remote",
        "/shared",
        "/data",
        "/",
        "/mnt/local/alice",
        "/mnt/local/alice/../bob",
        "/mnt/shared/x",
        "/etc",
        "relative",
    ]
) | st.text(max_size=10)
volumes = st.fixed_dictionaries(
    {"name": names},
    optional={
        "hostPath": st.fixed_dictionaries(
            {"path": paths}, optional={"type": st.sampled_from(["", "DirectoryOrCreate"])}
        ),
        "emptyDir": st.just({}),
    },
)
mounts = st.fixed_dictionaries(
    {"name": names, "mountPath": paths}, optional={"readOnly": st.booleans()}
)
security = st.fixed_dictionaries(
    {},
    optional={
        "privileged": st.booleans(),
        "procMount": st.sampled_from(["Default", "Unmasked"]),
        "capabilities": st.fixed_dictionaries(
            {}, optional={"add": st.lists(st.sampled_from(["CHOWN", "SYS_ADMIN", "cap_kill"]))}
        ),
    },
)
containers = st.fixed_dictionaries(
    {"name": names, "image": st.just("busybox")},
    optional={
        "volumeMounts": st.none() | st.lists(mounts, max_size=4),
        "securityContext": security,
        "ports": st.lists(
            st.fixed_dictionaries(
                {"containerPort": st.integers(1, 65535)}, optional={"hostPort": st.integers(0, 9)}
            ),
            max_size=2,
        ),
    },
)
pod_specs = st.fixed_dictionaries(
    {"containers": st.lists(containers, min_size=1, max_size=3)},
    optional={
        "initContainers": st.none() | st.lists(containers, max_size=2),
        "ephemeralContainers": st.lists(containers, max_size=1),
        "volumes": st.none() | st.lists(volumes, max_size=4),
        "hostNetwork": st.booleans(),
        "hostPID": st.booleans(),
    },
)
annotations = st.dictionaries(
    st.sampled_from(
        ["karvdash.io/no-storage", "team", "container.apparmor.security.beta.kubernetes.io/app"]
    ),
    st.sampled_from(["true", "false", "unconfined", "runtime/default"]),
    max_size=2,
)
pods = st.builds(
    lambda spec, notes: {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": notes},
        "spec": spec,
    },
    pod_specs,
    annotations,
)
KINDS = {
    "Pod": ("", lambda p: p),
    "Deployment": ("apps", lambda p: {"spec": {"template": p}}),
    "CronJob": ("batch", lambda p: {"spec": {"jobTemplate": {"spec": {"template": p}}}}),
    "ConfigMap": ("", lambda p: {"data": {"a": "b"}}),
}


@st.composite
def reviews(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(KINDS)))  # the simplest draw is a Pod
    group, wrap = KINDS[kind]
    request: dict[str, Any] = {
        "uid": draw(st.text(min_size=1, max_size=36)),
        "kind": {"group": group, "version": "v1", "kind": kind},
        "operation": draw(st.sampled_from(["CREATE", "CREATE", "UPDATE", "DELETE"])),
        "object": wrap(draw(pods)),
    }
    namespace = draw(st.sampled_from(["karvdash-alice", "karvdash-alice", "default", None]))
    if namespace is not None:
        request["namespace"] = namespace
    if draw(st.booleans()):
        request["oldObject"] = wrap(draw(pods))
    if draw(st.integers(0, 5)) == 5:  # rarely, and never in the simplest draw
        request["subResource"] = draw(st.sampled_from(["status", "ephemeralcontainers"]))
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        yield from _paths(child, (*prefix, key))


keys = st.sampled_from(["karvdash.io/user", "karvdash.io/username", "team"])
metadata_maps = st.none() | st.dictionaries(keys, st.sampled_from(["alice", "bob"]), max_size=3)
users = st.fixed_dictionaries(
    {},
    optional={
        "username": st.sampled_from(["system:serviceaccount:karvdash-alice:default", "admin"]),
        "groups": st.lists(st.sampled_from(["system:masters", "system:authenticated"])),
    },
)


def _namespace(labels: dict[str, str] | None, notes: dict[str, str] | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "karvdash-alice"}
    if labels is not None:
        metadata["labels"] = labels
    if notes is not None:
        metadata["annotations"] = notes
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


namespaces = st.builds(_namespace, metadata_maps, metadata_maps)


@st.composite
def namespace_reviews(draw: st.DrawFn) -> dict[str, Any]:
    """A review of a Namespace, as the API server sends the namespace guard."""
    operation = draw(st.sampled_from(["UPDATE", "CREATE", "DELETE"]))
    request: dict[str, Any] = {
        "uid": draw(st.text(min_size=1, max_size=36)),
        "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "operation": operation,
        "name": "karvdash-alice",
        "userInfo": draw(users),
        "object": None if operation == "DELETE" else draw(namespaces),
        "oldObject": None if operation == "CREATE" else draw(namespaces),
    }
    if draw(st.integers(0, 3)) == 3:
        request["subResource"] = draw(st.sampled_from(["status", "finalize"]))
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


ENDPOINTS = st.sampled_from(["/mutate", "/validate", "/validate-unlabelled", "/validate-namespace"])
any_reviews = reviews() | namespace_reviews()


@st.composite
def damaged_reviews(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed review with one field deleted or replaced by any JSON value."""
    doc = draw(any_reviews)
    path = draw(st.sampled_from(list(_paths(doc))[1:]))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return doc


def post(http: requests.Session, url: str, body: bytes) -> requests.Response:
    answer = http.post(url, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code in (200, 400), (answer.status_code, answer.text)
    assert answer.headers["Content-Type"] == "application/json"
    return answer


def check_answer(http: requests.Session, base: str, endpoint: str, doc: Any) -> None:
    answer = post(http, base + endpoint, json.dumps(doc).encode())
    payload = answer.json()
    if answer.status_code == 400:
        event("400")
        assert list(payload) == ["message"]
        assert isinstance(payload["message"], str)
        assert payload["message"]
        return
    assert payload["apiVersion"] == "admission.k8s.io/v1"
    assert payload["kind"] == "AdmissionReview"
    request = doc["request"]
    response = payload["response"]
    assert response["uid"] == request["uid"]
    assert isinstance(response["allowed"], bool)
    patch = decode_patch(payload)
    event("200 " + ("allowed" if response["allowed"] else "denied") + (" + patch" if patch else ""))
    if not patch:
        return
    assert endpoint == "/mutate"
    patched = apply(request["object"], patch)
    again = copy.deepcopy(doc)
    again["request"]["object"] = patched
    second = post(http, base + endpoint, json.dumps(again).encode())
    assert second.status_code == 200
    assert decode_patch(second.json()) == []


@OVER_HTTP
@given(doc=any_reviews, endpoint=ENDPOINTS)
def test_well_formed_reviews_are_answered_with_their_uid(
    http: requests.Session, webhook_url: str, doc: dict[str, Any], endpoint: str
) -> None:
    check_answer(http, webhook_url, endpoint, doc)


@OVER_HTTP
@given(pod=pods, uid=st.text(min_size=1, max_size=36))
def test_random_pods_created_by_a_user_get_a_patch_that_applies_once(
    http: requests.Session, webhook_url: str, pod: dict[str, Any], uid: str
) -> None:
    doc = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE",
            "namespace": "karvdash-alice",
            "object": pod,
        },
    }
    check_answer(http, webhook_url, "/mutate", doc)


@OVER_HTTP
@given(doc=damaged_reviews(), endpoint=ENDPOINTS)
def test_damaged_reviews_get_an_answer_or_a_400(
    http: requests.Session, webhook_url: str, doc: dict[str, Any], endpoint: str
) -> None:
    check_answer(http, webhook_url, endpoint, doc)


@OVER_HTTP
@given(doc=json_values, endpoint=ENDPOINTS)
def test_random_json_gets_a_400(
    http: requests.Session, webhook_url: str, doc: Any, endpoint: str
) -> None:
    answer = post(http, webhook_url + endpoint, json.dumps(doc).encode())
    assert answer.status_code == 400
    assert list(answer.json()) == ["message"]


@OVER_HTTP
@given(body=st.binary(max_size=300), endpoint=ENDPOINTS)
def test_random_bytes_get_a_400(
    http: requests.Session, webhook_url: str, body: bytes, endpoint: str
) -> None:
    assert post(http, webhook_url + endpoint, body).status_code == 400


@PURE
@given(pod=pods)
def test_patch_of_any_pod_gives_every_container_every_domain_once(pod: dict[str, Any]) -> None:
    spec = pod["spec"]
    patch = pod_patch(pod, SLUG, POLICY)
    patched = apply(pod, patch)
    assert pod_patch(patched, SLUG, POLICY) == []
    if pod["metadata"]["annotations"].get("karvdash.io/no-storage") == "true":
        assert patch == []
        return
    new_spec = patched["spec"]
    for c in new_spec["containers"] + (new_spec.get("initContainers") or []):
        mounted = [normalize_path(m["mountPath"]) for m in c.get("volumeMounts") or ()]
        for domain in ("/local", "/remote", "/shared"):
            assert domain in mounted
    assert new_spec.get("ephemeralContainers") == spec.get("ephemeralContainers")
    before = [v["name"] for v in spec.get("volumes") or ()]
    after = [v["name"] for v in new_spec.get("volumes") or ()]
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert len(set(added)) == len(added)
    assert not set(added) & set(before)


@PURE
@given(pod=pods, damage=json_values)
def test_patch_of_a_damaged_pod_applies_or_is_malformed(pod: dict[str, Any], damage: Any) -> None:
    messages: list[str] = []
    for path in list(_paths(pod))[1:]:
        broken = copy.deepcopy(pod)
        parent = broken
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = damage
        try:
            patch = pod_patch(broken, SLUG, POLICY)
        except MalformedReview as exc:
            messages.append(exc.message)
            continue
        assert pod_patch(apply(broken, patch), SLUG, POLICY) == []
    assert all(messages)
