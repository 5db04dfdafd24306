"""JupyterHub configuration of Karvdash: one file for the dev cluster and a real cluster.

Run it with ``jupyterhub -f jupyterhub_config.py``. ``karvdash dev`` does, with the
environment below filled in for the dev stack; on a real cluster the hub's Deployment
sets the same variables (deploy/hub/). Anything here can be overridden by the files named
in ``$KARVDASH_HUB_EXTRA_CONFIG`` (``:``-separated, loaded last), and every
``c.Karvdash.*`` setting also by its ``KARVDASH_*`` variable (docs/configuration.md).

Environment read here:

``KARVDASH_PROXY_BIND_URL``   where the proxy listens for users (default
                              ``http://0.0.0.0:8000``; dev: ``http://127.0.0.1:8000``)
``KARVDASH_HUB_PUBLIC_URL``   where users open Karvdash when that is another address (the
                              ingress or load balancer), e.g. ``https://karvdash.example.org``
``KARVDASH_HUB_BIND_URL``     where the hub's own API listens (default ``http://0.0.0.0:8081``;
                              dev: ``http://127.0.0.1:<port>``)
``KARVDASH_HUB_CONNECT_URL``  how user servers reach the hub API (default: the bind URL;
                              in a cluster ``http://hub.<namespace>.svc:8081``)
``KARVDASH_PROXY_API_URL``    the proxy's REST API (default ``http://127.0.0.1:8001``)
``KARVDASH_PROXY_EXTERNAL``   set when the proxy runs on its own (its own pod): the hub then
                              does not start it (``CONFIGPROXY_AUTH_TOKEN`` must be shared)
``KARVDASH_HUB_STATE_DIR``    database, cookie secret and proxy files (default: the cwd)
``KARVDASH_HUB_DB_URL``       database URL (default: sqlite in the state folder)
``KARVDASH_SERVICE_BIND_URL`` where the Karvdash hub service listens (default
                              ``http://127.0.0.1:10101``; the hub starts it)
``KARVDASH_REGISTRY_GATEWAY_URL`` how user servers reach that service (default: through
                              the proxy at ``KARVDASH_PROXY_BIND_URL``)
``KARVDASH_SINGLEUSER_IMAGE`` image of the user servers (with Karvdash installed in it)
``KARVDASH_AUTHENTICATOR``    an authenticator class to use instead of sign-up + approval
``KUBECONFIG``                the hub's credentials outside a cluster (in a cluster: its
                              service account, see deploy/hub/rbac.yaml)
"""

# ruff: noqa: F821 - ``c`` and ``load_subconfig`` are given by JupyterHub
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import karvdash_hub
from karvdash_hub.service.config import configure_karvdash_service

env = os.environ.get
state_dir = Path(env("KARVDASH_HUB_STATE_DIR", ".")).resolve()
hub_bind_url = env("KARVDASH_HUB_BIND_URL", "http://0.0.0.0:8081")
hub_connect_url = env("KARVDASH_HUB_CONNECT_URL", hub_bind_url)

# -- the hub and its proxy -----------------------------------------------------------------
c.JupyterHub.bind_url = env("KARVDASH_PROXY_BIND_URL", "http://0.0.0.0:8000")
if env("KARVDASH_HUB_PUBLIC_URL"):
    c.JupyterHub.public_url = env("KARVDASH_HUB_PUBLIC_URL", "").rstrip("/") + "/"
