"""Whose service answers at a host: ``web-alice.<domain>`` -> ``alice`` (pure part).

The owner of a host is found from the cluster's Ingresses (every one, whoever made it:
ingress-nginx routes by host, labels or not) and the namespaces they live in, never from
the host name alone, so a host that no service publishes has no owner. A host counts for
the namespace's user only when all of this holds:

* the namespace is a user's: its name is ``<namespace_prefix><slug>`` and its
  ``karvdash.io/user`` label that same slug (:func:`karvdash.naming.user_from_namespace`
  gives the exact name from the ``karvdash.io/username`` annotation);
* the host is ``<service>-<slug>.<ingress_domain>`` for that slug (slugs may hold ``-``,
  so this is checked from the right, against the namespace's slug);
* no other namespace's Ingress claims the same host (two claims: nobody owns it).

:class:`OwnerIndex` applies Namespace and Ingress objects (raw JSON, as lists and watch
events give them) and answers :meth:`OwnerIndex.owner` with one dictionary lookup.
:class:`StaticOwners` is a fixed mapping with the same interface as the cluster-backed
:class:`~.ingress_watch.KubernetesOwners`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from karvdash.naming import (
    namespace_for,
    service_of_host,
    slug_from_namespace,
    user_from_namespace,
)

_NETLOC = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?")

Key = tuple[str, str]
"""(namespace, name) of an Ingress."""


class ServiceOwners(Protocol):
    """Tells who owns the service at a host (lower-case, without port)."""

    @property
    def ready(self) -> bool:
        """True once the owners are known (the first list is done)."""

    def owner(self, host: str) -> str | None:
        """The exact user name owning ``host``; None when no service is published there."""

    async def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for :attr:`ready`; its value."""

    async def start(self) -> None:
        """Start following the cluster (returns at once)."""

    async def stop(self) -> None:
        """Stop following the cluster."""


def host_of(url_netloc: str) -> str:
    """``Web-Alice.example.org:443`` -> ``web-alice.example.org`` (IPv6 literals stay whole).

    Empty for what no HTTP client sends as a Host: credentials (``a:b@host``), a port that
    is not a number, characters a host name cannot hold. Those are where nginx and this
    code could read two different hosts (nginx cuts ``web-bob:x@web-alice`` at the colon).
    """
    if not _NETLOC.fullmatch(url_netloc):
        return ""
    host = url_netloc.lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


def service_of(host: str, slug: str, domain: str) -> str | None:
    """The service part of ``host`` when it is ``<service>-<slug>.<domain>``, else None
    (:func:`karvdash.naming.service_of_host`: the rule the admission webhook enforces)."""
    return service_of_host(host, slug, domain)


def meta_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def ingress_hosts(ingress: Mapping[str, Any]) -> set[str]:
    """The hosts of an Ingress's rules (lower-case)."""
    spec = ingress.get("spec")
    rules = spec.get("rules") if isinstance(spec, Mapping) else None
    hosts = set()
    for rule in rules if isinstance(rules, list) else ():
        host = rule.get("host") if isinstance(rule, Mapping) else None
        if isinstance(host, str) and host:
            hosts.add(host.lower())
    return hosts


