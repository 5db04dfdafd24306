"""Parsing templates: what is accepted, and errors that name the document and field."""

from __future__ import annotations

import pytest

from karvdash.errors import InvalidRequest
from karvdash.templates import TemplateError, parse_template

from .samples import DEPLOYMENT, INGRESS, META, SAMPLE, SERVICE, template_text


def test_sample_parses_with_its_variables_typed() -> None:
    template = parse_template(SAMPLE, "sample")
    assert template.name == "Sample"
    assert template.description == "A sample."
    assert template.singleton is False
    assert template.system is False
    assert template.source == SAMPLE
    assert [v.name for v in template.variables] == ["NAME", "MESSAGE", "PORT", "DEBUG"]
    port = template.variable("PORT")
    assert port is not None
    assert port.type == "integer"
    assert port.default == 8080
    debug = template.variable("DEBUG")
    assert debug is not None
    assert debug.type == "boolean"
    assert debug.default is False
    assert template.kinds == ["Service", "Deployment", "Ingress"]


def test_name_variable_defaults_to_the_template_id() -> None:
    name = parse_template(SAMPLE, "my-sample").variable("NAME")
    assert name is not None
    assert name.default == "my-sample"
    assert name.type == "string"


def test_declared_name_default_and_help_are_kept() -> None:
    meta = META.replace(
        "variables:\n", "variables:\n- name: NAME\n  default: web\n  help: Its name.\n"
    )
    template = parse_template(template_text(meta, SERVICE), "sample")
    assert template.variables[0].name == "NAME"
    assert template.variables[0].default == "web"
    assert template.variables[0].help == "Its name."


def test_variable_rules_are_read() -> None:
    meta = META + (
        "- name: SIZE\n  choices: [small, large]\n  default: small\n"
        "- name: TAG\n  pattern: '[a-z]+'\n  required: true\n  default: abc\n"
        "- name: COUNT\n  type: integer\n  default: '3'\n"
        "- name: VERSION\n  default: 16\n  type: string\n"
    )
    template = parse_template(template_text(meta, SERVICE), "sample")
    size, tag, count, version = (template.variable(n) for n in ("SIZE", "TAG", "COUNT", "VERSION"))
    assert size is not None
    assert size.choices == ("small", "large")
    assert tag is not None
    assert tag.pattern == "[a-z]+"
    assert tag.required
    assert count is not None
    assert count.default == 3
    assert version is not None
    assert version.default == "16"


def test_template_errors_are_bad_requests() -> None:
    with pytest.raises(InvalidRequest):
        parse_template("kind: Template\n", "x")


