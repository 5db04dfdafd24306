"""Test-only additions to jupyterhub_config.py (loaded via ``KARVDASH_HUB_EXTRA_CONFIG``).

Users whose name starts with ``brokenimage`` get a pod whose image cannot be pulled, acted
out by the local kubelet (the ``dev.karvdash.io/simulate`` annotation), so the tests can
see how the spawner reports it.
"""

# ruff: noqa: F821 - ``c`` is given by JupyterHub
from typing import Any


def _simulate_failures(spawner: Any, pod: Any) -> Any:
    if spawner.user.name.startswith("brokenimage"):
        annotations = dict(pod.metadata.annotations or {})
        annotations["dev.karvdash.io/simulate"] = "ErrImagePull"
        pod.metadata.annotations = annotations
        pod.spec.containers[0].image = "registry.invalid/karvdash/nothing:1"
    return pod


c.KubeSpawner.modify_pod_hook = _simulate_failures

# A user who may read the Karvdash admin page (admin:users) without being a registry
# admin: the page's registry actions must still refuse them (test_admin_page.py).
c.JupyterHub.load_roles.append(
    {
        "name": "karvdash-test-page-reader",
        "description": "tests: the admin page without the registry",
        "scopes": ["admin:users", "access:services!service=karvdash"],
        "users": ["pagereader"],
    }
)
