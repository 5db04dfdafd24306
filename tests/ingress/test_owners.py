"""Whose service is at a host: the owner index fed with Namespace and Ingress objects."""

from __future__ import annotations

from typing import Any

from karvdash.naming import namespace_annotations, namespace_for, namespace_labels
from karvdash_hub.service.ingress_owners import OwnerIndex, host_of, service_of

DOMAIN = "example.org"


def namespace(user: str, *, name: str | None = None, label: str | None = None) -> dict[str, Any]:
    labels = namespace_labels(user) if label is None else {"karvdash.io/user": label}
    return {
        "metadata": {
            "name": name or namespace_for(user),
            "labels": labels,
            "annotations": namespace_annotations(user),
        }
    }


def ingress(ns: str, name: str, *hosts: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": ns, "name": name, "labels": {"karvdash.io/service": name}},
        "spec": {"rules": [{"host": h} for h in hosts]},
    }


def index_with(*users: str) -> OwnerIndex:
    index = OwnerIndex(DOMAIN)
    index.replace_namespaces([namespace(u) for u in users])
    return index


def test_a_service_host_belongs_to_the_user_of_its_namespace() -> None:
    index = index_with("alice", "bob")
    index.set_ingress(ingress("karvdash-alice", "web", f"web-alice.{DOMAIN}"))
    assert index.owner(f"web-alice.{DOMAIN}") == "alice"
    assert index.owner(f"web-bob.{DOMAIN}") is None
    assert index.owner(f"other-alice.{DOMAIN}") is None  # no service there


def test_escaped_user_names_own_their_hosts_by_exact_name() -> None:
    index = index_with("Ann.Lee")
    ns = namespace_for("Ann.Lee")
    index.set_ingress(ingress(ns, "web", f"web-ann-lee---5a9a93ab.{DOMAIN}"))
    assert index.owner(f"web-ann-lee---5a9a93ab.{DOMAIN}") == "Ann.Lee"


def test_slugs_with_dashes_are_matched_from_the_right() -> None:
    index = index_with("ann-lee")
    index.set_ingress(ingress("karvdash-ann-lee", "my-web", f"my-web-ann-lee.{DOMAIN}"))
    assert index.owner(f"my-web-ann-lee.{DOMAIN}") == "ann-lee"
    assert service_of(f"my-web-ann-lee.{DOMAIN}", "ann-lee", DOMAIN) == "my-web"
    assert service_of(f"-ann-lee.{DOMAIN}", "ann-lee", DOMAIN) is None
    assert service_of(f"web-ann-lee.{DOMAIN}.evil.com", "ann-lee", DOMAIN) is None


def test_a_host_naming_another_user_is_nobodys() -> None:
    index = index_with("alice", "bob")
    index.set_ingress(ingress("karvdash-alice", "steal", f"web-bob.{DOMAIN}", "x.evil.com"))
    assert index.owner(f"web-bob.{DOMAIN}") is None
    assert index.owner("x.evil.com") is None


def test_a_host_two_namespaces_claim_is_nobodys() -> None:
    # lee's service "web-ann" and ann-lee's service "web" share one address
    index = index_with("lee", "ann-lee")
    index.set_ingress(ingress("karvdash-ann-lee", "web", f"web-ann-lee.{DOMAIN}"))
    assert index.owner(f"web-ann-lee.{DOMAIN}") == "ann-lee"
    index.set_ingress(ingress("karvdash-lee", "web-ann", f"web-ann-lee.{DOMAIN}"))
    assert index.owner(f"web-ann-lee.{DOMAIN}") is None
    index.delete_ingress("karvdash-lee", "web-ann")
    assert index.owner(f"web-ann-lee.{DOMAIN}") == "ann-lee"


def test_namespaces_that_are_not_a_users_own_nothing() -> None:
    index = OwnerIndex(DOMAIN)
    index.replace_namespaces(
        [
            namespace("alice", name="team-x"),  # label of alice, name of nobody
            namespace("bob", label="alice"),  # name of bob, label of alice
            {"metadata": {"name": "karvdash-carol"}},  # no label
        ]
    )
    for ns, user in (("team-x", "alice"), ("karvdash-bob", "bob"), ("karvdash-carol", "carol")):
        index.set_ingress(ingress(ns, "web", f"web-{user}.{DOMAIN}"))
        assert index.owner(f"web-{user}.{DOMAIN}") is None


def test_owners_follow_deletions_and_label_changes() -> None:
    index = index_with("alice")
    index.set_ingress(ingress("karvdash-alice", "web", f"web-alice.{DOMAIN}"))
    index.set_ingress(ingress("karvdash-alice", "web", f"www-alice.{DOMAIN}"))  # host changed
    assert index.owner(f"web-alice.{DOMAIN}") is None
    assert index.owner(f"www-alice.{DOMAIN}") == "alice"
    index.set_namespace(namespace("alice", label="mallory"))
    assert index.owner(f"www-alice.{DOMAIN}") is None
    index.set_namespace(namespace("alice"))
    assert index.owner(f"www-alice.{DOMAIN}") == "alice"
    index.delete_namespace("karvdash-alice")
    assert index.owner(f"www-alice.{DOMAIN}") is None
    index.set_namespace(namespace("alice"))
    index.delete_ingress("karvdash-alice", "web")
    assert index.hosts == {}


def test_a_fresh_list_replaces_everything() -> None:
    index = index_with("alice", "bob")
    index.set_ingress(ingress("karvdash-alice", "web", f"web-alice.{DOMAIN}"))
    index.replace_ingresses(
        [ingress("karvdash-bob", "db", f"db-bob.{DOMAIN}", f"DB2-bob.{DOMAIN}")]
    )
    assert index.hosts == {f"db-bob.{DOMAIN}": "bob", f"db2-bob.{DOMAIN}": "bob"}
    index.replace_namespaces([namespace("alice")])
    assert index.hosts == {}


def test_malformed_objects_are_ignored() -> None:
    index = index_with("alice")
    index.set_ingress({"metadata": {"namespace": "karvdash-alice"}})
    index.set_ingress({"metadata": {"namespace": "karvdash-alice", "name": "x"}, "spec": None})
    index.set_ingress(
        {"metadata": {"namespace": "karvdash-alice", "name": "y"}, "spec": {"rules": [1, {}]}}
    )
    index.set_namespace({"metadata": None})
    assert index.hosts == {}


def test_host_of_drops_port_and_case_and_refuses_what_nginx_would_read_otherwise() -> None:
    assert host_of("Web-Alice.Example.org:443") == "web-alice.example.org"
    # nginx takes "web-bob" from these, a URL parser "web-alice": no host at all
    assert host_of("web-bob.example.org:x@web-alice.example.org") == ""
    assert host_of("user:pw@web-alice.example.org") == ""
    assert host_of("web-alice.example.org:44x") == ""
    assert host_of("web-alice.example.org/x") == ""
    assert host_of("web-alice.example.org.") == "web-alice.example.org"
    assert host_of("[::1]:8443") == "[::1]"
