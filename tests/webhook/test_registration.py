"""The webhook configurations (pure builders)."""

from __future__ import annotations

import base64

from karvdash_webhook.registration import webhook_configurations

CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_both_configurations_select_user_namespaces_and_fail_closed() -> None:
    for config in webhook_configurations(CA):
        assert config["apiVersion"] == "admissionregistration.k8s.io/v1"
        assert config["metadata"]["name"] == "karvdash"
        (hook,) = config["webhooks"]
        assert hook["namespaceSelector"] == {
            "matchExpressions": [{"key": "karvdash.io/user", "operator": "Exists"}]
        }
        assert hook["failurePolicy"] == "Fail"
        assert hook["sideEffects"] == "None"
        assert hook["timeoutSeconds"] == 5
        assert hook["admissionReviewVersions"] == ["v1"]
        assert base64.b64decode(hook["clientConfig"]["caBundle"]) == CA


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
    (hook,) = validating["webhooks"]
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
    assert validating["webhooks"][0]["clientConfig"]["url"] == "https://127.0.0.1:9443/validate"
    assert "service" not in mutating["webhooks"][0]["clientConfig"]
