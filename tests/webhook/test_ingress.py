"""Ingress hosts in user namespaces: the pure check and the webhook's answers (no cluster)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from karvdash_webhook.admission import Webhook
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.ingress import (
    NOT_READY,
    allowed_form,
    host_allowed,
    ingress_claims,
    ingress_denials,
    other_readings,
    same_claims,
)
from karvdash_webhook.namespaces import StaticNamespaceDirectory
from karvdash_webhook.review import AdmissionRequest, parse_review

from karvdash.naming import user_slug
from karvdash.settings import load_settings
from karvdash.templates import ingress_annotations
from karvdash.templates.render import hostname_for

from .helpers import NAMESPACE, SLUG, UID, make_policy, review

DOMAIN = "apps.example.org"
OWN = f"web-{SLUG}.{DOMAIN}"
BOBS = f"web-bob.{DOMAIN}"
FORM = f"hosts of the form <name>-{SLUG}.{DOMAIN}, where <name> is one DNS label"
POLICY = make_policy(ingress_domain=DOMAIN)


def ingress(*hosts: str | None, tls: list[list[str]] | None = None, **spec: Any) -> dict[str, Any]:
    """A networking.k8s.io/v1 Ingress with one rule per host (``None``: no host), with the
    class and owner-only annotations the template engine gives (for the first host): these
    tests are about hosts; tests/webhook/test_ingress_auth.py about the annotations."""
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    paths = {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}
    rules = [{"http": paths} if h is None else {"host": h, "http": paths} for h in hosts]
    body: dict[str, Any] = {"rules": rules, **spec} if rules else dict(spec)
    body.setdefault("ingressClassName", POLICY.ingress_class)
    if tls is not None:
        body["tls"] = [{"hosts": h, "secretName": "karvdash-tls"} for h in tls]
    first = next((h for h in hosts if h is not None), "<host>").lower()
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": NAMESPACE,
            "annotations": ingress_annotations(POLICY, first),
        },
        "spec": body,
    }


def denials(obj: dict[str, Any], slug: str | None = SLUG, domain: str = DOMAIN) -> list[str]:
    return ingress_denials(ingress_claims(obj), slug, domain)


def refusal(obj: dict[str, Any], slug: str | None = SLUG, domain: str = DOMAIN) -> str:
    """The one refused claim's sentence; the allowed form follows it."""
    (message, allowed) = denials(obj, slug, domain)
    assert allowed == allowed_form(slug, domain)
    return message


# --- the pure check ---------------------------------------------------------------------


def test_own_hosts_are_allowed() -> None:
    assert denials(ingress(OWN, f"my-files-2-{SLUG}.{DOMAIN}", tls=[[OWN]])) == []


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("alice", "web"),
        ("ann-lee", "my-web"),
        ("Ann.Lee", "web"),  # an escaped slug: ann-lee---<hash>
        ("alice", "web-x7k2"),  # a clashing name with its random suffix
        ("a" * 30, "n" * 32),  # the longest slug and service name: a 63-character label
    ],
)
def test_hosts_the_template_engine_gives_are_allowed(user: str, name: str) -> None:
    settings = load_settings(env={}, overrides={"ingress_domain": DOMAIN})
    host = hostname_for(settings, user, name)
    assert host_allowed(host, user_slug(user), DOMAIN)
    assert denials(ingress(host, tls=[[host]]), user_slug(user)) == []


@pytest.mark.parametrize(
    "host",
    [
        BOBS,
        f"web-{SLUG}x.{DOMAIN}",
        f"web-{SLUG}.{DOMAIN}.evil.com",
        f"a.web-{SLUG}.{DOMAIN}",  # <name> holds a dot
        f"-{SLUG}.{DOMAIN}",
        f"{SLUG}.{DOMAIN}",
        f"*.{DOMAIN}",
        f"*-{SLUG}.{DOMAIN}",
        DOMAIN,
        f"web-{SLUG}.example.org",
        "example.com",
        f"{'n' * 33}-{'a' * 30}.{DOMAIN}",  # more than 63 characters in the label
    ],
)
def test_other_hosts_are_refused_naming_the_host_and_the_allowed_form(host: str) -> None:
    assert refusal(ingress(host)) == f'Ingress host "{host}" (spec.rules[0].host) is refused.'
    assert FORM in allowed_form(SLUG, DOMAIN)


