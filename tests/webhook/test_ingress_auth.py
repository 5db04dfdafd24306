"""Owner-only Ingresses in user namespaces: the pure check and the webhook's answers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from karvdash_webhook.admission import Webhook
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.ingress_auth import OWNER_ONLY_HINT, owner_only_denials, same_routing
from karvdash_webhook.namespaces import StaticNamespaceDirectory
from karvdash_webhook.review import AdmissionRequest, parse_review

from karvdash.settings import load_settings
from karvdash.templates import context_for, ingress_annotations, parse_template, render

from .helpers import NAMESPACE, SLUG, UID, make_policy, review

DOMAIN = "apps.example.org"
AUTH_URL = "http://hub.karvdash.svc:8000/services/karvdash/ingress/auth"
SIGNIN = f"https://{DOMAIN}/services/karvdash/ingress/signin"
OVERRIDES = {"ingress_domain": DOMAIN, "ingress_auth_url": AUTH_URL, "ingress_class": "public"}
SETTINGS = load_settings(env={}, overrides=OVERRIDES)
POLICY = make_policy(**OVERRIDES)
OWN = f"web-{SLUG}.{DOMAIN}"
NGINX = "nginx.ingress.kubernetes.io/"
TEMPLATES = Path(__file__).resolve().parents[2] / "service-templates"


def owner_only(host: str = OWN) -> dict[str, str]:
    """What the template engine gives an Ingress for ``host``."""
    return ingress_annotations(POLICY, host)


def ingress(*hosts: str, annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    """A networking.k8s.io/v1 Ingress for ``hosts`` (default: the user's own), class
    ``public`` and ``annotations`` (default: the template engine's for the first host)."""
    hosts = hosts or (OWN,)
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    paths = {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": NAMESPACE,
            "annotations": owner_only(hosts[0]) if annotations is None else annotations,
        },
        "spec": {
            "ingressClassName": "public",
            "rules": [{"host": h, "http": paths} for h in hosts],
            "tls": [{"hosts": list(hosts), "secretName": "karvdash-tls"}],
            **spec,
        },
    }


def denials(obj: dict[str, Any]) -> list[str]:
    hosts = [rule["host"] for rule in obj["spec"].get("rules", [])]
    return owner_only_denials(obj, hosts, POLICY, POLICY.ingress_class)


def without(key: str) -> dict[str, str]:
    annotations = owner_only()
    del annotations[NGINX + key]
    return annotations


# --- the template engine's Ingresses pass ------------------------------------------------


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.template.yaml")), ids=lambda p: p.stem)
def test_every_system_templates_ingress_passes(path: Path) -> None:
    """Rendered by the engine itself (render + context_for), as the ServiceManager does."""
    template = parse_template(path.read_text(), path.name.split(".")[0], system=True)
    objects = render(template, {}, context_for(SETTINGS, "ann-lee", "karvdash-ann-lee", "web"))
    for obj in (o for o in objects if o["kind"] == "Ingress"):
        hosts = [rule["host"] for rule in obj["spec"]["rules"]]
        assert hosts == [f"web-ann-lee.{DOMAIN}"]
        assert owner_only_denials(obj, hosts, POLICY, POLICY.ingress_class) == []


def test_the_template_engines_annotations_pass_and_other_annotations_are_kept() -> None:
    annotations = {
        **owner_only(),
        NGINX + "proxy-body-size": "64m",
        NGINX + "rewrite-target": "/",
        NGINX + "whitelist-source-range": "10.0.0.0/8",
        NGINX + "enable-global-auth": "true",
        NGINX + "satisfy": "all",
        NGINX + "ssl-passthrough": "false",
        NGINX + "ssl-redirect": "false",
        "example.org/configuration-snippet": "not ingress-nginx's",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
    }
    assert denials(ingress(annotations=annotations)) == []


def test_auth_signin_may_name_any_of_the_ingresses_own_hosts() -> None:
    other = f"files-{SLUG}.{DOMAIN}"
    assert denials(ingress(OWN, other, annotations=owner_only(other))) == []


# --- missing or wrong owner-only annotations ---------------------------------------------


def test_an_ingress_without_annotations_is_refused_naming_each_with_its_value() -> None:
    assert denials(ingress(annotations={})) == [
        f'The annotation {NGINX}auth-url is missing; it must be "{AUTH_URL}?host={OWN}".',
        f"The annotation {NGINX}auth-signin is missing; it must be "
        f'"{SIGNIN}?rd=https://{OWN}$escaped_request_uri".',
        f"The annotation {NGINX}auth-response-headers is missing; it must be "
        '"Cookie,Authorization".',
        OWNER_ONLY_HINT,
    ]
    assert "must open to their owner only" in OWNER_ONLY_HINT
    assert "Launch the service through Karvdash, or copy those annotations" in OWNER_ONLY_HINT


@pytest.mark.parametrize("key", ["auth-url", "auth-signin", "auth-response-headers"])
def test_each_missing_owner_only_annotation_is_refused(key: str) -> None:
    (message, hint) = denials(ingress(annotations=without(key)))
    assert message.startswith(f"The annotation {NGINX}{key} is missing; it must be ")
    assert hint == OWNER_ONLY_HINT


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auth-url", "http://evil.example.com/allow-everybody"),
        ("auth-url", AUTH_URL + "?x=1"),
        ("auth-url", AUTH_URL),  # no host: the hub could not tell which host nginx served
        ("auth-url", f"{AUTH_URL}?host=web-bob.{DOMAIN}"),
        ("auth-signin", f"{SIGNIN}?rd=https://web-bob.{DOMAIN}$escaped_request_uri"),
        ("auth-signin", SIGNIN),  # no rd: visitors would not come back
        ("auth-signin", f"{SIGNIN}?rd=https://{OWN}$request_uri"),
        ("auth-signin", "https://evil.example.com/login"),
        ("auth-response-headers", "Cookie"),
        ("auth-response-headers", ""),
    ],
)
def test_a_wrong_owner_only_annotation_is_refused_naming_both_values(key: str, value: str) -> None:
    annotations = {**owner_only(), NGINX + key: value}
    (message, hint) = denials(ingress(annotations=annotations))
    expected = owner_only()[NGINX + key]
    assert message == f"The annotation {NGINX}{key} is {json.dumps(value)}; it must be " + (
        f"{json.dumps(expected)}."
    )
    assert hint == OWNER_ONLY_HINT


