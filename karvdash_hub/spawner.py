"""``KarvdashSpawner``: KubeSpawner with a namespace per user, made ready before the pod.

What it adds to KubeSpawner (everything else, including the pod itself, is KubeSpawner's):

* the namespace from Karvdash's naming rules (``karvdash-<slug>``, the same as the webhook
  and the server extension compute), labelled and provisioned idempotently: the
  RoleBinding of its ``default`` ServiceAccount to ``user_cluster_role``, and an optional
  ResourceQuota and LimitRange (:mod:`karvdash_hub.provision`);
* the pod runs with that service account and its token, and with the environment the
  server extension reads (``KARVDASH_USER``, ``KARVDASH_NAMESPACE``, the shared settings);
* progress messages for the hub's progress page, and an early, clear failure when the pod
  cannot start (image pull errors, a crashing server, quota refusals), instead of the
  start timeout;
* deleting a user deletes their namespace only if ``delete_namespace_on_user_delete``;
  Karvdash never deletes data folders.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException
from kubespawner import KubeSpawner
from traitlets import Bool, Dict, List, Unicode, default

from karvdash.naming import namespace_for
from karvdash.settings import Karvdash, load_settings, settings_env

from .podcheck import SpawnFailure, pod_failure
from .provision import NamespacePlan, Provisioner, ProvisionError

USER_ENV = "KARVDASH_USER"
NAMESPACE_ENV = "KARVDASH_NAMESPACE"


class KarvdashSpawner(KubeSpawner):  # type: ignore[misc]
    """Spawns each user's server in their own namespace, where they are admin."""

    user_cluster_role = Unicode(
        "cluster-admin",
        help="""ClusterRole bound (by a RoleBinding, so only inside the user's namespace) to the
        namespace's service account, which the user's server acts with. The hub needs the
        `bind` right on it (deploy/hub/rbac.yaml).""",
    ).tag(config=True)

    resource_quota = Dict(
        {},
        help="""`spec.hard` of a ResourceQuota made in every user namespace, e.g.
        `{"requests.cpu": "4", "requests.memory": "16Gi", "pods": "20"}`. Empty: no quota.""",
    ).tag(config=True)

    limit_range = List(
        Dict(),
        [],
        help="""`spec.limits` of a LimitRange made in every user namespace, e.g.
        `[{"type": "Container", "default": {"cpu": "1", "memory": "2Gi"}}]`. Empty: none.""",
    ).tag(config=True)

    delete_namespace_on_user_delete = Bool(
        False,
        help="""Delete the user's namespace (and every service in it) when the user is deleted
        from the hub. Data folders are never deleted. The admin page's choice, kept in the
        namespace's ``karvdash.io/on-user-delete`` annotation, wins over this.""",
    ).tag(config=True)

    exported_settings = List(
        Unicode(),
        [
            "namespace_prefix",
            "ingress_domain",
            "storage_domains",
            "registry_url",
            "registry_gateway_url",
            "ingress_class",
            "tls_secret_name",
            "ingress_auth_url",
            "ingress_signin_url",
            "ingress_cookie_name",
        ],
        help="""Karvdash settings passed to the user's server as `KARVDASH_*` environment
        variables (the server extension renders templates with them). Never list secrets:
        the user can read their server's environment.""",
    ).tag(config=True)

    @default("enable_user_namespaces")
    def _default_user_namespaces(self) -> bool:
        return True  # pods of every namespace are watched (one reflector for all users)

    @default("service_account")
    def _default_service_account(self) -> str:
        return "default"

    @default("automount_service_account_token")
    def _default_automount(self) -> bool:
        return True

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        return ["jupyterhub-singleuser"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings: Karvdash = load_settings(config=self.config)
        self.namespace = namespace_for(self.user.name, self.settings.namespace_prefix)
        self.dns_name = self.dns_name_template.format(namespace=self.namespace, name=self.pod_name)
        self._messages: list[dict[str, Any]] = []

    # -- state: the namespace always follows the naming rules ------------------------------

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.namespace = namespace_for(self.user.name, self.settings.namespace_prefix)

    # -- the namespace ----------------------------------------------------------------------

    def namespace_plan(self) -> NamespacePlan:
        return NamespacePlan(
            name=self.namespace,
            username=self.user.name,
            cluster_role=self.user_cluster_role,
            service_account=self.service_account or "default",
            quota=dict(self.resource_quota),
            limits=list(self.limit_range),
        )

    async def _ensure_namespace(self) -> None:
        self._say(5, f"Creating your namespace {self.namespace}")
        provisioner = Provisioner(self.api.api_client, timeout=self.k8s_api_request_timeout)
        try:
            changes = await provisioner.ensure(self.namespace_plan())
        except ProvisionError as exc:
            raise SpawnFailure(f"Your namespace {self.namespace} is not ready: {exc}") from exc
        if changes:
            self.log.info("Namespace %s for %s: %s", self.namespace, self.user.name, changes)
        self._say(15, f"Your namespace {self.namespace} is ready; creating your server")

    # -- the pod ----------------------------------------------------------------------------

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        env.update(settings_env(self.settings, self.exported_settings))
        env[USER_ENV] = self.user.name
        env[NAMESPACE_ENV] = self.namespace
        return env

    async def _make_create_pod_request(self, pod: Any, request_timeout: float) -> bool:
        """Create the pod (one try of KubeSpawner's backoff loop: False means try again).

        KubeSpawner's own version logs the whole pod, with the server's API token, on any
        refusal; this one logs only the reason and turns refusals into a clear failure.
        """
        name = pod.metadata.name
        try:
            await asyncio.wait_for(
                self.api.create_namespaced_pod(self.namespace, pod), request_timeout
            )
        except asyncio.TimeoutError:
            return False
        except ApiException as exc:
            if exc.status == 409:
                self.log.info("Pod %s/%s exists already; deleting it first", self.namespace, name)
                await self.stop(True)
                return False
            if exc.status >= 500 or exc.status == 429:
                # e.g. a new namespace whose service account has no token yet ("retry after
                # the token is automatically created")
                self.log.info("Creating pod %s/%s: %s; retrying", self.namespace, name, exc.reason)
                return False
            self.log.warning("Kubernetes refused pod %s/%s: %s", self.namespace, name, exc.reason)
            raise SpawnFailure(_pod_refusal(self.namespace, exc)) from exc
        self._say(40, "Waiting for your server to start")
        return True

    def is_pod_running(self, pod: dict[str, Any] | None) -> bool:
        """KubeSpawner's readiness test, failing early when the pod will never be ready."""
        if pod is not None and self._start_future is not None and not self._start_future.done():
            problem = pod_failure(pod, self.events)
            if problem:
                raise SpawnFailure(problem)
        return bool(super().is_pod_running(pod))

    # -- progress page ----------------------------------------------------------------------

    def _say(self, progress: int, message: str) -> None:
        self._messages.append({"progress": progress, "message": message})

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        """Karvdash's own steps, merged with KubeSpawner's (the pod's events)."""
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def pump() -> None:
            async for event in KubeSpawner.progress(self):
                await events.put(event)

        task = asyncio.ensure_future(pump())
        sent = 0
        try:
            while True:
                while sent < len(self._messages):
                    yield self._messages[sent]
                    sent += 1
                if task.done() and events.empty():
                    task.result()
                    return
                try:
                    event = await asyncio.wait_for(events.get(), 0.25)
                except asyncio.TimeoutError:
                    continue
                yield event
        finally:
            task.cancel()

    async def start(self) -> Any:
        self._messages = []
        return await super().start()

    # -- user deletion ----------------------------------------------------------------------

    async def delete_forever(self) -> None:
        await super().delete_forever()
        provisioner = Provisioner(self.api.api_client, timeout=self.k8s_api_request_timeout)
        if self.name or not await provisioner.on_user_delete(
            self.namespace, self.delete_namespace_on_user_delete
        ):
            self.log.info("Keeping namespace %s of deleted user %s", self.namespace, self.user.name)
            return
        if await provisioner.delete_namespace(self.namespace):
            self.log.info("Deleted namespace %s of deleted user %s", self.namespace, self.user.name)


def _pod_refusal(namespace: str, exc: ApiException) -> str:
    try:
        message = json.loads(exc.body or "{}").get("message") or exc.reason
    except (ValueError, AttributeError):
        message = exc.reason
    if exc.status == 403 and "quota" in str(message):
        return f"Your namespace {namespace} has no room for your server: {message}"
    return f"Kubernetes refused your server ({exc.status}): {message}"