def test_a_tls_host_of_another_user_is_refused() -> None:
    message = refusal(ingress(OWN, tls=[[OWN, BOBS]]))
    assert message == f'TLS host "{BOBS}" (spec.tls[0].hosts[1]) is refused.'


def test_a_rule_without_host_is_a_catch_all_and_refused() -> None:
    assert refusal(ingress(OWN, None)) == (
        "Ingress rule spec.rules[1] has no host, so it would take the requests for every "
        "host; it is refused."
    )


@pytest.mark.parametrize("field", ["defaultBackend", "backend"], ids=["v1", "v1beta1"])
def test_a_default_backend_without_rules_is_a_catch_all_and_refused(field: str) -> None:
    obj = ingress(**{field: {"service": {"name": "web", "port": {"number": 80}}}})
    message = refusal(obj)
    assert message.startswith(f"The Ingress has no rules, so its default backend (spec.{field})")


def test_a_default_backend_beside_own_rules_serves_only_their_hosts() -> None:
    obj = ingress(OWN, defaultBackend={"service": {"name": "web", "port": {"number": 80}}})
    assert denials(obj) == []


def test_a_tls_entry_without_hosts_claims_nothing() -> None:
    obj = ingress(OWN)
    obj["spec"]["tls"] = [{"secretName": "mine"}]
    assert denials(obj) == []


def test_every_bad_host_is_reported_then_the_allowed_form_once() -> None:
    found = denials(ingress(BOBS, OWN, None, tls=[[BOBS]]))
    assert [m.split(" is refused")[0].split(",")[0] for m in found] == [
        f'Ingress host "{BOBS}" (spec.rules[0].host)',
        "Ingress rule spec.rules[2] has no host",
        f'TLS host "{BOBS}" (spec.tls[0].hosts[0])',
        allowed_form(SLUG, DOMAIN).split(",")[0],
    ]
    assert FORM in found[-1]


def test_hosts_are_compared_in_lower_case() -> None:
    assert denials(ingress(OWN.upper())) == []


def test_where_the_owner_is_unknown_no_host_is_allowed() -> None:
    (_, why) = denials(ingress(OWN), slug=None)
    assert why.startswith("The owner of this namespace is unknown")
    assert why.endswith("Ask an administrator to restore the label.")


def test_without_an_ingress_domain_no_host_is_allowed() -> None:
    (_, why) = denials(ingress(f"web-{SLUG}."), domain="")
    assert "its ingress_domain setting is empty" in why


@pytest.mark.parametrize(
    "spec",
    [{"rules": {}}, {"rules": ["x"]}, {"rules": [{"host": 3}]}, {"tls": [{"hosts": "a"}]}],
)
def test_mistyped_ingresses_are_malformed(spec: dict[str, Any]) -> None:
    with pytest.raises(MalformedReview):
        ingress_claims({"spec": spec})


def test_claims_compare_whatever_their_order() -> None:
    two = ingress(OWN, BOBS)
    swapped = ingress(BOBS, OWN)
    assert same_claims(ingress_claims(two), ingress_claims(swapped))
    assert not same_claims(ingress_claims(two), ingress_claims(ingress(OWN)))
    assert not same_claims(ingress_claims(ingress(OWN)), ingress_claims(ingress(OWN, tls=[[OWN]])))


# --- hosts that are also another user's address ------------------------------------------

USERS = frozenset({"lee", "ann-lee", "bob", SLUG})
AMBIGUOUS = f"web-ann-lee.{DOMAIN}"


def test_a_host_that_is_also_another_users_address_is_refused_naming_that_user() -> None:
    found = ingress_denials(ingress_claims(ingress(AMBIGUOUS)), "lee", DOMAIN, USERS)
    assert found == [
        f'Ingress host "{AMBIGUOUS}" (spec.rules[0].host) is ambiguous: it is also the '
        'address of service "web" of user "ann-lee", so it is refused here. Choose another '
        'service name, one that does not end in "-ann".'
    ]


