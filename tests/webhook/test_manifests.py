"""deploy/webhook/: the manifests agree with the code and with the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from karvdash_webhook.registration import webhook_configurations

from karvdash.settings import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "webhook"


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def by_kind(name: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in documents(name)}


def test_kustomization_lists_every_manifest() -> None:
    (kustomization,) = documents("kustomization.yaml")
    manifests = {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


def test_webhook_configurations_match_the_builder() -> None:
    built = webhook_configurations(b"")
    for config in built:
        config["metadata"]["annotations"] = {
            "cert-manager.io/inject-ca-from": "karvdash/karvdash-webhook"
        }
        for hook in config["webhooks"]:
            del hook["clientConfig"]["caBundle"]
    assert documents("webhookconfigurations.yaml") == list(built)


def test_certificate_names_the_service() -> None:
    certificate = by_kind("certificate.yaml")["Certificate"]
    service = by_kind("service.yaml")["Service"]
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    assert f"{name}.{namespace}.svc" in certificate["spec"]["dnsNames"]
    assert certificate["metadata"]["name"] == "karvdash-webhook"


def test_service_sends_443_to_the_webhook_port() -> None:
    (port,) = by_kind("service.yaml")["Service"]["spec"]["ports"]
    deployment = by_kind("deployment.yaml")["Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert port["port"] == 443
    assert {"name": port["targetPort"], "containerPort": 8443, "protocol": "TCP"} in container[
        "ports"
    ]
    assert "--port=8443" in container["args"]


def test_deployment_is_redundant_probed_and_locked_down() -> None:
    deployment = by_kind("deployment.yaml")["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert deployment["spec"]["replicas"] == 2
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["serviceAccountName"] == by_kind("rbac.yaml")["ServiceAccount"]["metadata"]["name"]


def test_cluster_role_reads_namespaces_and_only_our_configurations() -> None:
    rules = by_kind("rbac.yaml")["ClusterRole"]["rules"]
    assert {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]} in (
        rules
    )
    (admission,) = [r for r in rules if r["apiGroups"] == ["admissionregistration.k8s.io"]]
    assert admission["resourceNames"] == ["karvdash"]
    assert "create" not in admission["verbs"]


def test_settings_file_of_the_config_map_loads(tmp_path: Path) -> None:
    config_map = by_kind("config.yaml")["ConfigMap"]
    path = tmp_path / "karvdash.json"
    path.write_text(config_map["data"]["karvdash.json"])
    settings = load_settings(config_file=path, env={})
    assert [d.mount_path for d in settings.domains] == ["/local", "/remote", "/shared"]
    assert settings.storage_opt_out_annotation == "karvdash.io/no-storage"


def test_the_config_maps_ingress_settings_are_the_hubs_defaults(tmp_path: Path) -> None:
    """The webhook requires them on every Ingress: out of step, Karvdash's are refused."""
    path = tmp_path / "karvdash.json"
    path.write_text(by_kind("config.yaml")["ConfigMap"]["data"]["karvdash.json"])
    settings = load_settings(config_file=path, env={})
    hub = load_settings(env={}, overrides={"ingress_domain": settings.ingress_domain})
    for name in ("ingress_auth_url", "ingress_signin_url", "ingress_class"):
        assert getattr(settings, name) == getattr(hub, name), name


def test_the_hubs_account_manages_namespaces_by_default_and_in_the_config_map(
    tmp_path: Path,
) -> None:
    hub = DEPLOY.parent / "hub" / "rbac.yaml"
    (account,) = [d for d in yaml.safe_load_all(hub.read_text()) if d["kind"] == "ServiceAccount"]
    meta = account["metadata"]
    username = f"system:serviceaccount:{meta['namespace']}:{meta['name']}"
    assert load_settings(env={}).namespace_managers == [username]
    path = tmp_path / "karvdash.json"
    path.write_text(by_kind("config.yaml")["ConfigMap"]["data"]["karvdash.json"])
    settings = load_settings(config_file=path, env={})
    assert settings.namespace_managers == [username]
    assert settings.namespace_prefix == load_settings(env={}).namespace_prefix


@pytest.mark.parametrize("name", sorted(p.name for p in DEPLOY.glob("*.yaml")))
def test_manifests_name_the_karvdash_namespace(name: str) -> None:
    for doc in documents(name):
        namespaced = doc["kind"] not in (
            "ClusterRole",
            "ClusterRoleBinding",
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
            "Kustomization",
        )
        if namespaced:
            assert doc["metadata"]["namespace"] == "karvdash", doc["kind"]
