"""The JSON Patch adding storage domains to a pod (pure)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.mutate import pod_patch

from .helpers import DOMAIN_MOUNTS, SLUG, apply, container, domain_volumes, make_policy, pod

POLICY = make_policy()


def mutated(obj: dict[str, Any], slug: str = SLUG, **settings: Any) -> dict[str, Any]:
    """``obj`` after the webhook's patch; checks the patch leaves nothing for a second run."""
    policy = make_policy(**settings) if settings else POLICY
    result = apply(obj, pod_patch(obj, slug, policy))
    assert pod_patch(result, slug, policy) == []
    return result


def test_every_container_and_init_container_gets_every_domain() -> None:
    original = pod(container("a"), container("b"), initContainers=[container("init")])
    expected = copy.deepcopy(original)
    expected["spec"]["volumes"] = domain_volumes()
    for c in [*expected["spec"]["containers"], *expected["spec"]["initContainers"]]:
        c["volumeMounts"] = DOMAIN_MOUNTS
    assert mutated(original) == expected


def test_patch_adds_whole_lists_where_keys_are_absent() -> None:
    patch = pod_patch(pod(), SLUG, POLICY)
    assert [op["path"] for op in patch] == ["/spec/volumes", "/spec/containers/0/volumeMounts"]
    assert all(op["op"] == "add" for op in patch)


def test_patch_appends_to_existing_lists() -> None:
    own_volume = {"name": "scratch", "emptyDir": {}}
    own_mount = {"name": "scratch", "mountPath": "/scratch"}
    original = pod(container(volumeMounts=[own_mount]), volumes=[own_volume])
    patch = pod_patch(original, SLUG, POLICY)
    assert {op["path"] for op in patch} == {"/spec/volumes/-", "/spec/containers/0/volumeMounts/-"}
    result = mutated(original)
    assert result["spec"]["volumes"] == [own_volume, *domain_volumes()]
    assert result["spec"]["containers"][0]["volumeMounts"] == [own_mount, *DOMAIN_MOUNTS]


def test_null_lists_are_replaced() -> None:
    original = pod(container(volumeMounts=None), volumes=None)
    result = mutated(original)
    assert result["spec"]["volumes"] == domain_volumes()
    assert result["spec"]["containers"][0]["volumeMounts"] == DOMAIN_MOUNTS


def test_second_invocation_adds_nothing() -> None:
    once = apply(pod(), pod_patch(pod(), SLUG, POLICY))
    assert pod_patch(once, SLUG, POLICY) == []


def test_container_added_after_first_invocation_gets_the_mounts_only() -> None:
    once = apply(pod(), pod_patch(pod(), SLUG, POLICY))
    once["spec"]["containers"].append(container("sidecar"))
    patch = pod_patch(once, SLUG, POLICY)
    assert patch == [
        {"op": "add", "path": "/spec/containers/1/volumeMounts", "value": DOMAIN_MOUNTS}
    ]


@pytest.mark.parametrize("mount_path", ["/local", "/local/", "//local", "/local/."])
def test_container_mounting_its_own_volume_at_a_domain_path_keeps_it(mount_path: str) -> None:
    own = {"name": "mine", "mountPath": mount_path}
    original = pod(container(volumeMounts=[own]), volumes=[{"name": "mine", "emptyDir": {}}])
    mounts = mutated(original)["spec"]["containers"][0]["volumeMounts"]
    assert mounts == [own, *DOMAIN_MOUNTS[1:]]


def test_volume_is_not_added_when_no_container_needs_it() -> None:
    own = [{"name": "mine", "mountPath": "/local"}]
    original = pod(container(volumeMounts=own), volumes=[{"name": "mine", "emptyDir": {}}])
    names = [v["name"] for v in mutated(original)["spec"]["volumes"]]
    assert names == ["mine", "karvdash-remote", "karvdash-shared"]


