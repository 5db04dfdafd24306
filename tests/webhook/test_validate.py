"""Refusals of pods and pod templates (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.policy import normalize_path
from karvdash_webhook.validate import pod_spec_denials, pod_template

from .helpers import SLUG, container, make_policy, pod

POLICY = make_policy()


def denials(obj: dict[str, Any], **settings: Any) -> list[str]:
    policy = make_policy(**settings) if settings else POLICY
    template = pod_template("", "Pod", obj)
    assert template is not None
    return pod_spec_denials(*template, SLUG, policy)


def host_path_pod(path: str, name: str = "data") -> dict[str, Any]:
    return pod(volumes=[{"name": name, "hostPath": {"path": path}}])


def with_security(**context: Any) -> dict[str, Any]:
    return pod(container("app", securityContext=context))


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("/mnt/local/alice/../bob", "/mnt/local/bob"),
        ("/mnt//local/./alice/", "/mnt/local/alice"),
        ("//etc", "/etc"),
        ("/../../etc", "/etc"),
        ("/", "/"),
    ],
)
def test_paths_are_normalised(raw: str, normal: str) -> None:
    assert normalize_path(raw) == normal


@pytest.mark.parametrize(
    "path",
    [
        "/mnt/local/alice",
        "/mnt/local/alice/",
        "/mnt/local//alice",
        "/mnt/remote/alice",
        "/mnt/shared",
    ],
)
def test_own_storage_folders_are_allowed(path: str) -> None:
    assert denials(host_path_pod(path)) == []


@pytest.mark.parametrize(
    "path",
    ["/mnt/local//alice/projects/x", "/mnt/local/alice/./data", "/mnt/shared/datasets"],
)
def test_folders_below_own_storage_are_refused_by_default(path: str) -> None:
    """A user may have planted a symlink there, which the node would follow."""
    (message,) = denials(host_path_pod(path))
    assert "mount the storage volume with subPath" in message


@pytest.mark.parametrize(
    "path",
    ["/mnt/local//alice/projects/x", "/mnt/local/alice/./data", "/mnt/shared/datasets"],
)
def test_folders_below_own_storage_are_allowed_when_the_operator_says_so(path: str) -> None:
    assert denials(host_path_pod(path), allow_host_subpaths=True) == []
    assert denials(host_path_pod("/mnt/local/bob"), allow_host_subpaths=True) != []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/etc",
        "/var/run/docker.sock",
        "/mnt/local",
        "/mnt/local/bob",
        "/mnt/local/alicex",
        "/mnt/local/alice/../bob",
        "/mnt/local/alice/../../../etc",
        "/mnt/sharedx",
    ],
)
def test_other_node_folders_are_refused(path: str) -> None:
    (sentence,) = denials(host_path_pod(path))
    assert sentence.startswith('Volume "data" mounts the node folder')
    assert "outside your storage folders" in sentence
    assert "/mnt/local/alice, /mnt/remote/alice and /mnt/shared" in sentence


def test_refusal_shows_what_a_dotted_path_really_is() -> None:
    (sentence,) = denials(host_path_pod("/mnt/local/alice/../bob"))
    assert '"/mnt/local/alice/../bob" (that is, /mnt/local/bob)' in sentence


def test_relative_host_paths_are_refused() -> None:
    (sentence,) = denials(host_path_pod("mnt/local/alice"))
    assert "not an absolute path" in sentence


def test_allowed_host_paths_setting_opens_more_folders() -> None:
    assert denials(host_path_pod("/opt/models/bert"), allowed_host_paths=["/opt/models/"]) == []
    assert denials(host_path_pod("/opt/modelsx"), allowed_host_paths=["/opt/models"]) != []


def test_privileged_containers_are_refused() -> None:
    assert denials(with_security(privileged=True)) == [
        'Container "app" asks for privileged mode, which would give it the whole node; '
        "privileged containers are not allowed in user namespaces."
    ]
    assert denials(with_security(privileged=False)) == []
    assert denials(with_security(privileged=True), allow_privileged=True) == []


@pytest.mark.parametrize("field", ["hostNetwork", "hostPID", "hostIPC"])
def test_host_namespaces_are_refused(field: str) -> None:
    (sentence,) = denials(pod(**{field: True}))
    assert sentence.startswith(f"The pod asks for {field}, which would share the node's")
    assert sentence.endswith("host namespaces are not allowed in user namespaces.")
    assert denials(pod(**{field: False})) == []
    assert denials(pod(**{field: True}), allow_host_namespaces=True) == []


def test_host_ports_are_refused() -> None:
    ports = [{"containerPort": 8888}, {"containerPort": 80, "hostPort": 80}]
    (sentence,) = denials(pod(container("web", ports=ports)))
    assert sentence.startswith('Container "web" asks for hostPort 80 (ports[1])')
    assert denials(pod(container(ports=[{"containerPort": 1, "hostPort": 0}]))) == []
    assert denials(pod(container("web", ports=ports)), allow_host_ports=True) == []


def test_baseline_capabilities_are_allowed() -> None:
    caps = {"add": ["CHOWN", "NET_BIND_SERVICE", "cap_kill", "SYS_CHROOT"], "drop": ["ALL"]}
    assert denials(with_security(capabilities=caps)) == []


def test_capabilities_beyond_baseline_are_refused_in_one_sentence() -> None:
    (sentence,) = denials(with_security(capabilities={"add": ["SYS_ADMIN", "CAP_NET_RAW", "ALL"]}))
    assert sentence.startswith(
        'Container "app" adds the capabilities SYS_ADMIN, CAP_NET_RAW and ALL, beyond what '
        "the Kubernetes baseline policy allows"
    )
    assert "may only add AUDIT_WRITE, CHOWN," in sentence


def test_allowed_capabilities_setting_adds_to_the_baseline() -> None:
    caps = {"add": ["NET_ADMIN", "CAP_SYS_PTRACE"]}
    assert denials(with_security(capabilities=caps), allowed_capabilities=["net_admin"]) == [
        'Container "app" adds the capability CAP_SYS_PTRACE, beyond what the Kubernetes '
        "baseline policy allows; containers in user namespaces may only add AUDIT_WRITE, "
        "CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_ADMIN, NET_BIND_SERVICE, "
        "SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT."
    ]


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ({"procMount": "Unmasked"}, 'asks for procMount "Unmasked"'),
        ({"seLinuxOptions": {"type": "spc_t"}}, "custom SELinux type"),
        ({"seLinuxOptions": {"user": "root"}}, "custom SELinux type, user or role"),
        ({"seccompProfile": {"type": "Unconfined"}}, "Unconfined seccomp profile"),
        ({"appArmorProfile": {"type": "Unconfined"}}, "Unconfined AppArmor profile"),
        ({"windowsOptions": {"hostProcess": True}}, "Windows host process"),
    ],
)
def test_other_baseline_escapes_are_refused(context: dict[str, Any], says: str) -> None:
    (sentence,) = denials(with_security(**context))
    assert sentence.startswith('Container "app"')
    assert says in sentence
    assert denials(with_security(**context), allow_privileged=True) == []


def test_safe_container_hardening_is_allowed() -> None:
    context = {
        "procMount": "Default",
        "seLinuxOptions": {"type": "container_t", "level": "s0:c1,c2"},
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
    }
    assert denials(with_security(**context)) == []


def test_unsafe_sysctls_are_refused() -> None:
    sysctls = [{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax"}]
    (sentence,) = denials(pod(securityContext={"sysctls": sysctls}))
    assert sentence.startswith('The pod sets the sysctl "kernel.msgmax"')


def test_unconfined_apparmor_annotation_is_refused() -> None:
    prefix = "container.apparmor.security.beta.kubernetes.io/"
    fine = pod(annotations={prefix + "notebook": "runtime/default", prefix + "x": "localhost/p"})
    assert denials(fine) == []
    (sentence,) = denials(pod(annotations={prefix + "notebook": "unconfined"}))
    assert sentence.startswith('Container "notebook" asks for the AppArmor profile "unconfined"')


def test_init_and_ephemeral_containers_are_checked_too() -> None:
    bad = container("x", securityContext={"privileged": True})
    found = denials(pod(initContainers=[bad], ephemeralContainers=[bad]))
    assert [s.split(" asks")[0] for s in found] == ['Init container "x"', 'Ephemeral container "x"']


def test_every_problem_of_an_object_is_reported() -> None:
    obj = pod(
        container("app", securityContext={"privileged": True}, ports=[{"hostPort": 22}]),
        hostNetwork=True,
        hostPID=True,
        volumes=[{"name": "root", "hostPath": {"path": "/"}}],
    )
    found = denials(obj)
    assert len(found) == 5
    assert all(s.endswith(".") and s[0].isupper() for s in found)


@pytest.mark.parametrize(
    ("group", "kind", "wrap"),
    [
        ("apps", "Deployment", lambda t: {"spec": {"template": t}}),
        ("apps", "StatefulSet", lambda t: {"spec": {"template": t}}),
        ("apps", "DaemonSet", lambda t: {"spec": {"template": t}}),
        ("apps", "ReplicaSet", lambda t: {"spec": {"template": t}}),
        ("", "ReplicationController", lambda t: {"spec": {"template": t}}),
        ("batch", "Job", lambda t: {"spec": {"template": t}}),
        ("batch", "CronJob", lambda t: {"spec": {"jobTemplate": {"spec": {"template": t}}}}),
    ],
)
def test_pod_templates_of_workloads_are_found(group: str, kind: str, wrap: Any) -> None:
    template = {
        "metadata": {"labels": {"app": "x"}},
        "spec": {"containers": [container()], "hostIPC": True},
    }
    found = pod_template(group, kind, wrap(template))
    assert found == (template["metadata"], template["spec"])
    assert len(pod_spec_denials(*found, SLUG, POLICY)) == 1


def test_other_kinds_have_no_pod_template() -> None:
    assert pod_template("", "ConfigMap", {"data": {}}) is None
    assert pod_template("apps", "Pod", pod()) is None


def test_workload_without_template_has_nothing_to_refuse() -> None:
    assert pod_template("apps", "Deployment", {"spec": {}}) == ({}, {})


@pytest.mark.parametrize(
    "spec",
    [
        {"volumes": "x"},
        {"volumes": [{"name": "v", "hostPath": "/"}]},
        {"volumes": [{"name": "v", "hostPath": {"path": 1}}]},
        {"containers": [{"securityContext": []}]},
        {"containers": [{"securityContext": {"capabilities": {"add": "SYS_ADMIN"}}}]},
        {"containers": [{"ports": [80]}]},
        {"securityContext": {"sysctls": {}}},
    ],
)
def test_mistyped_specs_are_malformed(spec: dict[str, Any]) -> None:
    with pytest.raises(MalformedReview):
        pod_spec_denials({}, spec, SLUG, POLICY)