def test_a_long_wrong_value_is_shortened_in_the_message() -> None:
    annotations = {**owner_only(), NGINX + "auth-url": "http://x/" + "a" * 5000}
    (message, _) = denials(ingress(annotations=annotations))
    assert len(message) < 400
    assert '..."; it must be' in message


def test_an_empty_auth_url_setting_lets_no_ingress_pass() -> None:
    policy = make_policy(ingress_domain=DOMAIN, ingress_auth_url="", ingress_class="public")
    obj = ingress(annotations={**owner_only(), NGINX + "auth-url": ""})
    found = owner_only_denials(obj, [OWN], policy, policy.ingress_class)
    assert found[0].startswith(f"The annotation {NGINX}auth-url cannot be checked")


# --- annotations that bypass or weaken the check or inject configuration ------------------


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [
        ("configuration-snippet", "more_set_headers 'X: y';", "nginx configuration of its own"),
        ("server-snippet", "location /x { return 200; }", "nginx configuration of its own"),
        ("auth-snippet", "proxy_set_header X y;", "nginx configuration of its own"),
        ("stream-snippet", "server { listen 9000; }", "nginx configuration of its own"),
        ("modsecurity-snippet", "SecRuleEngine Off", "nginx configuration of its own"),
        ("auth-type", "basic", "changes how the owner check is made"),
        ("auth-secret", "htpasswd", "changes how the owner check is made"),
        ("auth-tls-verify-client", "optional_no_ca", "changes how the owner check is made"),
        ("auth-tls-secret", "karvdash-alice/ca", "changes how the owner check is made"),
        ("auth-cache-key", "everybody", "changes how the owner check is made"),
        ("auth-proxy-set-headers", "karvdash-alice/headers", "changes how the owner check"),
        ("auth-signin-redirect-param", "next", "changes how the owner check is made"),
        ("auth-method", "POST", "changes how the owner check is made"),
        ("enable-global-auth", "false", "turn off the authentication"),
        ("satisfy", "any", "without the owner check"),
        ("server-alias", f"web-bob.{DOMAIN}", "hosts that spec.rules does not name"),
        ("ssl-passthrough", "true", "no request would be checked"),
        ("permanent-redirect", "https://evil.example.com/?t=$http_authorization", "redirect"),
        ("temporal-redirect", "https://evil.example.com/", "before it asks who the visitor is"),
        ("mirror-target", "https://evil.example.com$request_uri", "visitors' credentials"),
        ("mirror-uri", "/copy", "visitors' credentials"),
        ("custom-http-errors", "403,401", "refusals of the owner check"),
        ("default-backend", "catcher", "refusals of the owner check"),
        ("proxy-set-headers", "karvdash-alice/steal", "credentials ($http_cookie"),
    ],
)
def test_annotations_that_weaken_the_owner_check_are_refused(
    key: str, value: str, why: str
) -> None:
    (message, hint) = denials(ingress(annotations={**owner_only(), NGINX + key: value}))
    assert message.startswith(f"The annotation {NGINX}{key}: {json.dumps(value)} is refused: ")
    assert why in message
    assert hint == OWNER_ONLY_HINT


