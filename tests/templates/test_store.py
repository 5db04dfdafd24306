"""The template store on the dev cluster: system templates and Template custom resources."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from karvdash.devstack import DevStack
from karvdash.errors import Conflict, Forbidden, NotFound
from karvdash.kube import request_json
from karvdash.settings import load_settings
from karvdash.templates import TemplateError, TemplateStore

from .samples import SAMPLE

pytestmark = pytest.mark.cluster


@pytest.fixture
def store(cluster: DevStack, aapi_client: Any, user_namespace: str) -> TemplateStore:
    return TemplateStore(aapi_client, load_settings(env=cluster.env), user_namespace)


def _kubectl(kubeconfig: Path, *args: str) -> str:
    return subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


async def test_add_list_get_and_delete_a_user_template(
    store: TemplateStore, kubeconfig: Path, user_namespace: str
) -> None:
    system = await store.list()
    assert all(t.system for t in system)
    added = await store.add(SAMPLE)
    assert added.id == "sample"
    assert added.system is False
    listed = await store.list()
    assert [t.id for t in listed] == [t.id for t in system] + ["sample"]
    fetched = await store.get("sample")
    assert fetched.source == SAMPLE
    assert fetched.to_json()["variables"] == added.to_json()["variables"]
    table = _kubectl(kubeconfig, "get", "templates", "-n", user_namespace)
    header, row = table.splitlines()
    assert header.split() == ["NAME", "TITLE", "DESCRIPTION", "SINGLETON", "AGE"]
    assert row.split()[:5] == ["sample", "Sample", "A", "sample.", "false"]
    wide = _kubectl(kubeconfig, "get", "templates", "-n", user_namespace, "-o", "wide")
    assert '["NAME","MESSAGE","PORT","DEBUG"]' in wide
    await store.delete("sample")
    assert [t.id for t in await store.list()] == [t.id for t in system]
    with pytest.raises(NotFound, match="no template 'sample'"):
        await store.get("sample")
    with pytest.raises(NotFound, match="no template 'sample'"):
        await store.delete("sample")


async def test_an_invalid_template_is_refused_and_nothing_is_stored(
    store: TemplateStore, aapi_client: Any, user_namespace: str
) -> None:
    broken = SAMPLE.replace("targetPort: $PORT", "targetPort: $NOPE")
    with pytest.raises(TemplateError, match=r"\$NOPE is not a declared variable"):
        await store.add(broken)
    path = f"/apis/karvdash.io/v1/namespaces/{user_namespace}/templates"
    assert (await request_json(aapi_client, "GET", path))["items"] == []


async def test_system_templates_are_read_only(store: TemplateStore) -> None:
    with pytest.raises(Forbidden, match="read-only"):
        await store.delete("redis")
    redis = (await store.get("redis")).source
    with pytest.raises(Conflict, match="system template"):
        await store.add(redis)
    with pytest.raises(Conflict, match="system template"):
        await store.add(SAMPLE, "redis")


async def test_a_second_template_with_one_id_is_a_conflict(store: TemplateStore) -> None:
    await store.add(SAMPLE, "mine")
    with pytest.raises(Conflict, match="already a user template 'mine'"):
        await store.add(SAMPLE.replace("A sample.", "Another."), "mine")
    assert (await store.get("mine")).description == "A sample."


async def test_a_template_edited_into_nonsense_is_skipped_in_lists(
    store: TemplateStore, aapi_client: Any, user_namespace: str
) -> None:
    await store.add(SAMPLE, "edited")
    path = f"/apis/karvdash.io/v1/namespaces/{user_namespace}/templates/edited"
    patch = json.loads(json.dumps({"spec": {"source": "kind: Template\nname: x\n"}}))
    await request_json(
        aapi_client, "PATCH", path, body=patch, content_type="application/merge-patch+json"
    )
    assert "edited" not in [t.id for t in await store.list()]
    with pytest.raises(TemplateError, match="at least one Kubernetes object"):
        await store.get("edited")
