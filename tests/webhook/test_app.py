"""The webhook over real HTTPS, in-process: endpoints, errors, metrics."""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable
from typing import Any

import pytest
import requests
from karvdash_webhook.admission import Webhook
from karvdash_webhook.app import MAX_BODY_BYTES
from karvdash_webhook.namespaces import NamespaceDirectory, StaticNamespaceDirectory
from karvdash_webhook.ownership import Owner
from karvdash_webhook.server import WebhookServer

from .conftest import ServerThread, TLSFiles
from .helpers import UID, apply, container, decode_patch, make_policy, pod, review


def post(http: requests.Session, url: str, doc: Any) -> requests.Response:
    return http.post(url, data=json.dumps(doc), headers={"Content-Type": "application/json"})


def test_mutate_answers_with_a_patch_that_applies(http: requests.Session, webhook_url: str) -> None:
    original = pod()
    answer = post(http, webhook_url + "/mutate", review(original))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    patched = apply(original, decode_patch(answer.json()))
    assert [m["mountPath"] for m in patched["spec"]["containers"][0]["volumeMounts"]] == [
        "/local",
        "/remote",
        "/shared",
    ]
    again = post(http, webhook_url + "/mutate", review(patched)).json()
    assert again["response"] == {"uid": UID, "allowed": True}


def test_validate_refuses_with_the_reasons(http: requests.Session, webhook_url: str) -> None:
    bad = pod(container("app", securityContext={"privileged": True}))
    answer = post(http, webhook_url + "/validate", review(bad))
    assert answer.status_code == 200
    response = answer.json()["response"]
    assert response["uid"] == UID
    assert response["allowed"] is False
    assert response["status"]["message"].startswith('Container "app" asks for privileged mode')


@pytest.mark.parametrize("endpoint", ["/mutate", "/validate"])
@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "not valid JSON"),
        (b"{}", "not an AdmissionReview"),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}}',
            "request.uid is missing",
        ),
    ],
)
def test_malformed_reviews_get_400_and_a_json_message(
    http: requests.Session, webhook_url: str, endpoint: str, body: bytes, says: str
) -> None:
    answer = http.post(webhook_url + endpoint, data=body)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/json"
    assert set(answer.json()) == {"message"}
    assert says in answer.json()["message"]


def test_mistyped_pod_gets_400(http: requests.Session, webhook_url: str) -> None:
    answer = post(http, webhook_url + "/mutate", review({"spec": {"containers": "x"}}))
    assert answer.status_code == 400
    assert answer.json() == {"message": "pod spec.containers must be a list"}


def test_oversized_body_gets_413(http: requests.Session, webhook_url: str) -> None:
    answer = http.post(webhook_url + "/mutate", data=b" " * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413
    assert "larger than" in answer.json()["message"]


def test_oversized_chunked_body_gets_413(http: requests.Session, webhook_url: str) -> None:
    chunks = (b" " * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 2))
    answer = http.post(webhook_url + "/validate", data=chunks)
    assert answer.status_code == 413