def test_every_problem_is_reported_once_then_the_hint() -> None:
    annotations = {
        NGINX + "auth-url": f"{AUTH_URL}?host={OWN}",
        NGINX + "satisfy": "any",
        NGINX + "configuration-snippet": "x",
    }
    found = denials(ingress(annotations=annotations))
    assert [m.split(" is ")[0] for m in found] == [
        f"The annotation {NGINX}auth-signin",
        f"The annotation {NGINX}auth-response-headers",
        f"The annotation {NGINX}configuration-snippet: " + '"x"',
        f"The annotation {NGINX}satisfy: " + '"any"',
        "Services published from a user namespace must open to their owner only: the template "
        "engine gives every Ingress it makes the annotations auth-url, auth-signin and "
        "auth-response-headers (nginx.ingress.kubernetes.io/) and none that bypasses them. "
        "Launch the service through Karvdash, or copy those annotations from an Ingress "
        "Karvdash made (auth-url and auth-signin name the Ingress's own host).",
    ]


# --- the ingress class ------------------------------------------------------------------


def test_an_ingress_without_class_is_refused() -> None:
    obj = ingress()
    del obj["spec"]["ingressClassName"]
    (message, hint) = denials(obj)
    assert message.startswith("The Ingress names no ingress class; set spec.ingressClassName:")
    assert '"public"' in message
    assert hint == OWNER_ONLY_HINT


