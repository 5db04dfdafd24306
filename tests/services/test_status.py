"""A service's status from its pods' JSON, and the Service summary built from objects."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from karvdash.services import service_status, with_suffix
from karvdash.services.listing import decode_objects, decode_pods
from karvdash.services.manager import service_from_objects
from karvdash.templates import MAX_NAME_LENGTH, check_service_name


def pod(
    phase: str = "Running",
    ready: bool = True,
    waiting: str | None = None,
    terminated: int | None = None,
    deleting: bool = False,
    unschedulable: bool = False,
    name: str = "p",
) -> dict[str, Any]:
    state: dict[str, Any] = {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    if waiting:
        state = {"waiting": {"reason": waiting, "message": "details"}}
    if terminated is not None:
        state = {
            "terminated": {"exitCode": terminated, "reason": "Error" if terminated else "Completed"}
        }
    conditions = []
    if unschedulable:
        conditions.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable"})
    meta: dict[str, Any] = {"name": name}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [
                {"name": "main", "ready": ready, "state": state, "restartCount": 0}
            ],
        },
    }


CASES = {
    "no pods": ([], ("Pending", "no pods yet")),
    "running and ready": ([pod()], ("Running", "")),
    "two running": ([pod(), pod(name="q")], ("Running", "")),
    "image pull back-off": (
        [pod("Pending", False, waiting="ImagePullBackOff")],
        ("Failed", "ImagePullBackOff"),
    ),
    "image pull error": (
        [pod("Pending", False, waiting="ErrImagePull")],
        ("Failed", "ErrImagePull"),
    ),
    "crash loop": (
        [pod("Running", False, waiting="CrashLoopBackOff")],
        ("Failed", "CrashLoopBackOff"),
    ),
    "bad config": (
        [pod("Pending", False, waiting="CreateContainerConfigError")],
        ("Failed", "CreateContainerConfigError"),
    ),
    "one of two failing": (
        [pod(), pod("Failed", False, terminated=1, name="q")],
        ("Failed", "Error"),
    ),
    "evicted": (
        [{"metadata": {"name": "p"}, "status": {"phase": "Failed", "reason": "Evicted"}}],
        ("Failed", "Evicted"),
    ),
    "creating containers": (
        [pod("Pending", False, waiting="ContainerCreating")],
        ("Pending", "ContainerCreating"),
    ),
    "unschedulable": ([pod("Pending", False, unschedulable=True)], ("Pending", "Unschedulable")),
    "not ready yet": ([pod("Running", False)], ("Pending", "not ready")),
    "pending without statuses": (
        [{"metadata": {"name": "p"}, "status": {"phase": "Pending"}}],
        ("Pending", "Pending"),
    ),
    "finished": ([pod("Succeeded", False, terminated=0)], ("Succeeded", "")),
    "all terminating": ([pod(deleting=True)], ("Terminating", "")),
    "old pod terminating, new running": ([pod(deleting=True), pod(name="q")], ("Running", "")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_status_from_pods(case: str) -> None:
    pods, expected = CASES[case]
    assert service_status(pods) == expected


def test_service_summary_from_its_objects() -> None:
    main = {
        "metadata": {
            "name": "web",
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": {"karvdash.io/service": "web", "karvdash.io/template": "nginx"},
            "annotations": {"karvdash.io/values": json.dumps({"FOLDER": "www"})},
        }
    }
    ingress = {"spec": {"rules": [{"host": "web-alice.example.org"}]}}
    service = service_from_objects(main, [pod(name="web-1")], ingress)
    assert service.to_json() == {
        "name": "web",
        "template": "nginx",
        "created": "2024-05-01T10:00:00+00:00",
        "status": "Running",
        "reason": "",
        "url": "https://web-alice.example.org/",
        "values": {"FOLDER": "www"},
        "objects": [],
        "pods": ["web-1"],
    }
    assert service.created == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.timezone.utc)
    assert service_from_objects(main, [], None).url is None


def test_suffixed_names_are_valid_and_distinct() -> None:
    names = {with_suffix("a" * MAX_NAME_LENGTH) for _ in range(200)}
    assert len(names) == 200
    for name in names:
        assert check_service_name(name) == name
        assert len(name) <= MAX_NAME_LENGTH
    assert with_suffix("web").startswith("web-")
    assert len(with_suffix("web")) == 8


def test_listing_decodes_only_what_the_status_reads() -> None:
    running = pod(name="web-1")
    running["metadata"].update(
        {
            "labels": {"karvdash.io/service": "web"},
            "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}],
        }
    )
    running["spec"] = {"containers": [{"name": "main", "image": "x"}]}
    body = json.dumps({"kind": "PodList", "items": [running]}).encode()
    (decoded,) = decode_pods(body)
    assert decoded["metadata"]["name"] == "web-1"
    assert decoded["metadata"]["labels"] == {"karvdash.io/service": "web"}
    assert "managedFields" not in decoded["metadata"]
    assert "spec" not in decoded
    assert service_status([decoded]) == service_status([running]) == ("Running", "")
    assert decode_pods(b'{"kind": "PodList", "items": null}') == []


def test_listing_decodes_metadata_only_lists() -> None:
    body = json.dumps(
        {
            "kind": "PartialObjectMetadataList",
            "items": [
                {
                    "kind": "PartialObjectMetadata",
                    "metadata": {
                        "name": "web",
                        "creationTimestamp": "2024-05-01T10:00:00Z",
                        "labels": {"karvdash.io/service": "web"},
                        "annotations": {"karvdash.io/url": "https://web-a.example/"},
                    },
                }
            ],
        }
    ).encode()
    (service,) = decode_objects(body)
    summary = service_from_objects(service, [], None)
    assert summary.url == "https://web-a.example/"
    assert summary.status == "Pending"
