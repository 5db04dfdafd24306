"""The hub's pure builders and checks, without any server."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from karvdash.settings import config_from_env, load_settings, settings_env
from karvdash_hub import objects
from karvdash_hub.podcheck import pod_failure


def test_namespace_carries_the_user_label_and_exact_name() -> None:
    ns = objects.make_namespace("karvdash-zo-----1a2b3c4d", "Zoë")
    assert ns["metadata"]["labels"]["karvdash.io/user"] != "Zoë"
    assert ns["metadata"]["annotations"]["karvdash.io/username"] == "Zoë"
    assert ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "karvdash"


def test_role_binding_grants_the_cluster_role_in_its_namespace_only() -> None:
    rb = objects.make_role_binding("karvdash-alice", "edit")
    assert rb["kind"] == "RoleBinding"
    assert rb["metadata"]["namespace"] == "karvdash-alice"
    assert rb["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert rb["subjects"] == [
        {"kind": "ServiceAccount", "name": "default", "namespace": "karvdash-alice"}
    ]


def test_an_existing_binding_to_another_role_does_not_match() -> None:
    wanted = objects.make_role_binding("ns", "cluster-admin")
    other = objects.make_role_binding("ns", "view")
    assert objects.binding_matches(wanted, wanted)
    assert not objects.binding_matches(other, wanted)


def test_quota_spec_compares_as_the_server_stores_it() -> None:
    wanted = objects.make_resource_quota("ns", {"pods": 10, "requests.cpu": "4"})
    stored = {"spec": {"hard": {"pods": "10", "requests.cpu": "4"}, "scopes": None}}
    assert objects.spec_matches(stored, wanted)
    assert not objects.spec_matches({"spec": {"hard": {"pods": "5"}}}, wanted)


def test_missing_labels_lists_only_what_differs() -> None:
    wanted = objects.make_namespace("karvdash-bob", "bob")
    current = {"metadata": {"labels": {"karvdash.io/user": "bob", "team": "x"}}}
    patch = objects.missing_labels(current, wanted)
    assert patch == {
        "labels": {"app.kubernetes.io/managed-by": "karvdash"},
        "annotations": {"karvdash.io/username": "bob"},
    }
    assert objects.missing_labels(wanted, wanted) == {}


def _pod(waiting: str | None = None, phase: str = "Pending") -> dict[str, object]:
    state = {"waiting": {"reason": waiting, "message": "pull failed"}} if waiting else {}
    return {
        "metadata": {"name": "jupyter-x"},
        "status": {
            "phase": phase,
            "containerStatuses": [{"name": "notebook", "image": "img:1", "state": state}],
        },
    }


@pytest.mark.parametrize("reason", ["ErrImagePull", "ImagePullBackOff", "InvalidImageName"])
def test_image_problems_fail_early_naming_the_image(reason: str) -> None:
    message = pod_failure(_pod(reason))
    assert message is not None
    assert "image img:1" in message
    assert reason in message


def test_crash_loop_and_failed_pods_fail_early() -> None:
    assert "keeps crashing" in (pod_failure(_pod("CrashLoopBackOff", "Running")) or "")
    failed = {"metadata": {"name": "p"}, "status": {"phase": "Failed", "reason": "Evicted"}}
    assert "Evicted" in (pod_failure(failed) or "")


def test_a_pod_still_starting_is_not_a_failure() -> None:
    assert pod_failure(_pod("ContainerCreating")) is None
    assert pod_failure(_pod(None)) is None
    assert pod_failure({"metadata": {}, "status": {}}) is None


def test_failed_mount_events_fail_early() -> None:
    event = {"type": "Warning", "reason": "FailedMount", "message": "hostPath type check"}
    assert "FailedMount" in (pod_failure(_pod(None), [event]) or "")
    normal = {"type": "Normal", "reason": "Pulling", "message": "pulling"}
    assert pod_failure(_pod(None), [normal]) is None


def test_settings_handed_to_user_servers_read_back_the_same() -> None:
    settings = load_settings(
        env={},
        overrides={
            "ingress_domain": "example.org",
            "storage_domains": [
                {"name": "data", "mount_path": "/data", "host_path": "/srv/d", "per_user": False}
            ],
            "allow_privileged": True,
        },
    )
    names = ("ingress_domain", "storage_domains", "allow_privileged")
    env = settings_env(settings, names)
    again = load_settings(config=config_from_env(env), env={})
    for name in names:
        assert getattr(again, name) == getattr(settings, name)


def test_settings_env_refuses_unknown_names() -> None:
    with pytest.raises(TraitError, match="not a Karvdash setting"):
        settings_env(load_settings(env={}), ["password"])