c.JupyterHub.hub_bind_url = hub_bind_url
c.JupyterHub.hub_connect_url = hub_connect_url
c.JupyterHub.db_url = env("KARVDASH_HUB_DB_URL", f"sqlite:///{state_dir / 'jupyterhub.sqlite'}")
c.JupyterHub.cookie_secret_file = str(state_dir / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.api_url = env("KARVDASH_PROXY_API_URL", "http://127.0.0.1:8001")
c.ConfigurableHTTPProxy.pid_file = str(state_dir / "jupyterhub-proxy.pid")
# configurable-http-proxy from npm, installed by scripts/setup.sh into the environment
chp = Path(sys.prefix) / "bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(chp) if chp.exists() else "configurable-http-proxy"]
c.ConfigurableHTTPProxy.should_start = not env("KARVDASH_PROXY_EXTERNAL")
if c.ConfigurableHTTPProxy.should_start and not shutil.which(c.ConfigurableHTTPProxy.command[0]):
    raise SystemExit("configurable-http-proxy is not installed: run scripts/setup.sh")

# -- who may sign in -------------------------------------------------------------------------
authenticator = env("KARVDASH_AUTHENTICATOR", "karvdash_hub.auth.KarvdashAuthenticator")
c.JupyterHub.authenticator_class = authenticator
if authenticator == "karvdash_hub.auth.KarvdashAuthenticator":
    # Anyone may sign up; only users an admin authorized may log in (NativeAuthenticator
    # keeps that list, so every authenticated user is allowed).
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.ask_email_on_signup = True
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.minimum_password_length = 8
    c.Authenticator.allow_all = True
# Hub pages: Karvdash's page.html extends JupyterHub's with the links to the Karvdash admin
# page (for holders of admin:users) and, with sign-up, to the password and approval pages.
c.JupyterHub.template_paths = [str(Path(karvdash_hub.__file__).parent / "templates")]
c.JupyterHub.template_vars = {
    "announcement_login": "Karvdash: sign up, then wait for approval.",
    "karvdash_signup_approval": authenticator == "karvdash_hub.auth.KarvdashAuthenticator",
}

# -- where and how user servers run ----------------------------------------------------------
c.JupyterHub.spawner_class = "karvdash_hub.spawner.KarvdashSpawner"
c.KubeSpawner.image = env("KARVDASH_SINGLEUSER_IMAGE", "karvdash/singleuser:latest")
c.KubeSpawner.default_url = "/lab"
c.KubeSpawner.start_timeout = 300
c.KubeSpawner.http_timeout = 120
c.JupyterHub.allow_named_servers = True
# Go straight to the progress page, which shows Karvdash's steps and the pod's events.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}
c.JupyterHub.cleanup_servers = False  # servers outlive a hub restart

# -- the Karvdash hub service (registry gateway, ingress auth) ------------------------------
# It gets the KARVDASH_* settings (the registry's credentials among them: only the service
# holds them; user servers get KarvdashSpawner.exported_settings only) and the hub's
# cluster credentials.
service_env = {k: v for k, v in os.environ.items() if k.startswith("KARVDASH_")}
# the key of the ingress cookies, kept so that cookies survive a restart of the service
service_env.setdefault("KARVDASH_INGRESS_SECRET_FILE", str(state_dir / "karvdash_ingress_secret"))
if env("KUBECONFIG"):
    service_env["KUBECONFIG"] = env("KUBECONFIG", "")
configure_karvdash_service(
    c, url=env("KARVDASH_SERVICE_BIND_URL", "http://127.0.0.1:10101"), env=service_env
)
if not env("KARVDASH_REGISTRY_GATEWAY_URL"):
    proxy = c.JupyterHub.bind_url.replace("0.0.0.0", "127.0.0.1").rstrip("/")  # noqa: S104
    c.Karvdash.registry_gateway_url = f"{proxy}/services/karvdash/"

# -- Karvdash's own settings (docs/configuration.md), also from KARVDASH_* variables -------
# c.Karvdash.ingress_domain = "karvdash.example.org"
# c.Karvdash.storage_domains = [
#     {"name": "local", "mount_path": "/local", "host_path": "/mnt/local", "per_user": True},
#     {"name": "remote", "mount_path": "/remote", "host_path": "/mnt/remote", "per_user": True},
#     {"name": "shared", "mount_path": "/shared", "host_path": "/mnt/shared", "per_user": False},
# ]
# c.KarvdashSpawner.resource_quota = {"requests.cpu": "8", "requests.memory": "32Gi"}
# c.KarvdashSpawner.delete_namespace_on_user_delete = False

for extra in filter(None, env("KARVDASH_HUB_EXTRA_CONFIG", "").split(os.pathsep)):
    load_subconfig(extra)