@pytest.mark.parametrize("where", ["spec", "annotation"])
def test_an_ingress_for_another_controller_is_refused(where: str) -> None:
    obj = ingress()
    if where == "spec":
        obj["spec"]["ingressClassName"] = "traefik"
    else:
        del obj["spec"]["ingressClassName"]
        obj["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "traefik"
    (message, _) = denials(obj)
    assert message.startswith('The Ingress is for ingress class "traefik"')
    assert "would not ask Karvdash who may open the service" in message


def test_the_older_class_annotation_naming_the_class_passes() -> None:
    obj = ingress()
    del obj["spec"]["ingressClassName"]
    obj["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "public"
    assert denials(obj) == []


def test_without_an_ingress_class_setting_any_class_passes() -> None:
    obj = ingress()
    obj["spec"]["ingressClassName"] = "traefik"
    assert owner_only_denials(obj, [OWN], POLICY, "") == []


# --- reading and comparing -----------------------------------------------------------------


@pytest.mark.parametrize("metadata", [[], {"annotations": []}, {"annotations": {"a": 1}}])
def test_mistyped_annotations_are_malformed(metadata: Any) -> None:
    obj = ingress()
    obj["metadata"] = metadata
    with pytest.raises(MalformedReview):
        denials(obj)


def test_same_routing_tells_metadata_only_updates_apart() -> None:
    old = ingress(annotations={})
    relabelled = copy.deepcopy(old)
    relabelled["metadata"]["labels"] = {"a": "b"}
    relabelled["metadata"]["finalizers"] = []
    assert same_routing(old, relabelled)
    annotated = copy.deepcopy(old)
    annotated["metadata"]["annotations"] = {NGINX + "satisfy": "any"}
    assert not same_routing(old, annotated)
    rerouted = copy.deepcopy(old)
    rerouted["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/api"
    assert not same_routing(old, rerouted)


# --- through the webhook ------------------------------------------------------------------

WEBHOOK = Webhook(POLICY, StaticNamespaceDirectory({NAMESPACE: SLUG}))


def request(doc: dict[str, Any]) -> AdmissionRequest:
    return parse_review(json.dumps(doc))


def ingress_review(obj: dict[str, Any] | None, **kwargs: Any) -> dict[str, Any]:
    return review(obj, kind="Ingress", group="networking.k8s.io", **kwargs)


async def answer(doc: dict[str, Any]) -> tuple[str, str | None]:
    reply, result = await WEBHOOK.validate(request(doc))
    assert reply["response"]["uid"] == UID
    status = reply["response"].get("status")
    return result, None if status is None else status["message"]


async def test_the_webhook_refuses_an_ingress_without_owner_only_annotations() -> None:
    result, message = await answer(ingress_review(ingress(annotations={})))
    assert result == "denied"
    assert message is not None
    assert message.startswith(f"The annotation {NGINX}auth-url is missing")
    assert message.endswith(OWNER_ONLY_HINT)


async def test_the_webhook_admits_the_template_engines_ingress() -> None:
    assert await answer(ingress_review(ingress())) == ("allowed", None)


async def test_host_and_annotation_problems_are_reported_together() -> None:
    bobs = f"web-bob.{DOMAIN}"
    result, message = await answer(ingress_review(ingress(bobs, annotations=without("auth-url"))))
    assert result == "denied"
    assert message is not None
    assert message.startswith(f'Ingress host "{bobs}" (spec.rules[0].host) is refused.')
    assert f"The annotation {NGINX}auth-url is missing" in message


async def test_an_update_that_removes_auth_url_is_refused() -> None:
    new = ingress(annotations=without("auth-url"))
    result, message = await answer(ingress_review(new, operation="UPDATE", old=ingress()))
    assert result == "denied"
    assert message is not None
    assert message.startswith(f"The annotation {NGINX}auth-url is missing")


async def test_an_update_that_adds_a_snippet_is_refused() -> None:
    new = ingress(annotations={**owner_only(), NGINX + "configuration-snippet": "return 200;"})
    result, _ = await answer(ingress_review(new, operation="UPDATE", old=ingress()))
    assert result == "denied"


async def test_an_old_ingress_without_annotations_can_still_be_relabelled() -> None:
    old = ingress(annotations={})
    new = copy.deepcopy(old)
    new["metadata"]["labels"] = {"a": "b"}
    new["metadata"]["finalizers"] = []
    assert await answer(ingress_review(new, operation="UPDATE", old=old)) == ("allowed", None)


async def test_an_old_ingress_without_annotations_cannot_be_rerouted() -> None:
    old = ingress(annotations={})
    new = copy.deepcopy(old)
    new["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/api"
    result, message = await answer(ingress_review(new, operation="UPDATE", old=old))
    assert result == "denied"
    assert message is not None
    assert f"The annotation {NGINX}auth-url is missing" in message


@pytest.mark.parametrize(
    ("group", "version"),
    [("networking.k8s.io", "v1beta1"), ("extensions", "v1beta1")],
)
async def test_v1beta1_ingresses_are_checked_too(group: str, version: str) -> None:
    obj = ingress(annotations={})
    obj["apiVersion"] = f"{group}/{version}"
    doc = review(obj, kind="Ingress", group=group, version=version)
    result, _ = await answer(doc)
    assert result == "denied"


async def test_ingresses_outside_user_namespaces_are_untouched() -> None:
    obj = ingress(annotations={NGINX + "configuration-snippet": "return 200;"})
    del obj["spec"]["ingressClassName"]
    assert await answer(ingress_review(obj, namespace="team-a")) == ("allowed", None)
