"""JupyterHub configuration of Karvdash (the same file for the dev cluster and a real one).

The hub side (KarvdashSpawner, namespace provisioning, the hub service) arrives with a
later release; until then this file only shows where Karvdash's own settings go. Every
``c.Karvdash.*`` setting is documented in docs/configuration.md and can also come from a
``KARVDASH_*`` environment variable, which wins over this file.
"""


# c.Karvdash.namespace_prefix = "karvdash-"
# c.Karvdash.ingress_domain = "karvdash.example.org"
# c.Karvdash.storage_domains = [
#     {"name": "local", "mount_path": "/local", "host_path": "/mnt/local", "per_user": True},
#     {"name": "remote", "mount_path": "/remote", "host_path": "/mnt/remote", "per_user": True},
#     {"name": "shared", "mount_path": "/shared", "host_path": "/mnt/shared", "per_user": False},
# ]
