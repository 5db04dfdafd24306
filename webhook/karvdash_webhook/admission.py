"""The decisions behind the review endpoints, without HTTP.

:class:`Webhook` takes a parsed AdmissionRequest and returns the AdmissionReview to
send back, with the result label used by the metrics. Requests it does not handle
(other kinds, operations, subresources, namespaces of no user) are allowed unchanged.

* :meth:`Webhook.mutate` (``/mutate``): storage domains for new Pods;
* :meth:`Webhook.validate` (``/validate``, and ``/validate-unlabelled`` with
  ``unlabelled=True``): pods and pod templates in user namespaces, and the hosts
  (:mod:`.ingress`) and owner-only annotations (:mod:`.ingress_auth`) of Ingresses there;
* :meth:`Webhook.validate_namespace` (``/validate-namespace``): the ``karvdash.io/``
  labels and annotations of namespaces (:mod:`.guard`).
"""

from __future__ import annotations

from collections.abc import Set
from contextlib import suppress
from typing import Any

from .errors import Denied, MalformedReview
from .guard import namespace_denial
from .ingress import (
    NOT_READY,
    Claim,
    ingress_claims,
    ingress_denials,
    is_ingress,
    same_claims,
)
from .ingress_auth import owner_only_denials, same_routing
from .mutate import pod_patch
from .namespaces import NamespaceDirectory
from .ownership import Owner
from .policy import Policy
from .review import AdmissionRequest, AdmissionReview, build_response
from .validate import pod_spec_denials, pod_template

EPHEMERAL = "ephemeralcontainers"
READY_WAIT = 2.0
"""Seconds an Ingress review waits for the namespace directory's first sync."""


class Webhook:
    """The admission logic: a :class:`Policy` and a :class:`NamespaceDirectory`."""

    def __init__(self, policy: Policy, directory: NamespaceDirectory) -> None:
        self.policy = policy
        self.directory = directory

    async def _owner(self, request: AdmissionRequest, unlabelled: bool = False) -> Owner | None:
        namespace = request.get("namespace")
        if not namespace:
            return None
        return await self.directory.owner_of(namespace, unlabelled=unlabelled)

    async def mutate(self, request: AdmissionRequest) -> tuple[AdmissionReview, str]:
        """Add the storage domains to a Pod being created in a user namespace."""
        uid = request["uid"]
        pod = request.get("object")
        gvk = request["kind"]
        if (
            pod is None
            or request["operation"] != "CREATE"
            or gvk["kind"] != "Pod"
            or gvk["group"] != ""
            or request.get("subResource")
        ):
            return build_response(uid, True), "allowed"
        owner = await self._owner(request)
        if owner is None or owner.slug is None:
            return build_response(uid, True), "allowed"  # nobody's storage to mount
        patch = pod_patch(pod, owner.slug, self.policy)
        return build_response(uid, True, patch), ("patched" if patch else "allowed")

    async def validate(
        self, request: AdmissionRequest, *, unlabelled: bool = False
    ) -> tuple[AdmissionReview, str]:
        """Refuse pods and pod templates that reach outside the user's share of the node,
        and Ingresses that claim hosts other than the user's own or are not owner-only.

        ``unlabelled``: the API server called because the namespace has no
        ``karvdash.io/user`` label (``/validate-unlabelled``); only namespaces whose name
        has the user prefix are checked then.
        """
        uid = request["uid"]
        try:
            await self.check(request, unlabelled=unlabelled)
        except Denied as denied:
            return build_response(uid, False, message=denied.message), "denied"
        return build_response(uid, True), "allowed"

    async def validate_namespace(self, request: AdmissionRequest) -> tuple[AdmissionReview, str]:
        """Refuse changes of a namespace's ``karvdash.io/`` keys by anyone but a manager."""
        uid = request["uid"]
        message = namespace_denial(request, self.policy.namespace_managers)
        if message is not None:
            return build_response(uid, False, message=message), "denied"
        return build_response(uid, True), "allowed"

    async def check(self, request: AdmissionRequest, *, unlabelled: bool = False) -> None:
        """Raise :class:`Denied` with every reason when the object must be refused."""
        obj = request.get("object")
        if obj is None or request["operation"] not in ("CREATE", "UPDATE"):
            return
        gvk = request["kind"]
        subresource = request.get("subResource")
        if subresource and subresource != EPHEMERAL:
            return  # status, scale, binding...: no pod spec is being set
        if is_ingress(gvk["group"], gvk["kind"]):
            await self.check_ingress(request, obj, unlabelled=unlabelled)
            return
        template = pod_template(gvk["group"], gvk["kind"], obj)
        if template is None:
            return
        if request["operation"] == "UPDATE" and _unchanged(gvk, template, request.get("oldObject")):
            return  # metadata-only updates of existing objects stay possible
        owner = await self._owner(request, unlabelled)
        if owner is None:
            return
        denials = pod_spec_denials(template[0], template[1], owner.slug, self.policy)
        if denials:
            raise Denied(denials)

    async def check_ingress(
        self, request: AdmissionRequest, obj: dict[str, Any], *, unlabelled: bool = False
    ) -> None:
        """Raise :class:`Denied` when an Ingress claims hosts that are not the user's, or
        that are also another user's address, or does not open to its owner only.

        An UPDATE is checked for hosts only when it changes them, and for the owner-only
        annotations only when it changes the spec or the annotations: an old Ingress can
        still be relabelled or cleaned up.
        """
        claims = ingress_claims(obj)
        hosts_unchanged = routing_unchanged = False
        old = request.get("oldObject")
        if request["operation"] == "UPDATE" and old is not None:
            with suppress(MalformedReview):  # an old object we cannot read: check it all
                hosts_unchanged = same_claims(ingress_claims(old), claims)
            routing_unchanged = same_routing(old, obj)
        if hosts_unchanged and routing_unchanged:
            return
        owner = await self._owner(request, unlabelled)
        if owner is None:
            return
        denials = [] if hosts_unchanged else await self._host_denials(claims, owner.slug)
        if not routing_unchanged:
            hosts = [host for _, host in claims if host is not None]
            denials += owner_only_denials(obj, hosts, self.policy, self.policy.ingress_class)
        if denials:
            raise Denied(denials)

    async def _host_denials(self, claims: list[Claim], slug: str | None) -> list[str]:
        domain = self.policy.ingress_domain
        known: Set[str] = frozenset()
        if slug is not None and domain and any(host for _, host in claims):
            # Other users' slugs, to refuse a host that is also theirs: only complete once
            # the directory has listed the namespaces.
            if not await self.directory.wait_ready(READY_WAIT):
                raise Denied([NOT_READY])
            known = self.directory.user_slugs()
        return ingress_denials(claims, slug, domain, known)


def _unchanged(gvk: Any, template: tuple[Any, Any], old: dict[str, Any] | None) -> bool:
    """True when an UPDATE leaves the pod spec and pod annotations as they were."""
    if old is None:
        return False
    try:
        before = pod_template(gvk["group"], gvk["kind"], old)
    except MalformedReview:
        return False
    if before is None:
        return False
    return bool(
        before[1] == template[1] and before[0].get("annotations") == template[0].get("annotations")
    )