BAD_TEMPLATES = {
    "not yaml": ("kind: Template\nname: [unclosed\n", ["not valid YAML", "line"]),
    "no template document": (template_text(SERVICE), ["exactly one 'kind: Template'", "none"]),
    "two template documents": (template_text(META, META, SERVICE), ["exactly one", "2"]),
    "a scalar document": (template_text(META, "just text\n"), ["document 2", "mapping"]),
    "no objects": (META, ["at least one Kubernetes object"]),
    "unknown template field": (
        template_text(META + "singelton: true\n", SERVICE),
        ["the Template document", "singelton"],
    ),
    "template without name": (
        template_text(META.replace("name: Sample\n", ""), SERVICE),
        ["the Template document: name"],
    ),
    "singleton not a boolean": (
        template_text(META + "singleton: maybe\n", SERVICE),
        ["the Template document: singleton", "true or false"],
    ),
    "lower-case variable": (
        template_text(META + "- name: port\n", SERVICE),
        ["variables[3].name", "upper-case"],
    ),
    "variable declared twice": (
        template_text(META + "- name: PORT\n", SERVICE),
        ["variables[3]", "PORT is declared twice"],
    ),
    "built-in variable declared": (
        template_text(META + "- name: HOSTNAME\n  default: x\n", SERVICE),
        ["variables[3] (HOSTNAME)", "set by Karvdash"],
    ),
    "unknown variable type": (
        template_text(META + "- name: X\n  type: float\n", SERVICE),
        ["variables[3] (X).type", "string, integer, boolean"],
    ),
    "default outside the choices": (
        template_text(META + "- name: X\n  choices: [a, b]\n  default: c\n", SERVICE),
        ["variables[3] (X).default", "must be one of 'a', 'b'"],
    ),
    "default breaking the pattern": (
        template_text(META + "- name: X\n  pattern: '[0-9]+'\n  default: abc\n", SERVICE),
        ["variables[3] (X).default", "pattern"],
    ),
    "integer default not a number": (
        template_text(META + "- name: X\n  type: integer\n  default: many\n", SERVICE),
        ["variables[3] (X).default", "must be an integer"],
    ),
    "broken pattern": (
        template_text(META + "- name: X\n  pattern: '[a-'\n", SERVICE),
        ["variables[3] (X).pattern", "regular expression"],
    ),
    "secret not a boolean": (
        template_text(META + "- name: X\n  secret: yes please\n", SERVICE),
        ["variables[3] (X).secret", "true or false"],
    ),
    "unknown variable field": (
        template_text(META + "- name: X\n  defualt: 1\n", SERVICE),
        ["variables[3]", "defualt"],
    ),
    "undeclared variable": (
        template_text(META, SERVICE.replace("targetPort: $PORT", "targetPort: $PROT")),
        ["document 2 (Service $NAME): spec.ports[0].targetPort", "$PROT is not a declared"],
    ),
    "variable in a key": (
        template_text(META, SERVICE + "  $MESSAGE: x\n"),
        ["document 2 (Service $NAME): spec.$MESSAGE", "not substituted in keys"],
    ),
    "cluster-scoped kind": (
        template_text(META, SERVICE, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"),
        ["document 3 (Namespace x): kind", "cluster-scoped"],
    ),
    "cluster role": (
        template_text(
            META,
            SERVICE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
            "metadata:\n  name: x\n",
        ),
        ["document 3 (ClusterRoleBinding x): kind", "cluster-scoped"],
    ),
    "unsupported kind": (
        template_text(META, SERVICE, "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n"),
        ["document 3 (ResourceQuota q): kind", "not supported"],
    ),
    "wrong apiVersion": (
        template_text(META, SERVICE, DEPLOYMENT.replace("apps/v1", "extensions/v1beta1")),
        ["document 3 (Deployment $NAME): apiVersion", "apps/v1"],
    ),
    "another namespace": (
        template_text(
            META, SERVICE.replace("  name: $NAME\n", "  name: $NAME\n  namespace: kube-system\n", 1)
        ),
        ["document 2 (Service $NAME): metadata.namespace", "kube-system"],
    ),
    "no name": (
        template_text(META, SERVICE, "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"),
        ["document 3 (ConfigMap): metadata.name"],
    ),
    "invalid object name": (
        template_text(
            META, SERVICE, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: My_Config\n"
        ),
        ["document 3 (ConfigMap My_Config): metadata.name", "DNS subdomain"],
    ),
    "service name too long": (
        template_text(
            META, SERVICE, SERVICE.replace("name: $NAME\n", f"name: $NAME-{'x' * 31}\n", 1)
        ),
        ["metadata.name", "at most 63"],
    ),
    "no service named NAME": (
        template_text(META, SERVICE.replace("name: $NAME\n", "name: $NAME-svc\n", 1)),
        ["exactly one Service named $NAME", "found 0"],
    ),
    "two objects of one name": (
        template_text(META, SERVICE, DEPLOYMENT, DEPLOYMENT),
        ["document 4 (Deployment $NAME): metadata.name", "second Deployment"],
    ),
    "two ingresses": (
        template_text(
            META, SERVICE, INGRESS, INGRESS.replace("name: $NAME\n", "name: $NAME-2\n", 1)
        ),
        ["at most one Ingress"],
    ),
    "ingress without rules": (
        template_text(
            META,
            SERVICE,
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: $NAME\nspec: {}\n",
        ),
        ["document 3 (Ingress $NAME): spec.rules"],
    ),
    "anchors and aliases": (
        template_text(
            META,
            SERVICE,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: &d\n  a: b\nother: *d\n",
        ),
        ["anchors and aliases"],
    ),
    "a date": (
        template_text(
            META,
            SERVICE,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  day: 2020-01-01\n",
        ),
        ["document 3 (ConfigMap c): data.day", "quote it"],
    ),
    "a number as key": (
        template_text(
            META,
            SERVICE,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  1: one\n",
        ),
        ["document 3 (ConfigMap c): data", "keys must be strings"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TEMPLATES))
def test_bad_template_is_refused_naming_where(case: str) -> None:
    text, expected = BAD_TEMPLATES[case]
    with pytest.raises(TemplateError) as caught:
        parse_template(text, "sample")
    for fragment in expected:
        assert fragment in caught.value.message, caught.value.message


def test_bad_template_id_is_refused() -> None:
    with pytest.raises(TemplateError, match="template id"):
        parse_template(SAMPLE, "Not_An_Id")


def test_oversized_template_is_refused() -> None:
    with pytest.raises(TemplateError, match="larger than"):
        parse_template(SAMPLE + "#" * 300_000, "sample")


def test_literal_dollars_need_no_declaration() -> None:
    shell = DEPLOYMENT.replace(
        'args: ["--message", "$MESSAGE", "--debug=$DEBUG"]',
        'args: ["sh", "-c", "echo $$HOME $home $(date) ${lower} cost: 5$"]',
    )
    parse_template(template_text(META, SERVICE, shell), "sample")


def test_namespace_may_be_given_as_the_users() -> None:
    text = template_text(
        META, SERVICE.replace("  name: $NAME\n", "  name: $NAME\n  namespace: $NAMESPACE\n", 1)
    )
    parse_template(text, "sample")