def test_the_user_with_the_longer_slug_keeps_an_ambiguous_host() -> None:
    """Every host of ann-lee also reads as lee's: refusing those would leave ann-lee none."""
    claims = ingress_claims(ingress(AMBIGUOUS, f"x-y-ann-lee.{DOMAIN}", tls=[[AMBIGUOUS]]))
    assert ingress_denials(claims, "ann-lee", DOMAIN, USERS) == []


def test_an_ambiguous_tls_host_is_refused_too() -> None:
    own = f"web-lee.{DOMAIN}"
    (message,) = ingress_denials(
        ingress_claims(ingress(own, tls=[[own, AMBIGUOUS]])), "lee", DOMAIN, USERS
    )
    assert message.startswith(f'TLS host "{AMBIGUOUS}" (spec.tls[0].hosts[1]) is ambiguous')


@pytest.mark.parametrize(
    "host",
    [
        f"web-lee.{DOMAIN}",
        f"web-carol-lee.{DOMAIN}",  # carol-lee is nobody
        f"web-bob-x-lee.{DOMAIN}",  # bob is somebody, but bob-x-lee is nobody
        f"ann-lee.{DOMAIN}",  # service "ann" of lee: as ann-lee's it would have no service part
        f"web--ann-lee.{DOMAIN}",  # as ann-lee's, the service part "web-" is no DNS label
    ],
)
def test_hosts_with_no_other_users_reading_stay_allowed(host: str) -> None:
    assert ingress_denials(ingress_claims(ingress(host)), "lee", DOMAIN, USERS) == []


def test_only_users_that_exist_make_a_host_ambiguous() -> None:
    assert ingress_denials(ingress_claims(ingress(AMBIGUOUS)), "lee", DOMAIN) == []
    assert other_readings(AMBIGUOUS, "lee", DOMAIN, {"lee", "bob"}) == []


def test_every_other_reading_is_named_and_the_shortest_ending_suggested() -> None:
    host = f"a-x-ann-lee.{DOMAIN}"
    users = {"lee", "ann-lee", "x-ann-lee"}
    assert other_readings(host, "lee", DOMAIN, users) == [("x-ann-lee", "a"), ("ann-lee", "a-x")]
    assert other_readings(host, "ann-lee", DOMAIN, users) == [("x-ann-lee", "a")]
    assert other_readings(host, "x-ann-lee", DOMAIN, users) == []
    (message,) = ingress_denials(ingress_claims(ingress(host)), "lee", DOMAIN, users)
    assert 'of service "a" of user "x-ann-lee" and service "a-x" of user "ann-lee"' in message
    assert message.endswith('one that does not end in "-ann".')


def test_a_host_not_of_the_users_form_has_no_other_reading_to_report() -> None:
    assert other_readings(AMBIGUOUS, "bob", DOMAIN, USERS) == []


def test_foreign_and_ambiguous_hosts_are_reported_together_then_the_allowed_form() -> None:
    found = ingress_denials(ingress_claims(ingress(AMBIGUOUS, BOBS)), "lee", DOMAIN, USERS)
    assert [m.split(" is ")[0] for m in found[:2]] == [
        f'Ingress host "{AMBIGUOUS}" (spec.rules[0].host)',
        f'Ingress host "{BOBS}" (spec.rules[1].host)',
    ]
    assert "ambiguous" in found[0]
    assert found[2:] == [allowed_form("lee", DOMAIN)]


def test_the_policy_takes_the_ingress_domain_normalised() -> None:
    assert make_policy(ingress_domain="Apps.Example.org.").ingress_domain == DOMAIN


# --- through the webhook ----------------------------------------------------------------

WEBHOOK = Webhook(POLICY, StaticNamespaceDirectory({NAMESPACE: SLUG}))


def request(doc: dict[str, Any]) -> AdmissionRequest:
    return parse_review(json.dumps(doc))


def ingress_review(obj: dict[str, Any] | None, **kwargs: Any) -> dict[str, Any]:
    return review(obj, kind="Ingress", group="networking.k8s.io", **kwargs)


async def test_the_webhook_refuses_another_users_host() -> None:
    answer, result = await WEBHOOK.validate(request(ingress_review(ingress(BOBS))))
    assert result == "denied"
    assert answer["response"]["uid"] == UID
    message = answer["response"]["status"]["message"]
    assert message == f'Ingress host "{BOBS}" (spec.rules[0].host) is refused. ' + allowed_form(
        SLUG, DOMAIN
    )
    assert FORM in message


