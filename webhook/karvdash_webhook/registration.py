"""The MutatingWebhookConfiguration and ValidatingWebhookConfiguration, as plain dicts.

Pure builders; :mod:`.kube` sends them to the API server. The same objects live as
YAML in ``deploy/webhook/``. The hooks:

* ``mutate.karvdash.io`` and ``validate.karvdash.io``: pods (and workloads) in namespaces
  labelled ``karvdash.io/user``, and (validate) their Ingresses; ``failurePolicy: Fail``;
* ``validate-unlabelled.karvdash.io``: pods in every namespace *without* that label, so a
  namespace named like a user's but stripped of its label is still checked; the webhook
  answers at once for names without the prefix. ``failurePolicy: Ignore``, so an outage
  of the webhook never stops pods outside user namespaces (docs/webhook.md says why);
* ``validate-namespace.karvdash.io``: Namespaces that have (or had) the label, so only
  Karvdash may set or change their ``karvdash.io/`` keys; ``failurePolicy: Fail``.
"""

from __future__ import annotations

import base64
import copy
from functools import partial
from typing import Any

from karvdash.settings import USER_LABEL

CONFIGURATION_NAME = "karvdash"
MUTATING_WEBHOOK = "mutate.karvdash.io"
VALIDATING_WEBHOOK = "validate.karvdash.io"
UNLABELLED_WEBHOOK = "validate-unlabelled.karvdash.io"
NAMESPACE_WEBHOOK = "validate-namespace.karvdash.io"
TIMEOUT_SECONDS = 5

NAMESPACE_SELECTOR = {"matchExpressions": [{"key": USER_LABEL, "operator": "Exists"}]}
UNLABELLED_SELECTOR = {"matchExpressions": [{"key": USER_LABEL, "operator": "DoesNotExist"}]}
LABELLED_OBJECTS = {"matchExpressions": [{"key": USER_LABEL, "operator": "Exists"}]}
"""objectSelector of the namespace guard: on UPDATE it matches when the old *or* the new
Namespace has the label, so adding, changing and removing it are all seen."""

MUTATING_RULES = [
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE"],
        "resources": ["pods"],
        "scope": "Namespaced",
    }
]

_WRITE = ("CREATE", "UPDATE")
VALIDATING_RULES = [
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": list(_WRITE),
        "resources": ["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
        "scope": "Namespaced",
    },
    {
        "apiGroups": ["apps"],
        "apiVersions": ["v1"],
        "operations": list(_WRITE),
        "resources": ["deployments", "statefulsets", "daemonsets", "replicasets"],
        "scope": "Namespaced",
    },
    {
        # CronJob is batch/v1beta1 before Kubernetes 1.21: match both versions.
        "apiGroups": ["batch"],
        "apiVersions": ["v1", "v1beta1"],
        "operations": list(_WRITE),
        "resources": ["jobs", "cronjobs"],
        "scope": "Namespaced",
    },
    {
        # Ingress hosts (.ingress) and owner-only annotations (.ingress_auth).
        # networking.k8s.io/v1beta1 until Kubernetes 1.22;
        # requests to extensions/v1beta1 arrive converted (matchPolicy: Equivalent).
        "apiGroups": ["networking.k8s.io"],
        "apiVersions": ["v1", "v1beta1"],
        "operations": list(_WRITE),
        "resources": ["ingresses"],
        "scope": "Namespaced",
    },
]


UNLABELLED_RULES = [
    # Pod specs cannot change after creation, except through this subresource.
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE"],
        "resources": ["pods"],
        "scope": "Namespaced",
    },
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["UPDATE"],
        "resources": ["pods/ephemeralcontainers"],
        "scope": "Namespaced",
    },
]

NAMESPACE_RULES = [
    # Labels can be changed through both subresources as well (seen on the API server).
    {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": list(_WRITE),
        "resources": ["namespaces", "namespaces/status", "namespaces/finalize"],
        "scope": "Cluster",
    }
]


def client_config(
    ca_bundle: bytes | str,
    path: str,
    *,
    url: str | None = None,
    service_name: str = "karvdash-webhook",
    service_namespace: str = "karvdash",
    service_port: int = 443,
) -> dict[str, Any]:
    """How the API server reaches ``path``: a URL, or a Service reference."""
    pem = ca_bundle.encode() if isinstance(ca_bundle, str) else ca_bundle
    config: dict[str, Any] = {"caBundle": base64.b64encode(pem).decode("ascii")}
    if url is not None:
        config["url"] = url.rstrip("/") + path
    else:
        config["service"] = {
            "name": service_name,
            "namespace": service_namespace,
            "path": path,
            "port": service_port,
        }
    return config


def _webhook(
    name: str,
    rules: list[dict[str, Any]],
    config: dict[str, Any],
    *,
    namespaces: dict[str, Any] | None = NAMESPACE_SELECTOR,
    objects: dict[str, Any] | None = None,
    failure: str = "Fail",
) -> dict[str, Any]:
    hook: dict[str, Any] = {"name": name, "clientConfig": config, "rules": copy.deepcopy(rules)}
    if namespaces is not None:
        hook["namespaceSelector"] = copy.deepcopy(namespaces)
    if objects is not None:
        hook["objectSelector"] = copy.deepcopy(objects)
    hook.update(
        {
            "failurePolicy": failure,
            "matchPolicy": "Equivalent",
            "sideEffects": "None",
            "timeoutSeconds": TIMEOUT_SECONDS,
            "admissionReviewVersions": ["v1"],
        }
    )
    return hook


def webhook_configurations(
    ca_bundle: bytes | str,
    *,
    url: str | None = None,
    service_name: str = "karvdash-webhook",
    service_namespace: str = "karvdash",
    service_port: int = 443,
    name: str = CONFIGURATION_NAME,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(MutatingWebhookConfiguration, ValidatingWebhookConfiguration)`` named ``name``.

    ``ca_bundle`` is the PEM of the CA that signed the webhook's serving certificate.
    With ``url`` (e.g. ``https://127.0.0.1:8443``) the API server calls that address;
    otherwise the Service ``service_namespace/service_name`` on ``service_port``.
    """
    config = partial(
        client_config,
        ca_bundle,
        url=url,
        service_name=service_name,
        service_namespace=service_namespace,
        service_port=service_port,
    )
    labels = {"app.kubernetes.io/name": "karvdash-webhook", "app.kubernetes.io/part-of": "karvdash"}
    mutating_hook = _webhook(MUTATING_WEBHOOK, MUTATING_RULES, config("/mutate"))
    mutating_hook["reinvocationPolicy"] = "IfNeeded"
    mutating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name, "labels": labels},
        "webhooks": [mutating_hook],
    }
    validating = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": labels},
        "webhooks": [
            _webhook(VALIDATING_WEBHOOK, VALIDATING_RULES, config("/validate")),
            _webhook(
                UNLABELLED_WEBHOOK,
                UNLABELLED_RULES,
                config("/validate-unlabelled"),
                namespaces=UNLABELLED_SELECTOR,
                failure="Ignore",
            ),
            # A Namespace is matched against its own labels by a namespaceSelector: none
            # here, the objectSelector does the choosing.
            _webhook(
                NAMESPACE_WEBHOOK,
                NAMESPACE_RULES,
                config("/validate-namespace"),
                namespaces=None,
                objects=LABELLED_OBJECTS,
            ),
        ],
    }
    return mutating, validating