def test_volume_names_never_clash_with_the_pods_own() -> None:
    theirs = [
        {"name": "karvdash-local", "emptyDir": {}},
        {"name": "karvdash-local-2", "configMap": {"name": "x"}},
    ]
    result = mutated(pod(volumes=theirs))
    volumes = result["spec"]["volumes"]
    assert volumes[:2] == theirs
    assert volumes[2]["name"] == "karvdash-local-3"
    assert volumes[2]["hostPath"]["path"] == "/mnt/local/alice"
    assert result["spec"]["containers"][0]["volumeMounts"][0] == {
        "name": "karvdash-local-3",
        "mountPath": "/local",
    }
    assert len({v["name"] for v in volumes}) == len(volumes)


def test_pod_volume_already_at_the_domain_folder_is_reused() -> None:
    theirs = {"name": "data", "hostPath": {"path": "/mnt/local/alice/"}}
    result = mutated(pod(volumes=[theirs]))
    assert [v["name"] for v in result["spec"]["volumes"]] == [
        "data",
        "karvdash-remote",
        "karvdash-shared",
    ]
    assert result["spec"]["containers"][0]["volumeMounts"][0] == {
        "name": "data",
        "mountPath": "/local",
    }


def test_shared_domains_use_the_same_folder_for_everybody() -> None:
    bob = mutated(pod(), slug="bob")
    paths = [v["hostPath"]["path"] for v in bob["spec"]["volumes"]]
    assert paths == ["/mnt/local/bob", "/mnt/remote/bob", "/mnt/shared"]


def test_read_only_domains_are_mounted_read_only() -> None:
    domains = [
        {
            "name": "datasets",
            "mount_path": "/datasets",
            "host_path": "/srv/data",
            "per_user": False,
            "read_only": True,
        },
    ]
    result = mutated(pod(), storage_domains=domains)
    assert result["spec"]["volumes"] == [
        {
            "name": "karvdash-datasets",
            "hostPath": {"path": "/srv/data", "type": "DirectoryOrCreate"},
        }
    ]
    assert result["spec"]["containers"][0]["volumeMounts"] == [
        {"name": "karvdash-datasets", "mountPath": "/datasets", "readOnly": True}
    ]


def test_opt_out_annotation_leaves_the_pod_alone() -> None:
    opted_out = pod(annotations={"karvdash.io/no-storage": "true"})
    assert pod_patch(opted_out, SLUG, POLICY) == []


@pytest.mark.parametrize("value", ["false", "yes", "", "True"])
def test_opt_out_needs_exactly_true(value: str) -> None:
    assert pod_patch(pod(annotations={"karvdash.io/no-storage": value}), SLUG, POLICY) != []


def test_opt_out_annotation_name_comes_from_the_settings() -> None:
    policy = make_policy(storage_opt_out_annotation="example.org/bare")
    assert pod_patch(pod(annotations={"example.org/bare": "true"}), SLUG, policy) == []


def test_ephemeral_containers_are_left_alone() -> None:
    debug = {"name": "debug", "image": "busybox"}
    result = mutated(pod(ephemeralContainers=[debug]))
    assert result["spec"]["ephemeralContainers"] == [debug]


def test_pods_without_containers_or_spec_get_no_patch() -> None:
    assert pod_patch({"metadata": {}}, SLUG, POLICY) == []
    assert pod_patch({"spec": {"containers": []}}, SLUG, POLICY) == []


def test_no_domains_configured_means_no_patch() -> None:
    assert pod_patch(pod(), SLUG, make_policy(storage_domains=[])) == []


def test_original_pod_is_not_modified() -> None:
    original = pod(container(volumeMounts=[]), volumes=[])
    snapshot = copy.deepcopy(original)
    pod_patch(original, SLUG, POLICY)
    assert original == snapshot


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("spec", "the pod's spec must be an object"),
        ({"containers": {"name": "a"}}, r"pod spec.containers must be a list"),
        ({"containers": ["a"]}, r"pod spec.containers\[0\] must be an object"),
        ({"containers": [{"volumeMounts": "x"}]}, r"volumeMounts must be a list"),
        ({"containers": [{}], "volumes": {}}, r"pod spec.volumes must be a list"),
        ({"containers": [{}], "volumes": [3]}, r"pod spec.volumes\[0\] must be an object"),
    ],
)
def test_mistyped_pods_are_malformed(spec: Any, says: str) -> None:
    with pytest.raises(MalformedReview, match=says):
        pod_patch({"spec": spec}, SLUG, POLICY)
