"""Karvdash settings, shared by the hub, the server extension, the webhook and the CLI.

Every setting is a trait of :class:`Karvdash` (configured as ``c.Karvdash.<name>``).
The same names are read everywhere, with one order of precedence, lowest first:

1. the defaults below;
2. a config file: ``jupyterhub_config.py`` / ``jupyter_server_config.py`` for the hub and
   the server extension, or the file named by ``--config`` / ``$KARVDASH_CONFIG_FILE``
   (a traitlets ``.py`` or ``.json`` file) for the webhook and the CLI;
3. environment variables ``KARVDASH_<NAME>`` (upper-case trait name; lists and the
   storage domains as JSON; other lists also comma-separated, and lists of folders
   (``template_dirs``, ``allowed_host_paths``) ``os.pathsep``-separated);
4. explicit command-line arguments.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Int, List, TraitError, Unicode, default, validate
from traitlets.config import Config, Configurable
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

USER_LABEL = "karvdash.io/user"
"""Label on every user namespace; its value is the user's escaped name."""

USER_ANNOTATION = "karvdash.io/username"
"""Annotation on every user namespace holding the exact user name (labels cannot)."""

ON_USER_DELETE_ANNOTATION = "karvdash.io/on-user-delete"
"""Annotation on a user namespace, ``keep`` or ``delete``: what happens to it when its user is
deleted from the hub. Set by the admin page just before it deletes a user; it overrides
``KarvdashSpawner.delete_namespace_on_user_delete`` for that namespace. Only the hub's
account may set it (the webhook guards ``karvdash.io/`` keys on namespaces)."""

ENV_PREFIX = "KARVDASH_"
CONFIG_FILE_ENV = "KARVDASH_CONFIG_FILE"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class StorageDomain:
    """A data folder mounted into every pod of a user.

    ``per_user`` domains live at ``<host_path>/<user slug>`` on the node; shared ones
    at ``<host_path>`` itself.
    """

    name: str
    mount_path: str
    host_path: str
    per_user: bool = True
    read_only: bool = False

    def host_path_for(self, user_slug: str) -> str:
        """The node folder of this domain for one user (escaped name)."""
        if not self.per_user:
            return self.host_path
        return f"{self.host_path.rstrip('/')}/{user_slug}"


def _default_template_dirs() -> list[str]:
    """System templates: installed data first, then a source checkout's folder."""
    import sys

    candidates = [
        Path(sys.prefix) / "share" / "karvdash" / "service-templates",
        Path(__file__).resolve().parent.parent / "service-templates",
    ]
    return [str(p) for p in candidates if p.is_dir()][:1]


