"""The core's Kubernetes client: which cluster it picks, raw requests, error mapping."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from karvdash.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unavailable
from karvdash.kube import api_client, karvdash_error, request_json


async def test_explicit_kubeconfig_then_environment(
    kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    api = await api_client(str(kubeconfig))
    try:
        assert (await request_json(api, "GET", "/version"))["major"] == "1"
    finally:
        await api.close()
    monkeypatch.setenv("KUBECONFIG", f"{kubeconfig}:/nonexistent/second")
    api = await api_client()
    try:
        assert (await request_json(api, "GET", "/api/v1/namespaces/default"))["kind"] == "Namespace"
    finally:
        await api.close()


async def test_no_kubeconfig_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="not running in a cluster"):
        await api_client()


async def test_api_errors_carry_the_servers_message(kubeconfig: Path) -> None:
    api = await api_client(str(kubeconfig))
    try:
        with pytest.raises(ApiException) as caught:
            await request_json(api, "GET", "/api/v1/namespaces/does-not-exist")
    finally:
        await api.close()
    error = karvdash_error(caught.value, "reading it")
    assert isinstance(error, NotFound)
    assert error.message == 'reading it: namespaces "does-not-exist" not found'


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, InvalidRequest),
        (422, InvalidRequest),
        (403, Forbidden),
        (409, Conflict),
        (500, Unavailable),
    ],
)
def test_statuses_map_to_error_classes(status: int, kind: type) -> None:
    error = ApiException(status=status, reason="Reason")
    error.body = '{"kind": "Status", "message": "the message"}'
    mapped = karvdash_error(error, "doing it")
    assert type(mapped) is kind
    assert mapped.message == "doing it: the message"


def test_timeouts_and_unreachable_servers_are_unavailable() -> None:
    assert isinstance(karvdash_error(asyncio.TimeoutError(), "x"), Unavailable)
    refused = karvdash_error(ConnectionRefusedError("refused"), "x")
    assert isinstance(refused, Unavailable)
    assert "cannot reach the Kubernetes API" in refused.message