def test_absurd_declared_size_is_answered_413_at_once(tls: TLSFiles, webhook_url: str) -> None:
    port = int(webhook_url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=tls.ca_file)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls_socket,
    ):
        tls_socket.sendall(
            b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n{"
        )
        reply = b""
        while chunk := tls_socket.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"larger than" in body


def test_health_and_readiness(http: requests.Session, webhook_url: str) -> None:
    assert http.get(webhook_url + "/healthz").status_code == 200
    assert http.get(webhook_url + "/readyz").status_code == 200


class NotSynced(StaticNamespaceDirectory):
    @property
    def ready(self) -> bool:
        return False


def test_not_ready_until_the_directory_has_synced(
    http: requests.Session, start_server: Callable[[NamespaceDirectory], ServerThread]
) -> None:
    server = start_server(NotSynced())
    answer = http.get(server.url + "/readyz")
    assert answer.status_code == 503
    assert "not ready" in answer.json()["message"]
    assert http.get(server.url + "/healthz").status_code == 200


class Broken(StaticNamespaceDirectory):
    async def owner_of(self, namespace: str, *, unlabelled: bool = False) -> Owner | None:
        raise RuntimeError("the directory is broken: secret detail")


def test_internal_errors_get_500_without_details(
    http: requests.Session,
    start_server: Callable[[NamespaceDirectory], ServerThread],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_server(Broken())
    answer = post(http, server.url + "/mutate", review(pod()))
    assert answer.status_code == 500
    assert answer.json() == {"message": "internal error of the Karvdash webhook"}
    assert "secret detail" in caplog.text


def test_unknown_routes_and_methods_get_json_errors(
    http: requests.Session, webhook_url: str
) -> None:
    missing = http.get(webhook_url + "/nothing")
    assert missing.status_code == 404
    assert "no such endpoint /nothing" in missing.json()["message"]
    assert "/validate-namespace" in missing.json()["message"]
    wrong = http.get(webhook_url + "/mutate")
    assert wrong.status_code == 405
    assert wrong.json() == {"message": "Method Not Allowed"}


def metric(text: str, name: str, **labels: str) -> float:
    wanted = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{wanted} not in the metrics")


def test_metrics_count_reviews_by_endpoint_and_result(
    http: requests.Session, start_server: Callable[[NamespaceDirectory], ServerThread]
) -> None:
    server = start_server(StaticNamespaceDirectory({"karvdash-alice": "alice"}))
    post(http, server.url + "/mutate", review(pod()))
    post(http, server.url + "/mutate", review(pod(), namespace="other"))
    http.post(server.url + "/validate", data=b"[")
    bad = pod(hostPID=True)
    post(http, server.url + "/validate", review(bad))
    answer = http.get(server.url + "/metrics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    reviews = "karvdash_webhook_reviews_total"
    assert metric(text, reviews, endpoint="mutate", result="patched") == 1
    assert metric(text, reviews, endpoint="mutate", result="allowed") == 1
    assert metric(text, reviews, endpoint="validate", result="malformed") == 1
    assert metric(text, reviews, endpoint="validate", result="denied") == 1
    latency = "karvdash_webhook_review_duration_seconds_count"
    assert metric(text, latency, endpoint="mutate") == 2


def test_namespace_guard_and_unlabelled_pods_are_answered_on_their_own_paths(
    http: requests.Session, start_server: Callable[[NamespaceDirectory], ServerThread]
) -> None:
    server = start_server(StaticNamespaceDirectory({"karvdash-alice": "alice"}))
    root = pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}])
    stripped = post(http, server.url + "/validate-unlabelled", review(root, namespace="karvdash-x"))
    assert stripped.status_code == 200
    assert "owner of this namespace is unknown" in stripped.json()["response"]["status"]["message"]
    other = post(http, server.url + "/validate-unlabelled", review(root, namespace="kube-system"))
    assert other.json()["response"] == {"uid": UID, "allowed": True}
    namespace = {"metadata": {"name": "karvdash-alice", "labels": {"karvdash.io/user": "bob"}}}
    old = {"metadata": {"name": "karvdash-alice", "labels": {"karvdash.io/user": "alice"}}}
    guard = review(namespace, kind="Namespace", operation="UPDATE", namespace=None, old=old)
    refused = post(http, server.url + "/validate-namespace", guard).json()["response"]
    assert refused["allowed"] is False
    assert 'may not change the label "karvdash.io/user"' in refused["status"]["message"]
    text = http.get(server.url + "/metrics").text
    reviews = "karvdash_webhook_reviews_total"
    assert metric(text, reviews, endpoint="validate-unlabelled", result="denied") == 1
    assert metric(text, reviews, endpoint="validate-unlabelled", result="allowed") == 1
    assert metric(text, reviews, endpoint="validate-namespace", result="denied") == 1


def test_readiness_also_waits_for_a_pending_registration() -> None:
    server = WebhookServer(Webhook(make_policy(), StaticNamespaceDirectory()), None, port=0)
    assert server.ready()
    server.registered = False
    assert not server.ready()