async def test_the_webhook_allows_the_users_own_host() -> None:
    answer, result = await WEBHOOK.validate(request(ingress_review(ingress(OWN, tls=[[OWN]]))))
    assert (result, answer["response"]) == ("allowed", {"uid": UID, "allowed": True})


async def test_an_update_to_another_host_is_refused() -> None:
    doc = ingress_review(ingress(BOBS), operation="UPDATE", old=ingress(OWN))
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"


async def test_an_update_that_keeps_the_hosts_of_an_old_ingress_is_allowed() -> None:
    old = ingress(BOBS)
    new = ingress(BOBS)
    new["metadata"]["finalizers"] = []
    doc = ingress_review(new, operation="UPDATE", old=old)
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "allowed"


async def test_a_v1beta1_ingress_is_checked_too() -> None:
    obj = ingress(BOBS)
    obj["apiVersion"] = "networking.k8s.io/v1beta1"
    doc = review(obj, kind="Ingress", group="networking.k8s.io", version="v1beta1")
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"
    doc = review(ingress(None), kind="Ingress", group="extensions", version="v1beta1")
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "denied"


@pytest.mark.parametrize(
    "doc",
    [
        ingress_review(ingress(BOBS, None), namespace="team-a"),
        ingress_review(ingress(BOBS), operation="UPDATE", old=ingress(OWN), sub_resource="status"),
        ingress_review(None, operation="DELETE", old=ingress(BOBS)),
        review(ingress(BOBS), kind="Ingress", group="example.org"),
    ],
    ids=["other-namespace", "status", "delete", "other-group"],
)
async def test_other_ingress_reviews_are_allowed(doc: dict[str, Any]) -> None:
    _, result = await WEBHOOK.validate(request(doc))
    assert result == "allowed"


# --- ambiguous hosts through the webhook -------------------------------------------------

LEES, ANN_LEES = "karvdash-lee", "karvdash-ann-lee"


def lee_and_ann_lee(**more: str) -> Webhook:
    directory = StaticNamespaceDirectory({LEES: "lee", ANN_LEES: "ann-lee", **more})
    return Webhook(make_policy(ingress_domain=DOMAIN), directory)


async def test_the_webhook_refuses_a_host_that_is_also_another_users_address() -> None:
    doc = ingress_review(ingress(AMBIGUOUS), namespace=LEES)
    answer, result = await lee_and_ann_lee().validate(request(doc))
    assert result == "denied"
    message = answer["response"]["status"]["message"]
    assert message.startswith(f'Ingress host "{AMBIGUOUS}" (spec.rules[0].host) is ambiguous')
    assert 'of user "ann-lee"' in message


async def test_the_webhook_lets_the_longer_slug_use_the_ambiguous_host() -> None:
    doc = ingress_review(ingress(AMBIGUOUS, tls=[[AMBIGUOUS]]), namespace=ANN_LEES)
    _, result = await lee_and_ann_lee().validate(request(doc))
    assert result == "allowed"


async def test_a_namespace_whose_owner_is_unknown_makes_no_host_ambiguous() -> None:
    """karvdash-ann-lee labelled for somebody else: the hub would not count it either."""
    webhook = Webhook(
        make_policy(ingress_domain=DOMAIN),
        StaticNamespaceDirectory({LEES: "lee", ANN_LEES: "mallory"}),
    )
    _, result = await webhook.validate(request(ingress_review(ingress(AMBIGUOUS), namespace=LEES)))
    assert result == "allowed"


class Unsynced(StaticNamespaceDirectory):
    async def wait_ready(self, timeout: float) -> bool:
        return False


async def test_before_the_directory_has_synced_hosts_are_refused_with_a_retry_hint() -> None:
    webhook = Webhook(make_policy(ingress_domain=DOMAIN), Unsynced({NAMESPACE: SLUG}))
    answer, result = await webhook.validate(request(ingress_review(ingress(OWN))))
    assert result == "denied"
    assert answer["response"]["status"]["message"] == NOT_READY
    assert "try again" in NOT_READY
    other = ingress_review(ingress(OWN), namespace="team-a")
    _, result = await webhook.validate(request(other))
    assert result == "allowed"
