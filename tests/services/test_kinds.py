"""A template holding one object of every supported kind: created in order, all labelled,
and all deleted with the service."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from karvdash.services import ServiceManager
from karvdash.templates import KINDS, SERVICE_LABEL, TemplateStore

from ..templates.samples import template_text
from .helpers import leftovers, wait_until_gone

pytestmark = pytest.mark.cluster

POD_SPEC = """\
      containers:
      - name: main
        image: busybox:1.36
        command: [sleep, "3600"]
"""


def everything(new_apis: bool) -> str:
    """A template with every kind (CronJob and PodDisruptionBudget in the versions the
    cluster serves: batch/v1 and policy/v1 from Kubernetes 1.21)."""
    cron = "batch/v1" if new_apis else "batch/v1beta1"
    pdb = "policy/v1" if new_apis else "policy/v1beta1"

    def workload(part: str) -> str:
        """Selector and pod template of one workload (each its own labels: controllers
        adopt and remove orphan pods their selector matches)."""
        labels = f"{{app: $NAME, part: {part}}}"
        return (
            f"  selector:\n    matchLabels: {labels}\n"
            f"  template:\n    metadata:\n      labels: {labels}\n    spec:\n" + POD_SPEC
        )

    docs = [
        "kind: Template\nname: Everything\nvariables: []\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: $NAME}\nspec:\n  ports: [{port: 80}]\n"
        "  selector: {app: $NAME}\n",
        "apiVersion: v1\nkind: Service\nmetadata: {name: $NAME-headless}\nspec:\n"
        "  clusterIP: None\n  selector: {app: $NAME}\n",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: $NAME}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: $NAME}\nstringData: {a: b}\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: $NAME}\ndata: {a: b}\n",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: $NAME}\nspec:\n"
        "  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: $NAME}\n"
        "rules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: $NAME}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: $NAME}\n"
        "subjects: [{kind: ServiceAccount, name: $NAME}]\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: $NAME}\n"
        "spec:\n  podSelector: {matchLabels: {app: $NAME}}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: $NAME-pod, labels: {app: $NAME, part: pod}}\n"
        "spec:\n" + POD_SPEC.replace("      ", "  "),
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: $NAME-rs}\nspec:\n  replicas: 1\n"
        + workload("rs"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: $NAME}\nspec:\n  replicas: 1\n"
        + workload("deployment"),
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: $NAME-db}\nspec:\n"
        "  serviceName: $NAME-headless\n  replicas: 1\n" + workload("db"),
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: $NAME-ds}\nspec:\n"
        + workload("ds"),
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: $NAME-job}\nspec:\n  template:\n"
        "    spec:\n      restartPolicy: Never\n" + POD_SPEC,
        f"apiVersion: {cron}\nkind: CronJob\nmetadata: {{name: $NAME-cron}}\nspec:\n"
        "  schedule: '0 0 1 1 *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        "          restartPolicy: Never\n" + POD_SPEC.replace("      ", "          "),
        "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: $NAME}\n"
        "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: $NAME}\n"
        "  minReplicas: 1\n  maxReplicas: 2\n",
        f"apiVersion: {pdb}\nkind: PodDisruptionBudget\nmetadata: {{name: $NAME}}\nspec:\n"
        "  minAvailable: 1\n  selector:\n    matchLabels: {app: $NAME, part: deployment}\n",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: $NAME}\nspec:\n"
        "  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: "
        "{service: {name: $NAME, port: {number: 80}}}}\n",
    ]
    return template_text(*docs)


async def test_every_kind_is_created_labelled_and_deleted(
    manager: ServiceManager,
    store: TemplateStore,
    api_client: client.ApiClient,
    aapi_client: Any,
    user_namespace: str,
) -> None:
    minor = int("".join(c for c in client.VersionApi(api_client).get_code().minor if c.isdigit()))
    await store.add(everything(minor >= 21), "everything")
    service = await manager.create("everything", name="all")
    assert [o.kind for o in service.objects] == sorted(
        (o.kind for o in service.objects), key=lambda k: KINDS[k].rank
    )
    assert {o.kind for o in service.objects} == set(KINDS)
    made = await leftovers(aapi_client, user_namespace, f"{SERVICE_LABEL}=all")
    assert {entry.split("/")[0] for entry in made} == set(KINDS)
    described = await manager.get("all")
    assert {str(o) for o in service.objects} <= {str(o) for o in described.objects}
    deleted = await manager.delete("all")
    assert {o.kind for o in deleted} == set(KINDS)
    await wait_until_gone(aapi_client, user_namespace, "all", timeout=90)