class Karvdash(Configurable):
    """Settings of a Karvdash installation (``c.Karvdash.*``)."""

    namespace_prefix = Unicode(
        "karvdash-",
        help="""Prefix of every user's namespace: user ``alice`` gets ``<prefix>alice``.

        Lower-case letters, digits and dashes, starting with a letter, at most 20 characters.
        """,
    ).tag(config=True)

    ingress_domain = Unicode(
        "karvdash.localtest.me",
        help="""DNS domain under which services are published: a service ``web`` of user
        ``alice`` is reachable at ``https://web-alice.<ingress_domain>``. A wildcard DNS
        record and a wildcard TLS certificate for it are expected. The admission webhook
        admits, in a user's namespace, only Ingress hosts ``<name>-<user>.<ingress_domain>``
        (none at all when this is empty); give it the same value as the hub.""",
    ).tag(config=True)

    storage_domains = List(
        Dict(),
        help="""Data folders mounted into every pod of a user namespace.

        A list of ``{"name", "mount_path", "host_path", "per_user", "read_only"}``.
        ``per_user`` domains are ``<host_path>/<user>``; the others are shared by all.
        """,
    ).tag(config=True)

    registry_url = Unicode(
        "http://127.0.0.1:5000",
        help="Base URL of the private container registry (registry v2 API).",
    ).tag(config=True)

    # --- registry ---
    registry_username = Unicode(
        "",
        help="""User name with which the hub service authenticates to the registry (HTTP
        Basic, or traded for a token when the registry asks). Only the hub service needs it.""",
    ).tag(config=True)

    registry_password = Unicode(
        "",
        help="""Password for ``registry_username``. Only the hub service needs it; give it as
        ``KARVDASH_REGISTRY_PASSWORD`` from a Kubernetes Secret rather than in a file.""",
    ).tag(config=True)

    registry_ca_file = Unicode(
        "",
        help="""CA bundle (PEM) that signs the registry's TLS certificate, when it is not one
        of the system's CAs.""",
    ).tag(config=True)

    registry_gc_command = List(
        Unicode(),
        help="""Command (argument list) that runs the registry's garbage collector, e.g.
        ``["kubectl", "exec", "-n", "registry", "deploy/registry", "--", "registry",
        "garbage-collect", "--delete-untagged", "/etc/docker/registry/config.yml"]``.
        The hub service refuses uploads and deletions while it runs. Empty: garbage
        collection from Karvdash is off.""",
    ).tag(config=True)

    registry_storage_dir = Unicode(
        "",
        help="""The registry's storage folder, if the hub service can read it (the dev
        registry; a shared volume): garbage collection then reports the bytes it freed.""",
    ).tag(config=True)

    registry_gateway_url = Unicode(
        "http://karvdash-proxy.karvdash.svc.cluster.local/services/karvdash/",
        help="""URL at which users' servers reach the hub service (``/services/karvdash/``
        behind JupyterHub's proxy); the server extension forwards ``/karvdash/api/images``
        there. Users' servers run in their own namespaces, so the default is the proxy's
        Service of ``deploy/hub/`` by its full name (``karvdash-proxy`` in namespace
        ``karvdash``, cluster domain ``cluster.local``).""",
    ).tag(config=True)

    ingress_class = Unicode(
        "nginx",
        help="``ingressClassName`` given to the Ingress of every service.",
    ).tag(config=True)

    tls_secret_name = Unicode(
        "karvdash-tls",
        help="Name of the wildcard TLS secret for ``*.<ingress_domain>`` used by every Ingress.",
    ).tag(config=True)

    template_dirs = List(
        Unicode(),
        help="Folders holding the system service templates (``*.template.yaml``).",
    ).tag(config=True)

    allowed_host_paths = List(
        Unicode(),
        help="""Extra node folders (and everything below them) that pods in user namespaces
        may mount as hostPath, beyond the user's own storage domains. Empty by default.""",
    ).tag(config=True)

    allow_host_subpaths = Bool(
        False,
        help="""Let pods in user namespaces mount folders *below* their storage folders as
        hostPath volumes. Off by default: a user can create a symbolic link inside their own
        folder (say ``x -> /``) and the node would follow it when mounting
        ``<folder>/x``. Mount a subfolder safely with ``subPath`` on the domain's volume.""",
    ).tag(config=True)

    allowed_capabilities = List(
        Unicode(),
        help="""Linux capabilities users may add to containers beyond those the Kubernetes
        "baseline" Pod Security Standard allows (e.g. ``["NET_ADMIN"]``).""",
    ).tag(config=True)

    allow_privileged = Bool(
        False, help="Let pods in user namespaces run privileged containers."
    ).tag(config=True)

    allow_host_namespaces = Bool(
        False, help="Let pods in user namespaces use hostNetwork, hostPID or hostIPC."
    ).tag(config=True)

    allow_host_ports = Bool(False, help="Let containers in user namespaces bind hostPorts.").tag(
        config=True
    )

    namespace_managers = List(
        Unicode(),
        default_value=["system:serviceaccount:karvdash:karvdash-hub"],
        help="""Kubernetes user names that may set or change the ``karvdash.io/`` labels and
        annotations of namespaces (which say whose namespace it is, and so which folders its
        pods get); the webhook refuses that to everybody else. Members of the group
        ``system:masters`` always may. The default is the hub's ServiceAccount.""",
    ).tag(config=True)

    storage_opt_out_annotation = Unicode(
        "karvdash.io/no-storage",
        help="""Pod annotation that, set to ``"true"``, keeps the webhook from adding the
        storage domains to that pod.""",
    ).tag(config=True)

    webhook_port = Int(8443, help="Port the admission webhook listens on (HTTPS).").tag(config=True)

    webhook_address = Unicode(
        "0.0.0.0",  # noqa: S104 - a pod must accept the API server's calls
        help="Address the admission webhook listens on.",
    ).tag(config=True)

    webhook_cert_file = Unicode("", help="TLS certificate (PEM) the webhook serves; required.").tag(
        config=True
    )

    webhook_key_file = Unicode("", help="Private key (PEM) of the webhook's certificate.").tag(
        config=True
    )

    # --- services and ingresses ---
    ingress_auth_url = Unicode(
        "http://karvdash-proxy.karvdash.svc.cluster.local/services/karvdash/ingress/auth",
        help="""URL the ingress controller calls (from inside the cluster, from its own
        namespace) to ask the hub service whether a visitor may open a service (nginx
        ``auth-url``): the hub's ``/services/karvdash/ingress/auth`` as the ingress
        controller reaches it. The default is the proxy's Service of ``deploy/hub/`` by its
        full name (``karvdash-proxy`` in namespace ``karvdash``, cluster domain
        ``cluster.local``).""",
    ).tag(config=True)

    ingress_signin_url = Unicode(
        help="""Public URL a visitor without a Karvdash login is sent to (nginx
        ``auth-signin``); the original address follows as ``?rd=``. Default:
        ``https://<ingress_domain>/services/karvdash/ingress/signin``.""",
    ).tag(config=True)

    ingress_cookie_name = Unicode(
        "karvdash-ingress",
        help="""Name of the cookie with which the hub service recognises a service's owner;
        the ingress removes it (and ``Authorization: token ...`` headers) before a request
        reaches the service.""",
    ).tag(config=True)

    # --- ingress auth ---
    ingress_admins_allowed = Bool(
        False,
        help="""Let JupyterHub admins open every user's services. Off by default: a service
        opens to its owner only, and an admin gets 403 like any other user.""",
    ).tag(config=True)

    ingress_cookie_max_age = Int(
        12 * 3600,
        help="""Seconds a service's sign-in cookie stays valid. When it expires, the next
        visit goes through the hub's login again (without a prompt while the hub session
        lasts). At least 60.""",
    ).tag(config=True)

    ingress_secret_file = Unicode(
        "",
        help="""File holding the key (64 hex digits) with which the hub service signs the
        services' sign-in cookies; made, readable by its owner only, when missing. Empty: a
        new key at every start of the hub service, so every cookie ends with it (visitors
        sign in again, without a prompt while their hub session lasts).""",
    ).tag(config=True)

    @validate("ingress_cookie_max_age")
    def _check_cookie_max_age(self, proposal: Any) -> int:
        value = int(proposal["value"])
        if value < 60:
            raise TraitError(f"ingress_cookie_max_age must be at least 60 seconds, not {value}")
        return value

    @default("ingress_signin_url")
    def _default_ingress_signin_url(self) -> str:
        return f"https://{self.ingress_domain}/services/karvdash/ingress/signin"

    @default("storage_domains")
    def _default_storage_domains(self) -> list[dict[str, Any]]:
        return [
            {"name": "local", "mount_path": "/local", "host_path": "/mnt/local", "per_user": True},
            {
                "name": "remote",
                "mount_path": "/remote",
                "host_path": "/mnt/remote",
                "per_user": True,
            },
            {
                "name": "shared",
                "mount_path": "/shared",
                "host_path": "/mnt/shared",
                "per_user": False,
            },
        ]

    @default("template_dirs")
    def _default_template_dirs(self) -> list[str]:
        return _default_template_dirs()

    @validate("namespace_prefix")
    def _check_prefix(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if len(value) > 20 or not re.fullmatch(r"[a-z]([-a-z0-9]*)", value):
            raise TraitError(
                f"namespace_prefix {value!r} must be lower-case letters, digits and dashes, "
                "start with a letter and have at most 20 characters"
            )
        return value

    @validate("storage_domains")
    def _check_domains(self, proposal: Any) -> list[dict[str, Any]]:
        domains = [parse_storage_domain(d) for d in proposal["value"]]
        for attr in ("name", "mount_path"):
            values = [getattr(d, attr) for d in domains]
            if len(values) != len(set(values)):
                raise TraitError(f"storage_domains: duplicate {attr} in {values}")
        return [dict(d) for d in proposal["value"]]

    @validate("allowed_host_paths")
    def _check_allowed_host_paths(self, proposal: Any) -> list[str]:
        return [_clean_abs_path(p, "allowed_host_paths entry") for p in proposal["value"]]

    @property
    def domains(self) -> list[StorageDomain]:
        """The storage domains as validated objects."""
        return [parse_storage_domain(d) for d in self.storage_domains]


def _clean_abs_path(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise TraitError(f"{what} must be an absolute path, not {value!r}")
    parts = value.split("/")
    if ".." in parts or "." in parts:
        raise TraitError(f"{what} must not contain '.' or '..': {value!r}")
    return "/" + "/".join(p for p in parts if p)


def parse_storage_domain(raw: Mapping[str, Any]) -> StorageDomain:
    """Validate one storage domain description (a dict from the settings)."""
    if not isinstance(raw, Mapping):
        raise TraitError(f"a storage domain must be a mapping, not {raw!r}")
    unknown = set(raw) - {"name", "mount_path", "host_path", "per_user", "read_only"}
    if unknown:
        raise TraitError(f"storage domain has unknown keys {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _DNS_LABEL.match(name) or len(name) > 40:
        raise TraitError(f"storage domain name {name!r} must be a short DNS label")
    mount = _clean_abs_path(raw.get("mount_path"), f"storage domain {name}: mount_path")
    host = _clean_abs_path(raw.get("host_path"), f"storage domain {name}: host_path")
    if mount == "/" or host == "/":
        raise TraitError(f"storage domain {name}: '/' cannot be a mount or host path")
    per_user = raw.get("per_user", True)
    read_only = raw.get("read_only", False)
    if not isinstance(per_user, bool) or not isinstance(read_only, bool):
        raise TraitError(f"storage domain {name}: per_user and read_only must be booleans")
    return StorageDomain(name, mount, host, per_user, read_only)


_PATH_LISTS = {"template_dirs", "allowed_host_paths"}


def _env_value(name: str, trait: Any, raw: str) -> Any:
    if isinstance(trait, Dict):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TraitError(f"{ENV_PREFIX}{name.upper()} is not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise TraitError(f"{ENV_PREFIX}{name.upper()} must be a JSON object")
        return value
    if isinstance(trait, List):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                return json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise TraitError(f"{ENV_PREFIX}{name.upper()} is not valid JSON: {exc}") from exc
        if name == "storage_domains":
            raise TraitError(f"{ENV_PREFIX}STORAGE_DOMAINS must be a JSON list")
        # folders are os.pathsep-separated, like $PATH; anything else (user names such as
        # system:serviceaccount:ns:name hold colons) by commas
        separator = os.pathsep if name in _PATH_LISTS else ","
        return [p.strip() for p in stripped.split(separator) if p.strip()]
    if isinstance(trait, Bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise TraitError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")
    if isinstance(trait, Int):
        try:
            return int(raw)
        except ValueError as exc:
            raise TraitError(f"{ENV_PREFIX}{name.upper()} must be an integer") from exc
    return raw


def config_from_env(env: Mapping[str, str] | None = None) -> Config:
    """The ``KARVDASH_*`` environment variables as a traitlets ``Config``."""
    env = os.environ if env is None else env
    cfg = Config()
    for name, trait in Karvdash.class_traits(config=True).items():
        key = ENV_PREFIX + name.upper()
        if key in env:
            cfg.Karvdash[name] = _env_value(name, trait, env[key])
    return cfg


def settings_env(settings: Karvdash, names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The named settings as ``KARVDASH_*`` variables, read back by :func:`config_from_env`.

    For handing settings to another process (the hub gives them to each user's server).
    """
    traits = Karvdash.class_traits(config=True)
    env: dict[str, str] = {}
    for name in names:
        if name not in traits:
            raise TraitError(f"{name!r} is not a Karvdash setting")
        value = getattr(settings, name)
        if isinstance(traits[name], List | Dict):
            env[ENV_PREFIX + name.upper()] = json.dumps(value)
        elif isinstance(traits[name], Bool):
            env[ENV_PREFIX + name.upper()] = "true" if value else "false"
        else:
            env[ENV_PREFIX + name.upper()] = str(value)
    return env


def config_from_file(path: str | os.PathLike[str]) -> Config:
    """Load a traitlets config file (``.py`` or ``.json``)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"Karvdash config file {p} does not exist")
    loader_cls = JSONFileConfigLoader if p.suffix == ".json" else PyFileConfigLoader
    loader = loader_cls(p.name, path=str(p.parent))
    return loader.load_config()


def load_settings(
    config: Config | None = None,
    config_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Karvdash:
    """Build the settings with the documented precedence.

    ``config`` is the host application's own config (JupyterHub's or Jupyter server's,
    which read ``c.Karvdash.*`` from their config files); ``config_file`` (or
    ``$KARVDASH_CONFIG_FILE``) is merged over it, then the environment, then ``overrides``
    (command-line arguments).
    """
    env = os.environ if env is None else env
    merged = Config()
    if config is not None:
        merged.merge(config)
    path = config_file or env.get(CONFIG_FILE_ENV)
    if path:
        merged.merge(config_from_file(path))
    merged.merge(config_from_env(env))
    for key, value in (overrides or {}).items():
        merged.Karvdash[key] = value
    return Karvdash(config=merged)