class OwnerIndex:
    """Hosts -> owners, from Namespace and Ingress objects; see the module's rules."""

    def __init__(self, domain: str, prefix: str = "karvdash-") -> None:
        self.domain = domain.lower().strip(".")
        self.prefix = prefix
        self._users: dict[str, tuple[str, str]] = {}  # namespace -> (user, slug)
        self._hosts: dict[Key, set[str]] = {}  # Ingress -> its hosts
        self._claims: dict[str, set[Key]] = {}  # host -> the Ingresses naming it
        self._owners: dict[str, str] = {}  # host -> owner (the answer)

    def owner(self, host: str) -> str | None:
        return self._owners.get(host)

    @property
    def hosts(self) -> dict[str, str]:
        """Every host with an owner (a copy)."""
        return dict(self._owners)

    # ---- namespaces ---------------------------------------------------------------------

    def _user_of(self, namespace: Mapping[str, Any]) -> tuple[str, str] | None:
        name = meta_of(namespace).get("name")
        user = user_from_namespace(namespace)
        slug = slug_from_namespace(namespace)
        if not isinstance(name, str) or user is None or slug is None:
            return None
        try:
            expected = namespace_for(user, self.prefix)
        except ValueError:
            return None
        return (user, slug) if name == expected else None

    def set_namespace(self, namespace: Mapping[str, Any]) -> None:
        name = meta_of(namespace).get("name")
        if not isinstance(name, str):
            return
        user = self._user_of(namespace)
        if self._users.get(name) == user:
            return
        if user is None:
            self._users.pop(name, None)
        else:
            self._users[name] = user
        self._recompute(h for key, hs in self._hosts.items() if key[0] == name for h in hs)

    def delete_namespace(self, name: str) -> None:
        if self._users.pop(name, None) is not None:
            self._recompute(h for key, hs in self._hosts.items() if key[0] == name for h in hs)

    def replace_namespaces(self, namespaces: Iterable[Mapping[str, Any]]) -> None:
        users = {}
        for namespace in namespaces:
            name, user = meta_of(namespace).get("name"), self._user_of(namespace)
            if isinstance(name, str) and user is not None:
                users[name] = user
        self._users = users
        self._recompute(list(self._claims))

    # ---- ingresses ----------------------------------------------------------------------

    def set_ingress(self, ingress: Mapping[str, Any]) -> None:
        meta = meta_of(ingress)
        namespace, name = meta.get("namespace"), meta.get("name")
        if not isinstance(namespace, str) or not isinstance(name, str):
            return
        key = (namespace, name)
        hosts = ingress_hosts(ingress)
        old = self._hosts.get(key, set())
        if hosts == old:
            return
        self._unclaim(key, old - hosts)
        self._hosts[key] = hosts
        for host in hosts - old:
            self._claims.setdefault(host, set()).add(key)
        self._recompute(hosts ^ old)

    def delete_ingress(self, namespace: str, name: str) -> None:
        old = self._hosts.pop((namespace, name), set())
        self._unclaim((namespace, name), old)
        self._recompute(old)

    def replace_ingresses(self, ingresses: Iterable[Mapping[str, Any]]) -> None:
        self._hosts, self._claims = {}, {}
        for ingress in ingresses:
            meta = meta_of(ingress)
            namespace, name = meta.get("namespace"), meta.get("name")
            if isinstance(namespace, str) and isinstance(name, str):
                hosts = ingress_hosts(ingress)
                self._hosts[(namespace, name)] = hosts
                for host in hosts:
                    self._claims.setdefault(host, set()).add((namespace, name))
        self._owners = {}
        self._recompute(list(self._claims))

    def _unclaim(self, key: Key, hosts: Iterable[str]) -> None:
        for host in hosts:
            keys = self._claims.get(host)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._claims[host]

    def _recompute(self, hosts: Iterable[str]) -> None:
        for host in set(hosts):
            owner = self._owner_from_claims(host)
            if owner is None:
                self._owners.pop(host, None)
            else:
                self._owners[host] = owner

    def _owner_from_claims(self, host: str) -> str | None:
        namespaces = {namespace for namespace, _ in self._claims.get(host, ())}
        if len(namespaces) != 1:
            return None  # nobody, or two namespaces claim it
        user = self._users.get(namespaces.pop())
        if user is None or service_of(host, user[1], self.domain) is None:
            return None
        return user[0]


class StaticOwners:
    """A fixed ``host -> owner`` mapping (tests, benchmarks); always ready."""

    def __init__(self, owners: Mapping[str, str]) -> None:
        self.owners = {host.lower(): user for host, user in owners.items()}

    @property
    def ready(self) -> bool:
        return True

    def owner(self, host: str) -> str | None:
        return self.owners.get(host)

    async def wait_ready(self, timeout: float) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
