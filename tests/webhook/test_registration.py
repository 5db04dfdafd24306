"""The webhook configurations (pure builders)."""

from __future__ import annotations

import base64
from typing import Any

from karvdash_webhook.registration import webhook_configurations

CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
LABELLED = {"matchExpressions": [{"key": "karvdash.io/user", "operator": "Exists"}]}


def hooks() -> dict[str, dict[str, Any]]:
    mutating, validating = webhook_configurations(CA)
    return {h["name"]: h for h in mutating["webhooks"] + validating["webhooks"]}


def test_both_configurations_are_named_karvdash_and_every_hook_is_side_effect_free() -> None:
    for config in webhook_configurations(CA):
        assert config["apiVersion"] == "admissionregistration.k8s.io/v1"
        assert config["metadata"]["name"] == "karvdash"
    assert set(hooks()) == {
        "mutate.karvdash.io",
        "validate.karvdash.io",
        "validate-unlabelled.karvdash.io",
        "validate-namespace.karvdash.io",
    }
    for hook in hooks().values():
        assert hook["sideEffects"] == "None"
        assert hook["timeoutSeconds"] == 5
        assert hook["admissionReviewVersions"] == ["v1"]
        assert base64.b64decode(hook["clientConfig"]["caBundle"]) == CA


def test_pod_hooks_of_user_namespaces_select_the_label_and_fail_closed() -> None:
    for name in ("mutate.karvdash.io", "validate.karvdash.io"):
        hook = hooks()[name]
        assert hook["namespaceSelector"] == LABELLED
        assert hook["failurePolicy"] == "Fail"
        assert "objectSelector" not in hook


def test_pods_of_unlabelled_namespaces_are_validated_without_stopping_them_in_an_outage() -> None:
    hook = hooks()["validate-unlabelled.karvdash.io"]
    assert hook["namespaceSelector"] == {
        "matchExpressions": [{"key": "karvdash.io/user", "operator": "DoesNotExist"}]
    }
    assert hook["failurePolicy"] == "Ignore"
    assert hook["clientConfig"]["service"]["path"] == "/validate-unlabelled"
    covered = {
        (op, r) for rule in hook["rules"] for op in rule["operations"] for r in rule["resources"]
    }
    assert covered == {("CREATE", "pods"), ("UPDATE", "pods/ephemeralcontainers")}


def test_namespace_guard_sees_labelled_namespaces_and_every_way_to_relabel_them() -> None:
    hook = hooks()["validate-namespace.karvdash.io"]
    (rule,) = hook["rules"]
    assert rule["apiGroups"] == [""]
    assert rule["operations"] == ["CREATE", "UPDATE"]
    assert rule["resources"] == ["namespaces", "namespaces/status", "namespaces/finalize"]
    assert rule["scope"] == "Cluster"
    assert hook["objectSelector"] == LABELLED
    assert "namespaceSelector" not in hook  # a Namespace would be matched on its own labels
    assert hook["failurePolicy"] == "Fail"
    assert hook["clientConfig"]["service"]["path"] == "/validate-namespace"


def test_mutating_webhook_takes_pod_creation_and_is_reinvoked() -> None:
    mutating, _ = webhook_configurations(CA)
    (hook,) = mutating["webhooks"]
    assert mutating["kind"] == "MutatingWebhookConfiguration"
    assert hook["reinvocationPolicy"] == "IfNeeded"
    assert hook["rules"] == [
        {
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE"],
            "resources": ["pods"],
            "scope": "Namespaced",
        }
    ]
    assert hook["clientConfig"]["service"]["path"] == "/mutate"


def test_validating_webhook_takes_pods_and_workloads_on_create_and_update() -> None:
    _, validating = webhook_configurations(CA)
    hook = validating["webhooks"][0]
    assert hook["name"] == "validate.karvdash.io"
    assert validating["kind"] == "ValidatingWebhookConfiguration"
    assert "reinvocationPolicy" not in hook
    covered = {
        (group, resource)
        for rule in hook["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert covered >= {
        ("", "pods"),
        ("", "pods/ephemeralcontainers"),
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
    }
    assert all(rule["operations"] == ["CREATE", "UPDATE"] for rule in hook["rules"])


def test_service_reference_by_default() -> None:
    mutating, validating = webhook_configurations(
        CA, service_name="hook", service_namespace="system", service_port=8443
    )
    assert validating["webhooks"][0]["clientConfig"]["service"] == {
        "name": "hook",
        "namespace": "system",
        "path": "/validate",
        "port": 8443,
    }
    assert "url" not in mutating["webhooks"][0]["clientConfig"]


def test_url_client_config_for_a_webhook_outside_the_cluster() -> None:
    mutating, validating = webhook_configurations(CA, url="https://127.0.0.1:9443/")
    assert mutating["webhooks"][0]["clientConfig"]["url"] == "https://127.0.0.1:9443/mutate"
    assert [h["clientConfig"]["url"] for h in validating["webhooks"]] == [
        "https://127.0.0.1:9443/validate",
        "https://127.0.0.1:9443/validate-unlabelled",
        "https://127.0.0.1:9443/validate-namespace",
    ]
    assert "service" not in mutating["webhooks"][0]["clientConfig"]
