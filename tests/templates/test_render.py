"""Rendering: built-in variables, typed values, labels, the Ingress, refused values."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from karvdash.settings import load_settings
from karvdash.templates import (
    SERVICE_LABEL,
    TEMPLATE_LABEL,
    URL_ANNOTATION,
    VALUES_ANNOTATION,
    InvalidValue,
    context_for,
    parse_template,
    render,
)

from .samples import DEPLOYMENT, META, SAMPLE, SERVICE, context, template_text


def _by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["kind"]: o for o in objects}


def test_builtins_and_values_are_filled_in() -> None:
    template = parse_template(SAMPLE, "sample")
    objects = _by_kind(render(template, {"MESSAGE": "hi there"}, context("web", "alice")))
    container = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "127.0.0.1:5000/sample:1"
    assert container["args"] == ["--message", "hi there", "--debug=false"]
    assert objects["Service"]["metadata"]["name"] == "web"
    assert objects["Service"]["spec"]["selector"] == {"app": "web"}
    for obj in objects.values():
        assert obj["metadata"]["namespace"] == "karvdash-alice"


def test_whole_plain_values_keep_their_type_and_quoted_ones_are_text() -> None:
    template = parse_template(SAMPLE, "sample")
    objects = _by_kind(render(template, {"PORT": "9000"}, context()))
    assert objects["Service"]["spec"]["ports"][0]["targetPort"] == 9000
    container = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 9000
    assert {"name": "PORT", "value": "9000"} in container["env"]


def test_every_object_and_pod_template_is_labelled_with_service_and_template() -> None:
    template = parse_template(SAMPLE, "sample")
    objects = render(template, {"PORT": 81}, context("web"))
    for obj in objects:
        assert obj["metadata"]["labels"][SERVICE_LABEL] == "web"
        assert obj["metadata"]["labels"][TEMPLATE_LABEL] == "sample"
        values = json.loads(obj["metadata"]["annotations"][VALUES_ANNOTATION])
        assert values == {"MESSAGE": "hello", "PORT": 81, "DEBUG": False}
    pod_labels = _by_kind(objects)["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels == {"app": "web", SERVICE_LABEL: "web", TEMPLATE_LABEL: "sample"}
    assert _by_kind(objects)["Deployment"]["spec"]["selector"] == {"matchLabels": {"app": "web"}}


def test_the_ingress_gets_host_tls_class_and_owner_only_annotations() -> None:
    settings = load_settings(
        env={},
        overrides={
            "ingress_domain": "apps.example.org",
            "tls_secret_name": "wildcard",
            "ingress_class": "public",
            "ingress_auth_url": "http://hub.karvdash.svc:8000/services/karvdash/ingress/auth",
        },
    )
    template = parse_template(SAMPLE, "sample")
    ctx = context_for(settings, "alice", "karvdash-alice", "web")
    ingress = _by_kind(render(template, {}, ctx))["Ingress"]
    assert ingress["spec"]["rules"][0]["host"] == "web-alice.apps.example.org"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["web-alice.apps.example.org"], "secretName": "wildcard"}
    ]
    assert ingress["spec"]["ingressClassName"] == "public"
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/auth-url"] == (
        f"{settings.ingress_auth_url}?host=web-alice.apps.example.org"
    )
    assert annotations["nginx.ingress.kubernetes.io/auth-signin"] == (
        "https://apps.example.org/services/karvdash/ingress/signin"
        "?rd=https://web-alice.apps.example.org$escaped_request_uri"
    )
    assert annotations["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "64m"
    main = _by_kind(render(template, {}, ctx))["Service"]
    assert main["metadata"]["annotations"][URL_ANNOTATION] == "https://web-alice.apps.example.org/"


def test_a_service_without_ingress_has_no_url() -> None:
    objects = render(parse_template(template_text(META, SERVICE), "s"), {}, context())
    assert URL_ANNOTATION not in objects[0]["metadata"]["annotations"]


def test_secret_values_are_not_recorded() -> None:
    meta = META + "- name: PASSWORD\n  secret: true\n  default: s3cret\n"
    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: $NAME\nstringData:\n  p: $PASSWORD\n"
    template = parse_template(template_text(meta, SERVICE, secret), "s")
    password = template.variable("PASSWORD")
    assert password is not None
    assert password.secret
    assert password.to_json()["secret"] is True
    objects = render(template, {"PASSWORD": "hunter2"}, context())
    assert _by_kind(objects)["Secret"]["stringData"] == {"p": "hunter2"}
    for obj in objects:
        assert "hunter2" not in obj["metadata"]["annotations"][VALUES_ANNOTATION]
        assert "PASSWORD" not in json.loads(obj["metadata"]["annotations"][VALUES_ANNOTATION])


def test_objects_come_in_creation_order_with_the_main_service_first() -> None:
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: $NAME\n"
    other = SERVICE.replace("name: $NAME\n", "name: $NAME-headless\n", 1)
    text = template_text(META, DEPLOYMENT, other, config_map, SERVICE)
    objects = render(parse_template(text, "sample"), {}, context("web"))
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Service", "web"),
        ("Service", "web-headless"),
        ("ConfigMap", "web"),
        ("Deployment", "web"),
    ]


def test_escapes_and_lower_case_dollars_stay_literal() -> None:
    shell = DEPLOYMENT.replace(
        'args: ["--message", "$MESSAGE", "--debug=$DEBUG"]',
        'args: ["sh", "-c", "echo $$HOME $home $(date) ${lower} 5$ $$$MESSAGE"]',
    )
    objects = render(parse_template(template_text(META, SERVICE, shell), "s"), {}, context())
    args = _by_kind(objects)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[2] == "echo $HOME $home $(date) ${lower} 5$ $hello"


def test_rendering_leaves_the_template_unchanged() -> None:
    template = parse_template(SAMPLE, "sample")
    before = copy.deepcopy(template.objects)
    render(template, {"MESSAGE": "changed"}, context())
    assert template.objects == before


def test_values_are_coerced_from_their_usual_spellings() -> None:
    template = parse_template(SAMPLE, "sample")
    objects = _by_kind(render(template, {"PORT": " 8081 ", "DEBUG": "yes"}, context()))
    container = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == 8081
    assert container["args"][2] == "--debug=true"


def test_name_in_values_must_match_the_service_name() -> None:
    template = parse_template(SAMPLE, "sample")
    render(template, {"NAME": "web"}, context("web"))
    with pytest.raises(InvalidValue, match="NAME"):
        render(template, {"NAME": "other"}, context("web"))


def test_storage_paths_come_from_the_domains() -> None:
    text = template_text(
        META,
        SERVICE,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        "data:\n  paths: $LOCAL $REMOTE $SHARED\n",
    )
    domains = [{"name": "local", "mount_path": "/data", "host_path": "/srv/l"}]
    settings = load_settings(env={}, overrides={"storage_domains": domains})
    objects = render(parse_template(text, "s"), {}, context_for(settings, "bob", "ns", "x"))
    assert _by_kind(objects)["ConfigMap"]["data"]["paths"] == "/data  "


RULES = """\
- name: SIZE
  choices: [small, large]
  default: small
- name: TAG
  pattern: "[a-z]+"
  default: abc
- name: OWNER
  required: true
  default: me
- name: SECRET
  required: true
- name: COUNT
  type: integer
  default: 1
  choices: [1, 2]
"""

REFUSED = {
    "unknown variable": ({"COLOR": "red"}, "COLOR", "not a variable of template"),
    "built-in variable": ({"HOSTNAME": "evil.example.com"}, "HOSTNAME", "set by Karvdash"),
    "namespace": ({"NAMESPACE": "kube-system"}, "NAMESPACE", "set by Karvdash"),
    "integer from words": ({"PORT": "eighty"}, "PORT", "must be an integer"),
    "integer from a boolean": ({"PORT": True}, "PORT", "must be an integer"),
    "boolean from words": ({"DEBUG": "perhaps"}, "DEBUG", "must be true or false"),
    "string from a number": ({"MESSAGE": 5}, "MESSAGE", "must be a string"),
    "string from a list": ({"MESSAGE": ["a"]}, "MESSAGE", "must be a string"),
    "outside the choices": ({"SIZE": "medium"}, "SIZE", "must be one of 'small', 'large'"),
    "integer outside the choices": ({"COUNT": 3}, "COUNT", "must be one of 1, 2"),
    "breaking the pattern": ({"TAG": "ABC"}, "TAG", "must match the pattern '[a-z]+'"),
    "pattern matched only in part": ({"TAG": "abc\ndef"}, "TAG", "must match the pattern"),
    "empty required": ({"OWNER": "  "}, "OWNER", "is required"),
    "missing required": ({}, "SECRET", "is required"),
    "too long": ({"MESSAGE": "x" * 20000}, "MESSAGE", "at most"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_value_names_the_variable_and_rule(case: str) -> None:
    values, variable, rule = REFUSED[case]
    template = parse_template(template_text(META + RULES, SERVICE, DEPLOYMENT), "sample")
    given = {"SECRET": "s", **values} if variable != "SECRET" else values
    with pytest.raises(InvalidValue) as caught:
        render(template, given, context())
    assert caught.value.variable == variable
    assert rule in caught.value.message
    assert caught.value.message.startswith(f"variable {variable}: ")


def test_invalid_service_name_is_refused() -> None:
    template = parse_template(SAMPLE, "sample")
    for name in ("Web", "1web", "web-", "a" * 33, "we_b", ""):
        with pytest.raises(InvalidValue, match="service name"):
            render(template, {}, context(name))
